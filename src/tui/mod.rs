//! The workspace: a full-screen, keyboard-driven console over the whole town (DESIGN.md §8).
//! `update` is pure (state + message → effects); `view` draws the state; `app` owns the
//! terminal and the loop; `workers` do the I/O off the UI thread.

pub mod action;
pub mod ansi;
pub mod app;
pub mod fixtures;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod modal;
pub mod msg;
pub mod pacing;
pub mod palette;
pub mod picker;
pub mod rows;
pub mod state;
pub mod stats;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod workers;
