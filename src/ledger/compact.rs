//! Bounded growth: what `gt compact` removes and summarises, and giving the freed pages back
//! to the file system (incremental vacuum).
//!
//! Removed (past their time-to-live, by the cutoffs the caller gives):
//! - closed ephemeral beads (wisps), with their labels, edges, comments and events;
//! - the closed steps of a closed molecule whose steps are all closed (the root stays, as
//!   `gt mol squash` leaves it), with theirs;
//! - delivery records that ended (`delivered`, `failed`), never one still on its way;
//! - events, except those of a bead that is not finished (live work keeps its history).
//!
//! Never removed: a bead that is not closed, a pinned one, one something unfinished still
//! depends on, one an agent's hook names. Open mail is never touched (it is open).
//!
//! Summarised (closed longer than the summary cutoff, not ephemeral, not pinned, not a
//! template, not summarised before): description, design, acceptance criteria and notes give
//! way to one short summary keeping the title and the close reason, the comments are folded
//! into it (counted), and `compaction_level`, `compacted_at`, `original_size` say so.
//!
//! Every removed or summarised bead is marked dirty, so its line of the export goes or is
//! rewritten; one `compacted` event (town-level) records the counts.

use super::read::Reader;
use super::{Ledger, LedgerError, Tx};
use rusqlite::params;
use serde::Serialize;

type R<T> = Result<T, LedgerError>;

/// Everything older than these (RFC 3339) is past its time-to-live.
#[derive(Debug, Clone)]
pub struct Cutoffs {
    pub wisps: String,
    pub events: String,
    pub deliveries: String,
    /// Closed beads closed before this are summarised.
    pub summarise: String,
}

/// What a compaction removes and summarises (or would, for a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompactCounts {
    /// Closed ephemeral beads removed.
    pub wisps: usize,
    /// Closed steps of finished molecules removed.
    pub steps: usize,
    /// Events removed (those of removed beads included).
    pub events: usize,
    /// Ended delivery records removed.
    pub deliveries: usize,
    /// Labels, edges and comments that went with removed beads.
    pub relations: usize,
    /// Closed beads summarised.
    pub summarised: usize,
    /// Comments folded into those summaries.
    pub comments_folded: usize,
    /// Bytes of text (long fields and comments) the summaries replaced, and the summaries'.
    pub text_bytes_before: i64,
    pub text_bytes_after: i64,
    /// Beads past their time-to-live kept because something unfinished depends on them or
    /// a hook names them.
    pub kept_depended: usize,
}

impl CompactCounts {
    pub fn is_empty(&self) -> bool {
        self.wisps + self.steps + self.events + self.deliveries + self.summarised == 0
    }
}

const DONE: &str = "('closed', 'tombstone')";

/// A bead past its time-to-live that nothing unfinished needs: no unfinished bead depends on
/// it and no hook names it (`{b}` is the bead's alias).
fn unneeded(b: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM deps d CROSS JOIN beads o ON o.id = d.issue_id
                      WHERE d.depends_on_id = {b}.id AND o.status NOT IN {DONE})
         AND {b}.id NOT IN (SELECT hook_bead FROM beads WHERE hook_bead IS NOT NULL)"
    )
}

/// `cond` or its negation (the beads kept because they are still needed).
fn keep_or_take(cond: String, needed: bool) -> String {
    if needed {
        format!("NOT ({cond})")
    } else {
        cond
    }
}

fn wisps_sql(needed: bool) -> String {
    format!(
        "SELECT b.id FROM beads b
          WHERE b.ephemeral = 1 AND b.status IN {DONE} AND b.pinned = 0
            AND julianday(COALESCE(b.closed_at, b.updated_at)) <= julianday(?1)
            AND {}",
        keep_or_take(unneeded("b"), needed)
    )
}

