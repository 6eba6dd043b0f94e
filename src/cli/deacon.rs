//! `gt deacon run --once` and `gt scheduler status|pause|resume`.

use super::output::Out;
use crate::work::deacon::{self, DeaconReport, DeaconState};
use crate::work::{Ctx, scheduler};
use crate::{Error, Result};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: DeaconCmd) -> Result<()> {
    let DeaconCmd::Run { once } = cmd;
    if !once {
        return Err(Error::NotBuilt(
            "the deacon runs continuously inside the supervisor (`gt up`, `gt daemon run`); `gt deacon run --once` runs one pass here".into(),
        ));
    }
    let mut state = DeaconState::default();
    let report = deacon::tick(ctx, &mut state)?;
    if out.json {
        out.json_ser(&super::json::One::new("deacon", &report))?;
        return match report.errors.is_empty() {
            true => Ok(()),
            false => Err(Error::Silent(1)),
        };
    }
    print_report(out, &report)?;
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(Error::failed(format!(
            "{} duty(ies) of the deacon failed (see above)",
            report.errors.len()
        )))
    }
}

fn print_report(out: &mut Out, r: &DeaconReport) -> Result<()> {
    let mut lines: Vec<String> = Vec::new();
    for a in &r.notified {
        lines.push(format!(
            "announced the landing of {} ({}) to {}",
            a.convoy,
            a.title,
            a.recipients.join(", ")
        ));
    }
    for e in &r.escalations {
        lines.push(format!(
            "raised escalation {e} a level (not acknowledged in time)"
        ));
    }
    if r.paused {
        lines.push("the scheduler is paused: nothing dispatched or fed".into());
    }
    for d in &r.dispatched {
        lines.push(format!(
            "dispatched queued {} to {} (waited {})",
            d.bead,
            d.agent,
            crate::time::human_duration(d.waited_secs)
        ));
    }
    for d in &r.dropped {
        lines.push(format!("took {} out of the queue: {}", d.bead, d.reason));
    }
    for f in &r.fed {
        lines.push(format!(
            "fed {} from convoy {} to {}",
            f.bead, f.convoy, f.agent
        ));
    }
    for s in &r.synthesis {
        lines.push(format!(
            "slung {} (its blockers are done) to {}",
            s.bead, s.agent
        ));
    }
    for q in &r.synthesis_queued {
        lines.push(format!(
            "queued {} (its blockers are done) for {} at position {}: {}",
            q.bead, q.target, q.position, q.reason
        ));
    }
    if let Some(c) = &r.compacted {
        lines.push("compacted the ledger:".into());
        lines.extend(
            super::compact::lines(c)
                .into_iter()
                .map(|l| format!("  {l}")),
        );
    }
    if r.compact_skipped.is_some() {
        lines.push("ledger compaction is due but waits: the town's emergency stop is on".into());
    }
    if let Some(c) = &r.ledger_commit {
        lines.push(format!(
            "committed the ledger snapshot {}",
            &c[..c.len().min(12)]
        ));
    }
    if lines.is_empty() && r.errors.is_empty() {
        lines.push("nothing to do".into());
    }
    for l in lines {
        out.line(l)?;
    }
    for w in &r.warnings {
        out.line(format!("warning: {w}"))?;
    }
    for e in &r.errors {
        out.line(format!("error: {e}"))?;
    }
    Ok(())
}

pub fn scheduler(out: &mut Out, ctx: &mut Ctx, cmd: SchedulerCmd) -> Result<()> {
    match cmd {
        SchedulerCmd::Status => status(out, ctx),
        SchedulerCmd::Pause | SchedulerCmd::Resume => {
            let pause = matches!(cmd, SchedulerCmd::Pause);
            let changed = scheduler::set_paused(ctx, pause)?;
            if out.json {
                return out.json(json!({ "paused": pause, "changed": changed }));
            }
            let line = match (pause, changed) {
                (true, true) => "The scheduler is paused: slings to a rig wait in the queue",
                (true, false) => "The scheduler was already paused",
                (false, true) => "The scheduler dispatches again (the deacon slings the queue)",
                (false, false) => "The scheduler was not paused",
            };
            out.line(line)
        }
    }
}

/// `gt scheduler status`: the limit, the working polecats, the queue in order, and whether it is paused.
fn status(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let s = scheduler::status(ctx)?;
    if out.json {
        return out.json_ser(&super::json::One::new("scheduler", &s));
    }
    let max = if s.max == 0 {
        "no limit".to_string()
    } else {
        format!("at most {}", s.max)
    };
    let paused = if s.paused {
        "; PAUSED: nothing is dispatched (`gt scheduler resume`)"
    } else {
        ""
    };
    out.line(format!(
        "{} polecat(s) working, {max} (scheduler.max_polecats); {} queued{paused}",
        s.working,
        s.queued.len()
    ))?;
    if s.queued.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = s
        .queued
        .iter()
        .map(|q| {
            vec![
                q.position.to_string(),
                q.bead.clone(),
                format!("P{}", q.priority),
                q.target.clone(),
                crate::time::human_duration(q.age_secs),
                q.title.clone(),
            ]
        })
        .collect();
    out.line("")?;
    out.table(&["#", "BEAD", "PRI", "TARGET", "WAITING", "TITLE"], &rows)
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DeaconCmd {
    /// One pass of the deacon's duties, with a report of what it did (needs --once).
    Run {
        #[arg(long)]
        once: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchedulerCmd {
    /// The limit, the working polecats, the queue in order, and whether it is paused.
    Status,
    /// Stop dispatching: slings to a rig wait in the queue until `gt scheduler resume`.
    Pause,
    /// Dispatch again (the deacon slings queued beads as polecats free up).
    Resume,
}
