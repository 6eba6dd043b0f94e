//! The bead record: every bd issue field, declared once and mapped to columns, JSON and Rust.

use rusqlite::types::ToSql;
use serde_json::{Map, Value};
use std::sync::OnceLock;

macro_rules! bead_model {
    (
        text: [$($t:ident),* $(,)?],
        int: [$($i:ident),* $(,)?],
        flag: [$($f:ident),* $(,)?],
        real: [$($r:ident),* $(,)?] $(,)?
    ) => {
        /// One ledger record. Optional text keeps `None` (absent/null) apart from `Some("")`.
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct Bead {
            pub id: String,
            pub title: String,
            pub status: String,
            pub priority: i64,
            pub issue_type: String,
            pub created_at: String,
            pub updated_at: String,
            $(pub $t: Option<String>,)*
            $(pub $i: Option<i64>,)*
            $(pub $f: bool,)*
            $(pub $r: Option<f64>,)*
            /// Fields bd wrote that this version has no column for, kept verbatim.
            pub extra: Map<String, Value>,
        }

        pub const CORE_FIELDS: &[&str] =
            &["id", "title", "status", "priority", "issue_type", "created_at", "updated_at"];
        pub const TEXT_FIELDS: &[&str] = &[$(stringify!($t)),*];
        pub const INT_FIELDS: &[&str] = &[$(stringify!($i)),*];
        pub const FLAG_FIELDS: &[&str] = &[$(stringify!($f)),*];
        pub const REAL_FIELDS: &[&str] = &[$(stringify!($r)),*];

        impl Bead {
            pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Bead> {
                let mut idx = 0usize;
                let mut next = || {
                    idx += 1;
                    idx - 1
                };
                Ok(Bead {
                    id: row.get(next())?,
                    title: row.get(next())?,
                    status: row.get(next())?,
                    priority: row.get(next())?,
                    issue_type: row.get(next())?,
                    created_at: row.get(next())?,
                    updated_at: row.get(next())?,
                    $($t: row.get(next())?,)*
                    $($i: row.get(next())?,)*
                    $($f: row.get::<_, i64>(next())? != 0,)*
                    $($r: row.get(next())?,)*
                    extra: parse_extra(row.get::<_, Option<String>>(next())?),
                })
            }

            /// Values in `columns()` order, for INSERT/UPDATE.
            pub(crate) fn column_values(&self) -> Vec<Box<dyn ToSql + '_>> {
                let mut v: Vec<Box<dyn ToSql + '_>> = vec![
                    Box::new(&self.id),
                    Box::new(&self.title),
                    Box::new(&self.status),
                    Box::new(self.priority),
                    Box::new(&self.issue_type),
                    Box::new(&self.created_at),
                    Box::new(&self.updated_at),
                ];
                $(v.push(Box::new(&self.$t));)*
                $(v.push(Box::new(self.$i));)*
                $(v.push(Box::new(i64::from(self.$f)));)*
                $(v.push(Box::new(self.$r));)*
                v.push(Box::new(extra_text(&self.extra)));
                v
            }

            /// Binds `column_values` in place from parameter `first` on, without a box per
            /// value (the importer binds a million beads).
            pub(crate) fn bind_columns(
                &self,
                stmt: &mut rusqlite::Statement<'_>,
                first: usize,
            ) -> rusqlite::Result<()> {
                let mut i = first;
                let mut next = || {
                    i += 1;
                    i - 1
                };
                stmt.raw_bind_parameter(next(), &self.id)?;
                stmt.raw_bind_parameter(next(), &self.title)?;
                stmt.raw_bind_parameter(next(), &self.status)?;
                stmt.raw_bind_parameter(next(), self.priority)?;
                stmt.raw_bind_parameter(next(), &self.issue_type)?;
                stmt.raw_bind_parameter(next(), &self.created_at)?;
                stmt.raw_bind_parameter(next(), &self.updated_at)?;
                $(stmt.raw_bind_parameter(next(), &self.$t)?;)*
                $(stmt.raw_bind_parameter(next(), self.$i)?;)*
                $(stmt.raw_bind_parameter(next(), i64::from(self.$f))?;)*
                $(stmt.raw_bind_parameter(next(), self.$r)?;)*
                stmt.raw_bind_parameter(next(), extra_text(&self.extra))?;
                Ok(())
            }

            pub fn text_field(&self, name: &str) -> Option<&Option<String>> {
                match name {
                    $(stringify!($t) => Some(&self.$t),)*
                    _ => None,
                }
            }

            pub fn text_field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
                match name {
                    $(stringify!($t) => Some(&mut self.$t),)*
                    _ => None,
                }
            }

            pub fn int_field(&self, name: &str) -> Option<Option<i64>> {
                match name {
                    $(stringify!($i) => Some(self.$i),)*
                    _ => None,
                }
            }

            pub fn int_field_mut(&mut self, name: &str) -> Option<&mut Option<i64>> {
                match name {
                    $(stringify!($i) => Some(&mut self.$i),)*
                    _ => None,
                }
            }

            pub fn flag_field(&self, name: &str) -> Option<bool> {
                match name {
                    $(stringify!($f) => Some(self.$f),)*
                    _ => None,
                }
            }

            pub fn flag_field_mut(&mut self, name: &str) -> Option<&mut bool> {
                match name {
                    $(stringify!($f) => Some(&mut self.$f),)*
                    _ => None,
                }
            }

            pub fn real_field(&self, name: &str) -> Option<Option<f64>> {
                match name {
                    $(stringify!($r) => Some(self.$r),)*
                    _ => None,
                }
            }

            pub fn real_field_mut(&mut self, name: &str) -> Option<&mut Option<f64>> {
                match name {
                    $(stringify!($r) => Some(&mut self.$r),)*
                    _ => None,
                }
            }
        }
    };
}

