//! Read-only queries, usable on the plain connection or inside a write transaction.

use super::LedgerError;
use super::bead::{self, Bead, BeadRecord, Comment, Dependency, Event};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Clone, Copy)]
pub struct Reader<'c> {
    pub(crate) conn: &'c Connection,
}

type R<T> = Result<T, LedgerError>;

impl<'c> Reader<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Reader { conn }
    }

    /// Runs `f` in one read transaction (a savepoint; inside a write it is part of that
    /// write). A read of many rows by many small queries otherwise starts and ends a
    /// transaction per query — file locks and a page-cache check each time — which costs
    /// more than the queries themselves.
    pub fn snapshot<T, E>(&self, f: impl FnOnce(&Reader<'c>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<LedgerError>,
    {
        self.conn
            .execute_batch("SAVEPOINT gt_read")
            .map_err(LedgerError::from)?;
        let out = f(self);
        let released = self
            .conn
            .execute_batch("RELEASE gt_read")
            .map_err(LedgerError::from);
        let out = out?;
        released?;
        Ok(out)
    }

    pub fn bead(&self, id: &str) -> R<Option<Bead>> {
        let sql = format!("SELECT {} FROM beads WHERE id = ?1", bead::select_list());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row(params![id], Bead::from_row).optional()?)
    }

    /// The bead, or a NotFound error naming it.
    pub fn require(&self, id: &str) -> R<Bead> {
        self.bead(id)?.ok_or_else(|| LedgerError::not_found(id))
    }

    /// Changes whenever another connection commits: a cheap "did anything change?".
    pub fn data_version(&self) -> R<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// True when the ledger holds no bead at all.
    pub fn is_empty(&self) -> R<bool> {
        Ok(!self
            .conn
            .prepare_cached("SELECT 1 FROM beads LIMIT 1")?
            .exists([])?)
    }

    /// How many beads the ledger holds (the table's largest rowid: an estimate that is exact
    /// until beads are removed, and costs one index seek instead of a count).
    pub fn bead_count(&self) -> R<u64> {
        let n: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(rowid) FROM beads")?
            .query_row([], |r| r.get(0))?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// Beads changed since `.beads/issues.jsonl` was last written: `(seq, id)` by id.
    pub fn export_marks(&self) -> R<Vec<(i64, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, id FROM export_marks ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether any bead changed since `.beads/issues.jsonl` was last written.
    pub fn export_pending(&self) -> R<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM export_marks LIMIT 1")?
            .exists([])?)
    }

    /// A bead's `updated_at` (None when the ledger does not have it).
    pub fn updated_at(&self, id: &str) -> R<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT updated_at FROM beads WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?)
    }

    /// A bead's status (None when the ledger does not have it).
    pub fn status_of(&self, id: &str) -> R<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT status FROM beads WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?)
    }

    pub fn exists(&self, id: &str) -> R<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM beads WHERE id = ?1")?;
        Ok(stmt.exists(params![id])?)
    }

    pub fn record(&self, id: &str) -> R<Option<BeadRecord>> {
        let Some(bead) = self.bead(id)? else {
            return Ok(None);
        };
        Ok(Some(BeadRecord {
            labels: self.labels(id)?,
            dependencies: self.dependencies(id)?,
            comments: self.comments(id)?,
            bead,
        }))
    }

    pub fn labels(&self, id: &str) -> R<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT label FROM labels WHERE issue_id = ?1 ORDER BY rowid")?;
        let rows = stmt.query_map(params![id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Open beads with a label starting with `prefix`, and that label.
    pub fn open_labelled_like(&self, prefix: &str) -> R<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.issue_id, l.label FROM labels l JOIN beads b ON b.id = l.issue_id
             WHERE l.label >= ?1 AND l.label < ?1 || char(1114111)
               AND b.status NOT IN ('closed', 'tombstone')
             ORDER BY l.issue_id",
        )?;
        let rows = stmt.query_map(params![prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What `id` depends on, in the order the dependencies were added.
    pub fn dependencies(&self, id: &str) -> R<Vec<Dependency>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT issue_id, depends_on_id, type, created_at, created_by, extra
             FROM deps WHERE issue_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![id], dep_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What depends on `id`.
    pub fn dependents(&self, id: &str) -> R<Vec<Dependency>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT issue_id, depends_on_id, type, created_at, created_by, extra
             FROM deps WHERE depends_on_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![id], dep_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The children of `parent` (beads with a `parent-child` edge to it), in creation order.
    pub fn children(&self, parent: &str) -> R<Vec<Bead>> {
        let cols: Vec<String> = bead::select_list()
            .split(", ")
            .map(|c| format!("b.{c}"))
            .collect();
        let sql = format!(
            "SELECT {} FROM deps d JOIN beads b ON b.id = d.issue_id
              WHERE d.depends_on_id = ?1 AND d.type = 'parent-child' ORDER BY b.rowid",
            cols.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![parent], Bead::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every `(issue, depends_on, type)` edge leaving a child of `parent` (one query for a
    /// molecule's whole step graph).
    pub fn child_edges(&self, parent: &str) -> R<Vec<(String, String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.issue_id, e.depends_on_id, e.type FROM deps d
               JOIN deps e ON e.issue_id = d.issue_id
              WHERE d.depends_on_id = ?1 AND d.type = 'parent-child' ORDER BY e.rowid",
        )?;
        let rows = stmt.query_map(params![parent], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn comments(&self, id: &str) -> R<Vec<Comment>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, issue_id, author, text, created_at, extra
             FROM comments WHERE issue_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![id], comment_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Events of one bead (or of the whole town), newest last.
    pub fn events(&self, issue_id: Option<&str>, limit: usize) -> R<Vec<Event>> {
        let sql = "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra
                   FROM events WHERE (?1 IS NULL OR issue_id = ?1) ORDER BY id DESC LIMIT ?2";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![issue_id, limit as i64], event_from_row)?;
        let mut out: Vec<Event> = rows.collect::<Result<_, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// The newest `limit` events of one type (any bead), newest first.
    pub fn events_of_type(&self, event_type: &str, limit: usize) -> R<Vec<Event>> {
        let sql = "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra
                   FROM events WHERE event_type = ?1 ORDER BY id DESC LIMIT ?2";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![event_type, limit as i64], event_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest event of one type on each of `issue_ids` (those that have one), in one
    /// statement: a round over hundreds of agents asks once, not once per agent.
    pub fn last_events(
        &self,
        issue_ids: &[String],
        event_type: &str,
    ) -> R<std::collections::HashMap<String, Event>> {
        let sql = "SELECT e.id, e.issue_id, e.event_type, e.actor, e.old_value, e.new_value, e.comment, e.created_at, e.extra
                   FROM json_each(?1) j
                   JOIN events e ON e.id = (SELECT max(x.id) FROM events x
                                            WHERE x.issue_id = j.value AND x.event_type = ?2)";
        let ids =
            serde_json::to_string(issue_ids).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![ids, event_type], event_from_row)?;
        let mut out = std::collections::HashMap::new();
        for e in rows {
            let e = e?;
            if let Some(id) = e.issue_id.clone() {
                out.insert(id, e);
            }
        }
        Ok(out)
    }

    /// The newest event of one type on one bead.
    pub fn last_event(&self, issue_id: &str, event_type: &str) -> R<Option<Event>> {
        let sql = "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra
                   FROM events WHERE issue_id = ?1 AND event_type = ?2 ORDER BY id DESC LIMIT 1";
        let mut stmt = self.conn.prepare_cached(sql)?;
        Ok(stmt
            .query_row(params![issue_id, event_type], event_from_row)
            .optional()?)
    }

    /// Events with id > `after`, not older than `since` (RFC 3339), oldest first.
    pub fn events_after(&self, after: i64, since: Option<&str>, limit: usize) -> R<Vec<Event>> {
        let sql = "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra
                   FROM events WHERE id > ?1 AND (?2 IS NULL OR julianday(created_at) >= julianday(?2))
                   ORDER BY id LIMIT ?3";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![after, since, limit as i64], event_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` events with id < `before`, not older than `since`, oldest first (the
    /// newest such page).
    pub fn events_before(&self, before: i64, since: Option<&str>, limit: usize) -> R<Vec<Event>> {
        let sql = "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra
                   FROM events WHERE id < ?1 AND (?2 IS NULL OR julianday(created_at) >= julianday(?2))
                   ORDER BY id DESC LIMIT ?3";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![before, since, limit as i64], event_from_row)?;
        let mut out: Vec<Event> = rows.collect::<Result<_, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// Row counts of every table, for import reports and tests.
    pub fn counts(&self) -> R<TableCounts> {
        let count = |table: &str| -> R<i64> {
            Ok(self
                .conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        };
        Ok(TableCounts {
            beads: count("beads")?,
            dependencies: count("deps")?,
            labels: count("labels")?,
            comments: count("comments")?,
            events: count("events")?,
            config: count("config")?,
        })
    }

    /// Beads counted by status, for reports.
    pub fn status_counts(&self) -> R<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, count(*) FROM beads GROUP BY status ORDER BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn config_get(&self, key: &str) -> R<Option<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM config WHERE key = ?1")?;
        Ok(stmt
            .query_row(params![key], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    pub fn config_all(&self) -> R<Vec<(String, Option<String>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM config ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Open convoys (or all convoys) that track `id`.
    pub fn convoys_tracking(&self, id: &str, open_only: bool) -> R<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id FROM deps d JOIN beads c ON c.id = d.issue_id
             WHERE d.depends_on_id = ?1 AND d.type = 'tracks' AND c.issue_type = 'convoy'
               AND (?2 = 0 OR c.status NOT IN ('closed', 'tombstone'))
             ORDER BY c.id",
        )?;
        let rows = stmt.query_map(params![id, i64::from(open_only)], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What a convoy tracks, in the order it was added, with each bead's state (title and
    /// status are None when the tracked id is not in this ledger).
    pub fn tracked(&self, convoy: &str) -> R<Vec<TrackedRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.depends_on_id, b.title, b.status, b.assignee
             FROM deps d LEFT JOIN beads b ON b.id = d.depends_on_id
             WHERE d.issue_id = ?1 AND d.type = 'tracks' ORDER BY d.rowid",
        )?;
        let rows = stmt.query_map(params![convoy], |r| {
            Ok(TrackedRow {
                id: r.get(0)?,
                title: r.get(1)?,
                status: r.get(2)?,
                assignee: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every id some convoy tracks.
    pub fn all_tracked_ids(&self) -> R<std::collections::HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT depends_on_id FROM deps WHERE type = 'tracks'")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Largest `n` among existing children `<parent>.<n>`.
    pub fn max_child_number(&self, parent: &str) -> R<u64> {
        let lo = format!("{parent}.");
        let hi = format!("{parent}/");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM beads WHERE id > ?1 AND id < ?2")?;
        let rows = stmt.query_map(params![lo, hi], |r| r.get::<_, String>(0))?;
        let mut max = 0;
        for id in rows {
            let id = id?;
            let rest = &id[lo.len()..];
            let head = rest.split('.').next().unwrap_or("");
            if let Ok(n) = head.parse::<u64>() {
                max = max.max(n);
            }
        }
        Ok(max)
    }

    /// Number of beads with a prefix (drives id length).
    pub fn count_with_prefix(&self, prefix: &str) -> R<u64> {
        // `<prefix>-…` ids sort between `<prefix>-` and `<prefix>.` ('.' follows '-'): a range
        // count on the primary key, with no index of its own to maintain.
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM beads WHERE id >= ?1 AND id < ?2")?;
        let lo = format!("{prefix}-");
        let hi = format!("{prefix}.");
        Ok(stmt.query_row(params![lo, hi], |r| r.get::<_, i64>(0))? as u64)
    }
}

/// One bead a convoy tracks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrackedRow {
    pub id: String,
    pub title: Option<String>,
    /// None when the tracked id is not in this ledger.
    pub status: Option<String>,
    pub assignee: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableCounts {
    pub beads: i64,
    pub dependencies: i64,
    pub labels: i64,
    pub comments: i64,
    pub events: i64,
    pub config: i64,
}

pub(crate) fn dep_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Dependency> {
    Ok(Dependency {
        issue_id: r.get(0)?,
        depends_on_id: r.get(1)?,
        kind: r.get(2)?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
        extra: bead::extra_from_text(r.get(5)?),
    })
}

/// Columns: id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra.
pub(crate) fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        issue_id: r.get(1)?,
        event_type: r.get(2)?,
        actor: r.get(3)?,
        old_value: r.get(4)?,
        new_value: r.get(5)?,
        comment: r.get(6)?,
        created_at: r.get(7)?,
        extra: bead::extra_from_text(r.get(8)?),
    })
}

pub(crate) fn comment_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: r.get(0)?,
        issue_id: r.get(1)?,
        author: r.get(2)?,
        text: r.get(3)?,
        created_at: r.get(4)?,
        extra: bead::extra_from_text(r.get(5)?),
    })
}
