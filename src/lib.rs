//! gt — Gas Town in Rust.
//!
//! Module boundaries (DESIGN.md §10): `cli/` (and later `tui/`) call `work/`; `work/` calls
//! `ledger/`, `git/` and `town/`. Only `ledger/` touches SQLite, only `git/` touches git.

// Tests may unwrap what they made themselves; the product may not (Cargo.toml's lints).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod agent;
pub mod cli;
pub mod daemon;
pub mod error;
pub mod formula;
pub mod fsutil;
pub mod git;
pub mod inert;
pub mod ledger;
pub mod logging;
pub mod time;
pub mod tmux;
pub mod town;
pub mod tui;
pub mod work;

pub use error::{Error, Result};
