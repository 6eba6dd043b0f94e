//! Agent sessions (the runtime's own session ids, with start and end) and the token usage
//! read from their transcripts.

use super::read::Reader;
use super::{LedgerError, Tx};
use rusqlite::{OptionalExtension, params};

type R<T> = Result<T, LedgerError>;

/// A session as it starts.
#[derive(Debug, Clone, Default)]
pub struct SessionStart<'a> {
    pub id: &'a str,
    pub agent: &'a str,
    pub rig: Option<&'a str>,
    pub role: Option<&'a str>,
    pub runtime: Option<&'a str>,
    pub bead: Option<&'a str>,
    pub transcript: Option<&'a str>,
    pub account: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionRow {
    pub id: String,
    pub agent: String,
    pub rig: Option<String>,
    pub role: Option<String>,
    pub runtime: Option<String>,
    pub bead: Option<String>,
    pub transcript: Option<String>,
    /// How much of the transcript has been read for usage (bytes).
    pub read_offset: i64,
    #[serde(skip)]
    pub last_message: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    /// The account (of several for its runtime) it runs on.
    pub account: Option<String>,
    /// The model its transcript named last.
    pub model: Option<String>,
}

/// One model answer's token usage, as its transcript line gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TurnUsage {
    pub message_id: String,
    /// UTC day of the answer (YYYY-MM-DD).
    pub day: String,
    pub model: String,
    pub input: u64,
    pub output: u64,
    pub cache_write: u64,
    pub cache_read: u64,
}

/// What usage is summed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKey {
    Agent,
    Bead,
    Rig,
    Convoy,
    Role,
    Day,
    Session,
}

impl UsageKey {
    fn column(self) -> &'static str {
        match self {
            UsageKey::Agent => "s.agent",
            UsageKey::Bead => "u.bead",
            UsageKey::Rig => "s.rig",
            UsageKey::Convoy => "d.issue_id",
            UsageKey::Role => "s.role",
            UsageKey::Day => "u.day",
            UsageKey::Session => "u.session_id",
        }
    }
}

/// Usage of one key and model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageRow {
    /// Empty when the usage has no such key (no bead hooked, no convoy).
    pub key: String,
    pub model: String,
    pub sessions: i64,
    pub turns: i64,
    pub input: i64,
    pub output: i64,
    pub cache_write: i64,
    pub cache_read: i64,
}

const COLS: &str = "id, agent, rig, role, runtime, bead, transcript, read_offset, last_message, \
                    started_at, ended_at, end_reason, account, model";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        agent: r.get(1)?,
        rig: r.get(2)?,
        role: r.get(3)?,
        runtime: r.get(4)?,
        bead: r.get(5)?,
        transcript: r.get(6)?,
        read_offset: r.get(7)?,
        last_message: r.get(8)?,
        started_at: r.get(9)?,
        ended_at: r.get(10)?,
        end_reason: r.get(11)?,
        account: r.get(12)?,
        model: r.get(13)?,
    })
}

