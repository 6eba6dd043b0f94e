//! Feeding convoys: an open convoy labelled `feed` gets its next ready tracked bead slung to
//! the bead's rig (by prefix), and a launched one (`gt convoy launch`) to its own rig,
//! whenever the scheduler has room — taking turns across convoys, each convoy's beads by
//! priority, then age. With no limit set, every ready bead
//! goes at once; beads become ready (and are fed) as what blocks them closes.

use super::DeaconReport;
use crate::Result;
use crate::ledger::{ListFilter, ReadyFilter, prefix_of};
use crate::work::Ctx;
use crate::work::brakes::Brakes;
use crate::work::convoy::plan::{self, LAUNCHED_LABEL};
use crate::work::convoy::{FEED_LABEL, launch};
use crate::work::scheduler::Capacity;
use crate::work::{formulas::sling, sling::SlingOptions};
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
    let mut convoys = candidates(ctx, report)?;
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

/// Each fed or launched open convoy with its ready tracked beads (id, rig), in the order to
/// sling them: the ledger's ready order (priority, then creation), minus beads somebody has in
/// hand (queued, waiting to merge or to be slung by themselves) and beads whose rig a brake
/// holds (said in the report). A launched convoy's beads go to its rig; a fed one's to the
/// rig of their prefix.
fn candidates(ctx: &Ctx, report: &mut DeaconReport) -> Result<Vec<FedConvoy>> {
    let r = ctx.reader();
    let mut convoys: Vec<(String, bool)> = Vec::new();
    for label in [LAUNCHED_LABEL, FEED_LABEL] {
        for c in r.list(&ListFilter {
            label: Some(label.into()),
            types: vec!["convoy".into()],
            statuses: vec![crate::ledger::Status::Open.into()],
            all: true,
            ..Default::default()
        })? {
            if !convoys.iter().any(|(id, _)| *id == c.id) {
                convoys.push((c.id, label == LAUNCHED_LABEL));
            }
        }
    }
    if convoys.is_empty() {
        return Ok(Vec::new());
    }
    let ready = r.ready(&ReadyFilter::default())?;
    let brakes = Brakes::read(&r)?;
    // Each rig's config read once a round, not once per ready bead.
    let by_prefix: std::collections::HashMap<String, String> = ctx
        .town
        .rigs()?
        .into_iter()
        .map(|r| (r.prefix, r.name))
        .collect();
    let mut out = Vec::new();
    for (c, launched) in convoys {
        let tracked: HashSet<String> = r.tracked(&c)?.into_iter().map(|t| t.id).collect();
        let convoy_rig = if launched {
            plan::rig_label(&r.labels(&c)?)
        } else {
            None
        };
        let mut queue = VecDeque::new();
        for b in launch::untaken(&ready, &tracked) {
            let rig = match &convoy_rig {
                Some(name) => name.clone(),
                // A bead of `hq` or of an unknown prefix has no rig to go to.
                None => match by_prefix.get(prefix_of(&b.id)) {
                    Some(rig) => rig.clone(),
                    None => continue,
                },
            };
            if let Some(why) = brakes.sling_refusal(Some(&rig)) {
                report.held.push(format!("{} (convoy {c}): {why}", b.id));
                continue;
            }
            queue.push_back((b.id, rig));
        }
        out.push((c, queue));
    }
    Ok(out)
}
