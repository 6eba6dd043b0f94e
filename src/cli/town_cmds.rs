//! `gt mayor|crew|handoff|escalate|feed|status`.

use super::args::{CrewCmd, EscalateArgs, EscalateCmd, MayorCmd};
use super::output::{Out, Tone, or_dash};
use crate::work::agents::delivery::DeliveryState;
use crate::work::beads::escalation::{self, EscalationView};
use crate::work::{
    Ctx, agents::crew, agents::handoff, agents::mayor, agents::polecat, block_on, views::feed,
    views::live, views::status,
};
use crate::{Error, Result};
use serde_json::json;
use std::time::Duration;

pub fn mayor_cmd(out: &mut Out, ctx: &mut Ctx, cmd: MayorCmd) -> Result<()> {
    match cmd {
        MayorCmd::Start { agent } => {
            let l = block_on(mayor::start(ctx, agent.as_deref()))??;
            if out.json {
                return out.json(json!({ "mayor": l }));
            }
            if l.already {
                out.line(format!(
                    "The mayor is already running (window {}).",
                    l.window
                ))
            } else {
                out.line(format!(
                    "Started the mayor in window {} (session hq).",
                    l.window
                ))
            }
        }
        MayorCmd::Stop { force } => {
            let stopped = block_on(mayor::stop(ctx, force))??;
            if out.json {
                return out.json(json!({ "stopped": stopped }));
            }
            out.line(if stopped {
                "Stopped the mayor."
            } else {
                "The mayor was not running."
            })
        }
        MayorCmd::Attach => {
            if out.batch {
                return Err(Error::invalid(
                    "attaching needs a terminal; it cannot run in --batch mode",
                ));
            }
            block_on(live::attach(ctx, "mayor"))?
        }
        MayorCmd::Status => {
            let st = block_on(mayor::status(ctx))??;
            if out.json {
                return out.json(json!({ "mayor": st }));
            }
            out.line(format!(
                "mayor: {} (runtime {}, window {})",
                st.session,
                or_dash(st.runtime.as_deref()),
                or_dash(st.window.as_deref())
            ))
        }
        MayorCmd::Say { text, wait } => {
            let r = block_on(mayor::say(ctx, &text.join(" "), Duration::from_secs(wait)))??;
            if out.json {
                out.json(json!({ "delivery": r }))?;
            } else if r.state == DeliveryState::Delivered {
                out.line(format!("The mayor has it (message {}).", r.id))?;
            } else if r.state == DeliveryState::Queued {
                out.line(format!(
                    "The mayor is busy; it gets this at its next prompt (message {}).",
                    r.id
                ))?;
            }
            if r.state == DeliveryState::Failed {
                return Err(Error::failed(format!(
                    "not delivered to the mayor: {}",
                    r.reason.unwrap_or_default()
                )));
            }
            Ok(())
        }
        MayorCmd::Transcript { lines } => {
            let text = block_on(mayor::transcript(ctx, lines))??;
            if out.json {
                return out.json(json!({ "transcript": text }));
            }
            out.line(text)
        }
    }
}

pub fn crew_cmd(out: &mut Out, ctx: &mut Ctx, cmd: CrewCmd) -> Result<()> {
    match cmd {
        CrewCmd::Add {
            name,
            rig,
            agent,
            no_start,
        } => {
            let a = block_on(crew::add(ctx, &rig, &name, agent.as_deref(), !no_start))??;
            if out.json {
                return out.json(json!({ "crew": a }));
            }
            out.line(format!(
                "Added {} (branch {}, worktree {})",
                a.address,
                a.branch,
                a.worktree.display()
            ))?;
            if let Some(l) = &a.launched {
                out.line(format!(
                    "  running in window {}; `gt crew at {}` to join it",
                    l.window, a.address
                ))?;
            }
            Ok(())
        }
        CrewCmd::List { rig } => {
            let list = crew::list(ctx, rig.as_deref())?;
            if out.json {
                return out.json(json!({ "count": list.len(), "crew": list }));
            }
            if list.is_empty() && !out.batch {
                return out.line("No crew. Add one with: gt crew add <name> --rig <rig>");
            }
            super::agents::worker_table(out, "CREW", &list)
        }
        CrewCmd::Start { agent } => {
            let l = block_on(crew::start(ctx, &agent, None))??;
            if out.json {
                return out.json(json!({ "crew": l }));
            }
            let how = if l.already {
                "already running"
            } else {
                "started"
            };
            out.line(format!("{} {how} in window {}", l.agent, l.window))
        }
        CrewCmd::Stop { agent, force } => {
            let stopped = block_on(crew::stop(ctx, &agent, force))??;
            if out.json {
                return out.json(json!({ "stopped": stopped }));
            }
            out.line(if stopped {
                format!("Stopped {agent}")
            } else {
                format!("{agent} was not running")
            })
        }
        CrewCmd::At { agent } => {
            if out.batch {
                return Err(Error::invalid(
                    "attaching needs a terminal; it cannot run in --batch mode",
                ));
            }
            block_on(live::attach(ctx, &agent))?
        }
        CrewCmd::Remove { agent, force } => {
            let r: polecat::RemoveReport = block_on(crew::remove(ctx, &agent, force))??;
            if out.json {
                return out.json(json!({ "removed": r }));
            }
            super::agents::print_removed(out, &r)
        }
    }
}

pub fn handoff_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    agent: Option<String>,
    note: Option<String>,
) -> Result<()> {
    let r = block_on(handoff::handoff(ctx, agent.as_deref(), note.as_deref()))??;
    if out.json {
        return out.json(json!({ "handoff": r }));
    }
    out.line(format!(
        "Handed {} over to a fresh session in window {} (hook {}, note {})",
        r.agent,
        r.window,
        or_dash(r.hook.as_deref()),
        r.mail
    ))
}

