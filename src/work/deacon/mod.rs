//! The deacon: the town's housekeeper, one pass at a time (`tick`), run every few seconds by
//! the supervisor or once by `gt deacon run --once`. Each pass announces landed convoys,
//! re-raises overdue escalations, slings queued beads and feeds convoys while the scheduler
//! has room, slings a convoy formula's synthesis once its legs are done, and commits the
//! ledger export and config to the town's git repository on its cadence, and compacts the
//! ledger on its own (`gt compact`). A failure in one duty is reported and the others still
//! run.

mod feed;
mod landing;
mod snapshot;

pub use feed::Fed;
pub use landing::Announced;

use super::Ctx;
use super::scheduler::dispatch::{Dispatched, Dropped};
use super::scheduler::{self, Capacity, Outcome};
use crate::Result;
use serde::Serialize;
use std::time::Instant;

/// What the deacon remembers between passes (the supervisor keeps one for its lifetime).
#[derive(Debug, Default)]
pub struct DeaconState {
    /// Passes run so far.
    pub ticks: u64,
    /// When the ledger was last committed (None: not yet in this process, so the first pass
    /// commits).
    pub last_commit: Option<Instant>,
}

/// A sling made by a pass, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct SlungBrief {
    pub bead: String,
    pub agent: String,
}

/// What one pass did.
#[derive(Debug, Default, Serialize)]
pub struct DeaconReport {
    pub tick: u64,
    pub at: String,
    /// The scheduler is paused: nothing was dispatched or fed.
    pub paused: bool,
    /// The scheduler's limit (0: none) and working polecats when the pass began.
    pub capacity: Option<Capacity>,
    /// Convoys whose landing was announced by mail.
    pub notified: Vec<Announced>,
    /// Queued beads slung.
    pub dispatched: Vec<Dispatched>,
    /// Queued beads that could not be slung any more, taken out of the queue.
    pub dropped: Vec<Dropped>,
    /// Queued work a used-up budget holds back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<String>,
    /// Beads of fed convoys slung.
    pub fed: Vec<Fed>,
    /// Beads that waited for other work (a convoy formula's synthesis) slung.
    pub synthesis: Vec<SlungBrief>,
    /// Such beads put in the scheduler's queue instead (its limit is reached or it is paused).
    pub synthesis_queued: Vec<scheduler::Queued>,
    /// Escalations raised a level because nobody acknowledged them in time.
    pub escalations: Vec<String>,
    /// The ledger compaction this pass ran (every `deacon.compact_every`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compacted: Option<crate::work::compact::CompactReport>,
    /// Why a compaction that was due did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compact_skipped: Option<crate::work::compact::Skipped>,
    /// The commit of the ledger snapshot made by this pass.
    pub ledger_commit: Option<String>,
    /// Duties that failed (the others still ran).
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// One pass. Acts as `deacon` (events, mail and slings say so).
pub fn tick(ctx: &mut Ctx, state: &mut DeaconState) -> Result<DeaconReport> {
    state.ticks += 1;
    let actor = std::mem::replace(&mut ctx.actor, "deacon".to_string());
    let mut report = DeaconReport {
        tick: state.ticks,
        at: ctx.clock().stamp(),
        ..DeaconReport::default()
    };
    run_duties(ctx, state, &mut report);
    ctx.actor = actor;
    report.warnings.append(&mut ctx.warnings);
    for e in &report.errors {
        tracing::warn!(error = %e, "deacon");
    }
    Ok(report)
}

fn run_duties(ctx: &mut Ctx, state: &mut DeaconState, report: &mut DeaconReport) {
    // Settings may have changed since the last pass (`gt config set` in another process).
    if let Err(e) = ctx.reload_town() {
        report
            .errors
            .push(format!("town.toml could not be read again: {e}"));
    }
    match super::mail::escalation::sweep(ctx) {
        Ok(raised) => report.escalations = raised,
        Err(e) => report.errors.push(format!("escalations: {e}")),
    }
    landing::announce(ctx, report);
    // Usage of sessions whose runtime reports nothing more (killed, crashed) is still read.
    if let Err(e) = super::agents::sessions::ingest_open(ctx) {
        report.errors.push(format!("session usage: {e}"));
    }
    if let Err(e) = schedule(ctx, report) {
        report.errors.push(format!("scheduler: {e}"));
    }
    match super::convoy::run::sling_due(ctx) {
        Ok(list) => {
            for r in list {
                match r {
                    Ok(Outcome::Slung(s)) => report.synthesis.push(SlungBrief {
                        bead: s.bead,
                        agent: s.agent,
                    }),
                    Ok(Outcome::Queued(q)) => report.synthesis_queued.push(q),
                    Err(e) => report
                        .errors
                        .push(format!("waiting work could not be slung: {e}")),
                }
            }
        }
        Err(e) => report.errors.push(format!("waiting work: {e}")),
    }
    // Before the snapshot, so the commit carries the export as compaction left it.
    match super::compact::run_if_due(ctx) {
        Ok(Some(Ok(r))) => report.compacted = Some(r),
        Ok(Some(Err(why))) => report.compact_skipped = Some(why),
        Ok(None) => {}
        Err(e) => report.errors.push(format!("ledger compaction: {e}")),
    }
    snapshot::commit_if_due(ctx, state, report);
}

/// The queue first (those slings were asked for and waited), then the fed convoys, while
/// the scheduler has room; nothing while it is paused.
fn schedule(ctx: &mut Ctx, report: &mut DeaconReport) -> Result<()> {
    let mut cap = Capacity::read(ctx)?;
    report.capacity = Some(cap);
    report.paused = scheduler::is_paused(ctx)?;
    if report.paused {
        return Ok(());
    }
    let Some(_turn) = scheduler::try_lock(ctx)? else {
        report.warnings.push(
            "a sling was deciding at the same time; the queue waits for the next pass".into(),
        );
        return Ok(());
    };
    // Read again under the lock: a sling may have just started a polecat.
    cap = Capacity::read(ctx)?;
    let d = scheduler::dispatch::dispatch(ctx, &mut cap)?;
    report.dispatched = d.dispatched;
    report.dropped = d.dropped;
    report.errors.extend(d.errors);
    report.held = d.held;
    // A used-up budget feeds nothing (the day's) or not its convoy.
    let crossed = super::costs::budget::crossed(ctx)?;
    if crossed.iter().any(|c| c.budget == "daily") {
        return Ok(());
    }
    let held: Vec<String> = crossed.into_iter().map(|c| c.budget).collect();
    feed::feed(ctx, &mut cap, &held, report)
}
