//! `gt bead import`: both bd dialects, all-or-nothing.
//!
//! Every input file is parsed before the ledger is touched, so a malformed line aborts with
//! its file and line number and nothing is written; the writes then happen in one transaction.

use super::bead::{Comment, Dependency, Event};
use super::import_stream;
use super::jsonl::{self, ParsedIssue};
use super::{Ledger, LedgerError};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dialect {
    /// `issues.jsonl` with labels, dependencies and comments inside each issue.
    #[serde(rename = "issue-per-line")]
    IssuePerLine,
    /// bd's `backup/` folder: one JSONL file per table.
    #[serde(rename = "table-dump")]
    TableDump,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub issues: usize,
    pub created: usize,
    pub updated: usize,
    pub dependencies: usize,
    pub labels: usize,
    pub comments: usize,
    pub events: usize,
    pub config: usize,
    /// Beads the ledger holds in a newer version than the file's line: kept, not replaced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept_newer: Vec<String>,
}

/// The side tables of a table dump, read before anything is written (the issues themselves
/// are streamed).
#[derive(Default)]
struct Parsed {
    dependencies: Vec<Dependency>,
    labels: Vec<(String, String)>,
    comments: Vec<Comment>,
    events: Vec<Event>,
    config: Vec<(String, Option<String>)>,
}

/// Where the files of a source are.
fn locate(path: &Path) -> Result<(Dialect, PathBuf), LedgerError> {
    if path.is_file() {
        return Ok((Dialect::IssuePerLine, path.to_path_buf()));
    }
    if path.exists() && !path.is_dir() {
        return Err(LedgerError::invalid(format!(
            "{}: not a regular file or a folder (a device, FIFO or socket); import reads a bd export file or folder",
            path.display()
        )));
    }
    if !path.is_dir() {
        return Err(LedgerError::invalid(format!(
            "{}: no such file or directory",
            path.display()
        )));
    }
    let is_dump = |d: &Path| {
        d.join("dependencies.jsonl").is_file()
            || d.join("labels.jsonl").is_file()
            || d.join("backup_state.json").is_file()
    };
    if is_dump(path) {
        return Ok((Dialect::TableDump, path.to_path_buf()));
    }
    if path.join("issues.jsonl").is_file() {
        return Ok((Dialect::IssuePerLine, path.join("issues.jsonl")));
    }
    if is_dump(&path.join("backup")) {
        return Ok((Dialect::TableDump, path.join("backup")));
    }
    Err(LedgerError::invalid(format!(
        "{}: not a bd export (expected issues.jsonl, or a backup/ folder with issues.jsonl, dependencies.jsonl, labels.jsonl…)",
        path.display()
    )))
}

fn read_lines(
    file: &Path,
    mut each: impl FnMut(usize, Value) -> Result<(), String>,
) -> Result<(), LedgerError> {
    let bytes = std::fs::read(file).map_err(|e| LedgerError::io(file, e))?;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let fail = |message: String| LedgerError::Import {
            file: file.display().to_string(),
            line: i + 1,
            message,
        };
        let line = std::str::from_utf8(raw)
            .map_err(|e| fail(format!("not UTF-8 text ({e})")))?
            .trim();
        if line.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| fail(format!("not JSON: {e}")))?;
        each(i + 1, value).map_err(fail)?;
    }
    Ok(())
}

