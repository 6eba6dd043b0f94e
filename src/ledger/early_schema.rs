//! Migration 5: brings ledgers made by early builds up to the schema `001_init.sql` now
//! creates. Early builds changed 001 in place, so a ledger at version 1–4 may lack
//! `deps.target_open` (the blocked set reads it) and carry the old indexes. Every step checks
//! first, so a ledger that already has the current shape is left as it is.

use rusqlite::{Connection, Result};

/// Columns of the covering `beads_status` index (see 001_init.sql).
const BEADS_STATUS_COLUMNS: usize = 14;

pub(super) fn repair(conn: &Connection) -> Result<()> {
    if !has_column(conn, "deps", "target_open")? {
        conn.execute_batch(
            "ALTER TABLE deps ADD COLUMN target_open INTEGER NOT NULL DEFAULT 0;
             UPDATE deps SET target_open = EXISTS (
                 SELECT 1 FROM beads t WHERE t.id = deps.depends_on_id
                    AND t.status NOT IN ('closed', 'tombstone'));",
        )?;
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS deps_open ON deps(target_open, type, issue_id);
         DROP INDEX IF EXISTS beads_prefix;",
    )?;
    // A ledger that has the index of open beads (migration 10) is past needing this one.
    if index_columns(conn, "beads_status")? != BEADS_STATUS_COLUMNS
        && index_columns(conn, "beads_open")? == 0
    {
        conn.execute_batch(
            "DROP INDEX IF EXISTS beads_status;
             CREATE INDEX beads_status ON beads(
                 status, priority, created_at, id, issue_type, pinned, ephemeral, is_template,
                 prefix, defer_until, assignee, updated_at, closed_at, title
             );",
        )?;
    }
    Ok(())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = stmt.query_map([], |r| r.get::<_, String>(1))?;
    for n in names {
        if n? == column {
            return Ok(true);
        }
    }
    Ok(false)
}

fn index_columns(conn: &Connection, index: &str) -> Result<usize> {
    let mut stmt = conn.prepare(&format!("PRAGMA index_info({index})"))?;
    let n = stmt.query_map([], |_| Ok(()))?.count();
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::super::{Bead, Dependency, Ledger, LedgerError, SCHEMA_VERSION};
    use rusqlite::Connection;
    use std::time::Duration;

    fn bead(id: &str) -> Bead {
        Bead {
            id: id.into(),
            title: id.into(),
            status: "open".into(),
            issue_type: "task".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            ..Bead::default()
        }
    }

    #[test]
    fn a_ledger_of_an_early_build_is_brought_up_to_date() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("l.db");
        let mut l = Ledger::open(&path, Duration::from_secs(1)).expect("open");
        l.write("t", |tx| {
            tx.insert_bead(&bead("hq-a"))?;
            tx.insert_bead(&bead("hq-b"))?;
            tx.add_dep(&Dependency {
                issue_id: "hq-a".into(),
                depends_on_id: "hq-b".into(),
                kind: "blocks".into(),
                created_at: None,
                created_by: None,
                extra: Default::default(),
            })?;
            Ok::<_, LedgerError>(())
        })
        .expect("write");
        drop(l);
        // The shape an early build's 001_init.sql made, at schema version 4.
        let c = Connection::open(&path).expect("raw");
        c.execute_batch(
            "DROP INDEX deps_open;
             ALTER TABLE deps DROP COLUMN target_open;
             DROP INDEX beads_open;
             CREATE INDEX beads_status ON beads(status, priority, created_at);
             DROP TABLE export_marks;
             CREATE TABLE export_dirty (id TEXT PRIMARY KEY NOT NULL);
             CREATE INDEX beads_prefix ON beads(prefix, status);
             DROP TABLE sessions;
             DROP TABLE usage;
             DROP TABLE usage_seen;
             PRAGMA user_version = 4;",
        )
        .expect("downgrade");
        drop(c);

        let l = Ledger::open(&path, Duration::from_secs(1)).expect("migrated");
        let blocked = l.reader().blocked_set().expect("blocked set");
        assert!(blocked.contains("hq-a"), "{blocked:?}");
        assert!(!blocked.contains("hq-b"));
        let v: i64 = l
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, SCHEMA_VERSION);
        // Repaired at step 5, then replaced by the index of open beads (010).
        assert_eq!(
            super::index_columns(&l.conn, "beads_open").expect("index"),
            super::BEADS_STATUS_COLUMNS
        );
        assert_eq!(
            super::index_columns(&l.conn, "beads_status").expect("gone"),
            0
        );
        assert_eq!(
            super::index_columns(&l.conn, "beads_prefix").expect("gone"),
            0
        );
    }

    #[test]
    fn a_current_ledger_is_left_as_it_is() {
        // The schema the SQL migrations make today, before this step runs.
        let c = Connection::open_in_memory().expect("db");
        for step in super::super::MIGRATIONS {
            if let super::super::Migration::Sql(sql) = step {
                c.execute_batch(sql).expect("migration");
            }
        }
        let schema = |c: &Connection| -> Vec<String> {
            let mut s = c
                .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
                .expect("prepare");
            s.query_map([], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows")
        };
        let before = schema(&c);
        super::repair(&c).expect("repair");
        assert_eq!(schema(&c), before);
    }
}
