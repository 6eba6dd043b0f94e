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

pub fn summaries(list: &[BeadSummary]) -> Value {
    json!({ "count": list.len(), "beads": list })
}

pub fn blocked(list: &[BlockedBead]) -> Value {
    let beads: Vec<Value> = list
        .iter()
        .map(|b| {
            let mut v = serde_json::to_value(&b.bead).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("blocked_by".into(), json!(b.blocked_by));
                m.insert("blocked_parent".into(), json!(b.blocked_parent));
            }
            v
        })
        .collect();
    json!({ "count": list.len(), "beads": beads })
}