/// (The joins are CROSS JOINs to fix their order: step → its edge → its molecule, each by
/// index. Left to choose without statistics, SQLite scanned every closed molecule for each
/// step, which took minutes on a week of a busy town.)
fn steps_sql(needed: bool) -> String {
    let cond = unneeded("s");
    format!(
        "SELECT s.id FROM beads s
           CROSS JOIN deps pc ON pc.issue_id = s.id AND pc.type = 'parent-child'
           CROSS JOIN beads m ON m.id = pc.depends_on_id AND m.issue_type = 'molecule'
          WHERE s.issue_type = 'step' AND s.ephemeral = 0 AND s.status IN {DONE} AND s.pinned = 0
            AND m.status IN {DONE}
            AND julianday(COALESCE(m.closed_at, m.updated_at)) <= julianday(?1)
            AND NOT EXISTS (SELECT 1 FROM deps c CROSS JOIN beads cs ON cs.id = c.issue_id
                             WHERE c.depends_on_id = m.id AND c.type = 'parent-child'
                               AND cs.issue_type = 'step' AND cs.status NOT IN {DONE})
            AND {}",
        keep_or_take(cond, needed)
    )
}

const EVENTS_WHERE: &str = "julianday(created_at) <= julianday(?1)
      AND (issue_id IS NULL
           OR issue_id NOT IN (SELECT id FROM beads WHERE status NOT IN ('closed', 'tombstone')))";

const DELIVERIES_WHERE: &str =
    "state IN ('delivered', 'failed') AND julianday(updated_at) <= julianday(?1)";

/// Closed beads due a summary, with their text's size and comment count.
const SUMMARISE_SQL: &str = "
    SELECT b.id, b.title, b.close_reason, b.closed_at,
           COALESCE(length(CAST(b.description AS BLOB)), 0) + COALESCE(length(CAST(b.design AS BLOB)), 0)
         + COALESCE(length(CAST(b.acceptance_criteria AS BLOB)), 0) + COALESCE(length(CAST(b.notes AS BLOB)), 0),
           (SELECT count(*) FROM comments c WHERE c.issue_id = b.id),
           (SELECT COALESCE(sum(length(CAST(c.text AS BLOB))), 0) FROM comments c WHERE c.issue_id = b.id)
      FROM beads b
     WHERE b.status IN ('closed', 'tombstone') AND b.ephemeral = 0 AND b.pinned = 0
       AND b.is_template = 0 AND COALESCE(b.compaction_level, 0) = 0
       AND julianday(COALESCE(b.closed_at, b.updated_at)) <= julianday(?1)
       AND (COALESCE(b.description, '') <> '' OR COALESCE(b.design, '') <> ''
            OR COALESCE(b.acceptance_criteria, '') <> '' OR COALESCE(b.notes, '') <> ''
            OR EXISTS (SELECT 1 FROM comments c WHERE c.issue_id = b.id))";

struct Due {
    id: String,
    summary: String,
    text_bytes: i64,
    comments: i64,
}

fn summary_of(
    title: &str,
    reason: Option<&str>,
    closed: Option<&str>,
    bytes: i64,
    comments: i64,
) -> String {
    let closed = closed
        .and_then(crate::time::parse)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "?".into());
    let outcome = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(200).collect::<String>())
        .unwrap_or_else(|| "no reason given".into());
    let folded = match comments {
        0 => String::new(),
        n => format!(" and {n} comment(s)"),
    };
    format!(
        "[compacted] {title} — closed {closed}: {outcome}. ({bytes} bytes of text{folded} summarised)"
    )
}

