//! The town itself: making it (`install`, `demo`), its rigs, its settings (`config`), bringing
//! it up (`up`), its ledger's bd-readable export and import (`ledger_io`), and where a command
//! may write a file the user named (`output_path`). The top of work/: it may use every other
//! capability; nothing below uses it.

pub mod autostart;
pub mod config;
pub mod daemon_logs;
pub mod demo;
pub mod estop;
pub mod export_merge;
pub mod host_commands;
pub mod host_remove;
pub mod install;
pub mod jsonl_follow;
pub mod ledger_io;
pub mod output_path;
pub mod polecat_gc;
pub mod rest;
pub mod rig;
pub mod sync;
pub mod up;
