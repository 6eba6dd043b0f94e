//! `gt daemon run|status`, `gt up`, `gt down`, `gt witness status`.

use super::output::{Out, Tone};
use crate::daemon::status::{self, DutyState};
use crate::work::witness::{self, Action, Verdict};
use crate::work::{Ctx, town::up};
use crate::{Error, Result};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: DaemonCmd) -> Result<()> {
    match cmd {
        DaemonCmd::Run => {
            let root = ctx.town.root().to_path_buf();
            crate::daemon::foreground::run(&root).map(|_| ())
        }
        DaemonCmd::Status => status(out, ctx),
    }
}

/// `gt daemon status`: whether a supervisor runs, and each of its duties.
fn status(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let seen = status::seen(&ctx.town.paths);
    if out.json {
        return out.json_ser(&super::json::One::new("daemon", &seen));
    }
    let now = chrono::Utc::now().timestamp();
    out.line(seen.line(now))?;
    if seen.stale {
        out.line("(a status file from a supervisor that is gone is left behind; `gt doctor --fix` removes it)")?;
    }
    if let Some(st) = seen.status.as_ref().filter(|_| seen.running) {
        let rows: Vec<Vec<String>> = st
            .duties
            .iter()
            .map(|d| {
                let tone = match d.state {
                    DutyState::Running => Tone::Good,
                    DutyState::Backoff => Tone::Bad,
                    _ => Tone::Dim,
                };
                vec![
                    d.name.clone(),
                    out.paint(tone, &format!("{:?}", d.state).to_lowercase()),
                    d.restarts.to_string(),
                    d.last_tick_at
                        .map(|t| format!("{} ago", crate::time::human_duration(now - t)))
                        .unwrap_or_else(|| "-".into()),
                    d.last_error.clone().map_or(d.summary.clone(), |e| {
                        format!("{} (last error: {e})", d.summary)
                    }),
                ]
            })
            .collect();
        out.table(&["DUTY", "STATE", "RESTARTS", "LAST ROUND", "NOTE"], &rows)?;
    }
    Ok(())
}

pub fn up(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let r = up::up(ctx)?;
    if out.json {
        return out.json_ser(&super::json::One::new("up", &r));
    }
    let pid = r.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
    if r.already {
        out.line(format!("The town is up: the supervisor runs already{pid}."))?;
    } else {
        out.line(format!(
            "The town is up: supervisor{pid} in window hq:daemon; `gt daemon status` shows its duties."
        ))?;
    }
    if let Some(m) = &r.mayor {
        out.line(format!("mayor: {m}"))?;
    }
    Ok(())
}

pub fn down(out: &mut Out, ctx: &mut Ctx, force: bool) -> Result<()> {
    let r = up::down(ctx, force)?;
    if out.json {
        out.json_ser(&super::json::One::new("down", &r))?;
    } else {
        out.line(if r.supervisor_stopped {
            "Stopped the supervisor."
        } else {
            "No supervisor was running."
        })?;
        out.line(format!(
            "Stopped {} agent window(s); their hooks are kept (`gt up` brings the work back).",
            r.agents_stopped.len()
        ))?;
    }
    if !r.failed.is_empty() {
        return Err(Error::failed(format!(
            "could not stop: {}",
            r.failed.join("; ")
        )));
    }
    if !r.refused.is_empty() {
        return Err(Error::failed(format!(
            "left running because a person is attached: {} (use --force)",
            r.refused.join(", ")
        )));
    }
    Ok(())
}

pub fn witness(out: &mut Out, ctx: &mut Ctx, cmd: WitnessCmd) -> Result<()> {
    let WitnessCmd::Status { rig } = cmd;
    let rigs = match rig {
        Some(r) => vec![ctx.town.rig(&r)?],
        None => ctx.town.rigs()?,
    };
    let running = status::lock_held(&ctx.town.paths);
    let mut reports = Vec::new();
    for r in &rigs {
        let saved = witness::load(ctx, &r.name).filter(|_| running);
        reports.push(match saved {
            Some(rep) => (true, rep),
            None => (false, witness::observe(ctx, r)?),
        });
    }
    if out.json {
        let list: Vec<_> = reports
            .iter()
            .map(|(live, r)| json!({"rig": r.rig, "witness_running": live, "at": r.at, "agents": r.agents, "memory": r.memory}))
            .collect();
        return out.json_ser(&super::json::One::new("witnesses", &list));
    }
    let now = chrono::Utc::now().timestamp();
    for (live, rep) in &reports {
        let head = if *live {
            format!(
                "witness of {}: last round {} ago",
                rep.rig,
                crate::time::human_duration(now - rep.at)
            )
        } else {
            format!(
                "witness of {}: not running (verdicts computed now; nothing is acted on — `gt up`)",
                rep.rig
            )
        };
        out.line(head)?;
        if rep.agents.is_empty() {
            out.line("  no agents in this rig")?;
            continue;
        }
        let rows: Vec<Vec<String>> = rep
            .agents
            .iter()
            .map(|a| {
                let tone = match a.verdict {
                    Verdict::Working => Tone::Warn,
                    Verdict::Idle => Tone::Good,
                    Verdict::Waiting => Tone::Dim,
                    _ => Tone::Bad,
                };
                let restarts = rep.memory.get(&a.address).map_or(0, |m| m.restarts.len());
                let act = match &a.action {
                    Action::None(w) | Action::Wait(w) if w.is_empty() => "-".to_string(),
                    Action::None(w) | Action::Wait(w) => w.clone(),
                    Action::Nudge(_) => "nudged".into(),
                    Action::Restart(_) => "restarted".into(),
                    Action::Escalate(_) => "escalated".into(),
                    Action::Answer(d) => format!("answered {d:?}"),
                };
                vec![
                    a.address.clone(),
                    out.paint(tone, a.verdict.as_str()),
                    a.reason.clone(),
                    restarts.to_string(),
                    a.outcome
                        .clone()
                        .map_or(act.clone(), |o| format!("{act}: {o}")),
                ]
            })
            .collect();
        out.table(&["AGENT", "VERDICT", "REASON", "RESTARTS", "ACTION"], &rows)?;
    }
    Ok(())
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DaemonCmd {
    /// Run the supervisor here until Ctrl-C, SIGTERM or `gt down` (what `gt up` starts).
    Run,
    /// Whether a supervisor runs, and each of its duties.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum WitnessCmd {
    /// The last round of the witness of each rig (or one rig).
    Status { rig: Option<String> },
}
