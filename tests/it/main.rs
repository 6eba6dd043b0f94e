//! Every integration test in one binary: each file used to be a test binary of its own, and
//! each of those linked the whole crate. `cargo test --test it <file>::` runs one file's tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod agent_states;
mod agents;
mod bad_input;
mod beads;
mod cli;
mod clock;
mod compat;
mod concurrency;
mod convoy;
mod daemon_ops;
mod deacon;
mod delivery;
mod doctor;
mod effects_have_commands;
mod formula;
mod formula_cli;
mod hardening;
mod install;
mod json_contract;
mod layering;
mod mail;
mod molecule;
mod notify;
mod properties;
mod races;
mod refinery;
mod refinery_batch;
mod review;
mod rig;
mod runtime_sessions;
mod runtimes;
mod safety;
mod scheduler;
mod sling_rollback;
mod start_failures;
mod supervisor;
mod tmux_layer;
mod tmux_ui;
mod town_roles;
mod tui_config;
mod tui_render;
mod workspace;
