//! `gt estop`, `gt thaw` and a rig's rest (`gt rig park|unpark|dock|undock|status`): the
//! outcome of `work::brakes`, in words or JSON.

use super::json::One;
use super::output::{Out, Tone};
use crate::Result;
use crate::work::Ctx;
use crate::work::brakes::RestKind;
use crate::work::town::{estop, rest};

pub fn estop_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    rig: Option<String>,
    why: Option<String>,
) -> Result<()> {
    let r = estop::estop(ctx, rig.as_deref(), why.as_deref())?;
    if out.json {
        out.json_ser(&One::new("estop", &r))?;
    } else {
        let head = if r.already {
            format!("Still stopped: {}", r.estop.describe())
        } else {
            format!("Emergency stop: {}", r.estop.describe())
        };
        let head = out.paint(Tone::Warn, &head);
        out.line(head)?;
        let busy = r.estop.frozen.iter().filter(|f| f.interrupted).count();
        out.line(format!(
            "  {} agent(s) held ({busy} interrupted mid-turn, sessions kept); no sling, delivery, merge or restart until `{}`",
            r.estop.frozen.len(),
            r.estop.thaw_command()
        ))?;
        if !r.not_stopped.is_empty() {
            let line = out.paint(
                Tone::Bad,
                &format!(
                    "  still busy (no interrupt key, or it did not stop): {}",
                    r.not_stopped.join(", ")
                ),
            );
            out.line(line)?;
        }
        if !r.without_session.is_empty() {
            out.line(format!(
                "  without a session (nothing to stop): {}",
                r.without_session.join(", ")
            ))?;
        }
    }
    if r.not_stopped.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::failed(format!(
            "{} agent(s) could not be stopped mid-turn; they finish the turn they are in, nothing new reaches them",
            r.not_stopped.len()
        )))
    }
}

pub fn thaw_cmd(out: &mut Out, ctx: &mut Ctx, rig: Option<String>) -> Result<()> {
    let r = estop::thaw(ctx, rig.as_deref())?;
    if out.json {
        return out.json_ser(&One::new("thaw", &r));
    }
    match &r.lifted {
        None => out.line(match &rig {
            Some(rig) => format!("Rig {rig} was not stopped on its own; nothing to thaw"),
            None => "The town was not stopped; nothing to thaw".to_string(),
        })?,
        Some(e) => {
            let what = match &e.rig {
                Some(rig) => format!("rig {rig}"),
                None => "the town".to_string(),
            };
            out.line(format!(
                "Thawed {what}: {} agent(s) told to go on where they stopped, {} released",
                r.resumed.len(),
                r.released.len()
            ))?;
        }
    }
    if let Some(still) = &r.still {
        let line = out.paint(Tone::Warn, &format!("  still: {still}"));
        out.line(line)?;
    }
    for u in &r.untold {
        let line = out.paint(Tone::Bad, &format!("  not told to go on: {u}"));
        out.line(line)?;
    }
    if r.untold.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::failed(format!(
            "the stop is lifted, but {} agent(s) could not be told to go on (nudge them)",
            r.untold.len()
        )))
    }
}

pub fn park(out: &mut Out, ctx: &mut Ctx, rig: &str, why: Option<&str>) -> Result<()> {
    let r = rest::park(ctx, rig, why)?;
    rest_report(
        out,
        &r,
        "parked: no new work; running agents finish and their work lands",
    )
}

pub fn dock(out: &mut Out, ctx: &mut Ctx, rig: &str, why: Option<&str>, force: bool) -> Result<()> {
    let r = rest::dock(ctx, rig, why, force)?;
    rest_report(
        out,
        &r,
        "docked: sessions stopped (hooks kept); nothing slung or merged",
    )?;
    if r.failed.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::failed(format!(
            "{} session(s) of rig {} are still running",
            r.failed.len(),
            r.rig
        )))
    }
}

pub fn wake(out: &mut Out, ctx: &mut Ctx, rig: &str, from: RestKind) -> Result<()> {
    let r = rest::wake(ctx, rig, from)?;
    rest_report(out, &r, "active: work may start again")?;
    if r.failed.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::failed(format!(
            "{} session(s) of rig {} did not start again; their hooks are kept",
            r.failed.len(),
            r.rig
        )))
    }
}

fn rest_report(out: &mut Out, r: &rest::RestReport, meaning: &str) -> Result<()> {
    if out.json {
        return out.json_ser(&One::new("rig", r));
    }
    if r.already {
        out.line(format!("Rig {} was {} already", r.rig, r.state))?;
    } else {
        out.line(format!("Rig {} {meaning}", r.rig))?;
    }
    let verb = if r.state == "docked" {
        "stopped"
    } else {
        "started again"
    };
    for s in &r.sessions {
        out.line(format!("  {verb}: {s}"))?;
    }
    for (a, why) in &r.failed {
        let line = out.paint(Tone::Bad, &format!("  not {verb}: {a}: {why}"));
        out.line(line)?;
    }
    Ok(())
}

pub fn status(out: &mut Out, ctx: &mut Ctx, rig: &str) -> Result<()> {
    let s = rest::status(ctx, rig)?;
    if out.json {
        return out.json_ser(&One::new("rig_status", &s));
    }
    let state = match s.state.as_str() {
        "active" => out.paint(Tone::Good, "active"),
        other => out.paint(Tone::Warn, other),
    };
    out.line(format!("{}: {state}", s.rig))?;
    if let Some(e) = &s.estop {
        out.line(format!("  {} since {}", e.describe(), e.at))?;
    }
    if let Some(r) = &s.rest {
        let why = r
            .why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        out.line(format!(
            "  {} by {} since {}{why}",
            r.state.as_str(),
            r.by,
            r.at
        ))?;
    }
    out.line(format!(
        "  agents: {} ({} running, {} with work hooked)   queued: {}   merge requests: {}",
        s.agents, s.running, s.hooked, s.queued, s.merge_requests
    ))
}
