//! The embedded bead ledger: SQLite in WAL mode, the only module that touches SQLite.

mod bead;
pub mod compact;
mod deliveries;
mod early_schema;
mod error;
pub mod export;
mod health;
pub mod ids;
pub mod import;
mod import_stream;
pub mod jsonl;
pub mod jsonl_merge;
mod mail;
mod query;
mod read;
mod sessions;
mod write;

pub use bead::{
    Bead, BeadRecord, Comment, Dependency, Event, GATING_DEPS, INFRA_TYPES, STATUSES, Status,
    WORK_TYPES, is_done_status, prefix_of,
};
pub use deliveries::Delivery;
pub use error::LedgerError;
pub use mail::MessageRow;
pub use query::{BeadSummary, BlockedBead, ListFilter, ReadyFilter};
pub use read::{Reader, TableCounts, TrackedRow};
pub use sessions::{SessionRow, SessionStart, TurnUsage, UsageKey, UsageRow};
pub use write::Tx;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One schema step, applied once (its number is `PRAGMA user_version` after it).
enum Migration {
    Sql(&'static str),
    /// A step that has to look at the ledger first.
    Code(fn(&Connection) -> rusqlite::Result<()>),
}

const MIGRATIONS: &[Migration] = &[
    Migration::Sql(include_str!("migrations/001_init.sql")),
    Migration::Sql(include_str!("migrations/002_deliveries.sql")),
    Migration::Sql(include_str!("migrations/003_delivery_urgent.sql")),
    Migration::Sql(include_str!("migrations/004_delivery_interrupted.sql")),
    Migration::Code(early_schema::repair),
    Migration::Sql(include_str!("migrations/006_mail_out_of_export.sql")),
    Migration::Sql(include_str!("migrations/007_sessions_usage.sql")),
    Migration::Sql(include_str!("migrations/008_session_account.sql")),
    Migration::Sql(include_str!("migrations/009_events_by_type.sql")),
    Migration::Sql(include_str!("migrations/010_open_beads_index.sql")),
    Migration::Sql(include_str!("migrations/011_export_marks.sql")),
];

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The page cache a connection may use, in MB (allocated only as used).
pub(crate) const DEFAULT_CACHE_MB: i64 = 64;

/// One connection per process.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
    /// What stamps the rows a transaction writes.
    clock: crate::time::Clock,
}

