//! Feeding convoys: an open convoy labelled `feed` gets its next ready tracked bead slung to
//! the bead's rig (by prefix) whenever the scheduler has room — taking turns across fed
//! convoys, each convoy's beads by priority, then age. With no limit set, every ready bead
//! goes at once; beads become ready (and are fed) as what blocks them closes.

use super::DeaconReport;
use crate::Result;
use crate::ledger::{ListFilter, ReadyFilter, prefix_of};
use crate::work::Ctx;
use crate::work::convoy::FEED_LABEL;
use crate::work::scheduler::{Capacity, SCHEDULED};
use crate::work::{convoy::run, formulas::sling, sling::SlingOptions, sling::done};
use serde::Serialize;
use std::collections::{HashSet, VecDeque};

#[derive(Debug, Clone, Serialize)]
pub struct Fed {
    pub convoy: String,
    pub bead: String,
    pub agent: String,
}

/// Feeds the fed convoys, except those in `held` (their budget is used up).
pub(super) fn feed(
    ctx: &mut Ctx,
    cap: &mut Capacity,
    held: &[String],
    report: &mut DeaconReport,
) -> Result<()> {
    if !cap.has_room() {
        return Ok(());
    }
    let mut convoys = candidates(ctx)?;
    convoys.retain(|(c, _)| !held.contains(c));
    let mut tried: HashSet<String> = HashSet::new();
    while cap.has_room() && !convoys.is_empty() {
        let mut progressed = false;
        for (convoy, queue) in convoys.iter_mut() {
            if !cap.has_room() {
                break;
            }
            let Some((bead, rig)) = next_untried(queue, &tried) else {
                continue;
            };
            tried.insert(bead.clone());
            progressed = true;
            let opts = SlingOptions::default();
            match sling::sling_item(ctx, &bead, &rig, &opts) {
                Ok(s) => {
                    if !s.already {
                        cap.take();
                    }
                    report.fed.push(Fed {
                        convoy: convoy.clone(),
                        bead,
                        agent: s.agent,
                    });
                }
                Err(e) => report.errors.push(format!(
                    "convoy {convoy}: {bead} could not be slung to {rig}: {e}"
                )),
            }
        }
        convoys.retain(|(_, q)| !q.is_empty());
        if !progressed {
            break;
        }
    }
    Ok(())
}

/// A fed convoy and its ready beads as (bead, rig), next first.
type FedConvoy = (String, VecDeque<(String, String)>);

fn next_untried(
    queue: &mut VecDeque<(String, String)>,
    tried: &HashSet<String>,
) -> Option<(String, String)> {
    while let Some(item) = queue.pop_front() {
        if !tried.contains(&item.0) {
            return Some(item);
        }
    }
    None
}

/// Each fed open convoy with its ready tracked beads (id, rig), in the order to sling them:
/// the ledger's ready order (priority, then creation), minus beads already queued, waiting
/// to merge or to be slung by themselves.
fn candidates(ctx: &Ctx) -> Result<Vec<FedConvoy>> {
    let r = ctx.reader();
    let fed = r.list(&ListFilter {
        label: Some(FEED_LABEL.into()),
        types: vec!["convoy".into()],
        statuses: vec![crate::ledger::Status::Open.into()],
        all: true,
        ..Default::default()
    })?;
    if fed.is_empty() {
        return Ok(Vec::new());
    }
    let ready = r.ready(&ReadyFilter::default())?;
    let busy = [SCHEDULED, run::SLING_WHEN_READY, done::PENDING_MERGE];
    let mut out = Vec::new();
    for c in fed {
        let tracked: HashSet<String> = r.tracked(&c.id)?.into_iter().map(|t| t.id).collect();
        let mut queue = VecDeque::new();
        for b in ready.iter().filter(|b| tracked.contains(&b.id)) {
            if b.labels.iter().any(|l| busy.contains(&l.as_str())) {
                continue;
            }
            // A bead of `hq` or of an unknown prefix has no rig to go to.
            if let Some(rig) = ctx.rig_for_prefix(prefix_of(&b.id))? {
                queue.push_back((b.id.clone(), rig.name));
            }
        }
        out.push((c.id, queue));
    }
    Ok(out)
}
