//! A three-way merge of two towns' `.beads/issues.jsonl` (what git's merge driver for the file
//! runs): bead by bead, field by field. A field changed on one side takes that side's value;
//! changed on both, the side whose bead was updated later wins (a tie goes to the larger
//! value, so the merge does not depend on which side is "ours"). Comments and dependencies
//! are the union of both sides; labels merge as sets (one side's removal stands unless the
//! other side added it back). A bead deleted on one side stays deleted only if the other side
//! left it as it was — a changed bead is never lost. The result never holds a conflict
//! marker: a line that is not a bead is an error and nothing is written.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{side}, line {line}: {why}")]
pub struct MergeError {
    pub side: &'static str,
    pub line: usize,
    pub why: String,
}

type Beads = BTreeMap<String, Map<String, Value>>;

fn parse(side: &'static str, text: &str) -> Result<Beads, MergeError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |why: String| MergeError {
            side,
            line: i + 1,
            why,
        };
        let Value::Object(obj) =
            serde_json::from_str::<Value>(line).map_err(|e| err(format!("not JSON: {e}")))?
        else {
            return Err(err("not a JSON object".into()));
        };
        let Some(id) = obj.get("id").and_then(Value::as_str).map(str::to_string) else {
            return Err(err("no `id`".into()));
        };
        if out.insert(id.clone(), obj).is_some() {
            return Err(err(format!("{id} appears twice")));
        }
    }
    Ok(out)
}

/// The merged file: `base` is the common ancestor, `ours` and `theirs` the two sides. Lines
/// come out in id order, each written as the export writes it.
pub fn merge(base: &str, ours: &str, theirs: &str) -> Result<String, MergeError> {
    let (b, o, t) = (
        parse("base", base)?,
        parse("ours", ours)?,
        parse("theirs", theirs)?,
    );
    let ids: BTreeSet<&String> = b.keys().chain(o.keys()).chain(t.keys()).collect();
    let mut out = String::new();
    for id in ids {
        if let Some(bead) = merge_bead(b.get(id), o.get(id), t.get(id)) {
            out.push_str(&super::jsonl::go_json(&Value::Object(bead)));
            out.push('\n');
        }
    }
    Ok(out)
}

fn merge_bead(
    base: Option<&Map<String, Value>>,
    ours: Option<&Map<String, Value>>,
    theirs: Option<&Map<String, Value>>,
) -> Option<Map<String, Value>> {
    match (base, ours, theirs) {
        (_, None, None) => None,
        // Deleted on one side: gone if the other left it as it was, else kept as changed.
        (Some(b), Some(x), None) | (Some(b), None, Some(x)) => (x != b).then(|| x.clone()),
        (None, Some(x), None) | (None, None, Some(x)) => Some(x.clone()),
        (b, Some(o), Some(t)) => Some(merge_fields(b, o, t)),
    }
}

/// Which side's bead was updated later (`updated_at`); a tie, by the larger text.
fn ours_newer(o: &Map<String, Value>, t: &Map<String, Value>) -> bool {
    let at = |m: &Map<String, Value>| {
        m.get("updated_at")
            .and_then(Value::as_str)
            .and_then(crate::time::parse)
    };
    match (at(o), at(t)) {
        (Some(a), Some(b)) if a != b => a > b,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        _ => {
            super::jsonl::go_json(&Value::Object(o.clone()))
                >= super::jsonl::go_json(&Value::Object(t.clone()))
        }
    }
}

fn merge_fields(
    base: Option<&Map<String, Value>>,
    o: &Map<String, Value>,
    t: &Map<String, Value>,
) -> Map<String, Value> {
    let empty = Map::new();
    let b = base.unwrap_or(&empty);
    let newer_is_ours = ours_newer(o, t);
    let mut out = Map::new();
    // Fields in the order the sides write them (ours first, then what only theirs has).
    let keys: Vec<&String> = o
        .keys()
        .chain(t.keys().filter(|k| !o.contains_key(*k)))
        .collect();
    for k in keys {
        let (bv, ov, tv) = (b.get(k), o.get(k), t.get(k));
        let merged = match k.as_str() {
            "comments" => union(ov, tv, comment_key),
            "dependencies" => union(ov, tv, dependency_key),
            "labels" => labels(bv, ov, tv),
            _ if ov == tv => ov.cloned(),
            _ if ov == bv => tv.cloned(),
            _ if tv == bv => ov.cloned(),
            _ if newer_is_ours => ov.cloned(),
            _ => tv.cloned(),
        };
        if let Some(v) = merged {
            out.insert(k.clone(), v);
        }
    }
    out
}

fn comment_key(c: &Value) -> String {
    match c.get("id") {
        Some(id) if !id.is_null() => format!("id:{id}"),
        _ => format!(
            "{}|{}|{}",
            c.get("author").unwrap_or(&Value::Null),
            c.get("created_at").unwrap_or(&Value::Null),
            c.get("text").unwrap_or(&Value::Null)
        ),
    }
}

fn dependency_key(d: &Value) -> String {
    format!(
        "{}|{}|{}",
        d.get("issue_id").unwrap_or(&Value::Null),
        d.get("depends_on_id").unwrap_or(&Value::Null),
        d.get("type").unwrap_or(&Value::Null)
    )
}

/// Both sides' items, each once, ordered by when it was made and then by its key (the same
/// whichever side is ours).
fn union(ours: Option<&Value>, theirs: Option<&Value>, key: fn(&Value) -> String) -> Option<Value> {
    let items = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let mut seen = BTreeMap::new();
    for item in items(ours).into_iter().chain(items(theirs)) {
        let made = item
            .get("created_at")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        seen.entry((made, key(&item))).or_insert(item);
    }
    if seen.is_empty() && ours.is_none() && theirs.is_none() {
        return None;
    }
    Some(Value::Array(seen.into_values().collect()))
}

/// Labels as a set: kept where both sides kept them, added where either added them.
fn labels(base: Option<&Value>, ours: Option<&Value>, theirs: Option<&Value>) -> Option<Value> {
    let set = |v: Option<&Value>| -> BTreeSet<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (b, o, t) = (set(base), set(ours), set(theirs));
    let kept = b.iter().filter(|l| o.contains(*l) && t.contains(*l));
    let added = o.iter().chain(t.iter()).filter(|l| !b.contains(*l));
    let all: BTreeSet<String> = kept.chain(added).cloned().collect();
    if all.is_empty() && ours.is_none() && theirs.is_none() {
        return None;
    }
    Some(Value::Array(all.into_iter().map(Value::String).collect()))
}

#[cfg(test)]
#[path = "jsonl_merge_tests.rs"]
mod tests;
