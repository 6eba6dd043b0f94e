//! Feeding convoys: an open convoy labelled `feed` gets its next ready tracked bead slung to
//! the bead's rig (by prefix) whenever the scheduler has room — taking turns across fed
//! convoys, each convoy's beads by priority, then age. With no limit set, every ready bead
//! goes at once; beads become ready (and are fed) as what blocks them closes.

use super::DeaconReport;
use crate::Result;
use crate::ledger::{Bead, INFRA_TYPES, ListFilter};
use crate::work::Ctx;
use crate::work::convoy::FEED_LABEL;
use crate::work::scheduler::{Capacity, SCHEDULED};
use crate::work::{convoy_run, done, formula_sling, sling::SlingOptions};
use serde::Serialize;
use std::collections::{HashSet, VecDeque};

#[derive(Debug, Clone, Serialize)]
pub struct Fed {
    pub convoy: String,
    pub bead: String,
    pub agent: String,
}

pub(super) async fn feed(
    ctx: &mut Ctx,
    cap: &mut Capacity,
    report: &mut DeaconReport,
) -> Result<()> {
    if !cap.has_room() {
        return Ok(());
    }
    let mut convoys = candidates(ctx)?;
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
            match formula_sling::sling_item(ctx, &bead, &rig, &opts).await {
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

/// Each fed open convoy with its ready tracked beads (id, rig), in the order to sling them.
fn candidates(ctx: &Ctx) -> Result<Vec<FedConvoy>> {
    let r = ctx.reader();
    let fed = r.list(&ListFilter {
        label: Some(FEED_LABEL.into()),
        types: vec!["convoy".into()],
        statuses: vec!["open".into()],
        all: true,
        ..Default::default()
    })?;
    if fed.is_empty() {
        return Ok(Vec::new());
    }
    let blocked = r.blocked_set()?;
    let mut out = Vec::new();
    for c in fed {
        let mut ready: Vec<(Bead, String)> = Vec::new();
        for t in r.tracked(&c.id)? {
            let Some(b) = r.bead(&t.id)? else { continue };
            if blocked.contains(&b.id) || !ready_work(ctx, &b)? {
                continue;
            }
            // A bead of `hq` or of an unknown prefix has no rig to go to.
            let Some(rig) = ctx.rig_for_prefix(b.prefix())? else {
                continue;
            };
            ready.push((b, rig.name));
        }
        ready.sort_by(|(a, _), (b, _)| {
            (a.priority, &a.created_at, &a.id).cmp(&(b.priority, &b.created_at, &b.id))
        });
        let queue = ready.into_iter().map(|(b, rig)| (b.id, rig)).collect();
        out.push((c.id, queue));
    }
    Ok(out)
}

/// Open work nobody has: not on a hook, not in progress or waiting to merge, not closed,
/// not machinery, not deferred into the future, not queued or waiting to be slung by itself.
fn ready_work(ctx: &Ctx, b: &Bead) -> Result<bool> {
    if b.status != "open" || b.pinned || b.ephemeral || b.is_template {
        return Ok(false);
    }
    if INFRA_TYPES.contains(&b.issue_type.as_str()) || b.issue_type == "step" {
        return Ok(false);
    }
    let now = chrono::Utc::now();
    if let Some(t) = b.defer_until.as_deref().and_then(crate::time::parse)
        && t > now
    {
        return Ok(false);
    }
    let labels = ctx.reader().labels(&b.id)?;
    let busy = [SCHEDULED, convoy_run::SLING_WHEN_READY, done::PENDING_MERGE];
    Ok(!labels.iter().any(|l| busy.contains(&l.as_str())))
}