impl Ledger {
    /// Opens (creating if needed) and migrates the ledger at `path`.
    pub fn open(path: &Path, busy_timeout: Duration) -> Result<Ledger, LedgerError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(busy_timeout)?;
        // Before anything else writes a new file: a new ledger can give freed pages back
        // (`PRAGMA incremental_vacuum` after `gt compact`) instead of only ever growing. Only
        // then: on an existing ledger the pragma is a write of its own on every open (an older
        // ledger is converted once by `gt compact`).
        let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
        if pages == 0 {
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        }
        // WAL lets readers run while one process writes; FULL fsyncs every commit so an
        // acknowledged write survives a power cut.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Up to 64 MB of page cache (allocated only as used): imports and big scans stay in memory.
        conn.pragma_update(None, "cache_size", -(DEFAULT_CACHE_MB * 1024))?;
        // No memory-mapped reads: SQLite re-parses a mapped page on every visit and a short
        // process pays for unmapping every page it touched, which at a million beads costs
        // more than the queries (measured: half of `ready`'s time). Read pages stay cached.
        conn.pragma_update(None, "mmap_size", 0i64)?;
        // Every gt command is a short process. By default the last connection to close
        // checkpoints the WAL and deletes it, so each command would pay for a checkpoint and
        // the next one for recreating the WAL; writers' auto-checkpoints keep it bounded.
        // Bound the WAL file: after a checkpoint it is cut back to this size instead of
        // staying as large as the biggest transaction ever written (a 100k-bead import).
        conn.pragma_update(None, "journal_size_limit", 16i64 << 20)?;
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        // Plans that do not depend on the values bound: otherwise SQLite marks a statement
        // whose WHERE it compared against a partial index's condition as depending on its
        // parameters, and compiles it again at every new binding (a cached statement run for
        // each of 400 beads was compiled 400 times).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            busy_timeout,
            clock: crate::time::Clock::System,
        };
        ledger.migrate()?;
        Ok(ledger)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn user_version(conn: &Connection) -> Result<i64, LedgerError> {
        Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        let current = Self::user_version(&self.conn)?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        if current > SCHEMA_VERSION {
            return Err(LedgerError::TooNew {
                path: self.path.display().to_string(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the write lock.
        let current = Self::user_version(&tx)?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            match step {
                Migration::Sql(sql) => tx.execute_batch(sql)?,
                Migration::Code(f) => f(&tx)?,
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// FULL (fsync every commit, the default) or NORMAL (WAL: fsync at checkpoints only).
    pub(crate) fn set_synchronous_full(&self, full: bool) -> Result<(), LedgerError> {
        self.conn
            .pragma_update(None, "synchronous", if full { "FULL" } else { "NORMAL" })?;
        Ok(())
    }

    /// Runs `f` on one consistent snapshot of the ledger (a read transaction): several
    /// queries see the same state while writers go on.
    pub fn snapshot<T, E>(&mut self, f: impl FnOnce(&Reader<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<LedgerError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(LedgerError::from)?;
        let out = f(&Reader::new(&tx))?;
        tx.commit().map_err(LedgerError::from)?;
        Ok(out)
    }

    /// For a bulk load: leaves WAL for a rollback journal when no other connection has the
    /// ledger open (otherwise stays in WAL and says false). Pages a transaction adds past the
    /// file's end are then written once, straight into the file, instead of once into the
    /// WAL and again at the checkpoint; a crash still rolls the whole load back.
    pub(crate) fn enter_bulk_journal(&self) -> bool {
        let mode: Result<String, _> =
            self.conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0));
        matches!(mode, Ok(m) if m.eq_ignore_ascii_case("delete"))
    }

    /// Back to WAL after `enter_bulk_journal`.
    pub(crate) fn leave_bulk_journal(&self) -> Result<(), LedgerError> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        Ok(())
    }

    /// Page cache limit for this connection, in MB.
    pub fn set_cache_mb(&self, mb: i64) -> Result<(), LedgerError> {
        self.conn.pragma_update(None, "cache_size", -(mb * 1024))?;
        Ok(())
    }

    pub fn reader(&self) -> Reader<'_> {
        Reader::new(&self.conn)
    }

    /// Stamps later transactions with `clock` (the town's; a manual one in tests).
    pub fn set_clock(&mut self, clock: crate::time::Clock) {
        self.clock = clock;
    }

    /// Runs `f` in one IMMEDIATE transaction (taking the write lock up front, so concurrent
    /// writers queue instead of failing on lock upgrade); commits only if `f` succeeds.
    pub fn write<T, E>(
        &mut self,
        actor: &str,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<LedgerError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(LedgerError::from)?;
        let mut tx = Tx::new(tx, actor, self.clock.stamp());
        let out = f(&mut tx)?;
        tx.commit().map_err(LedgerError::from)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = Ledger::open(&dir.path().join("l.db"), Duration::from_secs(1)).expect("open");
        (dir, l)
    }

    #[test]
    fn every_bead_field_has_a_column() {
        let (_d, l) = temp_ledger();
        let mut stmt = l
            .conn
            .prepare("SELECT name FROM pragma_table_info('beads')")
            .expect("prepare");
        let cols: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let mut expected: Vec<String> = bead::columns().iter().map(|c| c.to_string()).collect();
        expected.push("prefix".into());
        let mut got = cols.clone();
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
    }

    #[test]
    fn reopening_migrates_nothing_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("l.db");
        drop(Ledger::open(&path, Duration::from_secs(1)).expect("open"));
        let l = Ledger::open(&path, Duration::from_secs(1)).expect("reopen");
        let v: i64 = l
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("l.db");
        drop(Ledger::open(&path, Duration::from_secs(1)).expect("open"));
        let c = Connection::open(&path).expect("raw");
        c.pragma_update(None, "user_version", 99).expect("bump");
        drop(c);
        assert!(matches!(
            Ledger::open(&path, Duration::from_secs(1)),
            Err(LedgerError::TooNew { .. })
        ));
    }

    #[test]
    fn a_failed_transaction_writes_nothing() {
        let (_d, mut l) = temp_ledger();
        let res: Result<(), LedgerError> = l.write("t", |tx| {
            let b = Bead {
                id: "hq-abcd".into(),
                title: "x".into(),
                status: "open".into(),
                issue_type: "task".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                updated_at: "2026-01-01T00:00:00Z".into(),
                ..Bead::default()
            };
            tx.insert_bead(&b)?;
            Err(LedgerError::invalid("boom"))
        });
        assert!(res.is_err());
        assert_eq!(l.reader().counts().expect("counts").beads, 0);
        assert_eq!(l.reader().counts().expect("counts").events, 0);
    }

    /// The batched readers a witness round uses give what the one-agent readers give.
    #[test]
    fn batched_reads_match_one_by_one() {
        let (_d, mut l) = temp_ledger();
        l.write("t", |tx| -> Result<(), LedgerError> {
            tx.add_delivery("r/polecats/a", "me", "one", false)?;
            tx.add_delivery("r/polecats/a", "me", "two", true)?;
            tx.add_delivery("r/polecats/b", "me", "three", false)?;
            for (bead, what) in [("r-a", "first"), ("r-a", "second"), ("r-b", "only")] {
                tx.record_event(
                    Some(bead),
                    "runtime",
                    None,
                    Some(serde_json::json!(what)),
                    None,
                )?;
                tx.record_event(Some(bead), "other", None, None, None)?;
            }
            Ok(())
        })
        .expect("write");
        let r = l.reader();
        let agents: Vec<String> = ["r/polecats/a", "r/polecats/b", "r/polecats/c"]
            .map(String::from)
            .to_vec();
        let counts = r.queued_counts(&agents).expect("counts");
        for a in &agents {
            let one = r.queued_deliveries(a).expect("queued").len();
            assert_eq!(counts.get(a).copied().unwrap_or(0), one, "{a}");
        }
        assert_eq!(counts.get("r/polecats/a"), Some(&2));
        let beads: Vec<String> = ["r-a", "r-b", "r-c"].map(String::from).to_vec();
        let last = r.last_events(&beads, "runtime").expect("last");
        for b in &beads {
            let one = r.last_event(b, "runtime").expect("last");
            assert_eq!(last.get(b).map(|e| e.id), one.map(|e| e.id), "{b}");
        }
        assert_eq!(
            last.get("r-a").and_then(|e| e.new_value.clone()).as_deref(),
            Some("\"second\"")
        );
    }
}