impl Reader<'_> {
    fn ids(&self, sql: &str, cutoff: &str) -> R<Vec<String>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params![cutoff], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn count_where(&self, table: &str, cond: &str, cutoff: &str) -> R<usize> {
        let sql = format!("SELECT count(*) FROM {table} WHERE {cond}");
        let n: i64 = self.conn.query_row(&sql, params![cutoff], |r| r.get(0))?;
        Ok(n.max(0) as usize)
    }

    fn due_summaries(&self, cutoff: &str) -> R<Vec<Due>> {
        let mut stmt = self.conn.prepare(SUMMARISE_SQL)?;
        let rows = stmt.query_map(params![cutoff], |r| {
            let title: String = r.get(1)?;
            let reason: Option<String> = r.get(2)?;
            let closed: Option<String> = r.get(3)?;
            let fields: i64 = r.get(4)?;
            let comments: i64 = r.get(5)?;
            let comment_bytes: i64 = r.get(6)?;
            let bytes = fields + comment_bytes;
            Ok(Due {
                id: r.get(0)?,
                summary: summary_of(
                    &title,
                    reason.as_deref(),
                    closed.as_deref(),
                    bytes,
                    comments,
                ),
                text_bytes: bytes,
                comments,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn relations_of(&self, ids: &[String]) -> R<usize> {
        let mut n = 0i64;
        for id in ids {
            for sql in [
                "SELECT count(*) FROM labels WHERE issue_id = ?1",
                "SELECT count(*) FROM deps WHERE issue_id = ?1",
                "SELECT count(*) FROM comments WHERE issue_id = ?1",
            ] {
                n += self
                    .conn
                    .prepare_cached(sql)?
                    .query_row(params![id], |r| r.get::<_, i64>(0))?;
            }
        }
        Ok(n.max(0) as usize)
    }

    fn events_of(&self, ids: &[String], cutoff: &str) -> R<usize> {
        // Events of removed beads that the time-to-live alone would not take.
        let mut n = 0i64;
        for id in ids {
            n += self
                .conn
                .prepare_cached(
                    "SELECT count(*) FROM events WHERE issue_id = ?1
                        AND COALESCE(julianday(created_at) <= julianday(?2), 0) = 0",
                )?
                .query_row(params![id, cutoff], |r| r.get::<_, i64>(0))?;
        }
        Ok(n.max(0) as usize)
    }

    /// What a compaction with these cutoffs would do; nothing is written.
    pub fn compact_plan(&self, c: &Cutoffs) -> R<CompactCounts> {
        let wisps = self.ids(&wisps_sql(false), &c.wisps)?;
        let steps = self.ids(&steps_sql(false), &c.wisps)?;
        let kept = self.ids(&wisps_sql(true), &c.wisps)?.len()
            + self.ids(&steps_sql(true), &c.wisps)?.len();
        let removed: Vec<String> = wisps.iter().chain(&steps).cloned().collect();
        let due = self.due_summaries(&c.summarise)?;
        Ok(CompactCounts {
            wisps: wisps.len(),
            steps: steps.len(),
            events: self.count_where("events", EVENTS_WHERE, &c.events)?
                + self.events_of(&removed, &c.events)?,
            deliveries: self.count_where("deliveries", DELIVERIES_WHERE, &c.deliveries)?,
            relations: self.relations_of(&removed)?,
            summarised: due.len(),
            comments_folded: due.iter().map(|d| d.comments.max(0) as usize).sum(),
            text_bytes_before: due.iter().map(|d| d.text_bytes).sum(),
            text_bytes_after: due.iter().map(|d| d.summary.len() as i64).sum(),
            kept_depended: kept,
        })
    }
}

impl Tx<'_> {
    /// Removes and summarises what is past its time-to-live (see the module's comment), in
    /// this transaction; returns what it did.
    pub fn compact(&mut self, c: &Cutoffs) -> R<CompactCounts> {
        let mut out = self.reader().compact_plan(c)?;
        let r = self.reader();
        let mut removed = r.ids(&wisps_sql(false), &c.wisps)?;
        removed.extend(r.ids(&steps_sql(false), &c.wisps)?);
        let due = r.due_summaries(&c.summarise)?;
        // The bead rows go first, so the events of beads no longer in the ledger count as
        // town-level history (their time-to-live applies below).
        let mut bead_events = 0;
        for id in &removed {
            self.clear_relations(id)?;
            bead_events += self
                .conn()
                .prepare_cached("DELETE FROM events WHERE issue_id = ?1")?
                .execute(params![id])?;
            self.conn()
                .prepare_cached("DELETE FROM beads WHERE id = ?1")?
                .execute(params![id])?;
            self.conn()
                .prepare_cached("UPDATE deps SET target_open = 0 WHERE depends_on_id = ?1")?
                .execute(params![id])?;
            self.mark_dirty(id)?;
        }
        let now = self.now().to_string();
        for d in &due {
            self.conn()
                .prepare_cached("DELETE FROM comments WHERE issue_id = ?1")?
                .execute(params![d.id])?;
            self.conn()
                .prepare_cached(
                    "UPDATE beads SET description = ?2, design = NULL, acceptance_criteria = NULL,
                            notes = NULL, compaction_level = 1, compacted_at = ?3,
                            original_size = ?4
                      WHERE id = ?1",
                )?
                .execute(params![d.id, d.summary, now, d.text_bytes])?;
            self.mark_dirty(&d.id)?;
        }
        out.events = bead_events
            + self
                .conn()
                .prepare(&format!("DELETE FROM events WHERE {EVENTS_WHERE}"))?
                .execute(params![c.events])?;
        out.deliveries = self
            .conn()
            .prepare(&format!("DELETE FROM deliveries WHERE {DELIVERIES_WHERE}"))?
            .execute(params![c.deliveries])?;
        if !out.is_empty() {
            self.record_event(
                None,
                "compacted",
                None,
                Some(serde_json::to_value(&out).unwrap_or_default()),
                None,
            )?;
        }
        Ok(out)
    }
}

/// The ledger file on disk, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FileBytes {
    /// The database file.
    pub db: u64,
    /// Its write-ahead log.
    pub wal: u64,
    /// Pages inside the database file that hold nothing (reusable, or to give back).
    pub free: u64,
}

impl FileBytes {
    pub fn total(&self) -> u64 {
        self.db + self.wal
    }
}

impl Ledger {
    /// How big the ledger is on disk now.
    pub fn file_bytes(&self) -> R<FileBytes> {
        let len = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let page: i64 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))?;
        let free: i64 = self
            .conn
            .pragma_query_value(None, "freelist_count", |r| r.get(0))?;
        Ok(FileBytes {
            db: len(&self.path),
            wal: len(std::path::Path::new(&wal)),
            free: (page.max(0) * free.max(0)) as u64,
        })
    }

    /// Whether freed pages can be given back without rewriting the file (auto_vacuum is
    /// INCREMENTAL: new ledgers are made so; older ones once by `make_incremental`).
    pub fn is_incremental(&self) -> R<bool> {
        let mode: i64 = self
            .conn
            .pragma_query_value(None, "auto_vacuum", |r| r.get(0))?;
        Ok(mode == 2)
    }

    /// Turns an older ledger incremental: one VACUUM, which rewrites the whole file (and so
    /// also gives back every free page). Holds the write lock meanwhile.
    pub fn make_incremental(&mut self) -> R<()> {
        self.conn
            .pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        self.conn.execute_batch("VACUUM")?;
        self.checkpoint();
        Ok(())
    }

    /// Gives the free pages back to the file system, then folds the write-ahead log into
    /// the file so the shrink shows now rather than at the next checkpoint.
    pub fn reclaim(&mut self) -> R<()> {
        // Each step of this statement frees pages: it is stepped to the end.
        let mut stmt = self.conn.prepare("PRAGMA incremental_vacuum")?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        drop(rows);
        drop(stmt);
        self.checkpoint();
        Ok(())
    }

    /// A checkpoint that empties the write-ahead log when no reader holds it; a busy one is
    /// no error (the next checkpoint catches up).
    fn checkpoint(&self) {
        let res = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        if let Err(e) = res {
            tracing::info!(error = %e, "ledger checkpoint after compaction");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Bead, Dependency};
    use std::time::Duration;

    const OLD: &str = "2026-01-01T00:00:00Z";

    fn cutoffs(at: &str) -> Cutoffs {
        Cutoffs {
            wisps: at.into(),
            events: at.into(),
            deliveries: at.into(),
            summarise: at.into(),
        }
    }

    fn bead(id: &str, status: &str, ephemeral: bool) -> Bead {
        Bead {
            id: id.into(),
            title: format!("title of {id}"),
            status: status.into(),
            issue_type: "task".into(),
            created_at: OLD.into(),
            updated_at: OLD.into(),
            closed_at: (status == "closed").then(|| OLD.to_string()),
            close_reason: (status == "closed").then(|| "done well".to_string()),
            description: Some("a long description ".repeat(20)),
            ephemeral,
            ..Bead::default()
        }
    }

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = Ledger::open(&dir.path().join("l.db"), Duration::from_secs(1)).expect("open");
        (dir, l)
    }

    #[test]
    fn new_ledgers_are_incremental() {
        let (_d, l) = ledger();
        assert!(l.is_incremental().expect("mode"));
    }

    #[test]
    fn removes_closed_wisps_keeps_open_and_needed_ones_and_summarises() {
        let (_d, mut l) = ledger();
        l.write("t", |tx| -> R<()> {
            tx.insert_bead(&bead("hq-w1", "closed", true))?;
            tx.insert_bead(&bead("hq-w2", "open", true))?;
            tx.insert_bead(&bead("hq-w3", "closed", true))?;
            tx.insert_bead(&bead("hq-open", "open", false))?;
            tx.insert_bead(&bead("hq-done", "closed", false))?;
            tx.add_comment("hq-done", "a comment")?;
            tx.add_dep(&Dependency {
                issue_id: "hq-open".into(),
                depends_on_id: "hq-w3".into(),
                kind: "blocks".into(),
                created_at: None,
                created_by: None,
                extra: serde_json::Map::new(),
            })?;
            tx.add_delivery("a", "b", "hi", false)?;
            Ok(())
        })
        .expect("write");
        let c = cutoffs("2026-06-01T00:00:00Z");
        let plan = l.reader().compact_plan(&c).expect("plan");
        let done = l.write("t", |tx| tx.compact(&c)).expect("compact");
        assert_eq!(plan, done, "the plan says what compaction does");
        assert_eq!(done.wisps, 1);
        assert_eq!(done.kept_depended, 1, "hq-w3 is needed by open hq-open");
        assert_eq!(done.deliveries, 0, "a queued delivery stays");
        assert_eq!(done.summarised, 1);
        assert_eq!(done.comments_folded, 1);
        let r = l.reader();
        assert!(r.bead("hq-w1").expect("read").is_none());
        for id in ["hq-w2", "hq-w3", "hq-open"] {
            assert!(r.bead(id).expect("read").is_some(), "{id} kept");
        }
        let s = r.require("hq-done").expect("summarised");
        assert_eq!(s.compaction_level, Some(1));
        assert!(s.description.as_deref().unwrap_or("").contains("done well"));
        assert!(s.original_size.unwrap_or(0) > 300);
        let again = l.write("t", |tx| tx.compact(&c)).expect("again");
        assert_eq!(again.summarised, 0, "summarised once");
        assert_eq!(again.wisps, 0);
    }

    #[test]
    fn a_converted_ledger_shrinks_after_compaction() {
        let (_d, mut l) = ledger();
        l.write("t", |tx| -> R<()> {
            for i in 0..2000 {
                tx.insert_bead(&bead(&format!("hq-w{i}"), "closed", true))?;
            }
            Ok(())
        })
        .expect("write");
        l.reclaim().expect("checkpoint");
        let before = l.file_bytes().expect("size");
        l.write("t", |tx| tx.compact(&cutoffs("2026-06-01T00:00:00Z")))
            .expect("compact");
        l.reclaim().expect("reclaim");
        let after = l.file_bytes().expect("size");
        assert!(
            after.total() * 2 < before.total(),
            "{before:?} then {after:?}"
        );
    }
}
