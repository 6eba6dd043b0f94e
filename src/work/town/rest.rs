//! `gt rig park|unpark|dock|undock|status`: a rig that rests. Parked: nothing new starts on
//! it (slings are refused, queued beads wait), what runs finishes and lands. Docked: its
//! sessions are stopped too (hooks, worktrees and branches kept) and nothing lands; undocking
//! starts again exactly the sessions docking stopped.

use crate::fsutil::LockGuard;
use crate::work::Ctx;
use crate::work::agents::{self, control};
use crate::work::brakes::{self, Brakes, Rest, RestKind, rest_key, target_rig};
use crate::{Error, Result};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RestReport {
    pub rig: String,
    /// The state now: active, parked or docked.
    pub state: &'static str,
    /// It was so already; nothing changed.
    pub already: bool,
    /// Sessions stopped (dock) or started again (undock).
    pub sessions: Vec<String>,
    /// Agents gt could not stop or start, with why (kept as they are).
    pub failed: Vec<(String, String)>,
}

/// `gt rig park`: no new work on the rig.
pub fn park(ctx: &mut Ctx, rig: &str, why: Option<&str>) -> Result<RestReport> {
    let rig = ctx.town.rig(rig)?.name;
    brakes::check_reason(why)?;
    let _turn = super::estop::brakes_lock(ctx)?;
    match current(ctx, &rig)? {
        Some(r) if r.state == RestKind::Parked => Ok(report(&rig, "parked", true)),
        Some(_) => Err(Error::invalid(format!(
            "rig {rig} is docked; `gt rig undock {rig}` first (parking would leave its stopped sessions stopped)"
        ))),
        None => {
            let rest = new_rest(ctx, RestKind::Parked, why);
            save(ctx, &rig, Some(&rest), "rig_parked")?;
            Ok(report(&rig, "parked", false))
        }
    }
}

/// `gt rig dock`: every session of the rig stopped (hooks kept), nothing slung or merged.
pub fn dock(ctx: &mut Ctx, rig: &str, why: Option<&str>, force: bool) -> Result<RestReport> {
    let rig = ctx.town.rig(rig)?.name;
    brakes::check_reason(why)?;
    let _turn = super::estop::brakes_lock(ctx)?;
    let before = current(ctx, &rig)?;
    let was_docked = before.as_ref().is_some_and(|r| r.state == RestKind::Docked);
    let mut rest = match before {
        Some(r) if r.state == RestKind::Docked => r,
        _ => new_rest(ctx, RestKind::Docked, why),
    };
    // The record first: from here nothing new starts; then wait out a sling in flight.
    save(
        ctx,
        &rig,
        Some(&rest),
        if was_docked { "" } else { "rig_docked" },
    )?;
    drop(LockGuard::acquire(&ctx.town.paths.rig_lock(&rig))?);
    let running = running_sessions(ctx, &rig)?;
    let mut out = report(&rig, "docked", running.is_empty() && was_docked);
    for addr in running {
        match control::stop(ctx, &addr, force) {
            Ok(s) if s.stopped => {
                if !rest.stopped.contains(&addr) {
                    rest.stopped.push(addr.clone());
                }
                out.sessions.push(addr);
            }
            Ok(_) => {}
            Err(e) => out.failed.push((addr, e.to_string())),
        }
    }
    save(ctx, &rig, Some(&rest), "")?;
    Ok(out)
}

/// `gt rig unpark` / `gt rig undock`: work may start again; undocking starts again the
/// sessions docking stopped, each on its own worktree with its hook.
pub fn wake(ctx: &mut Ctx, rig: &str, from: RestKind) -> Result<RestReport> {
    let rig = ctx.town.rig(rig)?.name;
    let _turn = super::estop::brakes_lock(ctx)?;
    let Some(rest) = current(ctx, &rig)? else {
        return Ok(report(&rig, "active", true));
    };
    if rest.state != from {
        let (is, verb) = match rest.state {
            RestKind::Parked => ("parked", "unpark"),
            RestKind::Docked => ("docked", "undock"),
        };
        return Err(Error::invalid(format!(
            "rig {rig} is {is}, not {}; `gt rig {verb} {rig}`",
            from.as_str()
        )));
    }
    // Undocking starts sessions: not while an emergency stop holds the rig (it would not
    // hold them), and nothing is changed then.
    if from == RestKind::Docked
        && let Some(e) = Brakes::read(&ctx.reader())?.estop_of(Some(&rig))
    {
        return Err(Error::failed(format!(
            "not undocked: {} (`{}` first)",
            e.describe(),
            e.thaw_command()
        )));
    }
    let event = match from {
        RestKind::Parked => "rig_unparked",
        RestKind::Docked => "rig_undocked",
    };
    save(ctx, &rig, None, event)?;
    let mut out = report(&rig, "active", false);
    let who = ctx.actor.clone();
    for addr in &rest.stopped {
        let Some(info) = agents::find(&ctx.reader(), addr)? else {
            continue; // removed meanwhile
        };
        let topic = match &info.hook {
            Some(h) => format!("rig {rig} undocked by {who}; {h} is still on your hook"),
            None => format!("rig {rig} undocked by {who}"),
        };
        match control::restart(ctx, &info, &who, &topic, false) {
            Ok(_) => out.sessions.push(addr.clone()),
            Err(e) => out.failed.push((addr.clone(), e.to_string())),
        }
    }
    Ok(out)
}

