//! `.beads/issues.jsonl`: the git-tracked, bd-readable copy of the ledger.
//!
//! Kept current cheaply: each change marks its bead dirty in the same transaction; the sync
//! then rewrites only those lines of the (id-sorted) file in one merge pass, instead of
//! serializing the whole ledger on every update.

use super::bead::{self, Bead, BeadRecord};
use super::jsonl;
use super::read::{comment_from_row, dep_from_row};
use super::{Ledger, LedgerError, Reader};
use std::collections::HashMap;
use std::path::Path;

/// A dirty-set entry meaning "rewrite the whole file".
pub const FULL_EXPORT_MARK: &str = "*";

type R<T> = Result<T, LedgerError>;

/// What an export holds besides the issues.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    /// Ephemeral beads (wisps), which bd leaves out.
    pub ephemeral: bool,
    /// Mail sent through gt (`message` beads with a sender): private to the town unless its
    /// owner opts in (`ledger.export_mail`), since issues.jsonl is tracked by git and may be
    /// pushed. Messages that arrived in a bd file (no sender) stay in it as they came: they
    /// were shared already, and dropping their lines would read as deletions to teammates.
    pub mail: bool,
}

impl Scope {
    fn holds(self, b: &Bead) -> bool {
        let gt_mail =
            b.issue_type == "message" && b.sender.as_deref().is_some_and(|s| !s.is_empty());
        (self.ephemeral || !b.ephemeral) && (self.mail || !gt_mail)
    }
}

/// The beads `scope` holds as issue-per-line JSON, sorted by id.
pub fn full_export(reader: &Reader<'_>, scope: Scope) -> R<Vec<u8>> {
    let conn = reader.conn;
    let mut labels: HashMap<String, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT issue_id, label FROM labels ORDER BY rowid")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            labels.entry(r.get(0)?).or_default().push(r.get(1)?);
        }
    }
    let mut deps: HashMap<String, Vec<bead::Dependency>> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT issue_id, depends_on_id, type, created_at, created_by, extra FROM deps ORDER BY rowid",
        )?;
        for d in stmt.query_map([], dep_from_row)? {
            let d = d?;
            deps.entry(d.issue_id.clone()).or_default().push(d);
        }
    }
    let mut comments: HashMap<String, Vec<bead::Comment>> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, issue_id, author, text, created_at, extra FROM comments ORDER BY id",
        )?;
        for c in stmt.query_map([], comment_from_row)? {
            let c = c?;
            comments.entry(c.issue_id.clone()).or_default().push(c);
        }
    }
    let sql = format!(
        "SELECT {} FROM beads WHERE (?1 = 1 OR ephemeral = 0) AND (?2 = 1 OR issue_type != 'message' OR COALESCE(sender, '') = '') ORDER BY id",
        bead::select_list()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut out = Vec::with_capacity(1 << 20);
    let args = [i64::from(scope.ephemeral), i64::from(scope.mail)];
    for b in stmt.query_map(args, Bead::from_row)? {
        let b = b?;
        let rec = BeadRecord {
            labels: labels.remove(&b.id).unwrap_or_default(),
            dependencies: deps.remove(&b.id).unwrap_or_default(),
            comments: comments.remove(&b.id).unwrap_or_default(),
            bead: b,
        };
        jsonl::write_export_line(&mut out, &rec);
        out.push(b'\n');
    }
    Ok(out)
}

