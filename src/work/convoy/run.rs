//! `gt formula run <convoy formula>`: one bead and one polecat per leg, and a synthesis bead
//! that waits for them, all tracked by one convoy. The synthesis is slung once every leg's
//! work is finished (`gt done`, or closed), by whichever `gt done` finishes the last leg.

use crate::formula::{Kind, StepRole};
use crate::ledger::Bead;
use crate::work::scheduler::{self, Outcome};
use crate::work::sling::SlingOptions;
use crate::work::{Ctx, formulas, sling::done};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// Label of a bead to sling by itself once its blockers' work is finished.
pub const SLING_WHEN_READY: &str = "sling-when-ready";
/// `extra` key: where such a bead goes.
const SLING_TO: &str = "sling_to";

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub formula: String,
    pub convoy: String,
    pub legs: Vec<LegResult>,
    pub synthesis: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LegResult {
    pub leg: String,
    pub bead: String,
    pub agent: Option<String>,
    /// Waiting in the scheduler's queue (its limit is reached or it is paused): why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<String>,
    pub error: Option<String>,
}

pub fn run(
    ctx: &mut Ctx,
    name: &str,
    rig: &str,
    vars: &BTreeMap<String, String>,
    preset: Option<&str>,
    agent: Option<&str>,
) -> Result<RunReport> {
    let rig_cfg = ctx.town.rig(rig)?;
    // Its legs are slung at once: a held rig refuses before anything is poured.
    crate::work::brakes::check_sling(&ctx.reader(), Some(&rig_cfg.name))?;
    let lib = formulas::library(ctx, Some(&rig_cfg.name))?;
    let mut resolved = lib.resolve(name)?;
    if resolved.kind != Kind::Convoy {
        return Err(Error::invalid(format!(
            "{name} is a {} formula; `gt formula run` runs convoy formulas (legs in parallel). Sling it instead: gt sling {name} {rig}",
            resolved.kind
        )));
    }
    if let Some(p) = preset {
        resolved = resolved.with_preset(p)?;
    }
    let inst = resolved.instantiate(vars)?;
    let title = if vars.is_empty() {
        inst.name.clone()
    } else {
        let shown: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} ({})", inst.name, shown.join(", "))
    };
    let prefix = rig_cfg.prefix.clone();
    let (convoy, legs, synthesis) = ctx.write(|tx| {
        let now = tx.now().to_string();
        let actor = tx.actor().to_string();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut legs: Vec<(String, String)> = Vec::new();
        let mut synthesis: Option<String> = None;
        for step in &inst.steps {
            let id = tx.new_id(&prefix, &step.title)?;
            let mut b = Bead {
                id: id.clone(),
                title: format!("{}: {}", inst.name, step.title),
                status: crate::ledger::Status::Open.into(),
                priority: 2,
                issue_type: "task".into(),
                created_at: now.clone(),
                updated_at: now.clone(),
                description: Some(step.description.clone()).filter(|d| !d.trim().is_empty()),
                acceptance_criteria: step.acceptance.clone(),
                source_formula: Some(inst.name.clone()),
                created_by: Some(actor.clone()),
                ..Bead::default()
            };
            b.extra.insert(
                crate::work::molecule::STEP_KEY.into(),
                serde_json::json!(step.id),
            );
            if step.role == StepRole::Synthesis {
                b.extra.insert(SLING_TO.into(), serde_json::json!(rig));
            }
            tx.insert_bead(&b)?;
            tx.add_label(&id, &format!("formula:{}", inst.name))?;
            for need in &step.needs {
                let Some(target) = ids.get(need) else {
                    return Err(Error::invalid(format!(
                        "step {} of {} needs {need}, which comes later or not at all",
                        step.id, inst.name
                    )));
                };
                let edge = crate::work::beads::new_dep(tx, &id, target, "blocks");
                tx.add_dep(&edge)?;
            }
            if step.needs.is_empty() {
                legs.push((step.id.clone(), id.clone()));
            } else {
                tx.add_label(&id, SLING_WHEN_READY)?;
                synthesis = Some(id.clone());
            }
            ids.insert(step.id.clone(), id);
        }
        let members: Vec<String> = ids.values().cloned().collect();
        let convoy = crate::work::convoy::create_in(tx, &title, &members)?;
        Ok((convoy, legs, synthesis))
    })?;
    let opts = SlingOptions {
        agent: agent.map(str::to_string),
        no_formula: true,
        ..Default::default()
    };
    let mut results = Vec::new();
    // Through the scheduler like any sling to a rig: a run of many legs respects
    // `scheduler.max_polecats`, the rest wait in its queue.
    for (leg, bead) in legs {
        let r = scheduler::sling_or_queue(ctx, &bead, rig, &opts);
        let (agent, queued, error) = match r {
            Ok(Outcome::Slung(s)) => (Some(s.agent), None, None),
            Ok(Outcome::Queued(q)) => (
                None,
                Some(format!("queued at position {}: {}", q.position, q.reason)),
                None,
            ),
            Err(e) => (None, None, Some(e.to_string())),
        };
        results.push(LegResult {
            leg,
            bead,
            agent,
            queued,
            error,
        });
    }
    Ok(RunReport {
        formula: inst.name,
        convoy,
        legs: results,
        synthesis,
    })
}

/// Beads waiting to be slung by themselves (a convoy formula's synthesis) whose blockers'
/// work is all finished — closed, or done and waiting in the merge queue — are slung now
/// (through the scheduler: they may wait in its queue).
pub fn sling_due(ctx: &mut Ctx) -> Result<Vec<Result<Outcome>>> {
    let waiting = ctx.reader().list(&crate::ledger::ListFilter {
        label: Some(SLING_WHEN_READY.into()),
        statuses: vec![crate::ledger::Status::Open.into()],
        all: true,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for w in waiting {
        let r = ctx.reader();
        let Some(bead) = r.bead(&w.id)? else {
            continue;
        };
        let Some(rig) = bead.extra.get(SLING_TO).and_then(|v| v.as_str()) else {
            continue;
        };
        let mut finished = true;
        for d in r
            .dependencies(&bead.id)?
            .iter()
            .filter(|d| d.kind == "blocks")
        {
            let ok = match r.bead(&d.depends_on_id)? {
                Some(b) => b.is_closed() || done::pending_merge_of(&r, &b.id)?.is_some(),
                None => true,
            };
            finished &= ok;
        }
        if !finished {
            continue;
        }
        let rig = rig.to_string();
        let opts = SlingOptions {
            no_formula: true,
            ..Default::default()
        };
        let res = scheduler::sling_or_queue(ctx, &bead.id, &rig, &opts);
        if res.is_ok() {
            // Slung or queued: either way the scheduler has it now.
            ctx.write(|tx| Ok(tx.remove_label(&bead.id, SLING_WHEN_READY)?))?;
        }
        out.push(res);
    }
    Ok(out)
}
