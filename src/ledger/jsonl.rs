//! bd's JSON shapes ↔ ledger records. One parser reads both dialects (the issue-per-line
//! export with embedded labels/dependencies/comments, and the table-dump rows with 0/1 flags
//! and string metadata); the writer produces the issue-per-line dialect bd imports.

use super::bead::{
    Bead, BeadRecord, Comment, Dependency, Event, FLAG_FIELDS, INT_FIELDS, REAL_FIELDS, TEXT_FIELDS,
};
use serde_json::{Map, Value};

/// An issue line: the bead, and its relations when the line embeds them.
#[derive(Debug, Clone)]
pub struct ParsedIssue {
    pub bead: Bead,
    pub labels: Option<Vec<String>>,
    pub dependencies: Option<Vec<Dependency>>,
    pub comments: Option<Vec<Comment>>,
}

/// Timestamps that must parse when present, so the ledger can compare them.
const CHECKED_TIMES: &[&str] = &["closed_at", "defer_until", "due_at", "started_at"];

/// The first text field of `b` that holds a NUL character.
fn nul_field(b: &Bead) -> Option<&'static str> {
    if b.title.contains('\0') {
        return Some("title");
    }
    TEXT_FIELDS
        .iter()
        .find(|k| {
            b.text_field(k)
                .is_some_and(|v| v.as_deref().is_some_and(|t| t.contains('\0')))
        })
        .copied()
}

pub fn parse_issue(obj: Map<String, Value>) -> Result<ParsedIssue, String> {
    let mut b = Bead {
        status: "open".into(),
        priority: 2,
        issue_type: "task".into(),
        ..Bead::default()
    };
    let mut labels = None;
    let mut dependencies = None;
    let mut comments = None;
    let mut created_at = None;
    let mut updated_at = None;
    for (key, value) in obj {
        match key.as_str() {
            "id" => b.id = req_str(&key, &value)?,
            "title" => b.title = req_str(&key, &value)?,
            "status" => b.status = req_str(&key, &value)?,
            "issue_type" => b.issue_type = req_str(&key, &value)?,
            "created_at" => created_at = Some(req_time(&key, &value)?),
            "updated_at" => updated_at = Some(req_time(&key, &value)?),
            "priority" => {
                b.priority = value
                    .as_i64()
                    .ok_or_else(|| format!("`priority` must be a whole number, got {value}"))?
            }
            "labels" => labels = Some(parse_labels(&value)?),
            "dependencies" => dependencies = Some(parse_list(&value, &key, parse_dependency)?),
            "comments" => comments = Some(parse_list(&value, &key, parse_comment)?),
            "metadata" => b.metadata = json_text(&key, &value)?,
            "waiters" => b.waiters = json_text(&key, &value)?,
            "timeout" | "timeout_ns" => b.timeout_ns = opt_int(&key, &value)?,
            k if TEXT_FIELDS.contains(&k) => {
                let v = opt_str(&key, &value)?;
                if let (true, Some(s)) = (CHECKED_TIMES.contains(&k), v.as_deref())
                    && !s.is_empty()
                    && crate::time::parse(s).is_none()
                {
                    return Err(format!("`{key}` is not an RFC 3339 timestamp: {s:?}"));
                }
                if let Some(slot) = b.text_field_mut(k) {
                    *slot = v;
                }
            }
            k if INT_FIELDS.contains(&k) => {
                let v = opt_int(&key, &value)?;
                if let Some(slot) = b.int_field_mut(k) {
                    *slot = v;
                }
            }
            k if FLAG_FIELDS.contains(&k) => {
                let v = flag(&key, &value)?;
                if let Some(slot) = b.flag_field_mut(k) {
                    *slot = v;
                }
            }
            k if REAL_FIELDS.contains(&k) => {
                let v = match &value {
                    Value::Null => None,
                    Value::Number(n) => n.as_f64(),
                    _ => return Err(format!("`{key}` must be a number, got {value}")),
                };
                if let Some(slot) = b.real_field_mut(k) {
                    *slot = v;
                }
            }
            _ => {
                b.extra.insert(key, value);
            }
        }
    }
    if b.id.is_empty() {
        return Err("missing `id`".into());
    }
    if b.title.trim().is_empty() {
        return Err(format!("bead {} has no title", b.id));
    }
    if !(0..=4).contains(&b.priority) {
        return Err(format!(
            "bead {} has priority {} (bd allows 0–4)",
            b.id, b.priority
        ));
    }
    if !super::ids::is_valid_id(&b.id) {
        return Err(format!("invalid id {:?}", b.id));
    }
    // What the CLI could never write: NUL in text (SQLite and C tools cut text there), a bead
    // depending on itself.
    if let Some(field) = nul_field(&b) {
        return Err(format!("bead {} has a NUL character in `{field}`", b.id));
    }
    if let Some(d) = dependencies
        .iter()
        .flatten()
        .find(|d: &&Dependency| d.depends_on_id == b.id)
    {
        return Err(format!("bead {} depends on itself ({})", b.id, d.kind));
    }
    let now = crate::time::now();
    b.created_at = created_at
        .or_else(|| updated_at.clone())
        .unwrap_or_else(|| now.clone());
    b.updated_at = updated_at.unwrap_or_else(|| b.created_at.clone());
    Ok(ParsedIssue {
        bead: b,
        labels,
        dependencies,
        comments,
    })
}

