//! `gt bead import`: both bd dialects, all-or-nothing.
//!
//! Every input file is parsed before the ledger is touched, so a malformed line aborts with
//! its file and line number and nothing is written; the writes then happen in one transaction.

use super::bead::{Comment, Dependency, Event};
use super::jsonl::{self, ParsedIssue};
use super::{Ledger, LedgerError};
use serde_json::Value;
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

/// What was read from disk, before anything is written.
struct Parsed {
    dialect: Dialect,
    issues: Vec<ParsedIssue>,
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

/// Parses every issue line, on all cores for big files (line numbers stay exact).
fn read_issues(file: &Path) -> Result<Vec<ParsedIssue>, LedgerError> {
    let bytes = std::fs::read(file).map_err(|e| LedgerError::io(file, e))?;
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let parse_range = |start: usize, chunk: &[&[u8]]| -> Result<Vec<ParsedIssue>, LedgerError> {
        let mut out = Vec::with_capacity(chunk.len());
        for (k, raw) in chunk.iter().enumerate() {
            let fail = |message: String| LedgerError::Import {
                file: file.display().to_string(),
                line: start + k + 1,
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
            let Value::Object(obj) = value else {
                return Err(fail("an issue line must be a JSON object".into()));
            };
            out.push(jsonl::parse_issue(obj).map_err(fail)?);
        }
        Ok(out)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || lines.len() < 10_000 {
        return parse_range(0, &lines);
    }
    let per = lines.len().div_ceil(threads);
    let results: Vec<Result<Vec<ParsedIssue>, LedgerError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = lines
            .chunks(per)
            .enumerate()
            .map(|(n, chunk)| scope.spawn(move || parse_range(n * per, chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(LedgerError::invalid("import parser thread panicked")))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(lines.len());
    // The first error in file order wins, as in a sequential read.
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

fn parse(path: &Path) -> Result<Parsed, LedgerError> {
    let (dialect, location) = locate(path)?;
    let mut p = Parsed {
        dialect,
        issues: Vec::new(),
        dependencies: Vec::new(),
        labels: Vec::new(),
        comments: Vec::new(),
        events: Vec::new(),
        config: Vec::new(),
    };
    match dialect {
        Dialect::IssuePerLine => {
            p.issues = read_issues(&location)?;
            for issue in &mut p.issues {
                let id = issue.bead.id.clone();
                for d in issue.dependencies.iter_mut().flatten() {
                    if d.issue_id.is_empty() {
                        d.issue_id = id.clone();
                    }
                }
                for c in issue.comments.iter_mut().flatten() {
                    if c.issue_id.is_empty() {
                        c.issue_id = id.clone();
                    }
                }
            }
        }
        Dialect::TableDump => {
            let f = |name: &str| location.join(name);
            if !f("issues.jsonl").is_file() {
                return Err(LedgerError::invalid(format!(
                    "{}: table dump without issues.jsonl",
                    location.display()
                )));
            }
            p.issues = read_issues(&f("issues.jsonl"))?;
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
        }
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

/// Every status in the file must be one the town knows (built in, bd's `tombstone`, or listed
/// in `status.custom` — in the ledger or in this import's own config rows).
fn check_statuses(r: &super::Reader<'_>, parsed: &Parsed) -> Result<(), LedgerError> {
    let mut custom: Vec<String> = Vec::new();
    let listed = r.config_get("status.custom")?;
    let imported = parsed
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
    let known = |s: &str| {
        super::STATUSES.contains(&s)
            || super::Status::of(s) == super::Status::Tombstone
            || custom.iter().any(|c| c == s)
    };
    let bad: Vec<String> = parsed
        .issues
        .iter()
        .filter(|i| !known(&i.bead.status))
        .take(5)
        .map(|i| format!("{} ({:?})", i.bead.id, i.bead.status))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(LedgerError::invalid(format!(
        "unknown status in {}; statuses: {}{}; nothing was imported",
        bad.join(", "),
        super::STATUSES.join(", "),
        if custom.is_empty() {
            String::new()
        } else {
            format!(", {}", custom.join(", "))
        }
    )))
}

/// Imports a bd export into the ledger in one transaction. Existing beads with the same id are
/// replaced (with their labels, dependencies and comments). `after` runs inside the same
/// transaction with every imported `(id, status)`, for bookkeeping such as convoy landing.
pub fn import<E: From<LedgerError>>(
    ledger: &mut Ledger,
    actor: &str,
    path: &Path,
    after: impl FnOnce(&mut super::Tx<'_>, &[(String, String)]) -> Result<(), E>,
) -> Result<(Dialect, ImportReport), E> {
    let t0 = std::time::Instant::now();
    let parsed = parse(path)?;
    tracing::debug!(t = ?t0.elapsed(), issues = parsed.issues.len(), "import parsed");
    check_statuses(&ledger.reader(), &parsed)?;
    let source = path.display().to_string();
    // A big import touches every page of every index at random: give it cache room for
    // the whole working set (allocated only as used) so pages are not spilled mid-way.
    ledger.set_cache_mb(512)?;
    let report = ledger.write(actor, |tx| -> Result<ImportReport, E> {
        let mut r = ImportReport::default();
        // bd's own events first, so their ids stay free of the ones this import writes.
        for e in &parsed.events {
            if tx.insert_event_raw(e)? {
                r.events += 1;
            }
        }
        let mut existing = tx.all_ids()?;
        for issue in &parsed.issues {
            if existing.contains(&issue.bead.id)
                && let Some(current) = tx.reader().bead(&issue.bead.id)?
                && is_newer(&current.updated_at, &issue.bead.updated_at)
            {
                r.kept_newer.push(issue.bead.id.clone());
                continue;
            }
            tx.upsert_bead_raw(&issue.bead)?;
            let created = existing.insert(issue.bead.id.clone());
            if created {
                r.created += 1;
            } else {
                r.updated += 1;
                // The import replaces the bead whole, relations included.
                tx.clear_relations(&issue.bead.id)?;
            }
            r.issues += 1;
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
            let what = if created { "imported" } else { "reimported" };
            tx.record_event(Some(&issue.bead.id), what, None, None, None)?;
        }
        for d in &parsed.dependencies {
            tx.insert_dep_raw(d)?;
            r.dependencies += 1;
        }
        for (issue, label) in &parsed.labels {
            tx.insert_label_raw(issue, label)?;
            r.labels += 1;
        }
        for c in &parsed.comments {
            tx.insert_comment_raw(c)?;
            r.comments += 1;
        }
        for (k, v) in &parsed.config {
            tx.set_config(k, v.as_deref())?;
            r.config += 1;
        }
        tracing::debug!(t = ?t0.elapsed(), "import rows written");
        // One town-level record of the import itself, naming its source once.
        let summary =
            serde_json::json!({"source": source, "dialect": parsed.dialect, "report": &r});
        tx.record_event(None, "import", None, Some(summary), None)?;
        tx.sync_all_dep_targets()?;
        tracing::debug!(t = ?t0.elapsed(), "dependency targets synced");
        // The JSONL exporter rewrites the whole file after an import.
        tx.mark_dirty(super::export::FULL_EXPORT_MARK)?;
        let kept: std::collections::HashSet<&String> = r.kept_newer.iter().collect();
        let imported: Vec<(String, String)> = parsed
            .issues
            .iter()
            .filter(|i| !kept.contains(&i.bead.id))
            .map(|i| (i.bead.id.clone(), i.bead.status.clone()))
            .collect();
        after(tx, &imported)?;
        Ok(r)
    })?;
    tracing::debug!(t = ?t0.elapsed(), "import committed");
    Ok((parsed.dialect, report))
}
