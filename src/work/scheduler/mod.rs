//! The scheduler: at most `scheduler.max_polecats` polecats work at once (0, the default:
//! no limit). A polecat is working while a bead is on its hook.
//!
//! Only slings to a rig (`gt sling <bead> <rig>`) are scheduled: a named polecat, a crew
//! member or the mayor was chosen by the caller and starts at once, and `--force` starts the
//! work now whatever the limit. When the limit is reached — or the scheduler is paused — the
//! bead waits in a queue kept in the ledger (label `scheduled`, with the target and the sling
//! options in the bead's `scheduled` field), and the deacon slings queued beads in order
//! (priority, then time queued) as polecats free up; a sling that finds room while beads
//! wait joins the queue and works it in order there and then, so nobody jumps it. Hooking,
//! unslinging or closing a queued bead takes it out of the queue.

pub mod dispatch;
/// The queue is kept with the beads (hooking or closing a bead takes it out).
pub use super::beads::queue;
pub mod submit;

use super::Ctx;
use super::agents;
use super::sling::SlingOptions;
use crate::Result;
use crate::fsutil::LockGuard;
use serde::Serialize;

pub use queue::{QueuedView, SCHEDULED, unqueue};
pub use submit::{Outcome, Queued, sling_many, sling_or_queue};

/// Ledger config key of the pause flag (durable; survives restarts of everything).
const PAUSED_KEY: &str = "gt.scheduler.paused";

/// The limit (0: none) and how many polecats are working now.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Capacity {
    pub max: u64,
    pub working: u64,
}

impl Capacity {
    pub fn read(ctx: &Ctx) -> Result<Capacity> {
        Ok(Capacity {
            max: max_polecats(ctx)?,
            working: working(ctx)?,
        })
    }

    /// Another polecat may start.
    pub fn has_room(&self) -> bool {
        self.max == 0 || self.working < self.max
    }

    /// A polecat was started.
    pub fn take(&mut self) {
        self.working += 1;
    }
}

pub fn max_polecats(ctx: &Ctx) -> Result<u64> {
    Ok(ctx.setting("scheduler.max_polecats", None)?.as_int().max(0) as u64)
}

/// Polecats with a bead on their hook.
pub fn working(ctx: &Ctx) -> Result<u64> {
    Ok(agents::list(&ctx.reader(), None)?
        .iter()
        .filter(|a| a.role == crate::agent::Role::Polecat && a.hook.is_some())
        .count() as u64)
}

pub fn is_paused(ctx: &Ctx) -> Result<bool> {
    Ok(ctx.reader().config_get(PAUSED_KEY)?.as_deref() == Some("true"))
}

/// Pauses or resumes dispatching; returns whether that changed anything.
pub fn set_paused(ctx: &mut Ctx, paused: bool) -> Result<bool> {
    ctx.write(|tx| {
        let was = tx.reader().config_get(PAUSED_KEY)?.as_deref() == Some("true");
        if was == paused {
            return Ok(false);
        }
        tx.set_config(PAUSED_KEY, paused.then_some("true"))?;
        let kind = if paused {
            "scheduler_paused"
        } else {
            "scheduler_resumed"
        };
        tx.record_event(None, kind, None, None, None)?;
        Ok(true)
    })
}

/// Serializes "is there room? then sling" across processes, so two slings cannot both take
/// the last free place.
fn lock_path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.town.paths.locks_dir().join("scheduler.lock")
}

pub(crate) fn lock(ctx: &Ctx) -> Result<LockGuard> {
    Ok(LockGuard::acquire(&lock_path(ctx))?)
}

/// None when another process is deciding right now (the deacon skips a turn then).
pub(crate) fn try_lock(ctx: &Ctx) -> Result<Option<LockGuard>> {
    Ok(LockGuard::try_acquire(&lock_path(ctx))?)
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// 0: no limit.
    pub max: u64,
    pub working: u64,
    pub paused: bool,
    pub queued: Vec<QueuedView>,
}

/// `gt scheduler status`.
pub fn status(ctx: &Ctx) -> Result<Status> {
    let cap = Capacity::read(ctx)?;
    Ok(Status {
        max: cap.max,
        working: cap.working,
        paused: is_paused(ctx)?,
        queued: queue::list(&ctx.reader(), ctx.now())?
            .into_iter()
            .map(|(v, _)| v)
            .collect(),
    })
}

/// A queued sling keeps the sling's options.
impl queue::Entry {
    pub fn new(target: &str, opts: &SlingOptions) -> queue::Entry {
        queue::Entry {
            target: target.to_string(),
            agent: opts.agent.clone(),
            no_convoy: opts.no_convoy,
            formula: opts.formula.clone(),
            no_formula: opts.no_formula,
            vars: opts.vars.clone(),
            intent: opts.intent.clone(),
            ..queue::Entry::default()
        }
    }

    pub fn options(&self) -> SlingOptions {
        SlingOptions {
            agent: self.agent.clone(),
            no_convoy: self.no_convoy,
            force: false,
            formula: self.formula.clone(),
            no_formula: self.no_formula,
            vars: self.vars.clone(),
            intent: self.intent.clone(),
            dry_run: false,
        }
    }
}