pub fn parse_dependency(value: &Value) -> Result<Dependency, String> {
    let Value::Object(obj) = value else {
        return Err(format!("a dependency must be an object, got {value}"));
    };
    let mut d = Dependency {
        issue_id: String::new(),
        depends_on_id: String::new(),
        kind: "blocks".into(),
        created_at: None,
        created_by: None,
        extra: Map::new(),
    };
    for (key, value) in obj {
        match key.as_str() {
            "issue_id" => d.issue_id = req_str(key, value)?,
            "depends_on_id" => d.depends_on_id = req_str(key, value)?,
            "type" => d.kind = req_str(key, value)?,
            "created_at" => d.created_at = opt_str(key, value)?,
            "created_by" => d.created_by = opt_str(key, value)?,
            _ => {
                d.extra.insert(key.clone(), value.clone());
            }
        }
    }
    if d.depends_on_id.is_empty() {
        return Err("dependency without `depends_on_id`".into());
    }
    Ok(d)
}

pub fn parse_comment(value: &Value) -> Result<Comment, String> {
    let Value::Object(obj) = value else {
        return Err(format!("a comment must be an object, got {value}"));
    };
    let mut c = Comment {
        id: 0,
        issue_id: String::new(),
        author: None,
        text: String::new(),
        created_at: None,
        extra: Map::new(),
    };
    for (key, value) in obj {
        match key.as_str() {
            "id" => {
                c.id = value
                    .as_i64()
                    .ok_or_else(|| format!("comment `id` must be a whole number, got {value}"))?
            }
            "issue_id" => c.issue_id = req_str(key, value)?,
            "author" => c.author = opt_str(key, value)?,
            "text" => c.text = req_str(key, value)?,
            "created_at" => c.created_at = opt_str(key, value)?,
            _ => {
                c.extra.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(c)
}

pub fn parse_event(value: &Value) -> Result<Event, String> {
    let Value::Object(obj) = value else {
        return Err(format!("an event must be an object, got {value}"));
    };
    let mut e = Event {
        id: 0,
        issue_id: None,
        event_type: String::new(),
        actor: None,
        old_value: None,
        new_value: None,
        comment: None,
        created_at: String::new(),
        extra: Map::new(),
    };
    for (key, value) in obj {
        match key.as_str() {
            "id" => {
                e.id = value
                    .as_i64()
                    .ok_or_else(|| format!("event `id` must be a whole number, got {value}"))?
            }
            "issue_id" => e.issue_id = opt_str(key, value)?,
            "event_type" => e.event_type = req_str(key, value)?,
            "actor" => e.actor = opt_str(key, value)?,
            "old_value" => e.old_value = json_text(key, value)?,
            "new_value" => e.new_value = json_text(key, value)?,
            "comment" => e.comment = opt_str(key, value)?,
            "created_at" => e.created_at = req_str(key, value)?,
            _ => {
                e.extra.insert(key.clone(), value.clone());
            }
        }
    }
    if e.event_type.is_empty() {
        return Err("event without `event_type`".into());
    }
    Ok(e)
}

fn parse_labels(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("a label must be a string, got {v}"))
            })
            .collect(),
        _ => Err(format!("`labels` must be a list, got {value}")),
    }
}