/// The side tables of a bd table dump (its issues are streamed from `issues.jsonl`).
fn parse_side_tables(location: &Path) -> Result<Parsed, LedgerError> {
    let mut p = Parsed::default();
    let f = |name: &str| location.join(name);
    if !f("issues.jsonl").is_file() {
        return Err(LedgerError::invalid(format!(
            "{}: table dump without issues.jsonl",
            location.display()
        )));
    }
    if f("dependencies.jsonl").is_file() {
        read_lines(&f("dependencies.jsonl"), |_, v| {
            let d = jsonl::parse_dependency(&v)?;
            if d.issue_id.is_empty() {
                return Err("dependency without `issue_id`".into());
            }
            if d.issue_id == d.depends_on_id {
                return Err(format!("bead {} depends on itself", d.issue_id));
            }
            p.dependencies.push(d);
            Ok(())
        })?;
    }
    if f("labels.jsonl").is_file() {
        read_lines(&f("labels.jsonl"), |_, v| {
            let issue = v
                .get("issue_id")
                .and_then(Value::as_str)
                .ok_or("label row without `issue_id`")?;
            let label = v
                .get("label")
                .and_then(Value::as_str)
                .ok_or("label row without `label`")?;
            p.labels.push((issue.to_string(), label.to_string()));
            Ok(())
        })?;
    }
    if f("comments.jsonl").is_file() {
        read_lines(&f("comments.jsonl"), |_, v| {
            let c = jsonl::parse_comment(&v)?;
            if c.issue_id.is_empty() {
                return Err("comment without `issue_id`".into());
            }
            p.comments.push(c);
            Ok(())
        })?;
    }
    if f("events.jsonl").is_file() {
        read_lines(&f("events.jsonl"), |_, v| {
            p.events.push(jsonl::parse_event(&v)?);
            Ok(())
        })?;
    }
    if f("config.jsonl").is_file() {
        read_lines(&f("config.jsonl"), |_, v| {
            let key = v
                .get("key")
                .and_then(Value::as_str)
                .ok_or("config row without `key`")?;
            let value = match v.get("value") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            };
            p.config.push((key.to_string(), value));
            Ok(())
        })?;
    }
    Ok(p)
}