impl Reader<'_> {
    pub fn session(&self, id: &str) -> R<Option<SessionRow>> {
        let sql = format!("SELECT {COLS} FROM sessions WHERE id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![id], from_row)
            .optional()?)
    }

    /// Sessions of an agent and/or of a bead (either may be None: any), newest first.
    pub fn sessions(
        &self,
        agent: Option<&str>,
        bead: Option<&str>,
        limit: usize,
    ) -> R<Vec<SessionRow>> {
        let sql = format!(
            "SELECT {COLS} FROM sessions WHERE (?1 IS NULL OR agent = ?1) AND (?2 IS NULL OR bead = ?2)
             ORDER BY started_at DESC, rowid DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![agent, bead, limit as i64], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sessions that have not ended or ended at `ended_since` or later, oldest first.
    pub fn recent_sessions(&self, ended_since: &str) -> R<Vec<SessionRow>> {
        let sql = format!(
            "SELECT {COLS} FROM sessions WHERE ended_at IS NULL OR ended_at >= ?1 ORDER BY started_at"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![ended_since], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Usage summed by `key` and model, from the UTC day `since` on (inclusive).
    pub fn usage_by(&self, key: UsageKey, since: Option<&str>) -> R<Vec<UsageRow>> {
        let convoy_join = if key == UsageKey::Convoy {
            "LEFT JOIN deps d ON d.depends_on_id = u.bead AND d.type = 'tracks'"
        } else {
            ""
        };
        let sql = format!(
            "SELECT COALESCE({k}, ''), u.model, count(DISTINCT u.session_id), sum(u.turns),
                    sum(u.input), sum(u.output), sum(u.cache_write), sum(u.cache_read)
             FROM usage u JOIN sessions s ON s.id = u.session_id {convoy_join}
             WHERE (?1 IS NULL OR u.day >= ?1)
             GROUP BY 1, 2 ORDER BY 1, 2",
            k = key.column()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![since], |r| {
            Ok(UsageRow {
                key: r.get(0)?,
                model: r.get(1)?,
                sessions: r.get(2)?,
                turns: r.get(3)?,
                input: r.get(4)?,
                output: r.get(5)?,
                cache_write: r.get(6)?,
                cache_read: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Reader<'_> {
    /// How many sessions used tokens, per `key` (None: in all), from the UTC day `since` on.
    pub fn usage_sessions(
        &self,
        key: Option<UsageKey>,
        since: Option<&str>,
    ) -> R<Vec<(String, i64)>> {
        let col = key.map_or("''", UsageKey::column);
        let convoy_join = if key == Some(UsageKey::Convoy) {
            "LEFT JOIN deps d ON d.depends_on_id = u.bead AND d.type = 'tracks'"
        } else {
            ""
        };
        let sql = format!(
            "SELECT COALESCE({col}, ''), count(DISTINCT u.session_id)
             FROM usage u JOIN sessions s ON s.id = u.session_id {convoy_join}
             WHERE (?1 IS NULL OR u.day >= ?1) GROUP BY 1 ORDER BY 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    /// Records a session's start; a session already known (a runtime reports its start again
    /// after a resume or a compaction) keeps its first start and gets the newer transcript.
    /// The agent's other open sessions end (`superseded`): one runtime session per agent at
    /// a time. True when the session is new.
    pub fn start_session(&mut self, s: &SessionStart<'_>) -> R<bool> {
        let now = self.now().to_string();
        self.conn()
            .prepare_cached(
                "UPDATE sessions SET ended_at = ?3, end_reason = 'superseded'
                 WHERE agent = ?1 AND id != ?2 AND ended_at IS NULL",
            )?
            .execute(params![s.agent, s.id, now])?;
        let known = self.reader().session(s.id)?.is_some();
        if known {
            self.conn()
                .prepare_cached(
                    "UPDATE sessions SET transcript = COALESCE(?2, transcript), ended_at = NULL,
                            end_reason = NULL, account = COALESCE(?3, account) WHERE id = ?1",
                )?
                .execute(params![s.id, s.transcript, s.account])?;
            return Ok(false);
        }
        self.conn()
            .prepare_cached(
                "INSERT INTO sessions (id, agent, rig, role, runtime, bead, transcript, started_at, account)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                s.id,
                s.agent,
                s.rig,
                s.role,
                s.runtime,
                s.bead,
                s.transcript,
                now,
                s.account
            ])?;
        Ok(true)
    }

    /// Ends a session (no-op when it already ended or is unknown); true when it ended now.
    pub fn end_session(&mut self, id: &str, reason: &str) -> R<bool> {
        let now = self.now().to_string();
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE id = ?1 AND ended_at IS NULL",
            )?
            .execute(params![id, now, reason])?;
        Ok(n == 1)
    }

    /// Ends every open session of an agent (its window is gone); returns how many.
    pub fn end_sessions_of(&mut self, agent: &str, reason: &str) -> R<usize> {
        let now = self.now().to_string();
        Ok(self
            .conn()
            .prepare_cached(
                "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE agent = ?1 AND ended_at IS NULL",
            )?
            .execute(params![agent, now, reason])?)
    }

    /// Adds the usage of answers read from a session's transcript (attributed to `bead`) and
    /// moves its read position to `offset`. An answer already counted (by its message id) is
    /// not counted again. Returns how many answers were counted.
    pub fn add_usage(
        &mut self,
        session: &str,
        bead: Option<&str>,
        turns: &[TurnUsage],
        offset: u64,
        last_message: Option<&str>,
        model: Option<&str>,
    ) -> R<usize> {
        let mut counted = 0;
        for t in turns {
            let fresh = self
                .conn()
                .prepare_cached("INSERT OR IGNORE INTO usage_seen (message_id) VALUES (?1)")?
                .execute(params![t.message_id])?;
            if fresh == 0 {
                continue;
            }
            self.conn()
                .prepare_cached(
                    "INSERT INTO usage (session_id, day, model, bead, turns, input, output, cache_write, cache_read)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8)
                     ON CONFLICT (session_id, day, model, bead) DO UPDATE SET
                       turns = turns + 1, input = input + ?5, output = output + ?6,
                       cache_write = cache_write + ?7, cache_read = cache_read + ?8",
                )?
                .execute(params![
                    session,
                    t.day,
                    t.model,
                    bead.unwrap_or(""),
                    t.input as i64,
                    t.output as i64,
                    t.cache_write as i64,
                    t.cache_read as i64
                ])?;
            counted += 1;
        }
        self.conn()
            .prepare_cached(
                "UPDATE sessions SET read_offset = ?2, last_message = COALESCE(?3, last_message),
                        model = COALESCE(?4, model) WHERE id = ?1",
            )?
            .execute(params![session, offset as i64, last_message, model])?;
        Ok(counted)
    }
}
