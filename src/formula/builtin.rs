//! Formulas compiled into the binary, from the top-level `formulas/` folder. A test checks
//! that every `formulas/*.formula.toml` file is listed here.

/// (name, TOML text), by name.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "parallel-review",
        include_str!("../../formulas/parallel-review.formula.toml"),
    ),
    (
        "polecat-work",
        include_str!("../../formulas/polecat-work.formula.toml"),
    ),
    (
        "release",
        include_str!("../../formulas/release.formula.toml"),
    ),
    ("review", include_str!("../../formulas/review.formula.toml")),
    ("tdd", include_str!("../../formulas/tdd.formula.toml")),
];

/// The built-in formula named `name`.
pub fn get(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Names of the built-in formulas.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}
