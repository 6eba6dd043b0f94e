//! `.beads/issues.jsonl`: the git-tracked, bd-readable copy of the ledger.
//!
//! Kept current cheaply: each change marks its bead in the same transaction; a sync then
//! rewrites only those lines of the (id-sorted) file in one streaming pass, outside the
//! write lock, and clears the marks it wrote. Nothing is held whole in memory: a
//! million-bead file is read and written line by line.

use super::bead::{self, Bead, BeadRecord};
use super::jsonl;
use super::read::{comment_from_row, dep_from_row};
use super::{Ledger, LedgerError, Reader};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// A mark meaning "rewrite the whole file".
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

/// Rows of one relation table read in bead-id order alongside the beads (a merge join), so
/// the export never holds a table in memory.
struct Follow<'s, T> {
    rows: rusqlite::Rows<'s>,
    head: Option<(String, T)>,
    read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<(String, T)>,
}

impl<'s, T> Follow<'s, T> {
    fn new(
        mut rows: rusqlite::Rows<'s>,
        read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<(String, T)>,
    ) -> R<Self> {
        let head = rows.next()?.map(read).transpose()?;
        Ok(Follow { rows, head, read })
    }

    /// The rows of bead `id`, skipping rows of beads before it (not exported, or gone).
    fn take(&mut self, id: &str) -> R<Vec<T>> {
        let mut out = Vec::new();
        while let Some((k, _)) = &self.head {
            if k.as_str() > id {
                break;
            }
            let keep = k.as_str() == id;
            let next = self.rows.next()?.map(self.read).transpose()?;
            if let Some((_, v)) = std::mem::replace(&mut self.head, next)
                && keep
            {
                out.push(v);
            }
        }
        Ok(out)
    }
}

