//! JSON shapes of the `--json` contract (schema 1).

use crate::ledger::{BeadSummary, BlockedBead, Dependency, jsonl};
use crate::work::beads::BeadView;
use serde_json::{Value, json};

/// Keys every bead object has, null when empty, so consumers need no guessing.
const ALWAYS: &[&str] = &[
    "description",
    "assignee",
    "owner",
    "created_by",
    "closed_at",
    "close_reason",
];

pub fn bead(view: &BeadView) -> Value {
    let mut m = jsonl::export_object(&view.record);
    for k in ALWAYS {
        m.entry(*k).or_insert(Value::Null);
    }
    m.insert("labels".into(), json!(view.record.labels));
    m.insert(
        "dependencies".into(),
        Value::Array(view.record.dependencies.iter().map(dep).collect()),
    );
    m.insert(
        "comments".into(),
        Value::Array(
            view.record
                .comments
                .iter()
                .map(|c| Value::Object(jsonl::comment_object(c)))
                .collect(),
        ),
    );
    m.insert(
        "dependents".into(),
        Value::Array(view.dependents.iter().map(dep).collect()),
    );
    m.insert(
        "rig".into(),
        json!(view.rig.as_ref().map(|r| r.name.clone())),
    );
    m.insert("convoys".into(), json!(view.convoys));
    Value::Object(m)
}

pub fn dep(d: &Dependency) -> Value {
    Value::Object(jsonl::dependency_object(d))
}

#[derive(serde::Serialize)]
pub struct BeadList<'a> {
    pub count: usize,
    pub beads: &'a [BeadSummary],
}

pub fn summaries(list: &[BeadSummary]) -> BeadList<'_> {
    BeadList {
        count: list.len(),
        beads: list,
    }
}

#[derive(serde::Serialize)]
pub struct BlockedList<'a> {
    pub count: usize,
    pub beads: Vec<BlockedItem<'a>>,
}

#[derive(serde::Serialize)]
pub struct BlockedItem<'a> {
    #[serde(flatten)]
    pub bead: &'a BeadSummary,
    pub blocked_by: &'a [String],
    pub blocked_parent: &'a Option<String>,
}

pub fn blocked(list: &[BlockedBead]) -> BlockedList<'_> {
    BlockedList {
        count: list.len(),
        beads: list
            .iter()
            .map(|b| BlockedItem {
                bead: &b.bead,
                blocked_by: &b.blocked_by,
                blocked_parent: &b.blocked_parent,
            })
            .collect(),
    }
}

/// `{"count": n, "<name>": [items…]}`: the document of every listing, typed by its items.
pub struct Listing<'a, T> {
    name: &'static str,
    items: &'a [T],
}

impl<'a, T: serde::Serialize> Listing<'a, T> {
    pub fn new(name: &'static str, items: &'a [T]) -> Self {
        Listing { name, items }
    }
}

impl<T: serde::Serialize> serde::Serialize for Listing<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("count", &self.items.len())?;
        m.serialize_entry(self.name, self.items)?;
        m.end()
    }
}

/// `{"<name>": value}`: the document of every command that shows one thing, typed by it.
pub struct One<'a, T> {
    name: &'static str,
    value: &'a T,
}

impl<'a, T: serde::Serialize> One<'a, T> {
    pub fn new(name: &'static str, value: &'a T) -> Self {
        One { name, value }
    }
}

impl<T: serde::Serialize> serde::Serialize for One<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.name, self.value)?;
        m.end()
    }
}
