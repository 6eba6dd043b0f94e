//! Convoys: beads of type `convoy` (`hq-cv-xxxxx`) that track other beads with `tracks`
//! dependencies and land (close) when every tracked bead is closed — checked in the same
//! transaction as each close, never by polling.

pub mod check;
pub mod launch;
pub mod plan;
pub mod run;
pub mod watch;

use super::Ctx;
use super::beads::require;
use crate::ledger::{Bead, is_done_status};
use crate::{Error, Result};

pub use crate::work::beads::tracking::{LANDED_REASON, land_if_complete, reopen_landed_tracking};
use crate::work::beads::tracking::{create_in, land_convoy_if_complete, reopen_convoy, tracks};

pub use crate::ledger::TrackedRow as TrackedBead;
pub use watch::{ANNOUNCE_LABEL, FEED_LABEL, WATCH_PREFIX};

#[derive(Debug, Clone, serde::Serialize)]
pub struct ConvoyView {
    pub id: String,
    pub title: String,
    pub status: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub close_reason: Option<String>,
    pub total: usize,
    pub closed: usize,
    pub tracked: Vec<TrackedBead>,
    /// Addresses mailed when it lands (besides its owner).
    pub watchers: Vec<String>,
    /// The deacon slings its next ready bead whenever a polecat is free.
    pub feed: bool,
    /// Built by `gt convoy stage`: `staged`, or `launched` once `gt convoy launch` set it going.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The rig a planned convoy's beads are slung to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rig: Option<String>,
}

impl ConvoyView {
    pub fn is_closed(&self) -> bool {
        is_done_status(&self.status)
    }

    pub fn landed(&self) -> bool {
        self.close_reason.as_deref() == Some(LANDED_REASON)
    }
}

pub(crate) fn require_convoy(ctx: &Ctx, id: &str) -> Result<Bead> {
    let b = require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "convoy" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a convoy",
            b.issue_type
        )));
    }
    Ok(b)
}

fn check_members(ctx: &Ctx, ids: &[String]) -> Result<()> {
    let r = ctx.reader();
    for id in ids {
        let b = require(ctx, &r, id)?;
        if b.issue_type == "convoy" {
            return Err(Error::invalid(format!(
                "{id} is a convoy; convoys track work beads, not other convoys"
            )));
        }
    }
    Ok(())
}

pub fn create(ctx: &mut Ctx, title: &str, ids: &[String]) -> Result<ConvoyView> {
    create_with(ctx, title, ids, &[], false)
}

/// `create`, with watchers to mail when it lands and whether the deacon feeds it.
pub fn create_with(
    ctx: &mut Ctx,
    title: &str,
    ids: &[String],
    watchers: &[String],
    feed: bool,
) -> Result<ConvoyView> {
    let title = super::beads::validate_title(title)?;
    check_members(ctx, ids)?;
    let watchers = watch::validate_watchers(ctx, watchers)?;
    let id = ctx.write(|tx| {
        let id = create_in(tx, &title, ids)?;
        for w in &watchers {
            tx.add_label(&id, &format!("{WATCH_PREFIX}{w}"))?;
        }
        if feed {
            tx.add_label(&id, FEED_LABEL)?;
        }
        Ok(id)
    })?;
    show(ctx, &id)
}

/// Adds beads to a convoy; a closed convoy that gains an unfinished bead reopens.
pub fn add(ctx: &mut Ctx, convoy: &str, ids: &[String]) -> Result<(ConvoyView, bool)> {
    require_convoy(ctx, convoy)?;
    if ids.is_empty() {
        return Err(Error::invalid("give at least one bead id to add"));
    }
    check_members(ctx, ids)?;
    let reopened = ctx.write(|tx| {
        let mut any_open = false;
        for member in ids {
            let d = tracks(tx, convoy, member);
            tx.add_dep(&d)?;
            let b = tx.reader().require(member)?;
            any_open |= !is_done_status(&b.status);
        }
        let c = tx.reader().require(convoy)?;
        if c.is_closed() && any_open {
            reopen_convoy(tx, &c)?;
            return Ok(true);
        }
        Ok(false)
    })?;
    Ok((show(ctx, convoy)?, reopened))
}