fn parse_list<T>(
    value: &Value,
    key: &str,
    f: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(f).collect(),
        _ => Err(format!("`{key}` must be a list, got {value}")),
    }
}

fn req_str(key: &str, v: &Value) -> Result<String, String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("`{key}` must be a string, got {v}"))
}

fn req_time(key: &str, v: &Value) -> Result<String, String> {
    let s = req_str(key, v)?;
    if crate::time::parse(&s).is_none() {
        return Err(format!("`{key}` is not an RFC 3339 timestamp: {s:?}"));
    }
    Ok(s)
}

fn opt_str(key: &str, v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(format!("`{key}` must be a string or null, got {v}")),
    }
}

fn opt_int(key: &str, v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be a whole number, got {v}")),
        _ => Err(format!("`{key}` must be a whole number or null, got {v}")),
    }
}

fn flag(key: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        _ => Err(format!("`{key}` must be true/false or 0/1, got {v}")),
    }
}

/// Fields that hold JSON: the table dump stores them as strings, the export as raw JSON.
fn json_text(key: &str, v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Object(_) | Value::Array(_) => Ok(Some(v.to_string())),
        _ => Err(format!("`{key}` must be JSON or a string, got {v}")),
    }
}

// ---------------------------------------------------------------------------------------
// Writing

/// bd's key order for the issue-per-line dialect.
const EXPORT_ORDER: &[&str] = &[
    "id",
    "title",
    "description",
    "design",
    "acceptance_criteria",
    "notes",
    "spec_id",
    "status",
    "priority",
    "issue_type",
    "assignee",
    "owner",
    "estimated_minutes",
    "created_at",
    "created_by",
    "updated_at",
    "started_at",
    "closed_at",
    "close_reason",
    "closed_by_session",
    "lease_expires_at",
    "heartbeat_at",
    "due_at",
    "defer_until",
    "external_ref",
    "source_system",
    "metadata",
    "compaction_level",
    "compacted_at",
    "compacted_at_commit",
    "original_size",
    "labels",
    "dependencies",
    "comments",
    "sender",
    "ephemeral",
    "no_history",
    "wisp_type",
    "pinned",
    "is_template",
    "await_type",
    "await_id",
    "timeout_ns",
    "waiters",
    "source_formula",
    "source_location",
    "mol_type",
    "work_type",
    "event_kind",
    "actor",
    "target",
    "payload",
    "source_repo",
    "hook_bead",
    "role_bead",
    "role_type",
    "agent_state",
    "rig",
    "content_hash",
    "crystallizes",
    "quality_score",
    "last_activity",
];

/// Ints bd writes even when zero (pointer fields).
const INT_KEEP_ZERO: &[&str] = &["estimated_minutes"];

/// One value of the export, borrowed from the record where possible (an export of 100k
/// beads should not copy every string twice).
enum Field<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Real(f64),
    Owned(Value),
    Ref(&'a Value),
    Labels(&'a [String]),
    Deps(&'a [Dependency]),
    Comments(&'a [Comment]),
}

impl serde::Serialize for Field<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self {
            Field::Str(v) => s.serialize_str(v),
            Field::Int(v) => s.serialize_i64(*v),
            Field::Bool(v) => s.serialize_bool(*v),
            Field::Real(v) => s.serialize_f64(*v),
            Field::Owned(v) => v.serialize(s),
            Field::Ref(v) => v.serialize(s),
            Field::Labels(v) => v.serialize(s),
            Field::Deps(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for d in v.iter() {
                    seq.serialize_element(&Fields(dependency_fields(d)))?;
                }
                seq.end()
            }
            Field::Comments(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for c in v.iter() {
                    seq.serialize_element(&Fields(comment_fields(c)))?;
                }
                seq.end()
            }
        }
    }
}

/// An ordered list of key/value pairs serialized as a JSON object.
struct Fields<'a>(Vec<(&'a str, Field<'a>)>);

impl serde::Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn non_empty_str(s: &str) -> Option<Field<'_>> {
    (!s.is_empty()).then_some(Field::Str(s))
}

