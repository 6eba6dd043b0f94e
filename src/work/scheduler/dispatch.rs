//! Working the queue: sling queued beads in order while there is room. Run by the deacon,
//! which holds the scheduler lock and has checked the pause flag.

use super::Capacity;
use super::queue::{self, Entry};
use crate::Result;
use crate::work::sling::Slung;
use crate::work::{Ctx, formula_sling, hook};
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
    /// The slings themselves (for a sling that joined the queue and was worked at once).
    #[serde(skip)]
    pub slung: Vec<Slung>,
}

/// Failed slings tolerated in one pass before the rest waits for the next one (when tmux
/// or git is down, every sling would fail the same way).
const MAX_FAILURES: usize = 3;

/// Slings queued beads in order while `cap` has room.
pub async fn dispatch(ctx: &mut Ctx, cap: &mut Capacity) -> Result<DispatchReport> {
    let mut report = DispatchReport::default();
    let mut failures = 0;
    for (view, entry) in queue::list(&ctx.reader())? {
        if !cap.has_room() || failures >= MAX_FAILURES {
            break;
        }
        let res = formula_sling::sling_item(ctx, &view.bead, &entry.target, &entry.options()).await;
        match res {
            Ok(s) => {
                if !s.already {
                    cap.take();
                }
                report.dispatched.push(Dispatched {
                    bead: view.bead.clone(),
                    target: entry.target.clone(),
                    agent: s.agent.clone(),
                    waited_secs: view.age_secs,
                });
                report.slung.push(s);
            }
            Err(e) => match unslingable(ctx, &view.bead, &entry)? {
                Some(why) => {
                    let reason = format!("{why} (the sling said: {e})");
                    drop_entry(ctx, &view.bead, &reason)?;
                    report.dropped.push(Dropped {
                        bead: view.bead.clone(),
                        reason,
                    });
                }
                None => {
                    failures += 1;
                    // A failed sling may have taken the bead off the queue while hooking it
                    // and put it back as it was: it keeps its place.
                    if queue::entry_of(&ctx.reader(), &view.bead)?.is_none() {
                        ctx.write(|tx| queue::enqueue_in(tx, &view.bead, entry.clone()))?;
                    }
                    report.errors.push(format!(
                        "queued {} could not be slung to {} (it stays queued): {e}",
                        view.bead, entry.target
                    ));
                }
            },
        }
    }
    Ok(report)
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
