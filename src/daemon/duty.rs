//! The supervisor's duties and one round of each: a witness and a refinery per rig, the
//! deacon for the town, and the watcher.

use super::runner::Shared;
use crate::Result;
use crate::work::{Ctx, deacon, refinery, witness};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duty {
    Witness(String),
    Refinery(String),
    Deacon,
    Watcher,
    /// Runs `notify.command` when something needs the person.
    Notifier,
    /// Keeps `.beads/issues.jsonl` following the ledger (the town's export follower).
    Exporter,
    /// Serves the web dashboard while `dashboard.enabled` is on.
    Dashboard,
    /// Keeps the hosts' connections and serves their agents' `gt`.
    Hosts,
}

impl Duty {
    pub fn name(&self) -> String {
        match self {
            Duty::Witness(r) => format!("witness:{r}"),
            Duty::Refinery(r) => format!("refinery:{r}"),
            Duty::Deacon => "deacon".into(),
            Duty::Watcher => "watcher".into(),
            Duty::Notifier => "notifier".into(),
            Duty::Exporter => "export".into(),
            Duty::Dashboard => "dashboard".into(),
            Duty::Hosts => "hosts".into(),
        }
    }

    /// The duties a town with these rigs needs.
    pub fn all_for(rigs: &[String]) -> Vec<Duty> {
        let mut out = vec![
            Duty::Watcher,
            Duty::Deacon,
            Duty::Notifier,
            Duty::Exporter,
            Duty::Dashboard,
            Duty::Hosts,
        ];
        for r in rigs {
            out.push(Duty::Witness(r.clone()));
            out.push(Duty::Refinery(r.clone()));
        }
        out
    }

