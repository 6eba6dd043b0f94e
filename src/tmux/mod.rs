//! The only code that runs tmux (through `tmux_interface`, asynchronously under tokio).

mod error;
mod ops;
mod server;
pub mod topology;

pub use error::TmuxError;
pub use ops::{Created, WindowSpec};
pub use server::{Server, is_valid_socket_name, socket_name_for};
pub use topology::Pane;
