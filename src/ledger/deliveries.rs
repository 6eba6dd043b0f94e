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
    /// When it did.
    pub interrupted_at: Option<String>,
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
        interrupted_at: r.get(10)?,
    })
}

const COLS: &str = "id, agent, sender, text, state, reason, attempts, created_at, updated_at, urgent, interrupted_at";

impl Reader<'_> {
    pub fn delivery(&self, id: i64) -> Result<Option<Delivery>, LedgerError> {
        let sql = format!("SELECT {COLS} FROM deliveries WHERE id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![id], from_row)
            .optional()?)
    }

    /// Messages waiting for an agent in delivery order: urgent ones first, then oldest first.
    pub fn queued_deliveries(&self, agent: &str) -> Result<Vec<Delivery>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM deliveries WHERE agent = ?1 AND state = 'queued' ORDER BY urgent DESC, id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![agent], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many messages wait for each of `agents` (those with none are left out), in one
    /// statement.
    pub fn queued_counts(
        &self,
        agents: &[String],
    ) -> Result<std::collections::HashMap<String, usize>, LedgerError> {
        let names =
            serde_json::to_string(agents).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.agent, count(*) FROM json_each(?1) j
             JOIN deliveries d ON d.agent = j.value AND d.state = 'queued'
             GROUP BY d.agent",
        )?;
        let rows = stmt.query_map(params![names], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let (agent, n) = row?;
            out.insert(agent, n.max(0) as usize);
        }
        Ok(out)
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

    /// Moves a delivery from one of the `from` states to `state` (counting an attempt when
    /// asked) and records an event. False, and nothing written, when it is no longer in one
    /// of `from` (another process moved it first).
    pub fn move_delivery(
        &mut self,
        id: i64,
        from: &[&str],
        state: &str,
        reason: Option<&str>,
        attempt: bool,
    ) -> Result<bool, LedgerError> {
        let current: Option<String> = self
            .conn()
            .prepare_cached("SELECT state FROM deliveries WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        let Some(current) = current else {
            return Err(LedgerError::invalid(format!("no delivery {id}")));
        };
        if !from.contains(&current.as_str()) {
            return Ok(false);
        }
        let now = self.now().to_string();
        self.conn()
            .prepare_cached(
                "UPDATE deliveries SET state = ?2, reason = ?3, updated_at = ?4,
                        attempts = attempts + ?5 WHERE id = ?1",
            )?
            .execute(params![id, state, reason, now, i64::from(attempt)])?;
        let agent: String = self
            .conn()
            .prepare_cached("SELECT agent FROM deliveries WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))?;
        let v =
            serde_json::json!({"delivery": id, "agent": agent, "state": state, "reason": reason});
        self.record_event(None, &format!("delivery_{state}"), None, Some(v), None)?;
        Ok(true)
    }

    /// Fails everything still queued for `agent`, with the reason; returns the ids.
    pub fn fail_queued(&mut self, agent: &str, reason: &str) -> Result<Vec<i64>, LedgerError> {
        let ids: Vec<i64> = self
            .reader()
            .queued_deliveries(agent)?
            .into_iter()
            .map(|d| d.id)
            .collect();
        for id in &ids {
            self.move_delivery(*id, &["queued"], "failed", Some(reason), false)?;
        }
        Ok(ids)
    }

    /// Records that the agent was interrupted for this urgent message; false when that was
    /// already done (once per message, whichever process delivers it).
    pub fn mark_interrupted(&mut self, id: i64) -> Result<bool, LedgerError> {
        let now = self.now().to_string();
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE deliveries SET interrupted_at = ?2 WHERE id = ?1 AND interrupted_at IS NULL",
            )?
            .execute(params![id, now])?;
        Ok(n == 1)
    }
}