/// The issue's fields in bd's order, empty ones omitted (bd's `omitempty`), unknown ones last.
fn issue_fields(rec: &BeadRecord) -> Vec<(&str, Field<'_>)> {
    let b = &rec.bead;
    let mut out: Vec<(&str, Field<'_>)> = Vec::with_capacity(24);
    for &key in EXPORT_ORDER {
        let value = match key {
            "id" => Some(Field::Str(&b.id)),
            "title" => Some(Field::Str(&b.title)),
            "status" => non_empty_str(&b.status),
            "priority" => Some(Field::Int(b.priority)),
            "issue_type" => non_empty_str(&b.issue_type),
            "created_at" => Some(Field::Str(&b.created_at)),
            "updated_at" => Some(Field::Str(&b.updated_at)),
            "labels" => (!rec.labels.is_empty()).then_some(Field::Labels(&rec.labels)),
            "dependencies" => {
                (!rec.dependencies.is_empty()).then_some(Field::Deps(&rec.dependencies))
            }
            "comments" => (!rec.comments.is_empty()).then_some(Field::Comments(&rec.comments)),
            "metadata" => b
                .metadata
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| Field::Owned(raw_json(s))),
            "waiters" => b
                .waiters
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| Field::Owned(waiters_json(s))),
            "timeout_ns" => b.timeout_ns.filter(|n| *n != 0).map(Field::Int),
            k if TEXT_FIELDS.contains(&k) => b
                .text_field(k)
                .and_then(|v| v.as_deref())
                .and_then(non_empty_str),
            k if INT_FIELDS.contains(&k) => b
                .int_field(k)
                .flatten()
                .filter(|n| *n != 0 || INT_KEEP_ZERO.contains(&k))
                .map(Field::Int),
            k if FLAG_FIELDS.contains(&k) => b.flag_field(k).filter(|f| *f).map(Field::Bool),
            k if REAL_FIELDS.contains(&k) => b.real_field(k).flatten().map(Field::Real),
            _ => None,
        };
        if let Some(v) = value {
            // The export dialect calls it `timeout` (a Go duration in nanoseconds).
            let name = if key == "timeout_ns" { "timeout" } else { key };
            out.push((name, v));
        }
    }
    push_extra(&mut out, &b.extra);
    out
}

fn push_extra<'a>(out: &mut Vec<(&'a str, Field<'a>)>, extra: &'a Map<String, Value>) {
    for (k, v) in extra {
        if !out.iter().any(|(name, _)| name == k) {
            out.push((k.as_str(), Field::Ref(v)));
        }
    }
}

fn dependency_fields(d: &Dependency) -> Vec<(&str, Field<'_>)> {
    let mut m = vec![
        ("issue_id", Field::Str(&d.issue_id)),
        ("depends_on_id", Field::Str(&d.depends_on_id)),
        ("type", Field::Str(&d.kind)),
    ];
    if let Some(t) = &d.created_at {
        m.push(("created_at", Field::Str(t)));
    }
    if let Some(by) = &d.created_by {
        m.push(("created_by", Field::Str(by)));
    }
    push_extra(&mut m, &d.extra);
    m
}

fn comment_fields(c: &Comment) -> Vec<(&str, Field<'_>)> {
    let mut m = vec![
        ("id", Field::Int(c.id)),
        ("issue_id", Field::Str(&c.issue_id)),
    ];
    if let Some(a) = &c.author {
        m.push(("author", Field::Str(a)));
    }
    m.push(("text", Field::Str(&c.text)));
    if let Some(t) = &c.created_at {
        m.push(("created_at", Field::Str(t)));
    }
    push_extra(&mut m, &c.extra);
    m
}