bead_model! {
    text: [
        description, design, acceptance_criteria, notes, spec_id, assignee, owner, created_by,
        started_at, closed_at, close_reason, closed_by_session, lease_expires_at, heartbeat_at,
        due_at, defer_until, external_ref, source_system, source_repo, metadata, compacted_at,
        compacted_at_commit, sender, wisp_type, await_type, await_id, waiters, source_formula,
        source_location, mol_type, work_type, event_kind, actor, target, payload, hook_bead,
        role_bead, role_type, agent_state, rig, content_hash, last_activity,
    ],
    int: [estimated_minutes, compaction_level, original_size, timeout_ns, crystallizes],
    flag: [pinned, ephemeral, is_template, no_history],
    real: [quality_score],
}

/// Every stored column of a bead except `prefix`, in the order of `column_values`.
pub fn columns() -> &'static [&'static str] {
    static COLS: OnceLock<Vec<&'static str>> = OnceLock::new();
    COLS.get_or_init(|| {
        let mut v: Vec<&'static str> = Vec::new();
        v.extend_from_slice(CORE_FIELDS);
        v.extend_from_slice(TEXT_FIELDS);
        v.extend_from_slice(INT_FIELDS);
        v.extend_from_slice(FLAG_FIELDS);
        v.extend_from_slice(REAL_FIELDS);
        v.push("extra");
        v
    })
}

/// `col1, col2, …` for SELECT.
pub fn select_list() -> &'static str {
    static LIST: OnceLock<String> = OnceLock::new();
    LIST.get_or_init(|| columns().join(", "))
}

fn placeholders_from_2() -> String {
    (2..=columns().len() + 1)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `INSERT INTO beads (prefix, …) VALUES (?1, …)`; ?1 is the prefix, then `column_values`.
pub(crate) fn insert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "INSERT INTO beads (prefix, {}) VALUES (?1, {})",
            columns().join(", "),
            placeholders_from_2()
        )
    })
}

/// Like `insert_sql`, replacing every field of an existing bead with the same id.
pub(crate) fn upsert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let updates: Vec<String> = columns()
            .iter()
            .skip(1)
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        format!(
            "{} ON CONFLICT(id) DO UPDATE SET {}",
            insert_sql(),
            updates.join(", ")
        )
    })
}

/// `UPDATE beads SET col2 = ?2, … WHERE id = ?1`, bound with `column_values`.
pub(crate) fn update_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let sets: Vec<String> = columns()
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{c} = ?{}", i + 1))
            .collect();
        format!("UPDATE beads SET {} WHERE id = ?1", sets.join(", "))
    })
}