fn print_escalations(out: &mut Out, list: &[EscalationView]) -> Result<()> {
    if out.json {
        return out.json(json!({ "count": list.len(), "escalations": list }));
    }
    if list.is_empty() && !out.batch {
        return out.line("No open escalations.");
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            let sev = match e.severity.as_str() {
                "critical" | "high" => out.paint(Tone::Bad, &e.severity),
                s => s.to_string(),
            };
            vec![
                e.id.clone(),
                sev,
                e.status.clone(),
                e.acked_by.clone().unwrap_or_else(|| "-".into()),
                e.from.clone(),
                e.title.clone(),
            ]
        })
        .collect();
    out.table(
        &["ID", "SEVERITY", "STATUS", "ACKED BY", "FROM", "TITLE"],
        &rows,
    )
}

pub fn escalate_cmd(out: &mut Out, ctx: &mut Ctx, a: EscalateArgs) -> Result<()> {
    match a.cmd {
        Some(EscalateCmd::List { unacked, all }) => {
            let list = escalation::list(ctx, unacked, all)?;
            print_escalations(out, &list)
        }
        Some(EscalateCmd::Ack { id }) => {
            let e = escalation::ack(ctx, &id)?;
            if out.json {
                return out.json(json!({ "escalation": e }));
            }
            out.line(format!("Acknowledged {} ({})", e.id, e.title))
        }
        Some(EscalateCmd::Close { id, reason }) => {
            let e = escalation::close(ctx, &id, reason.as_deref())?;
            if out.json {
                return out.json(json!({ "escalation": e }));
            }
            out.line(format!("Closed {}", e.id))
        }
        Some(EscalateCmd::Sweep) => {
            let raised = escalation::sweep(ctx)?;
            if out.json {
                return out.json(json!({ "raised": raised }));
            }
            out.line(format!("Raised {} escalation(s)", raised.len()))
        }
        None => {
            let (Some(sev), Some(text)) = (a.severity, a.text) else {
                return Err(Error::invalid(
                    "usage: gt escalate -s critical|high|medium|low \"<text>\" [--bead <id>]",
                ));
            };
            let e = escalation::escalate(ctx, &sev, &text, a.bead.as_deref())?;
            if out.json {
                return out.json(json!({ "escalation": e }));
            }
            out.line(format!("Escalated {} ({}): {}", e.id, e.severity, e.title))?;
            for r in &e.routed {
                out.line(format!("  {r}"))?;
            }
            Ok(())
        }
    }
}

pub fn feed_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    since: Option<String>,
    follow: bool,
    lines: usize,
) -> Result<()> {
    let since_ts = since
        .as_deref()
        .map(|s| -> Result<String> {
            let d = escalation::parse_duration(s)?;
            let t = chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| chrono::Utc::now().checked_sub_signed(d))
                .ok_or_else(|| Error::invalid(format!("--since {s} reaches before any date")))?;
            Ok(crate::time::format(t))
        })
        .transpose()?;
    let mut all = feed::lines(ctx, since_ts.as_deref(), 0, usize::MAX)?;
    let skip = all.len().saturating_sub(lines);
    let mut last = all.last().map(|l| l.id).unwrap_or(0);
    for l in all.drain(skip..) {
        print_line(out, &l)?;
    }
    out.flush()?;
    if !follow {
        return Ok(());
    }
    if last == 0 {
        last = feed::last_event_id(ctx)?;
    }
    loop {
        std::thread::sleep(Duration::from_millis(300));
        for l in feed::lines(ctx, None, last, 1000)? {
            last = l.id;
            print_line(out, &l)?;
        }
        out.flush()?;
    }
}

fn print_line(out: &mut Out, l: &feed::FeedLine) -> Result<()> {
    if out.json {
        return out.json(json!({ "event": l }));
    }
    let time = l.at.get(11..19).unwrap_or(&l.at);
    out.line(format!("{time}  {:<24}  {}", l.actor, l.text))
}

pub fn status_cmd(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let st = block_on(status::status(ctx))??;
    if out.json {
        return out.json(json!({ "status": st }));
    }
    out.line(out.paint(Tone::Bold, &format!("Town {} at {}", st.town, st.root)))?;
    out.line(format!("supervisor: {}", st.supervisor))?;
    let agents: Vec<String> = st.agents.iter().map(|(k, v)| format!("{v} {k}")).collect();
    out.line(format!(
        "agents: {}",
        if agents.is_empty() {
            "none".into()
        } else {
            agents.join(", ")
        }
    ))?;
    out.line(format!("your mail ({}): {} unread", st.you, st.unread_mail))?;
    out.line("")?;
    let rows: Vec<Vec<String>> = st
        .rigs
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.prefix.clone(),
                r.open_beads.to_string(),
                r.ready.to_string(),
                r.agents.to_string(),
            ]
        })
        .collect();
    out.table(&["RIG", "PREFIX", "OPEN", "READY", "AGENTS"], &rows)?;
    if !st.convoys.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = st
            .convoys
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    format!("{}/{}", c.closed, c.total),
                    c.title.clone(),
                ]
            })
            .collect();
        out.table(&["CONVOY", "DONE", "TITLE"], &rows)?;
    }
    if !st.escalations.is_empty() {
        out.line("")?;
        print_escalations(out, &st.escalations)?;
    }
    if !st.attention.is_empty() {
        out.line("")?;
        out.line(out.paint(Tone::Bold, "Needs attention:"))?;
        for a in &st.attention {
            out.line(format!("  {}", a.text))?;
        }
    }
    Ok(())
}
