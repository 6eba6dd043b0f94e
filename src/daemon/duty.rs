//! The supervisor's duties and one round of each: a witness and a refinery per rig, the
//! deacon for the town, and the watcher.

use super::runner::Shared;
use crate::work::{Ctx, refinery, witness};
use crate::{Error, Result};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duty {
    Witness(String),
    Refinery(String),
    Watcher,
}

impl Duty {
    pub fn name(&self) -> String {
        match self {
            Duty::Witness(r) => format!("witness:{r}"),
            Duty::Refinery(r) => format!("refinery:{r}"),
            Duty::Watcher => "watcher".into(),
        }
    }

    /// The duties a town with these rigs needs.
    pub fn all_for(rigs: &[String]) -> Vec<Duty> {
        let mut out = vec![Duty::Watcher];
        for r in rigs {
            out.push(Duty::Witness(r.clone()));
            out.push(Duty::Refinery(r.clone()));
        }
        out
    }

    /// Rounds until the supervisor stops (Ok) or something fails (Err: restarted with backoff).
    /// A rig that was removed ends its duties quietly.
    pub fn run(&self, shared: &Shared) -> Result<()> {
        let rig_name = match self {
            Duty::Watcher => return super::watcher::run(shared),
            Duty::Witness(r) | Duty::Refinery(r) => r.clone(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("start the async runtime", e))?;
        let mut ctx = Ctx::open(&shared.root)?;
        let name = self.name();
        let mut wit = witness::WitnessState::default();
        while !shared.stopping() {
            ctx.reload_town()?;
            let Ok(rig) = ctx.town.rig(&rig_name) else {
                shared.ticked(&name, "its rig is gone".into());
                return Ok(());
            };
            let (summary, every) = match self {
                Duty::Witness(_) => {
                    ctx.actor = "witness".into();
                    let rep = rt.block_on(witness::tick(&mut ctx, &rig, &mut wit))?;
                    (witness_summary(&rep), rep.policy.interval_secs)
                }
                Duty::Refinery(_) => {
                    ctx.actor = "refinery".into();
                    let s = refinery_round(&mut ctx, &rig, shared)?;
                    (
                        s,
                        ctx.setting("refinery.interval_secs", Some(&rig))?.as_int(),
                    )
                }
                Duty::Watcher => return Ok(()),
            };
            for w in std::mem::take(&mut ctx.warnings) {
                tracing::warn!(duty = %name, "{w}");
            }
            shared.ticked(&name, summary);
            shared.pause(&name, Duration::from_secs(every.max(1) as u64));
        }
        Ok(())
    }
}

fn witness_summary(rep: &witness::Report) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for a in &rep.agents {
        *counts.entry(a.verdict.as_str()).or_default() += 1;
    }
    if counts.is_empty() {
        return "no agents".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Works the queue until it is empty (or the supervisor stops).
fn refinery_round(ctx: &mut Ctx, rig: &crate::town::RigConfig, shared: &Shared) -> Result<String> {
    let mut landed = Vec::new();
    let mut failed = Vec::new();
    while !shared.stopping() {
        match refinery::process_next(ctx, rig)? {
            None => break,
            Some(refinery::Outcome::Merged { mr, .. }) => landed.push(mr),
            Some(
                refinery::Outcome::GateFailed { mr, .. } | refinery::Outcome::Conflict { mr, .. },
            ) => failed.push(mr),
        }
    }
    let waiting = refinery::queue(ctx, rig)?
        .iter()
        .filter(|i| !i.failed)
        .count();
    let mut s = format!("{waiting} waiting");
    if !landed.is_empty() {
        s.push_str(&format!("; merged {}", landed.join(", ")));
    }
    if !failed.is_empty() {
        s.push_str(&format!("; failed {}", failed.join(", ")));
    }
    Ok(s)
}
