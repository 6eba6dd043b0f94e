//! The workspace: a full-screen, keyboard-driven console over the whole town (DESIGN.md §8).

pub mod action;
pub mod keymap;
pub mod theme;
