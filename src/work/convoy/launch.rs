//! `gt convoy launch`: a staged convoy is marked `launched` and every tracked bead that is
//! ready now is slung to the convoy's rig through the scheduler (as `gt sling <bead> <rig>`
//! would: beyond its limit, or while it is paused, they wait in its queue). Later waves are
//! slung by the deacon on its rounds as their blockers close (deacon/feed.rs), honouring the
//! scheduler's limit and pause, budgets and the brakes.

use super::plan::{self, LAUNCHED_LABEL, Plan, RIG_PREFIX, STAGED_LABEL};
use super::require_convoy;
use crate::ledger::{Bead, BeadSummary, Reader, ReadyFilter};
use crate::work::Ctx;
use crate::work::scheduler::{self, Outcome, Queued, SCHEDULED};
use crate::work::sling::{SlingOptions, done};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::HashSet;

/// Labels of a bead somebody already has in hand: queued in the scheduler, waiting to be
/// slung by itself, done and waiting to merge.
pub const TAKEN_LABELS: &[&str] = &[SCHEDULED, super::run::SLING_WHEN_READY, done::PENDING_MERGE];

#[derive(Debug, Clone, Serialize)]
pub struct LaunchSlung {
    pub bead: String,
    pub agent: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LaunchFailed {
    pub bead: String,
    pub error: String,
}

/// A bead that waits for its turn.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub bead: String,
    pub title: String,
    pub wave: Option<usize>,
    /// Unfinished beads it waits on (in the convoy or outside it).
    pub on: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Launched {
    pub convoy: String,
    pub title: String,
    pub rig: String,
    /// It was launched before (this launch only slung what is ready now).
    pub already: bool,
    pub waves: Vec<plan::Wave>,
    pub slung: Vec<LaunchSlung>,
    pub queued: Vec<Queued>,
    pub failed: Vec<LaunchFailed>,
    /// A brake holds the rig: nothing was slung now (the deacon slings once it is lifted).
    pub held: Option<String>,
    /// Beads already in hand (hooked, queued, waiting to merge).
    pub in_hand: Vec<String>,
    pub waiting: Vec<Waiting>,
}

/// `gt convoy launch <convoy>`.
pub fn launch(ctx: &mut Ctx, id: &str) -> Result<Launched> {
    let c = require_convoy(ctx, id)?;
    if c.is_closed() {
        return Err(Error::invalid(format!(
            "convoy {id} is closed ({}); there is nothing to launch",
            c.close_reason.as_deref().unwrap_or("closed")
        )));
    }
    let labels = ctx.reader().labels(id)?;
    let members = members(&ctx.reader(), id)?;
    if members.is_empty() {
        return Err(Error::invalid(format!(
            "convoy {id} tracks no bead of this ledger; add some with `gt convoy add {id} <bead>…`"
        )));
    }
    let rig = match plan::rig_label(&labels) {
        Some(name) => ctx.town.rig(&name)?,
        None => plan::rig_for(ctx, &members, None)?,
    };
    // A cycle made since it was staged is refused before anything is written.
    let plan = plan::plan(&ctx.reader(), &members)?;
    let already = labels.iter().any(|l| l == LAUNCHED_LABEL);
    if !already {
        let rig_label = format!("{RIG_PREFIX}{}", rig.name);
        let detail = serde_json::json!({"rig": rig.name, "waves": plan.waves.len()});
        ctx.write(|tx| {
            tx.remove_label(id, STAGED_LABEL)?;
            tx.add_label(id, LAUNCHED_LABEL)?;
            tx.add_label(id, &rig_label)?;
            tx.record_event(Some(id), "convoy_launched", None, Some(detail), None)?;
            Ok(())
        })?;
    }
    let mut out = Launched {
        convoy: id.to_string(),
        title: c.title.clone(),
        rig: rig.name.clone(),
        already,
        waves: plan.waves.clone(),
        slung: Vec::new(),
        queued: Vec::new(),
        failed: Vec::new(),
        held: None,
        in_hand: Vec::new(),
        waiting: Vec::new(),
    };
    let brakes = crate::work::brakes::Brakes::read(&ctx.reader())?;
    out.held = brakes.sling_refusal(Some(&rig.name));
    let ready = ready_untaken(&ctx.reader(), id)?;
    if out.held.is_none() {
        let opts = SlingOptions::default();
        for b in &ready {
            match scheduler::sling_or_queue(ctx, &b.id, &rig.name, &opts) {
                // The deacon's round may have slung it a moment before (the launch mark
                // wakes it): it is in hand, not slung by this launch.
                Ok(Outcome::Slung(s)) if s.already => out.in_hand.push(s.bead),
                Ok(Outcome::Slung(s)) => out.slung.push(LaunchSlung {
                    bead: s.bead,
                    agent: s.agent,
                }),
                Ok(Outcome::Queued(q)) => out.queued.push(q),
                Err(e) => out.failed.push(LaunchFailed {
                    bead: b.id.clone(),
                    error: e.to_string(),
                }),
            }
        }
    }
    let acted: HashSet<String> = out
        .slung
        .iter()
        .map(|s| s.bead.clone())
        .chain(out.queued.iter().map(|q| q.bead.clone()))
        .chain(out.failed.iter().map(|f| f.bead.clone()))
        .chain(out.in_hand.iter().cloned())
        .collect();
    let r = ctx.reader();
    for b in members.iter().filter(|b| !b.is_closed()) {
        if acted.contains(&b.id) {
            continue;
        }
        let fresh = r.require(&b.id)?;
        if crate::ledger::Status::of(&fresh.status).is_worked() || taken(&r, &b.id)? {
            out.in_hand.push(b.id.clone());
        } else {
            out.waiting.push(waiting(&r, &plan, &fresh)?);
        }
    }
    Ok(out)
}

/// The tracked beads that are in this ledger, in the order they were added.
pub(crate) fn members(r: &Reader<'_>, convoy: &str) -> Result<Vec<Bead>> {
    let mut out = Vec::new();
    for t in r.tracked(convoy)? {
        if let Some(b) = r.bead(&t.id)? {
            out.push(b);
        }
    }
    Ok(out)
}

/// The convoy's ready tracked beads nobody has in hand, in the ledger's ready order.
pub(crate) fn ready_untaken(r: &Reader<'_>, convoy: &str) -> Result<Vec<BeadSummary>> {
    let tracked: HashSet<String> = r.tracked(convoy)?.into_iter().map(|t| t.id).collect();
    Ok(untaken(&r.ready(&ReadyFilter::default())?, &tracked))
}

/// Of `ready`, those in `tracked` that nobody has in hand.
pub(crate) fn untaken(ready: &[BeadSummary], tracked: &HashSet<String>) -> Vec<BeadSummary> {
    ready
        .iter()
        .filter(|b| tracked.contains(&b.id))
        .filter(|b| !b.labels.iter().any(|l| TAKEN_LABELS.contains(&l.as_str())))
        .cloned()
        .collect()
}

fn taken(r: &Reader<'_>, id: &str) -> Result<bool> {
    Ok(r.labels(id)?
        .iter()
        .any(|l| TAKEN_LABELS.contains(&l.as_str())))
}

/// Why an unfinished bead is not slung yet: what it waits on now.
fn waiting(r: &Reader<'_>, plan: &Plan, b: &Bead) -> Result<Waiting> {
    let mut on: Vec<String> = Vec::new();
    if let Some(p) = plan.bead(&b.id) {
        for a in &p.after {
            // Closed since the plan was read: no longer waited on.
            if r.bead(a)?.is_some_and(|x| !x.is_closed()) {
                on.push(a.clone());
            }
        }
    }
    on.extend(plan.held_by(&b.id).iter().cloned());
    Ok(Waiting {
        bead: b.id.clone(),
        title: b.title.clone(),
        wave: plan.wave_of(&b.id),
        on,
    })
}
