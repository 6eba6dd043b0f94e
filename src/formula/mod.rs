//! Formulas: TOML workflows (DESIGN.md §2) — parse, validate, compose, resolve.
//!
//! A formula file `<name>.formula.toml` is found by `Library` (rig → town → user → built-in),
//! parsed into a `Formula` (the file as written, unknown keys kept), composed (`extends`,
//! `[[compose.expand]]`, `[compose] aspects`; semantics in `compose`) and checked into a
//! `Resolved`: a flat step list in running order, which molecules are poured from.
//!
//! Shapes: workflow (`[[steps]]`), convoy (`[[legs]]` + `[synthesis]`, one step per leg then
//! the synthesis needing its `depends_on`, default all legs), expansion (`[[template]]`,
//! resolved alone against a stand-in target named after the formula) and aspect (`[[advice]]`
//! applied through `[compose]`; alone, its `[[aspects]]` items are parallel steps).
//!
//! Variables: `{{name}}` with `name` matching `[A-Za-z_][A-Za-z0-9_]*` (not a template
//! keyword like `else` or `end`) is a variable and must be declared in `[vars]` or `[inputs]`;
//! anything else in double braces (`{{.x}}`, `{{#each x}}`, `{{a.b}}`) is text for the agent.

pub mod builtin;
mod compose;
pub mod error;
mod graph;
mod library;
pub mod model;
mod parse;
mod resolved;
mod text;

pub use error::{FormulaError, Loc};
pub use library::{Library, Listed};
pub use model::{
    Advice, Compose, Expand, Formula, Item, Kind, KindSource, Origin, Pointcut, Preset, Step,
    Synthesis, VarSpec,
};
pub use resolved::{Resolved, ResolvedStep, StepRole, VarDef};
