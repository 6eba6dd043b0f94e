//! gt — Gas Town in Rust.
//!
//! Module boundaries (DESIGN.md §10): `cli/` and `tui/` call `work/`; `work/` calls `ledger/`,
//! `tmux/`, `git/`, `agent/`, `formula/` and `town/`; `daemon/` runs `work/`'s duties on a
//! schedule. Only `ledger/` touches SQLite, only `git/` touches git, only `tmux/` runs tmux;
//! text going into an agent or onto a terminal passes `inert`.
//!
//! Naming: a function ending in `_in` does its work inside a write transaction the caller
//! holds (`close_in(tx, …)`, `hook_in(tx, …)`), so several changes commit together; the same
//! name without `_in` opens its own.

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
pub mod process;
pub mod ssh;
pub mod time;
pub mod tmux;
pub mod town;
pub mod tui;
pub mod web;
pub mod work;

pub use error::{Error, Result};
