//! The ledger's own health: SQLite's integrity and foreign-key checks, and rebuilding indexes.

use super::{Ledger, LedgerError};

/// At most this many problem lines are kept (a badly damaged file can report thousands).
const MAX_PROBLEMS: usize = 20;

impl Ledger {
    /// What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` find; empty when healthy.
    pub fn integrity_problems(&self) -> Result<Vec<String>, LedgerError> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare(&format!("PRAGMA integrity_check({MAX_PROBLEMS})"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            let line = row?;
            if line != "ok" {
                out.push(line);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt.query_map([], |r| {
            Ok(format!(
                "table {} row {} points at a missing row of {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?
                    .map_or_else(|| "?".to_string(), |n| n.to_string()),
                r.get::<_, String>(2)?
            ))
        })?;
        for row in rows {
            out.push(row?);
        }
        out.truncate(MAX_PROBLEMS);
        Ok(out)
    }

    /// Whether a write can start within `wait`: `Ok(None)` when it can, `Ok(Some(why))` when
    /// another process holds the write lock or the file cannot be written. Nothing is written.
    pub fn write_blocked(
        &mut self,
        wait: std::time::Duration,
    ) -> Result<Option<String>, LedgerError> {
        self.conn.busy_timeout(wait)?;
        let r = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .and_then(|tx| tx.rollback());
        self.conn.busy_timeout(self.busy_timeout)?;
        match r {
            Ok(()) => Ok(None),
            Err(rusqlite::Error::SqliteFailure(e, msg)) => match e.code {
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    Ok(Some(format!(
                        "another process has held its write lock for over {} ms",
                        wait.as_millis()
                    )))
                }
                rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen => {
                    Ok(Some(format!(
                        "it cannot be written ({})",
                        msg.unwrap_or_else(|| e.to_string())
                    )))
                }
                _ => Err(rusqlite::Error::SqliteFailure(e, msg).into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// `REINDEX`: rebuilds every index from its table (indexes hold nothing the tables do not),
    /// in one write transaction.
    pub fn reindex(&mut self) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch("REINDEX")?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_fresh_ledger_is_healthy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(&dir.path().join("l.db"), Duration::from_secs(1)).expect("open");
        assert!(l.integrity_problems().expect("check").is_empty());
        l.reindex().expect("reindex");
        assert!(l.integrity_problems().expect("check").is_empty());
    }
}