/// The id a line of our own export starts with (`{"id":"…"`).
fn line_id(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(br#"{"id":""#)?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Rewrites the lines of `dirty` ids (sorted) in `current`; None when the file is not in the
/// shape we write (hand-edited, unsorted), in which case the caller rewrites it whole.
fn patch(current: &[u8], dirty: &[(String, Option<String>)]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(current.len() + 1024);
    let mut pending = dirty.iter().peekable();
    let mut prev: Option<&[u8]> = None;
    for line in current.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let id = line_id(line)?;
        if prev.is_some_and(|p| p >= id) {
            return None;
        }
        prev = Some(id);
        while let Some((dirty_id, new_line)) = pending.peek() {
            if dirty_id.as_bytes() < id {
                if let Some(l) = new_line {
                    out.extend_from_slice(l.as_bytes());
                    out.push(b'\n');
                }
                pending.next();
            } else {
                break;
            }
        }
        match pending.peek() {
            Some((dirty_id, new_line)) if dirty_id.as_bytes() == id => {
                if let Some(l) = new_line {
                    out.extend_from_slice(l.as_bytes());
                    out.push(b'\n');
                }
                pending.next();
            }
            _ => {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
    }
    for (_, new_line) in pending {
        if let Some(l) = new_line {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
    }
    Some(out)
}

/// How a sync went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    UpToDate,
    Patched(usize),
    Rewritten,
}

/// Brings `jsonl_path` up to date with the ledger. Callers serialize it across processes with
/// a file lock; holding the write transaction meanwhile keeps the file and the dirty set
/// consistent (the dirty marks are only dropped if the file was written).
pub fn sync(ledger: &mut Ledger, jsonl_path: &Path, scope: Scope) -> R<SyncOutcome> {
    // This transaction only clears dirty marks; losing it to a power cut just means the
    // same lines are rewritten again, so it need not wait for its own fsync.
    ledger.set_synchronous_full(false)?;
    let res = sync_inner(ledger, jsonl_path, scope);
    ledger.set_synchronous_full(true)?;
    res
}

fn sync_inner(ledger: &mut Ledger, jsonl_path: &Path, scope: Scope) -> R<SyncOutcome> {
    ledger.write("gt", |tx| -> R<SyncOutcome> {
        let dirty = tx.take_dirty()?;
        let exists = jsonl_path.is_file();
        if dirty.is_empty() && exists {
            return Ok(SyncOutcome::UpToDate);
        }
        let reader = tx.reader();
        let full = !exists || dirty.iter().any(|d| d == FULL_EXPORT_MARK);
        let mut outcome = SyncOutcome::Rewritten;
        let bytes = if full {
            if exists {
                refuse_if_file_has_unknown_beads(&reader, jsonl_path)?;
            }
            full_export(&reader, scope)?
        } else {
            let mut lines = Vec::with_capacity(dirty.len());
            for id in &dirty {
                let line = match reader.record(id)? {
                    Some(rec) if scope.holds(&rec.bead) => Some(jsonl::export_line(&rec)),
                    _ => None,
                };
                lines.push((id.clone(), line));
            }
            let current = std::fs::read(jsonl_path).map_err(|e| LedgerError::io(jsonl_path, e))?;
            match patch(&current, &lines) {
                Some(b) => {
                    outcome = SyncOutcome::Patched(dirty.len());
                    b
                }
                None => {
                    refuse_if_file_has_unknown_beads(&reader, jsonl_path)?;
                    full_export(&reader, scope)?
                }
            }
        };
        crate::fsutil::write_atomic(jsonl_path, &bytes)
            .map_err(|e| LedgerError::io(jsonl_path, e))?;
        Ok(outcome)
    })
}

/// A whole-file rewrite must not drop beads that only the file has (a fresh clone, a
/// `git pull` that brought others' beads): those are refused, and stay marked for later.
fn refuse_if_file_has_unknown_beads(reader: &Reader<'_>, path: &Path) -> R<()> {
    let bytes = std::fs::read(path).map_err(|e| LedgerError::io(path, e))?;
    let mut unknown = Vec::new();
    for line in bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
    {
        let id = match line_id(line) {
            Some(id) => String::from_utf8_lossy(id).into_owned(),
            None => match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(v) => v
                    .get("id")
                    .and_then(|i| i.as_str())
                    .unwrap_or_default()
                    .to_string(),
                Err(_) => continue,
            },
        };
        if !id.is_empty() && !reader.exists(&id)? {
            unknown.push(id);
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
    Err(LedgerError::invalid(format!(
        "{} holds {} bead(s) the ledger does not ({}{}); not rewriting it. Bring them in with `gt bead import {}`",
        path.display(),
        unknown.len(),
        shown.join(", "),
        if unknown.len() > shown.len() {
            ", …"
        } else {
            ""
        },
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, v: u32) -> String {
        format!(r#"{{"id":"{id}","v":{v}}}"#)
    }

    #[test]
    fn patch_replaces_inserts_and_removes() {
        let current = format!(
            "{}\n{}\n{}\n",
            line("a-1", 0),
            line("a-3", 0),
            line("a-5", 0)
        );
        let dirty = vec![
            ("a-0".to_string(), Some(line("a-0", 1))),
            ("a-3".to_string(), Some(line("a-3", 1))),
            ("a-4".to_string(), Some(line("a-4", 1))),
            ("a-5".to_string(), None),
            ("a-9".to_string(), Some(line("a-9", 1))),
        ];
        let out =
            String::from_utf8(patch(current.as_bytes(), &dirty).expect("patch")).expect("utf8");
        let expected = [
            line("a-0", 1),
            line("a-1", 0),
            line("a-3", 1),
            line("a-4", 1),
            line("a-9", 1),
        ];
        assert_eq!(out, expected.join("\n") + "\n");
    }

    #[test]
    fn patch_refuses_foreign_or_unsorted_files() {
        assert!(patch(b"not json\n", &[]).is_none());
        let unsorted = format!("{}\n{}\n", line("b-1", 0), line("a-1", 0));
        assert!(patch(unsorted.as_bytes(), &[]).is_none());
    }
}