fn parse_extra(text: Option<String>) -> Map<String, Value> {
    match text.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    }
}

fn extra_text(extra: &Map<String, Value>) -> Option<String> {
    if extra.is_empty() {
        None
    } else {
        serde_json::to_string(extra).ok()
    }
}

/// The prefix of an id: everything before the first `-` (`gt-4k2x9` → `gt`).
pub fn prefix_of(id: &str) -> &str {
    id.split_once('-').map(|(p, _)| p).unwrap_or(id)
}

impl Bead {
    pub fn is_closed(&self) -> bool {
        is_done_status(&self.status)
    }

    pub fn prefix(&self) -> &str {
        prefix_of(&self.id)
    }
}

/// A bead's status, typed. Stored as text (bd's column, where other tools may write statuses
/// of their own: those read as `Other`); compared with the stored text directly
/// (`bead.status == Status::Hooked`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    InProgress,
    Blocked,
    Deferred,
    Closed,
    Pinned,
    Hooked,
    Tombstone,
    Other,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Blocked => "blocked",
            Status::Deferred => "deferred",
            Status::Closed => "closed",
            Status::Pinned => "pinned",
            Status::Hooked => "hooked",
            Status::Tombstone => "tombstone",
            Status::Other => "other",
        }
    }

    pub fn of(s: &str) -> Status {
        [
            Status::Open,
            Status::InProgress,
            Status::Blocked,
            Status::Deferred,
            Status::Closed,
            Status::Pinned,
            Status::Hooked,
            Status::Tombstone,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .unwrap_or(Status::Other)
    }

    /// Finished, for blocking and convoy landing.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Closed | Status::Tombstone)
    }

    /// Someone works on it: on a hook, or started.
    pub fn is_worked(self) -> bool {
        matches!(self, Status::Hooked | Status::InProgress)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Status> for String {
    fn from(s: Status) -> String {
        s.as_str().to_string()
    }
}

impl PartialEq<Status> for String {
    fn eq(&self, other: &Status) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Status> for str {
    fn eq(&self, other: &Status) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Status> for &str {
    fn eq(&self, other: &Status) -> bool {
        *self == other.as_str()
    }
}

/// Statuses that count as finished for blocking and convoy landing.
pub fn is_done_status(status: &str) -> bool {
    Status::of(status).is_done()
}

/// Built-in statuses (bd's, including Gas Town's `hooked` and `pinned`).
pub const STATUSES: &[&str] = &[
    "open",
    "in_progress",
    "blocked",
    "deferred",
    "closed",
    "pinned",
    "hooked",
];

/// Work types a person files.
pub const WORK_TYPES: &[&str] = &["task", "bug", "feature", "epic", "chore", "decision"];

/// Types that describe town machinery rather than work; never "ready". A molecule's `step`s
/// are worked through their molecule (`gt mol status`), so they are not offered as ready
/// work of their own either.
pub const INFRA_TYPES: &[&str] = &[
    "step",
    "message",
    "merge-request",
    "molecule",
    "gate",
    "agent",
    "role",
    "rig",
    "convoy",
    "slot",
    "event",
    "escalation",
];

/// Dependency kinds that keep the dependent from being ready while the target is open.
pub const GATING_DEPS: &[&str] = &["blocks", "parent-child", "conditional-blocks", "waits-for"];

#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub issue_id: String,
    pub depends_on_id: String,
    pub kind: String,
    pub created_at: Option<String>,
    pub created_by: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub issue_id: String,
    pub author: Option<String>,
    pub text: String,
    pub created_at: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub issue_id: Option<String>,
    pub event_type: String,
    pub actor: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub comment: Option<String>,
    pub created_at: String,
    pub extra: Map<String, Value>,
}

/// A bead with everything attached to it.
#[derive(Debug, Clone, PartialEq)]
pub struct BeadRecord {
    pub bead: Bead,
    pub labels: Vec<String>,
    /// What this bead depends on.
    pub dependencies: Vec<Dependency>,
    pub comments: Vec<Comment>,
}

pub(crate) fn extra_from_text(text: Option<String>) -> Map<String, Value> {
    parse_extra(text)
}

pub(crate) fn extra_to_text(extra: &Map<String, Value>) -> Option<String> {
    extra_text(extra)
}