fn with_issue<T>(
    r: &rusqlite::Row<'_>,
    f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<(String, T)> {
    let v = f(r)?;
    Ok((r.get("issue_id")?, v))
}

/// Writes the beads `scope` holds as issue-per-line JSON, sorted by id, to `out`; returns the
/// number of lines. Run it on one snapshot (`Ledger::snapshot`) for a consistent file.
pub fn write_full_export(reader: &Reader<'_>, scope: Scope, out: &mut impl Write) -> R<usize> {
    let conn = reader.conn;
    let mut label_stmt =
        conn.prepare("SELECT issue_id, label FROM labels ORDER BY issue_id, rowid")?;
    let mut labels = Follow::new(label_stmt.query([])?, |r| {
        Ok((r.get(0)?, r.get::<_, String>(1)?))
    })?;
    let mut dep_stmt = conn.prepare(
        "SELECT issue_id, depends_on_id, type, created_at, created_by, extra FROM deps
          ORDER BY issue_id, rowid",
    )?;
    let mut deps = Follow::new(dep_stmt.query([])?, |r| with_issue(r, dep_from_row))?;
    let mut comment_stmt = conn.prepare(
        "SELECT id, issue_id, author, text, created_at, extra FROM comments
          ORDER BY issue_id, id",
    )?;
    let mut comments = Follow::new(comment_stmt.query([])?, |r| with_issue(r, comment_from_row))?;
    let sql = format!(
        "SELECT {} FROM beads WHERE (?1 = 1 OR ephemeral = 0) AND (?2 = 1 OR issue_type != 'message' OR COALESCE(sender, '') = '') ORDER BY id",
        bead::select_list()
    );
    let mut stmt = conn.prepare(&sql)?;
    let args = [i64::from(scope.ephemeral), i64::from(scope.mail)];
    let mut line = Vec::with_capacity(4096);
    let mut n = 0;
    for b in stmt.query_map(args, Bead::from_row)? {
        let b = b?;
        let rec = BeadRecord {
            labels: labels.take(&b.id)?,
            dependencies: deps.take(&b.id)?,
            comments: comments.take(&b.id)?,
            bead: b,
        };
        line.clear();
        jsonl::write_export_line(&mut line, &rec);
        line.push(b'\n');
        out.write_all(&line)
            .map_err(|e| LedgerError::io(Path::new("export"), e))?;
        n += 1;
    }
    Ok(n)
}

/// The beads `scope` holds as issue-per-line JSON, sorted by id, in memory (small exports;
/// big ones go to a file with `write_full_export`).
pub fn full_export(reader: &Reader<'_>, scope: Scope) -> R<Vec<u8>> {
    let mut out = Vec::with_capacity(1 << 16);
    write_full_export(reader, scope, &mut out)?;
    Ok(out)
}

/// The id a line of our own export starts with (`{"id":"…"`).
fn line_id(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(br#"{"id":""#)?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Copies `current` to `out` with the lines of `dirty` ids (sorted) replaced, inserted or
/// removed (None), line by line. Ok(false) when the file is not in the shape we write
/// (hand-edited, unsorted): the caller then rewrites it whole.
fn patch(
    current: &mut impl BufRead,
    dirty: &[(String, Option<String>)],
    out: &mut impl Write,
) -> std::io::Result<bool> {
    let mut pending = dirty.iter().peekable();
    let mut prev: Vec<u8> = Vec::new();
    let mut line: Vec<u8> = Vec::with_capacity(4096);
    let put = |out: &mut dyn Write, l: &Option<String>| -> std::io::Result<()> {
        if let Some(l) = l {
            out.write_all(l.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    };
    loop {
        line.clear();
        if current.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        if body.is_empty() {
            continue;
        }
        let Some(id) = line_id(body) else {
            return Ok(false);
        };
        if !prev.is_empty() && prev.as_slice() >= id {
            return Ok(false);
        }
        while let Some((dirty_id, new_line)) = pending.peek() {
            if dirty_id.as_bytes() < id {
                put(out, new_line)?;
                pending.next();
            } else {
                break;
            }
        }
        match pending.peek() {
            Some((dirty_id, new_line)) if dirty_id.as_bytes() == id => {
                put(out, new_line)?;
                pending.next();
            }
            _ => {
                out.write_all(body)?;
                out.write_all(b"\n")?;
            }
        }
        prev.clear();
        prev.extend_from_slice(id);
    }
    for (_, new_line) in pending {
        put(out, new_line)?;
    }
    Ok(true)
}

/// How a sync went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    UpToDate,
    Patched(usize),
    Rewritten,
}

/// Brings `jsonl_path` up to date with the ledger. Callers serialize syncs across processes
/// with a file lock. The file is written from one snapshot without holding the write lock
/// (writers go on meanwhile); then only the marks that snapshot saw are cleared, so a bead
/// changed during the sync is written by the next one. The file is replaced whole and only
/// once its bytes are on disk: a crash leaves the old file or the new, never a torn one.
pub fn sync(ledger: &mut Ledger, jsonl_path: &Path, scope: Scope) -> R<SyncOutcome> {
    let io = |e| LedgerError::io(jsonl_path, e);
    let (outcome, marks) = ledger.snapshot(|reader| -> R<(SyncOutcome, Vec<(i64, String)>)> {
        let marks = reader.export_marks()?;
        let exists = jsonl_path.is_file();
        if marks.is_empty() && exists {
            return Ok((SyncOutcome::UpToDate, marks));
        }
        if exists && !marks.iter().any(|(_, id)| id == FULL_EXPORT_MARK) {
            let mut lines = Vec::with_capacity(marks.len());
            for (_, id) in &marks {
                let line = match reader.record(id)? {
                    Some(rec) if scope.holds(&rec.bead) => Some(jsonl::export_line(&rec)),
                    _ => None,
                };
                lines.push((id.clone(), line));
            }
            let mut current =
                BufReader::with_capacity(1 << 20, std::fs::File::open(jsonl_path).map_err(io)?);
            let mut out = crate::fsutil::AtomicFile::create(jsonl_path).map_err(io)?;
            if patch(&mut current, &lines, &mut out).map_err(io)? {
                out.commit().map_err(io)?;
                return Ok((SyncOutcome::Patched(marks.len()), marks));
            }
        }
        if exists {
            refuse_if_file_has_unknown_beads(reader, jsonl_path)?;
        }
        let mut out = crate::fsutil::AtomicFile::create(jsonl_path).map_err(io)?;
        write_full_export(reader, scope, &mut out)?;
        out.commit().map_err(io)?;
        Ok((SyncOutcome::Rewritten, marks))
    })?;
    if !marks.is_empty() {
        // Clearing marks need not wait for its own fsync: lost to a power cut, it only means
        // the same lines are written again.
        ledger.set_synchronous_full(false)?;
        let cleared = ledger.write("gt", |tx| tx.clear_export_marks(&marks));
        ledger.set_synchronous_full(true)?;
        cleared?;
    }
    Ok(outcome)
}

/// A whole-file rewrite must not drop beads that only the file has (a fresh clone, a
/// `git pull` that brought others' beads): those are refused, and stay marked for later.
fn refuse_if_file_has_unknown_beads(reader: &Reader<'_>, path: &Path) -> R<()> {
    let io = |e| LedgerError::io(path, e);
    let mut file = BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(io)?);
    let mut unknown = Vec::new();
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        if file.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let id = match line_id(&line) {
            Some(id) => String::from_utf8_lossy(id).into_owned(),
            None => match serde_json::from_slice::<serde_json::Value>(&line) {
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
        let mut out = Vec::new();
        assert!(patch(&mut current.as_bytes(), &dirty, &mut out).expect("patch"));
        let out = String::from_utf8(out).expect("utf8");
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
        let mut sink = Vec::new();
        assert!(!patch(&mut &b"not json\n"[..], &[], &mut sink).expect("io"));
        let unsorted = format!("{}\n{}\n", line("b-1", 0), line("a-1", 0));
        assert!(!patch(&mut unsorted.as_bytes(), &[], &mut sink).expect("io"));
    }
}
