//! Working the queue: sling queued beads in order while there is room. Run by the deacon,
//! which holds the scheduler lock and has checked the pause flag.

use super::Capacity;
use super::queue::{self, Entry, QueuedView};
use crate::Result;
use crate::work::brakes::{Brakes, target_rig};
use crate::work::sling::Slung;
use crate::work::{Ctx, costs::budget, formulas::sling, sling::hook};
use serde::Serialize;

/// A queued bead that was slung.
#[derive(Debug, Clone, Serialize)]
pub struct Dispatched {
    pub bead: String,
    pub target: String,
    pub agent: String,
    /// How long it waited in the queue.
    pub waited_secs: i64,
}

/// A queued bead that can no longer be slung, taken out of the queue.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub bead: String,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct DispatchReport {
    pub dispatched: Vec<Dispatched>,
    pub dropped: Vec<Dropped>,
    pub errors: Vec<String>,
    /// Queued beads a used-up budget holds back (they stay queued).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<String>,
}

/// The used-up budgets, read once per pass over the queue.
struct Budgets {
    daily: Option<budget::Crossed>,
    convoys: Vec<budget::Crossed>,
}

impl Budgets {
    fn read(ctx: &Ctx) -> Result<Budgets> {
        Ok(Budgets {
            daily: budget::daily(ctx)?,
            convoys: budget::convoys(ctx)?,
        })
    }

    fn holding(&self, ctx: &Ctx, bead: &str) -> Result<Option<&budget::Crossed>> {
        if self.convoys.is_empty() {
            return Ok(None);
        }
        let tracking = ctx.reader().convoys_tracking(bead, true)?;
        Ok(self.convoys.iter().find(|c| tracking.contains(&c.budget)))
    }
}

/// Failed slings tolerated in one pass before the rest waits for the next one (when tmux
/// or git is down, every sling would fail the same way).
const MAX_FAILURES: usize = 3;

/// What became of one queued bead's sling.
enum Tried {
    Slung(Slung),
    /// It can never be slung as queued; taken out of the queue.
    Dropped(String),
    /// Failed for a passing reason (the caller keeps it queued or gives the error back).
    Failed(crate::Error),
}

/// Slings queued beads in order while `cap` has room.
pub fn dispatch(ctx: &mut Ctx, cap: &mut Capacity) -> Result<DispatchReport> {
    let mut report = DispatchReport::default();
    let mut failures = 0;
    let budgets = Budgets::read(ctx)?;
    if let Some(d) = &budgets.daily {
        report.held.push(d.describe());
        return Ok(report);
    }
    let brakes = Brakes::read(&ctx.reader())?;
    if let Some(e) = &brakes.town {
        report.held.push(e.describe());
        return Ok(report);
    }
    for (view, entry) in queue::list(&ctx.reader(), ctx.now())? {
        if !cap.has_room() || failures >= MAX_FAILURES {
            break;
        }
        if let Some(why) = brakes.sling_refusal(target_rig(&view.target)) {
            report.held.push(format!("{}: {why}", view.bead));
            continue;
        }
        if let Some(c) = budgets.holding(ctx, &view.bead)? {
            report.held.push(format!("{}: {}", view.bead, c.describe()));
            continue;
        }
        match try_entry(ctx, &view, &entry, &mut report)? {
            Tried::Slung(s) if !s.already => cap.take(),
            Tried::Failed(e) => {
                keep_queued(ctx, &view, &entry, &e, &mut report)?;
                failures += 1;
            }
            _ => {}
        }
    }
    Ok(report)
}