fn to_map(fields: Vec<(&str, Field<'_>)>) -> Map<String, Value> {
    match serde_json::to_value(Fields(fields)) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// One issue in the issue-per-line dialect (empty fields omitted, like bd's `omitempty`).
pub fn export_object(rec: &BeadRecord) -> Map<String, Value> {
    to_map(issue_fields(rec))
}

pub fn dependency_object(d: &Dependency) -> Map<String, Value> {
    to_map(dependency_fields(d))
}

pub fn comment_object(c: &Comment) -> Map<String, Value> {
    to_map(comment_fields(c))
}

/// Every field of a bead, empty ones included as null/false (for diffs and full views).
pub fn all_fields(b: &Bead) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(b.id.clone()));
    m.insert("title".into(), Value::String(b.title.clone()));
    m.insert("status".into(), Value::String(b.status.clone()));
    m.insert("priority".into(), Value::from(b.priority));
    m.insert("issue_type".into(), Value::String(b.issue_type.clone()));
    m.insert("created_at".into(), Value::String(b.created_at.clone()));
    m.insert("updated_at".into(), Value::String(b.updated_at.clone()));
    for &k in TEXT_FIELDS {
        let v = b
            .text_field(k)
            .cloned()
            .flatten()
            .map(Value::String)
            .unwrap_or(Value::Null);
        m.insert(k.into(), v);
    }
    for &k in INT_FIELDS {
        m.insert(
            k.into(),
            b.int_field(k)
                .flatten()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
    }
    for &k in FLAG_FIELDS {
        m.insert(k.into(), Value::Bool(b.flag_field(k).unwrap_or(false)));
    }
    for &k in REAL_FIELDS {
        m.insert(
            k.into(),
            b.real_field(k)
                .flatten()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
    }
    if !b.extra.is_empty() {
        m.insert("extra".into(), Value::Object(b.extra.clone()));
    }
    m
}

fn raw_json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

fn waiters_json(s: &str) -> Value {
    match serde_json::from_str::<Value>(s) {
        Ok(v @ Value::Array(_)) => v,
        _ => Value::from(
            s.split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>(),
        ),
    }
}

/// The bead's JSON line for `.beads/issues.jsonl`.
/// Written the way bd (Go's encoding/json) writes it, so that bd and gt taking turns on the
/// file do not churn it in git.
pub fn export_line(rec: &BeadRecord) -> String {
    let mut out = Vec::with_capacity(512);
    write_go_json(&mut out, &Fields(issue_fields(rec)));
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the issue's export line (without the newline) to `out`.
pub fn write_export_line(out: &mut Vec<u8>, rec: &BeadRecord) {
    write_go_json(out, &Fields(issue_fields(rec)));
}

fn write_go_json<T: serde::Serialize>(out: &mut Vec<u8>, v: &T) {
    let mut ser = serde_json::Serializer::with_formatter(out, GoFormatter);
    // Serializing into a Vec cannot fail.
    let _ = v.serialize(&mut ser);
}

/// JSON text with Go's escaping: `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes, and
/// backspace/form feed as `\u0008`/`\u000c` rather than `\b`/`\f`.
pub fn go_json(v: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_go_json(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let bytes = fragment.as_bytes();
        // Fast path: nothing Go escapes differently (0xE2 starts U+2028/U+2029).
        if !bytes.iter().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2)) {
            return w.write_all(bytes);
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let esc = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            w.write_all(&bytes[start..i])?;
            w.write_all(esc.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape;
        let s: String = match escape {
            CharEscape::Quote => "\\\"".into(),
            CharEscape::ReverseSolidus => "\\\\".into(),
            CharEscape::LineFeed => "\\n".into(),
            CharEscape::CarriageReturn => "\\r".into(),
            CharEscape::Tab => "\\t".into(),
            CharEscape::Solidus => "/".into(),
            CharEscape::Backspace => "\\u0008".into(),
            CharEscape::FormFeed => "\\u000c".into(),
            CharEscape::AsciiControl(b) => format!("\\u{b:04x}"),
        };
        w.write_all(s.as_bytes())
    }
}
