//! Mutations. Every one runs inside a `Tx`, writes an event row, and marks the bead dirty for
//! the JSONL export — all in the same transaction.

use super::LedgerError;
use super::bead::{self, Bead, Comment, Dependency};
use super::ids;
use super::jsonl;
use super::read::Reader;
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value};

type R<T> = Result<T, LedgerError>;

pub struct Tx<'c> {
    tx: Transaction<'c>,
    actor: String,
    now: String,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(tx: Transaction<'c>, actor: &str, now: String) -> Self {
        Tx {
            tx,
            actor: actor.to_string(),
            now,
        }
    }

    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()
    }

    pub fn reader(&self) -> Reader<'_> {
        Reader::new(&self.tx)
    }

    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        &self.tx
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The timestamp of this transaction (every row it writes carries the same one).
    pub fn now(&self) -> &str {
        &self.now
    }

    /// A fresh `<prefix>-<hash>` id, its length chosen from how many beads share the prefix.
    pub fn new_id(&self, prefix: &str, title: &str) -> R<String> {
        let count = self.reader().count_with_prefix(prefix)?;
        let start = ids::adaptive_len(count);
        for len in start..=ids::MAX_LEN {
            for attempt in 0..10 {
                let id = format!(
                    "{prefix}-{}",
                    ids::hash_suffix(&ids::seed(prefix, title, attempt), len)
                );
                if !self.reader().exists(&id)? {
                    return Ok(id);
                }
            }
        }
        Err(LedgerError::invalid(format!(
            "could not find a free id with prefix {prefix:?}"
        )))
    }

    /// `hq-cv-<5>` for a convoy.
    pub fn new_convoy_id(&self, title: &str) -> R<String> {
        for attempt in 0..50 {
            let id = format!(
                "hq-cv-{}",
                ids::hash_suffix(&ids::seed("hq-cv", title, attempt), 5)
            );
            if !self.reader().exists(&id)? {
                return Ok(id);
            }
        }
        Err(LedgerError::invalid("could not find a free convoy id"))
    }

    /// `<parent>.<n>` with the next free n.
    pub fn new_child_id(&self, parent: &str) -> R<String> {
        let n = self.reader().max_child_number(parent)? + 1;
        Ok(format!("{parent}.{n}"))
    }

    pub fn insert_bead(&mut self, b: &Bead) -> R<()> {
        if !ids::is_valid_id(&b.id) {
            return Err(LedgerError::invalid(format!("invalid bead id {:?}", b.id)));
        }
        let sql = bead::insert_sql();
        let mut values: Vec<Box<dyn rusqlite::ToSql + '_>> = vec![Box::new(b.prefix().to_string())];
        values.extend(b.column_values());
        let res = {
            let mut stmt = self.tx.prepare_cached(sql)?;
            stmt.execute(rusqlite::params_from_iter(
                values.iter().map(|v| v.as_ref()),
            ))
        };
        match res {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Err(LedgerError::invalid(format!(
                    "a bead with id {:?} already exists",
                    b.id
                )));
            }
            Err(e) => return Err(e.into()),
        }
        self.sync_dep_targets(b)?;
        let summary = serde_json::json!({"title": b.title, "status": b.status, "issue_type": b.issue_type, "priority": b.priority});
        self.record_event(Some(&b.id), "created", None, Some(summary), None)?;
        self.mark_dirty(&b.id)
    }

    /// Writes `new` over the stored bead (same id), stamping `updated_at`, and records an
    /// event of `event_type` holding the changed fields' old and new values.
    pub fn update_bead(&mut self, old: &Bead, mut new: Bead, event_type: &str) -> R<Bead> {
        new.updated_at = self.now.clone();
        let (before, after) = diff(old, &new);
        if before.is_empty() && after.is_empty() {
            return Ok(new);
        }
        self.overwrite(&new)?;
        self.record_event(
            Some(&new.id),
            event_type,
            Some(Value::Object(before)),
            Some(Value::Object(after)),
            None,
        )?;
        self.mark_dirty(&new.id)?;
        Ok(new)
    }

    fn overwrite(&mut self, b: &Bead) -> R<()> {
        let sql = bead::update_sql();
        let values = b.column_values();
        let mut stmt = self.tx.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(
            values.iter().map(|v| v.as_ref()),
        ))?;
        if n == 0 {
            return Err(LedgerError::not_found(&b.id));
        }
        drop(stmt);
        self.sync_dep_targets(b)
    }

    /// Removes a bead this same operation created and must take back (a rolled-back sling):
    /// its labels, edges and comments go with it; the event log keeps the story.
    pub fn delete_bead(&mut self, id: &str) -> R<()> {
        self.clear_relations(id)?;
        let n = self
            .tx
            .prepare_cached("DELETE FROM beads WHERE id = ?1")?
            .execute(params![id])?;
        if n == 0 {
            return Err(LedgerError::not_found(id));
        }
        self.tx
            .prepare_cached("UPDATE deps SET target_open = 0 WHERE depends_on_id = ?1")?
            .execute(params![id])?;
        self.record_event(Some(id), "deleted", None, None, None)?;
        self.mark_dirty(id)
    }

    /// Keeps `deps.target_open` of every edge pointing at `b` in step with `b`'s status.
    fn sync_dep_targets(&mut self, b: &Bead) -> R<()> {
        let open = i64::from(!bead::is_done_status(&b.status));
        self.tx
            .prepare_cached(
                "UPDATE deps SET target_open = ?2 WHERE depends_on_id = ?1 AND target_open <> ?2",
            )?
            .execute(params![b.id, open])?;
        Ok(())
    }

    /// Recomputes `deps.target_open` for every edge (after a bulk import).
    pub(crate) fn sync_all_dep_targets(&mut self) -> R<()> {
        self.tx.execute(
            "UPDATE deps SET target_open = EXISTS (
                 SELECT 1 FROM beads t WHERE t.id = deps.depends_on_id
                    AND t.status NOT IN ('closed', 'tombstone'))",
            [],
        )?;
        Ok(())
    }

    /// Adds a label; false when it was already there.
    pub fn add_label(&mut self, id: &str, label: &str) -> R<bool> {
        let n = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO labels (issue_id, label) VALUES (?1, ?2)")?
            .execute(params![id, label])?;
        if n > 0 {
            self.record_event(
                Some(id),
                "label_added",
                None,
                Some(Value::String(label.into())),
                None,
            )?;
            self.touch(id)?;
        }
        Ok(n > 0)
    }

    pub fn remove_label(&mut self, id: &str, label: &str) -> R<bool> {
        let n = self
            .tx
            .prepare_cached("DELETE FROM labels WHERE issue_id = ?1 AND label = ?2")?
            .execute(params![id, label])?;
        if n > 0 {
            self.record_event(
                Some(id),
                "label_removed",
                Some(Value::String(label.into())),
                None,
                None,
            )?;
            self.touch(id)?;
        }
        Ok(n > 0)
    }

    /// Adds a dependency; false when the same edge already existed.
    pub fn add_dep(&mut self, d: &Dependency) -> R<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO deps (issue_id, depends_on_id, type, created_at, created_by, extra, target_open)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, EXISTS (
                     SELECT 1 FROM beads t WHERE t.id = ?2 AND t.status NOT IN ('closed', 'tombstone')))",
            )?
            .execute(params![
                d.issue_id,
                d.depends_on_id,
                d.kind,
                d.created_at,
                d.created_by,
                bead::extra_to_text(&d.extra)
            ])?;
        if n > 0 {
            let v = serde_json::json!({"depends_on_id": d.depends_on_id, "type": d.kind});
            self.record_event(Some(&d.issue_id), "dependency_added", None, Some(v), None)?;
            self.touch(&d.issue_id)?;
        }
        Ok(n > 0)
    }

    /// Removes `issue → target` (of one kind, or of any kind); returns how many edges went.
    pub fn remove_dep(&mut self, issue: &str, target: &str, kind: Option<&str>) -> R<usize> {
        let n = self
            .tx
            .prepare_cached(
                "DELETE FROM deps WHERE issue_id = ?1 AND depends_on_id = ?2 AND (?3 IS NULL OR type = ?3)",
            )?
            .execute(params![issue, target, kind])?;
        if n > 0 {
            let v = serde_json::json!({"depends_on_id": target, "type": kind});
            self.record_event(Some(issue), "dependency_removed", Some(v), None, None)?;
            self.touch(issue)?;
        }
        Ok(n)
    }

    pub fn add_comment(&mut self, id: &str, text: &str) -> R<Comment> {
        self.tx
            .prepare_cached(
                "INSERT INTO comments (issue_id, author, text, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, self.actor, text, self.now])?;
        let comment = Comment {
            id: self.tx.last_insert_rowid(),
            issue_id: id.to_string(),
            author: Some(self.actor.clone()),
            text: text.to_string(),
            created_at: Some(self.now.clone()),
            extra: Map::new(),
        };
        self.record_event(Some(id), "commented", None, None, Some(text))?;
        self.touch(id)?;
        Ok(comment)
    }

    /// Appends an event row (the audit trail every mutation leaves).
    pub fn record_event(
        &mut self,
        issue_id: Option<&str>,
        event_type: &str,
        old_value: Option<Value>,
        new_value: Option<Value>,
        comment: Option<&str>,
    ) -> R<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO events (issue_id, event_type, actor, old_value, new_value, comment, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                issue_id,
                event_type,
                self.actor,
                old_value.map(|v| v.to_string()),
                new_value.map(|v| v.to_string()),
                comment,
                self.now
            ])?;
        Ok(())
    }

    pub fn mark_dirty(&mut self, id: &str) -> R<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO export_marks (id) VALUES (?1)")?
            .execute(params![id])?;
        Ok(())
    }

    /// Bumps `updated_at` after a change to labels/deps/comments and marks the bead dirty.
    fn touch(&mut self, id: &str) -> R<()> {
        self.tx
            .prepare_cached("UPDATE beads SET updated_at = ?2 WHERE id = ?1")?
            .execute(params![id, self.now])?;
        self.mark_dirty(id)
    }

    pub fn set_config(&mut self, key: &str, value: Option<&str>) -> R<()> {
        self.tx
            .prepare_cached("INSERT INTO config (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?
            .execute(params![key, value])?;
        Ok(())
    }

    // ---- bulk paths used by import: no per-row events, the import records its own ----

    /// Inserts or replaces a bead (the importer knows which beads already exist).
    /// Writes `b` whole: a new row when `exists` is false, else over the bead with its id.
    pub(crate) fn upsert_bead_raw(&mut self, b: &Bead, exists: bool) -> R<()> {
        if !ids::is_valid_id(&b.id) {
            return Err(LedgerError::invalid(format!("invalid bead id {:?}", b.id)));
        }
        let mut stmt = self.tx.prepare_cached(if exists {
            bead::upsert_sql()
        } else {
            bead::insert_sql()
        })?;
        stmt.raw_bind_parameter(1, b.prefix())?;
        b.bind_columns(&mut stmt, 2)?;
        stmt.raw_execute()?;
        Ok(())
    }

    /// Drops the indexes of the bead tables that no constraint needs, returning their
    /// definitions for `create_indexes`: a bulk import builds each by one sort at the end.
    pub(crate) fn drop_secondary_indexes(&mut self) -> R<Vec<(String, String)>> {
        let defs: Vec<(String, String)> = {
            let mut stmt = self.tx.prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
                   AND tbl_name IN ('beads', 'labels', 'deps', 'comments')",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (name, _) in &defs {
            self.tx
                .execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        }
        Ok(defs)
    }

    /// Builds again the indexes `drop_secondary_indexes` dropped.
    pub(crate) fn create_indexes(&mut self, defs: &[(String, String)]) -> R<()> {
        for (_, sql) in defs {
            self.tx.execute_batch(sql)?;
        }
        Ok(())
    }

    pub(crate) fn clear_relations(&mut self, id: &str) -> R<()> {
        self.tx
            .prepare_cached("DELETE FROM labels WHERE issue_id = ?1")?
            .execute(params![id])?;
        self.tx
            .prepare_cached("DELETE FROM deps WHERE issue_id = ?1")?
            .execute(params![id])?;
        self.tx
            .prepare_cached("DELETE FROM comments WHERE issue_id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    pub(crate) fn insert_label_raw(&mut self, id: &str, label: &str) -> R<()> {
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO labels (issue_id, label) VALUES (?1, ?2)")?
            .execute(params![id, label])?;
        Ok(())
    }

    pub(crate) fn insert_dep_raw(&mut self, d: &Dependency) -> R<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO deps (issue_id, depends_on_id, type, created_at, created_by, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(issue_id, depends_on_id, type) DO UPDATE SET
                   created_at = excluded.created_at, created_by = excluded.created_by, extra = excluded.extra",
            )?
            .execute(params![
                d.issue_id,
                d.depends_on_id,
                d.kind,
                d.created_at,
                d.created_by,
                bead::extra_to_text(&d.extra)
            ])?;
        Ok(())
    }

    /// Keeps the comment's id when it is free (or already this comment), else takes a new one.
    pub(crate) fn insert_comment_raw(&mut self, c: &Comment) -> R<()> {
        let holder: Option<String> = self
            .tx
            .prepare_cached("SELECT issue_id FROM comments WHERE id = ?1")?
            .query_row(params![c.id], |r| r.get(0))
            .optional()?;
        let id: Option<i64> = match holder {
            None => Some(c.id),
            Some(_) => None,
        };
        self.tx
            .prepare_cached("INSERT INTO comments (id, issue_id, author, text, created_at, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute(params![id, c.issue_id, c.author, c.text, c.created_at, bead::extra_to_text(&c.extra)])?;
        Ok(())
    }

    /// Inserts an imported event, keeping its id when free. An event already present under
    /// its id (a second import of the same dump) is skipped; returns whether it was added.
    pub(crate) fn insert_event_raw(&mut self, e: &super::Event) -> R<bool> {
        let existing: Option<super::Event> = self
            .tx
            .prepare_cached(
                "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra
                 FROM events WHERE id = ?1",
            )?
            .query_row(params![e.id], super::read::event_from_row)
            .optional()?;
        if existing.as_ref() == Some(e) {
            return Ok(false);
        }
        let id = if existing.is_some() { None } else { Some(e.id) };
        self.tx
            .prepare_cached(
                "INSERT INTO events (id, issue_id, event_type, actor, old_value, new_value, comment, created_at, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                id,
                e.issue_id,
                e.event_type,
                e.actor,
                e.old_value,
                e.new_value,
                e.comment,
                e.created_at,
                bead::extra_to_text(&e.extra)
            ])?;
        Ok(true)
    }

    /// Clears the marks an export wrote (`(seq, id)` as `Reader::export_marks` gave them);
    /// a bead marked again since keeps its newer mark.
    pub(crate) fn clear_export_marks(&mut self, marks: &[(i64, String)]) -> R<()> {
        let mut stmt = self
            .tx
            .prepare_cached("DELETE FROM export_marks WHERE seq = ?1")?;
        for (seq, _) in marks {
            stmt.execute(params![seq])?;
        }
        Ok(())
    }
}

/// Old and new values of the fields that differ (timestamps of the update itself excluded).
fn diff(old: &Bead, new: &Bead) -> (Map<String, Value>, Map<String, Value>) {
    let a = jsonl::all_fields(old);
    let b = jsonl::all_fields(new);
    let mut before = Map::new();
    let mut after = Map::new();
    for (k, v) in &b {
        if k == "updated_at" {
            continue;
        }
        let prev = a.get(k).cloned().unwrap_or(Value::Null);
        if &prev != v {
            before.insert(k.clone(), prev);
            after.insert(k.clone(), v.clone());
        }
    }
    (before, after)
}