/// A sling that joined the queue while there was room: the beads ahead of `bead` are slung
/// in order while room lasts, then `bead` itself. Beads ahead that keep failing are passed
/// over (they stay queued) rather than holding it back, and nothing behind it is touched —
/// that is the deacon's round. Its own sling (None: no room was left for it) or its error;
/// an error takes it back out of the queue, as if it had never been slung.
pub(super) fn work_up_to(
    ctx: &mut Ctx,
    cap: &mut Capacity,
    bead: &str,
    report: &mut DispatchReport,
) -> Result<Option<Slung>> {
    let mut failures = 0;
    let budgets = Budgets::read(ctx)?;
    if budgets.daily.is_some() {
        return Ok(None);
    }
    let brakes = Brakes::read(&ctx.reader())?;
    for (view, entry) in queue::list(&ctx.reader(), ctx.now())? {
        if !cap.has_room() {
            return Ok(None);
        }
        let mine = view.bead == bead;
        if brakes.sling_refusal(target_rig(&view.target)).is_some() {
            if mine {
                return Ok(None);
            }
            continue;
        }
        if budgets.holding(ctx, &view.bead)?.is_some() {
            if mine {
                return Ok(None);
            }
            continue;
        }
        if !mine && failures >= MAX_FAILURES {
            continue;
        }
        match try_entry(ctx, &view, &entry, report)? {
            Tried::Slung(s) if mine => return Ok(Some(s)),
            Tried::Slung(s) if !s.already => cap.take(),
            Tried::Slung(_) => {}
            Tried::Dropped(why) if mine => return Err(crate::Error::invalid(why)),
            Tried::Dropped(_) => {}
            Tried::Failed(e) if mine => {
                ctx.write(|tx| queue::dequeue_in(tx, bead, "its sling failed"))?;
                return Err(e);
            }
            Tried::Failed(e) => {
                keep_queued(ctx, &view, &entry, &e, report)?;
                failures += 1;
            }
        }
    }
    Ok(None)
}

/// Slings one queued bead, noting a sling or a drop in `report`.
fn try_entry(
    ctx: &mut Ctx,
    view: &QueuedView,
    entry: &Entry,
    report: &mut DispatchReport,
) -> Result<Tried> {
    let res = sling::sling_item(ctx, &view.bead, &entry.target, &entry.options());
    let e = match res {
        Ok(s) => {
            report.dispatched.push(Dispatched {
                bead: view.bead.clone(),
                target: entry.target.clone(),
                agent: s.agent.clone(),
                waited_secs: view.age_secs,
            });
            return Ok(Tried::Slung(s));
        }
        Err(e) => e,
    };
    if let Some(why) = unslingable(ctx, &view.bead, entry)? {
        let reason = format!("{why} (the sling said: {e})");
        drop_entry(ctx, &view.bead, &reason)?;
        report.dropped.push(Dropped {
            bead: view.bead.clone(),
            reason: reason.clone(),
        });
        return Ok(Tried::Dropped(reason));
    }
    Ok(Tried::Failed(e))
}

/// A queued bead whose sling failed for a passing reason keeps its place, and it is said.
fn keep_queued(
    ctx: &mut Ctx,
    view: &QueuedView,
    entry: &Entry,
    e: &crate::Error,
    report: &mut DispatchReport,
) -> Result<()> {
    // A failed sling may have taken the bead off the queue while hooking it and put it back
    // as it was: it keeps its place.
    if queue::entry_of(&ctx.reader(), &view.bead)?.is_none() {
        ctx.write(|tx| queue::enqueue_in(tx, &view.bead, entry.clone()))?;
    }
    report.errors.push(format!(
        "queued {} could not be slung to {} (it stays queued): {e}",
        view.bead, entry.target
    ));
    Ok(())
}

/// Why a bead can never be slung as queued (None: it can, the failure was something else).
fn unslingable(ctx: &Ctx, bead: &str, entry: &Entry) -> Result<Option<String>> {
    let Some(b) = ctx.reader().bead(bead)? else {
        return Ok(Some("the bead no longer exists".into()));
    };
    if let Err(e) = hook::check_hookable(&ctx.reader(), &b, "", false) {
        return Ok(Some(e.to_string()));
    }
    let rig = crate::agent::Address::parse(&entry.target)
        .ok()
        .and_then(|a| a.rig().map(str::to_string));
    match rig {
        Some(r) if ctx.town.rig(&r).is_ok() => Ok(None),
        _ => Ok(Some(format!("there is no rig {}", entry.target))),
    }
}

fn drop_entry(ctx: &mut Ctx, bead: &str, reason: &str) -> Result<()> {
    ctx.write(|tx| {
        if tx.reader().bead(bead)?.is_none() {
            return Ok(());
        }
        queue::dequeue_in(tx, bead, reason)?;
        tx.add_comment(bead, &format!("Taken out of the scheduler queue: {reason}"))?;
        Ok(())
    })
}
