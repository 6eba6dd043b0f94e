//! Formula errors: each one says where (file, line, step) and what to do about it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where something was written: a file label (path or `built-in <name>`) and, when the TOML
/// parser gave a span, a 1-based line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: Option<usize>,
}

impl Loc {
    pub fn new(file: &Arc<str>, line: Option<usize>) -> Loc {
        Loc {
            file: Arc::clone(file),
            line,
        }
    }

    /// The whole file, no particular line.
    pub fn file(file: &Arc<str>) -> Loc {
        Loc::new(file, None)
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => write!(f, "{}", self.file),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FormulaError {
    #[error("{file}:{line}:{column}: TOML syntax error: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{loc}: unknown formula type `{kind}` (known types: workflow, convoy, expansion, aspect)"
    )]
    UnknownType { loc: Loc, kind: String },
    /// The file is valid TOML but not a valid formula (wrong value type, missing id, ...).
    #[error("{loc}: {message}")]
    Invalid { loc: Loc, message: String },
    #[error("{loc}: step id `{id}` is used twice (first at {first})")]
    DuplicateStep { loc: Loc, id: String, first: Loc },
    /// A `needs`, synthesis `depends_on` or preset `legs` entry names no step.
    #[error("{loc}: {owner} {relation} `{missing}`, which is not {expected} of this formula")]
    MissingStep {
        loc: Loc,
        owner: String,
        relation: &'static str,
        missing: String,
        expected: &'static str,
    },
    /// `cycle` reads in running order: each step needs the one before it; first = last.
    #[error(
        "{loc}: dependency cycle: {} (each step needs the one before it; one of these `needs` must go)",
        .cycle.join(" → ")
    )]
    Cycle { loc: Loc, cycle: Vec<String> },
    #[error(
        "{loc}: `{{{{{var}}}}}` is used in {place} but not declared; add a [vars.{var}] table (text meant for the agent can be written `{{{{.{var}}}}}`)"
    )]
    UndeclaredVar {
        loc: Loc,
        var: String,
        place: String,
    },
    #[error(
        "formula `{formula}` needs {}: pass {}",
        .missing.join(", "),
        .missing_names.iter().map(|n| format!("--var {n}=<value>")).collect::<Vec<_>>().join(" ")
    )]
    MissingVars {
        formula: String,
        /// Human-readable entries, e.g. `feature` or `pr (or one of: files, branch)`.
        missing: Vec<String>,
        /// The variable to pass for each entry.
        missing_names: Vec<String>,
    },
    #[error(
        "formula `{formula}` does not declare {}; it declares: {}",
        .unknown.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
        if .declared.is_empty() { "no variables".to_string() } else { .declared.join(", ") }
    )]
    UnknownVars {
        formula: String,
        unknown: Vec<String>,
        declared: Vec<String>,
    },
    #[error(
        "no formula named `{name}` (looked for {name}.formula.toml in: {}); run `gt formula list` to see the formulas there are",
        .searched.join(", ")
    )]
    NotFound { name: String, searched: Vec<String> },
    #[error(
        "{loc}: the file is named for formula `{file_name}` but says formula = \"{declared}\"; make them the same"
    )]
    NameMismatch {
        loc: Loc,
        declared: String,
        file_name: String,
    },
    #[error("{loc}: extends cycle: {}", .chain.join(" → "))]
    ExtendsCycle { loc: Loc, chain: Vec<String> },
    #[error(
        "{loc}: [[compose.expand]] target `{target}` (with `{with}`) is not a step of this formula"
    )]
    ExpandTarget {
        loc: Loc,
        target: String,
        with: String,
    },
    #[error(
        "formula `{formula}` has no preset `{preset}`; {}",
        if .known.is_empty() { "it has no presets".to_string() } else { format!("its presets: {}", .known.join(", ")) }
    )]
    UnknownPreset {
        formula: String,
        preset: String,
        known: Vec<String>,
    },
    /// A composed formula is of the wrong shape (e.g. `compose.expand.with` names a workflow).
    #[error("{loc}: {message}")]
    WrongKind { loc: Loc, message: String },
    #[error(
        "`{name}` is not a formula name: use letters, digits, `-`, `_` and `.`, not starting with `.`"
    )]
    BadName { name: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FormulaError {
    /// Everything but I/O is the caller's input being wrong (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, FormulaError::Io { .. })
    }

    pub(crate) fn invalid(loc: Loc, message: impl Into<String>) -> FormulaError {
        FormulaError::Invalid {
            loc,
            message: message.into(),
        }
    }
}
