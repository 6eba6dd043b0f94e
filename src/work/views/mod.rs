//! What the CLI and the workspace show: the town snapshot, the feed, Attention, `gt status`,
//! agents' live states, the tmux menu, and what an agent reads first (`prime`).

pub mod agent_row;
pub mod attention;
pub mod feed;
pub mod leaving;
pub mod notify;
/// Agents' live states moved to `agents::live` (the witness reads them too).
pub use super::agents::live;
pub mod prime;
pub mod snapshot;
pub mod status;
pub mod tmux_ui;
