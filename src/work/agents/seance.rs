//! `gt seance`: what a past session did, read from its runtime's transcript — its prompts,
//! tool calls, the files it touched, its last words.

use crate::agent::{Address, transcript};
use crate::ledger::SessionRow;
use crate::work::Ctx;
use crate::{Error, Result};
use serde::Serialize;

/// A session, and what its transcript says it did (None: the transcript is not readable).
#[derive(Debug, Clone, Serialize)]
pub struct Seance {
    pub session: SessionRow,
    pub summary: Option<transcript::Summary>,
    /// Why there is no summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// The sessions of `target` (an agent's address — also of one that is gone — or a bead),
/// newest first.
pub fn sessions_of(ctx: &Ctx, target: &str) -> Result<Vec<SessionRow>> {
    let r = ctx.reader();
    let address = Address::parse(target).ok().map(|a| match a {
        Address::Short { rig, name } => Address::Polecat { rig, name }.to_string(),
        other => other.to_string(),
    });
    if let Some(a) = &address {
        let list = r.sessions(Some(a), None, 1000)?;
        if !list.is_empty() {
            return Ok(list);
        }
    }
    let list = r.sessions(None, Some(target), 1000)?;
    if !list.is_empty() {
        return Ok(list);
    }
    let known = r.exists(target)?
        || address
            .as_deref()
            .map(|a| super::find(&r, a))
            .transpose()?
            .flatten()
            .is_some();
    if known {
        Ok(Vec::new())
    } else {
        Err(Error::not_found(format!(
            "no agent or bead {target:?} in this town"
        )))
    }
}

/// The session to look at: `session` if given (it must belong to `target`), else the latest.
pub fn pick(ctx: &Ctx, target: &str, session: Option<&str>) -> Result<SessionRow> {
    let list = sessions_of(ctx, target)?;
    match session {
        Some(id) => list.into_iter().find(|s| s.id == id).ok_or_else(|| {
            Error::not_found(format!(
                "{target} has no session {id:?} (`gt seance {target} --list` lists them)"
            ))
        }),
        None => list.into_iter().next().ok_or_else(|| {
            Error::not_found(format!(
                "{target} has no recorded session (sessions are recorded by runtimes with hooks)"
            ))
        }),
    }
}

/// What the session did, from its transcript.
pub fn read(session: SessionRow) -> Seance {
    let Some(path) = session.transcript.clone() else {
        return Seance {
            session,
            summary: None,
            unreadable: Some("its runtime gave no transcript".into()),
        };
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Seance {
            session,
            summary: Some(transcript::summarize(&text)),
            unreadable: None,
        },
        Err(e) => Seance {
            session,
            summary: None,
            unreadable: Some(format!("{path}: {e}")),
        },
    }
}
