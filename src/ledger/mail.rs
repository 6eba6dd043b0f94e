//! The mail queries: inbox by recipient (the hot one), threads and search. Mail is beads of
//! type `message`: assignee = recipient, sender = sender, title = subject; the label `read`
//! marks it read and status `closed` archived.

use super::LedgerError;
use super::read::Reader;
use rusqlite::params;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageRow {
    pub id: String,
    pub to: String,
    pub from: Option<String>,
    pub subject: String,
    pub priority: i64,
    pub status: String,
    pub created_at: String,
    pub metadata: Option<String>,
    pub read: bool,
}

const COLS: &str = "b.id, b.assignee, b.sender, b.title, b.priority, b.status, b.created_at, b.metadata, \
     EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = b.id AND l.label = 'read')";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: r.get(0)?,
        to: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        from: r.get(2)?,
        subject: r.get(3)?,
        priority: r.get(4)?,
        status: r.get(5)?,
        created_at: r.get(6)?,
        metadata: r.get(7)?,
        read: r.get(8)?,
    })
}

impl Reader<'_> {
    /// Messages addressed to `to`, newest first (archived ones only when asked).
    pub fn messages_for(
        &self,
        to: &str,
        archived: bool,
        unread_only: bool,
    ) -> Result<Vec<MessageRow>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM beads b
              WHERE b.assignee = ?1 AND b.issue_type = 'message'
                AND (?2 = 1 OR b.status = 'open')
                AND (?3 = 0 OR NOT EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = b.id AND l.label = 'read'))
              ORDER BY b.created_at DESC, b.rowid DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![to, i64::from(archived), i64::from(unread_only)],
            from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages carrying a label (threads are labelled `thread:<root>`), oldest first.
    pub fn messages_labelled(&self, label: &str) -> Result<Vec<MessageRow>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM labels t JOIN beads b ON b.id = t.issue_id
              WHERE t.label = ?1 AND b.issue_type = 'message'
              ORDER BY b.created_at, b.rowid"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![label], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages to `to` (or anyone) whose subject — or body too — contains `text`.
    pub fn search_messages(
        &self,
        to: Option<&str>,
        text: &str,
        from: Option<&str>,
        subject_only: bool,
    ) -> Result<Vec<MessageRow>, LedgerError> {
        let sql = format!(
            "SELECT {COLS} FROM beads b
              WHERE b.issue_type = 'message' AND (?1 IS NULL OR b.assignee = ?1)
                AND (?3 IS NULL OR b.sender = ?3)
                AND (instr(lower(b.title), lower(?2)) > 0
                     OR (?4 = 0 AND instr(lower(coalesce(b.description, '')), lower(?2)) > 0))
              ORDER BY b.created_at DESC, b.rowid DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![to, text, from, i64::from(subject_only)], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
