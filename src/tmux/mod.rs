//! The only code that runs tmux (through `tmux_interface`; each call a child process with a time limit).

mod error;
mod escape;
mod ops;
pub mod remote;
mod server;
pub mod topology;
pub mod ui;
mod version;

pub use error::TmuxError;
pub use ops::{AGENT_HISTORY_LINES, CaptureReq, Created, Sizing, WindowSpec, dialog_key};
pub use server::{Server, is_valid_socket_name, socket_name_for, spawned, spawned_here};
pub use topology::Pane;
pub use ui::{MenuItem, UiHost};
pub use version::version;
