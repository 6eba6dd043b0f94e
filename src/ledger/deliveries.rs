//! The delivery queue: every piece of text given to an agent, with its state.

use super::read::Reader;
use super::{LedgerError, Tx};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    pub agent: String,
    pub sender: String,
    pub text: String,
    pub state: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub created_at: String,
    pub updated_at: String,
    /// May interrupt a busy agent whose runtime allows it.
    pub urgent: bool,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        agent: r.get(1)?,
        sender: r.get(2)?,
        text: r.get(3)?,
        state: r.get(4)?,
        reason: r.get(5)?,
        attempts: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
        urgent: r.get(9)?,
    })
}

const COLS: &str =
    "id, agent, sender, text, state, reason, attempts, created_at, updated_at, urgent";

impl Reader<'_> {
    pub fn delivery(&self, id: i64) -> Result<Option<Delivery>, LedgerError> {
        let sql = format!("SELECT {COLS} FROM deliveries WHERE id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![id], from_row)
            .optional()?)
    }

    /// Messages waiting for an agent, oldest first.
    pub fn queued_deliveries(&self, agent: &str) -> Result<Vec<Delivery>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM deliveries WHERE agent = ?1 AND state = 'queued' ORDER BY id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![agent], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages whose delivery began (`pasting`, `pasted`) and has not ended, oldest first.
    pub fn unfinished_deliveries(&self, agent: &str) -> Result<Vec<Delivery>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM deliveries WHERE agent = ?1 AND state IN ('pasting', 'pasted') ORDER BY id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![agent], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest deliveries to an agent (or to everyone), newest first.
    pub fn recent_deliveries(
        &self,
        agent: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Delivery>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM deliveries WHERE (?1 IS NULL OR agent = ?1) ORDER BY id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![agent, limit as i64], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    pub fn add_delivery(
        &mut self,
        agent: &str,
        sender: &str,
        text: &str,
        urgent: bool,
    ) -> Result<i64, LedgerError> {
        let now = self.now().to_string();
        self.conn()
            .prepare_cached(
                "INSERT INTO deliveries (agent, sender, text, state, created_at, updated_at, urgent)
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?4, ?5)",
            )?
            .execute(params![agent, sender, text, now, urgent])?;
        let id = self.conn().last_insert_rowid();
        let v = serde_json::json!({"delivery": id, "agent": agent, "state": "queued", "chars": text.chars().count(), "urgent": urgent});
        self.record_event(None, "delivery_queued", None, Some(v), None)?;
        Ok(id)
    }

    /// Moves a delivery to `state` (counting an attempt when asked) and records an event.
    pub fn set_delivery_state(
        &mut self,
        id: i64,
        state: &str,
        reason: Option<&str>,
        attempt: bool,
    ) -> Result<(), LedgerError> {
        let now = self.now().to_string();
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE deliveries SET state = ?2, reason = ?3, updated_at = ?4,
                        attempts = attempts + ?5 WHERE id = ?1",
            )?
            .execute(params![id, state, reason, now, i64::from(attempt)])?;
        if n == 0 {
            return Err(LedgerError::invalid(format!("no delivery {id}")));
        }
        let agent: String = self
            .conn()
            .prepare_cached("SELECT agent FROM deliveries WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))?;
        let v =
            serde_json::json!({"delivery": id, "agent": agent, "state": state, "reason": reason});
        self.record_event(None, &format!("delivery_{state}"), None, Some(v), None)
    }
}