/// `gt rig status`: how the rig is held and what it has running, waiting and landing.
#[derive(Debug, Clone, Serialize)]
pub struct RigStatus {
    pub rig: String,
    /// active, parked, docked or frozen.
    pub state: String,
    pub rest: Option<Rest>,
    /// The emergency stop that freezes it (the town's or its own).
    pub estop: Option<brakes::Estop>,
    pub agents: usize,
    pub running: usize,
    pub hooked: usize,
    /// Beads queued for it in the scheduler.
    pub queued: usize,
    /// Merge requests open or being worked.
    pub merge_requests: usize,
}

pub fn status(ctx: &Ctx, rig: &str) -> Result<RigStatus> {
    let cfg = ctx.town.rig(rig)?;
    let brakes = Brakes::read(&ctx.reader())?;
    let infos = agents::list(&ctx.reader(), Some(&cfg.name))?;
    let panes = ctx.tmux().panes()?;
    let running = infos
        .iter()
        .filter(|i| {
            panes
                .iter()
                .any(|p| !p.dead && p.agent.as_deref() == Some(i.address.as_str()))
        })
        .count();
    let queued = crate::work::scheduler::queue::list(&ctx.reader(), ctx.now())?
        .iter()
        .filter(|(v, _)| target_rig(&v.target) == Some(cfg.name.as_str()))
        .count();
    let merge_requests = crate::work::refinery::queue(ctx, &cfg)?.len();
    let estop = brakes.estop_of(Some(&cfg.name)).cloned();
    let rest = brakes.rest_of(&cfg.name).cloned();
    let state = match (&estop, &rest) {
        (Some(_), _) => "frozen".to_string(),
        (None, Some(r)) => r.state.as_str().to_string(),
        (None, None) => "active".to_string(),
    };
    Ok(RigStatus {
        rig: cfg.name,
        state,
        rest,
        estop,
        agents: infos.len(),
        running,
        hooked: infos.iter().filter(|i| i.hook.is_some()).count(),
        queued,
        merge_requests,
    })
}

fn running_sessions(ctx: &Ctx, rig: &str) -> Result<Vec<String>> {
    let infos = agents::list(&ctx.reader(), Some(rig))?;
    let panes = ctx.tmux().panes()?;
    Ok(infos
        .into_iter()
        .filter(|i| {
            panes
                .iter()
                .any(|p| !p.dead && p.agent.as_deref() == Some(i.address.as_str()))
        })
        .map(|i| i.address)
        .collect())
}

fn current(ctx: &Ctx, rig: &str) -> Result<Option<Rest>> {
    Ok(Brakes::read(&ctx.reader())?.rest_of(rig).cloned())
}

fn new_rest(ctx: &Ctx, state: RestKind, why: Option<&str>) -> Rest {
    Rest {
        state,
        by: ctx.actor.clone(),
        why: why.map(str::to_string),
        at: crate::time::format(ctx.now()),
        stopped: Vec::new(),
    }
}

fn report(rig: &str, state: &'static str, already: bool) -> RestReport {
    RestReport {
        rig: rig.to_string(),
        state,
        already,
        sessions: Vec::new(),
        failed: Vec::new(),
    }
}

/// Writes (or with None removes) the rig's rest; `event` (when not empty) is recorded with it.
fn save(ctx: &mut Ctx, rig: &str, rest: Option<&Rest>, event: &str) -> Result<()> {
    let text = rest
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::failed(format!("could not write the rig's state: {e}")))?;
    ctx.write(|tx| {
        tx.set_config(&rest_key(rig), text.as_deref())?;
        if !event.is_empty() {
            tx.record_event(
                None,
                event,
                None,
                Some(serde_json::json!({"rig": rig, "why": rest.and_then(|r| r.why.clone())})),
                None,
            )?;
        }
        Ok(())
    })
}