    /// Rounds until the supervisor stops (Ok) or something fails (Err: restarted with backoff).
    /// A rig that was removed ends its duties quietly.
    pub fn run(&self, shared: &std::sync::Arc<Shared>) -> Result<()> {
        let rig_name = match self {
            Duty::Watcher => return super::watcher::run(shared),
            Duty::Deacon => return deacon_rounds(shared),
            Duty::Notifier => return notifier_rounds(shared),
            Duty::Exporter => return export_follower(shared),
            Duty::Dashboard => return super::dashboard::run(shared),
            Duty::Hosts => return super::hosts::run(shared),
            Duty::Witness(r) | Duty::Refinery(r) => r.clone(),
        };
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
                    let rep = witness::tick(&mut ctx, &rig, &mut wit)?;
                    shared.watch_pids(&name, rep.live_pids.clone());
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
                Duty::Watcher
                | Duty::Deacon
                | Duty::Notifier
                | Duty::Exporter
                | Duty::Dashboard
                | Duty::Hosts => return Ok(()),
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

/// The export follower: `.beads/issues.jsonl` rewritten once a burst of writes settles.
fn export_follower(shared: &Shared) -> Result<()> {
    let mut ctx = Ctx::open(&shared.root)?;
    ctx.actor = "export".into();
    shared.ticked(
        "export",
        "following the ledger into .beads/issues.jsonl".into(),
    );
    crate::work::town::jsonl_follow::serve(&mut ctx, &|| shared.stopping())
}

/// The deacon's rounds: one pass every `deacon.interval_secs` (sooner when the ledger moved).
fn deacon_rounds(shared: &Shared) -> Result<()> {
    let mut ctx = Ctx::open(&shared.root)?;
    ctx.actor = "deacon".into();
    let mut state = deacon::DeaconState::default();
    while !shared.stopping() {
        ctx.reload_town()?;
        let rep = deacon::tick(&mut ctx, &mut state)?;
        for e in &rep.errors {
            tracing::warn!(duty = "deacon", "{e}");
        }
        shared.ticked("deacon", deacon_summary(&rep));
        let every = ctx.setting("deacon.interval_secs", None)?.as_int();
        shared.pause("deacon", Duration::from_secs(every.max(1) as u64));
    }
    Ok(())
}

/// Every few seconds: what needs the person, and `notify.command` for what is new (nothing
/// is looked at while no command is set).
fn notifier_rounds(shared: &Shared) -> Result<()> {
    use crate::work::views::{notify, snapshot};
    let mut ctx = Ctx::open(&shared.root)?;
    let mut cache = snapshot::Cache::new();
    let mut notifier = notify::Notifier::default();
    let mut told = 0usize;
    let mut failed = 0usize;
    while !shared.stopping() {
        // A round that cannot read the town is logged and tried again: restarting the duty
        // would forget what was already told, and what came up meanwhile would go untold.
        let mut round = || -> Result<Option<(notify::NotifyConfig, notify::Notice)>> {
            ctx.reload_town()?;
            let cfg = notify::NotifyConfig::read(&ctx)?;
            if cfg.command.trim().is_empty() {
                return Ok(None);
            }
            let s = snapshot::refresh(&ctx, &mut cache, &snapshot::Request::default())?;
            Ok(notifier
                .observe(&cfg, s.taken_at, &s.attention, &s.feed)
                .map(|n| (cfg, n)))
        };
        let mut wait = NOTIFY_EVERY_SECS;
        match round() {
            Ok(Some((cfg, n))) => match notify::run_command(&cfg, &n) {
                Ok(()) => told += 1,
                Err(e) => {
                    failed += 1;
                    tracing::warn!(duty = "notifier", error = %e, "notify.command failed");
                }
            },
            Ok(None) => {}
            Err(e) => {
                // Looked at again in a while, not every few seconds.
                wait = NOTIFY_RETRY_SECS;
                tracing::warn!(duty = "notifier", error = %e, "could not look at the town");
            }
        }
        shared.ticked(
            "notifier",
            format!("{told} notice(s) sent, {failed} failed"),
        );
        shared.pause("notifier", Duration::from_secs(wait));
    }
    Ok(())
}

/// How often the notifier looks.
const NOTIFY_EVERY_SECS: u64 = 3;
/// After a round that could not look at the town.
const NOTIFY_RETRY_SECS: u64 = 30;

fn deacon_summary(rep: &deacon::DeaconReport) -> String {
    let mut parts = Vec::new();
    if rep.paused {
        parts.push("scheduler paused".to_string());
    }
    for (n, what) in [
        (rep.notified.len(), "convoys announced"),
        (rep.dispatched.len(), "queued slings started"),
        (rep.fed.len(), "convoy beads fed"),
        (rep.escalations.len(), "escalations raised"),
        (rep.errors.len(), "errors"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if rep.ledger_commit.is_some() {
        parts.push("ledger committed".into());
    }
    if parts.is_empty() {
        "nothing to do".into()
    } else {
        parts.join(", ")
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
    use refinery::Outcome;
    let mut landed = Vec::new();
    let mut failed = Vec::new();
    let mut notes = Vec::new();
    if let Some(why) = crate::work::brakes::Brakes::read(&ctx.reader())?.merge_hold(&rig.name) {
        return Ok(format!("held: {why}"));
    }
    while !shared.stopping() {
        let outcomes = refinery::process(ctx, rig)?;
        let mut worked = false;
        for o in outcomes {
            match o {
                Outcome::Merged { mr, .. } => {
                    worked = true;
                    landed.push(mr)
                }
                Outcome::GateFailed { mr, .. }
                | Outcome::Conflict { mr, .. }
                | Outcome::Failed { mr, .. } => {
                    worked = true;
                    failed.push(mr)
                }
                Outcome::AwaitingReview { mr, .. } => {
                    worked = true;
                    notes.push(format!("{mr} waits for review"))
                }
                Outcome::PushFailed { .. } => notes.push("push failed (retried)".to_string()),
                Outcome::Cleaned { .. } | Outcome::Pushed { .. } => {}
            }
        }
        if !worked {
            break;
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
    for n in notes {
        s.push_str(&format!("; {n}"));
    }
    Ok(s)
}
