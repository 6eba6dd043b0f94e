//! The formula file as written: what `gt formula show` prints without `--resolved`.
//!
//! Unknown keys are kept in `extra` tables (upstream files carry `[prompts]`, `[output]`,
//! `[squash]`, `review_only`, ...), so a newer file never fails on an older gt.

use super::error::Loc;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// What a formula is for; absent `type` is inferred from its content (see `parse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Steps with `needs`: one molecule, worked in dependency order.
    Workflow,
    /// Parallel legs plus a synthesis step.
    Convoy,
    /// `[[template]]` steps that replace one step of another formula.
    Expansion,
    /// Advice that wraps matching steps of another formula (or parallel `[[aspects]]` items).
    Aspect,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "workflow" => Some(Kind::Workflow),
            "convoy" => Some(Kind::Convoy),
            "expansion" => Some(Kind::Expansion),
            "aspect" => Some(Kind::Aspect),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Workflow => "workflow",
            Kind::Convoy => "convoy",
            Kind::Expansion => "expansion",
            Kind::Aspect => "aspect",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a formula was found. The library's search dirs are given as directories; a formula it
/// finds carries the same variant with the path of its file.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Rig(PathBuf),
    Town(PathBuf),
    User(PathBuf),
    BuiltIn,
}

impl Origin {
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::Rig(p) | Origin::Town(p) | Origin::User(p) => Some(p),
            Origin::BuiltIn => None,
        }
    }

    /// The same layer, pointing at `path`.
    pub(crate) fn with_path(&self, path: PathBuf) -> Origin {
        match self {
            Origin::Rig(_) => Origin::Rig(path),
            Origin::Town(_) => Origin::Town(path),
            Origin::User(_) => Origin::User(path),
            Origin::BuiltIn => Origin::BuiltIn,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Rig(p) => write!(f, "rig {}", p.display()),
            Origin::Town(p) => write!(f, "town {}", p.display()),
            Origin::User(p) => write!(f, "user {}", p.display()),
            Origin::BuiltIn => f.write_str("built-in"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A parsed formula file. `loc` fields are for error messages and are not serialized.
#[derive(Debug, Clone, Serialize)]
pub struct Formula {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// How `kind` was decided: written `type`, inferred from content, or the default.
    #[serde(skip)]
    pub kind_source: KindSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pour: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vars: Vec<VarSpec>,
    /// Convoy `[inputs.*]`: declared variables too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<VarSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub legs: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synthesis: Option<Synthesis>,
    /// Expansion `[[template]]` steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<Advice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pointcuts: Vec<Pointcut>,
    /// `[[aspects]]` items: parallel analysis items, like legs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub presets: Vec<Preset>,
    #[serde(skip_serializing_if = "Compose::is_empty")]
    pub compose: Compose,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindSource {
    Declared,
    Inferred,
    #[default]
    Default,
}

/// A `[vars.<name>]` table, a bare `name = "default"` under `[vars]`, or an `[inputs.<name>]`.
#[derive(Debug, Clone, Serialize)]
pub struct VarSpec {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Informational (`string`, `number`, ...); values are always text.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Required unless one of these is given (convoy inputs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_unless: Vec<String>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

/// A `[[steps]]` entry; also the shape of `[[template]]` and advice before/after steps.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<String>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

/// A convoy `[[legs]]` entry or an aspect `[[aspects]]` item.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub struct Synthesis {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Leg ids; absent = every leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

/// One `[[advice]]`: steps to wrap around every step whose id matches `target`.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub target: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<Step>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pointcut {
    pub glob: String,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preset {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub legs: Vec<String>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Compose {
    /// Aspect formulas to apply, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expand: Vec<Expand>,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}

impl Compose {
    pub fn is_empty(&self) -> bool {
        self.aspects.is_empty() && self.expand.is_empty() && self.extra.is_empty()
    }
}

/// `[[compose.expand]]`: replace step `target` by the templates of expansion formula `with`.
#[derive(Debug, Clone, Serialize)]
pub struct Expand {
    pub target: String,
    pub with: String,
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
    #[serde(skip)]
    pub loc: Loc,
}
