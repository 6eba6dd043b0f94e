//! The supervisor and its duties (DESIGN.md §7): the town runs itself. It calls `work/` for
//! everything it does; this module only keeps the duties running and says how they are.

mod dashboard;
mod duty;
pub mod foreground;
mod hosts;
mod pid_watch;
mod runner;
/// The supervisor's status file lives in `town/` (read by `work/`, which must not reach up here).
pub use crate::town::supervisor_status as status;
pub mod supervisor;
mod watcher;

pub use status::{Kind, Seen};
pub use supervisor::Supervisor;
