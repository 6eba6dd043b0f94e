//! What the CLI and the workspace show: the town snapshot, the feed, Attention, `gt status`,
//! agents' live states, the tmux menu, and what an agent reads first (`prime`).

pub mod attention;
pub mod feed;
pub mod live;
pub mod prime;
pub mod snapshot;
pub mod status;
pub mod tmux_ui;