/// Whether `ours` is a later time than `theirs` (timestamps in any offset and precision).
fn is_newer(ours: &str, theirs: &str) -> bool {
    match (crate::time::parse(ours), crate::time::parse(theirs)) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

/// The statuses the town knows: built in, bd's `tombstone`, or listed in `status.custom` — in
/// the ledger or in this import's own config rows.
struct KnownStatuses(Vec<String>);

impl KnownStatuses {
    fn new(r: &super::Reader<'_>, side: &Parsed) -> Result<KnownStatuses, LedgerError> {
        let mut custom: Vec<String> = Vec::new();
        let listed = r.config_get("status.custom")?;
        let imported = side
            .config
            .iter()
            .filter(|(k, _)| k == "status.custom")
            .filter_map(|(_, v)| v.clone());
        for list in listed.into_iter().chain(imported) {
            custom.extend(
                list.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        }
        Ok(KnownStatuses(custom))
    }

    fn check(&self, issue: &ParsedIssue) -> Result<(), String> {
        let s = issue.bead.status.as_str();
        if super::STATUSES.contains(&s)
            || super::Status::of(s) == super::Status::Tombstone
            || self.0.iter().any(|c| c == s)
        {
            return Ok(());
        }
        Err(format!(
            "unknown status {s:?} of {}; statuses: {}{}",
            issue.bead.id,
            super::STATUSES.join(", "),
            if self.0.is_empty() {
                String::new()
            } else {
                format!(", {}", self.0.join(", "))
            }
        ))
    }
}

/// An import this much bigger than the ledger builds its indexes after the rows instead of
/// updating them row by row (one sort each instead of a million random inserts).
const BULK_FACTOR: u64 = 4;
/// Bytes of a typical issue line, to guess a file's bead count from its size.
const LINE_BYTES_GUESS: u64 = 400;

/// Imports a bd export into the ledger in one transaction. Existing beads with the same id are
/// replaced (with their labels, dependencies and comments), unless the ledger's copy is newer.
/// The issue file is streamed: memory stays flat however big it is. A bad line anywhere
/// rolls the whole import back. `after` runs inside the same transaction with the
/// `(id, status)` of every imported bead a convoy tracks, for convoy landing.
pub fn import<E: From<LedgerError>>(
    ledger: &mut Ledger,
    actor: &str,
    path: &Path,
    after: impl FnOnce(&mut super::Tx<'_>, &[(String, String)]) -> Result<(), E>,
) -> Result<(Dialect, ImportReport), E> {
    let t0 = std::time::Instant::now();
    let (dialect, location) = locate(path)?;
    let (side, issues_file) = match dialect {
        Dialect::IssuePerLine => (Parsed::default(), location),
        Dialect::TableDump => (parse_side_tables(&location)?, location.join("issues.jsonl")),
    };
    let known = KnownStatuses::new(&ledger.reader(), &side)?;
    let file_len = std::fs::metadata(&issues_file)
        .map_err(|e| LedgerError::io(&issues_file, e))?
        .len();
    let bulk = ledger.reader().bead_count()? * LINE_BYTES_GUESS * BULK_FACTOR < file_len;
    // Into an empty ledger, a bead not seen earlier in this file is new: no lookup needed.
    let was_empty = ledger.reader().is_empty()?;
    let source = path.display().to_string();
    // Enough cache for the indexes' working set of an incremental import; a bulk one only
    // appends until its indexes are built (by sorting, which spills to temporary files).
    ledger.set_cache_mb(if bulk { 64 } else { 192 })?;
    let direct = bulk && ledger.enter_bulk_journal();
    tracing::debug!(bulk, direct, "import starts");
    let result = ledger.write(actor, |tx| -> Result<ImportReport, E> {
        let mut r = ImportReport::default();
        // bd's own events first, so their ids stay free of the ones this import writes.
        for e in &side.events {
            if tx.insert_event_raw(e)? {
                r.events += 1;
            }
        }
        let indexes = if bulk {
            tx.drop_secondary_indexes()?
        } else {
            Vec::new()
        };
        let mut imported: HashSet<u64> = HashSet::new();
        import_stream::for_each_issue(&issues_file, |issue: &ParsedIssue| -> Result<(), E> {
            known
                .check(issue)
                .map_err(|m| LedgerError::invalid(format!("{m}; nothing was imported")))?;
            let hash = id_hash(&issue.bead.id);
            let current = if was_empty && !imported.contains(&hash) {
                None
            } else {
                tx.reader().updated_at(&issue.bead.id)?
            };
            if let Some(current) = &current
                && is_newer(current, &issue.bead.updated_at)
            {
                r.kept_newer.push(issue.bead.id.clone());
                return Ok(());
            }
            tx.upsert_bead_raw(&issue.bead, current.is_some())?;
            if current.is_none() {
                r.created += 1;
            } else {
                r.updated += 1;
                // The import replaces the bead whole, relations included.
                tx.clear_relations(&issue.bead.id)?;
                tx.record_event(Some(&issue.bead.id), "reimported", None, None, None)?;
            }
            r.issues += 1;
            imported.insert(hash);
            for label in issue.labels.iter().flatten() {
                tx.insert_label_raw(&issue.bead.id, label)?;
                r.labels += 1;
            }
            for d in issue.dependencies.iter().flatten() {
                tx.insert_dep_raw(d)?;
                r.dependencies += 1;
            }
            for c in issue.comments.iter().flatten() {
                tx.insert_comment_raw(c)?;
                r.comments += 1;
            }
            Ok(())
        })?;
        for d in &side.dependencies {
            tx.insert_dep_raw(d)?;
            r.dependencies += 1;
        }
        for (issue, label) in &side.labels {
            tx.insert_label_raw(issue, label)?;
            r.labels += 1;
        }
        for c in &side.comments {
            tx.insert_comment_raw(c)?;
            r.comments += 1;
        }
        for (k, v) in &side.config {
            tx.set_config(k, v.as_deref())?;
            r.config += 1;
        }
        tracing::debug!(t = ?t0.elapsed(), "import rows written");
        tx.create_indexes(&indexes)?;
        tracing::debug!(t = ?t0.elapsed(), bulk, "indexes ready");
        // One town-level record of the import, naming its source once: a million
        // "imported" lines would bury the feed and double the ledger's size.
        let summary = serde_json::json!({"source": source, "dialect": dialect, "report": &r});
        tx.record_event(None, "import", None, Some(summary), None)?;
        tx.sync_all_dep_targets()?;
        // The JSONL exporter rewrites the whole file after an import.
        tx.mark_dirty(super::export::FULL_EXPORT_MARK)?;
        let mut tracked: Vec<(String, String)> = Vec::new();
        for id in tx.reader().all_tracked_ids()? {
            if imported.contains(&id_hash(&id))
                && let Some(status) = tx.reader().status_of(&id)?
            {
                tracked.push((id, status));
            }
        }
        tracked.sort();
        after(tx, &tracked)?;
        Ok(r)
    });
    ledger.set_cache_mb(super::DEFAULT_CACHE_MB)?;
    if direct {
        ledger.leave_bulk_journal()?;
    }
    let report = result?;
    tracing::debug!(t = ?t0.elapsed(), "import committed");
    Ok((dialect, report))
}

/// A bead id's hash: the importer remembers what it imported in 8 bytes a bead. A collision
/// only re-checks a convoy that did not need it.
fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(id)
}