pub fn remove(ctx: &mut Ctx, convoy: &str, ids: &[String]) -> Result<ConvoyView> {
    require_convoy(ctx, convoy)?;
    if ids.is_empty() {
        return Err(Error::invalid("give at least one bead id to remove"));
    }
    let r = ctx.reader();
    let tracked: Vec<String> = r.tracked(convoy)?.into_iter().map(|t| t.id).collect();
    for id in ids {
        if !tracked.contains(id) {
            return Err(Error::not_found(format!(
                "convoy {convoy} does not track {id}"
            )));
        }
    }
    ctx.write(|tx| {
        for id in ids {
            tx.remove_dep(convoy, id, Some("tracks"))?;
        }
        land_convoy_if_complete(tx, convoy)?;
        Ok(())
    })?;
    show(ctx, convoy)
}

pub fn close(ctx: &mut Ctx, convoy: &str, reason: Option<&str>) -> Result<ConvoyView> {
    let c = require_convoy(ctx, convoy)?;
    if c.is_closed() {
        return Err(Error::invalid(format!("convoy {convoy} is already closed")));
    }
    let actor = ctx.actor.clone();
    ctx.write(|tx| {
        let mut new = c.clone();
        new.status = crate::ledger::Status::Closed.into();
        new.closed_at = Some(tx.now().to_string());
        new.close_reason = Some(
            reason
                .map(str::to_string)
                .unwrap_or_else(|| format!("closed by {actor}")),
        );
        tx.update_bead(&c, new, "closed")?;
        Ok(())
    })?;
    show(ctx, convoy)
}

pub fn show(ctx: &Ctx, convoy: &str) -> Result<ConvoyView> {
    let c = require_convoy(ctx, convoy)?;
    view(ctx, c)
}

fn view(ctx: &Ctx, c: Bead) -> Result<ConvoyView> {
    let tracked: Vec<TrackedBead> = ctx.reader().tracked(&c.id)?;
    let labels = ctx.reader().labels(&c.id)?;
    let closed = tracked
        .iter()
        .filter(|t| t.status.as_deref().is_some_and(is_done_status))
        .count();
    Ok(ConvoyView {
        total: tracked.len(),
        closed,
        tracked,
        watchers: watch::watchers(&labels),
        feed: labels.iter().any(|l| l == FEED_LABEL),
        plan: if labels.iter().any(|l| l == plan::LAUNCHED_LABEL) {
            Some(plan::LAUNCHED_LABEL.to_string())
        } else if labels.iter().any(|l| l == plan::STAGED_LABEL) {
            Some(plan::STAGED_LABEL.to_string())
        } else {
            None
        },
        rig: plan::rig_label(&labels),
        id: c.id,
        title: c.title,
        status: c.status,
        created_at: c.created_at,
        closed_at: c.closed_at,
        close_reason: c.close_reason,
    })
}

/// `open` (default), `closed`, `landed` or everything.
pub fn list(ctx: &Ctx, all: bool, status: Option<&str>) -> Result<Vec<ConvoyView>> {
    let statuses = match (all, status) {
        (_, Some("landed")) | (_, Some("closed")) => vec!["closed".to_string()],
        (_, Some("open")) => vec!["open".to_string()],
        (_, Some(other)) => {
            return Err(Error::invalid(format!(
                "unknown convoy status {other:?}; use open, closed or landed"
            )));
        }
        (true, None) => vec![],
        (false, None) => vec!["open".to_string()],
    };
    let filter = crate::ledger::ListFilter {
        statuses,
        types: vec!["convoy".into()],
        all: true,
        ..Default::default()
    };
    // One read transaction for the whole listing: a few queries per convoy.
    ctx.reader().snapshot(|r| -> Result<Vec<ConvoyView>> {
        let summaries = r.list(&filter)?;
        let mut out = Vec::with_capacity(summaries.len());
        for s in summaries {
            let c = r.require(&s.id)?;
            let v = view(ctx, c)?;
            if status == Some("landed") && !v.landed() {
                continue;
            }
            out.push(v);
        }
        Ok(out)
    })
}
