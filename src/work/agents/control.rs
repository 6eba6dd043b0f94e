//! A person's (or the witness's) hand on one agent: stop its session, start it again. Its
//! hook, worktree and branch stay as they are; only the window changes.

use super::{AgentInfo, delivery, session};
use crate::agent::Address;
use crate::work::Ctx;
use crate::{Error, Result};

/// What `gt agent stop` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stopped {
    pub agent: String,
    /// A window was there and was closed.
    pub stopped: bool,
    /// Still on its hook (kept).
    pub hook: Option<String>,
}

/// Stops the agent's session; its hook, worktree and branch are kept (`gt agent start`
/// starts it again). Never a window a person is attached to, unless `force`.
pub fn stop(ctx: &mut Ctx, address: &str, force: bool) -> Result<Stopped> {
    let info = super::require(ctx, address)?;
    let addr = Address::parse(&info.address).map_err(Error::Invalid)?;
    let stopped = session::stop(ctx, &addr, force)?;
    ctx.write(|tx| {
        tx.record_event(
            Some(&info.bead_id),
            "agent_stopped",
            None,
            Some(serde_json::json!({"agent": info.address, "hook": info.hook})),
            None,
        )?;
        Ok(())
    })?;
    Ok(Stopped {
        agent: info.address,
        stopped,
        hook: info.hook,
    })
}

/// A fresh session on the agent's own worktree with its hook unchanged (the old window, if
/// any, goes first when `stop_first`). `topic` is what the new session is told.
pub fn restart(
    ctx: &mut Ctx,
    info: &AgentInfo,
    sender: &str,
    topic: &str,
    stop_first: bool,
) -> Result<String> {
    let (l, resumed) = launch_on_worktree(ctx, info, sender, topic, stop_first)?;
    Ok(format!(
        "restarted in window {}{}",
        l.window,
        if resumed {
            ", continuing its conversation"
        } else {
            ""
        }
    ))
}

/// Launches the agent's session on its own worktree (a live one is left alone and said so
/// by `Launched::already`); whether it continues its earlier conversation.
fn launch_on_worktree(
    ctx: &mut Ctx,
    info: &AgentInfo,
    sender: &str,
    topic: &str,
    stop_first: bool,
) -> Result<(session::Launched, bool)> {
    let address = Address::parse(&info.address).map_err(Error::Invalid)?;
    let worktree = info
        .worktree
        .clone()
        // A remote agent's worktree is on its host (its start fails there if it is gone).
        .filter(|w| info.host.is_some() || w.is_dir())
        .ok_or_else(|| {
            Error::failed(format!(
                "{}'s worktree is missing; not starting it (nothing is removed)",
                info.address
            ))
        })?;
    if stop_first {
        session::stop(ctx, &address, false)?;
    }
    let runtime = delivery::runtime_of(ctx, info)?;
    let repo = address.rig().map(|r| ctx.town.paths.rig_repo(r));
    let mut resume = super::sessions::resume_args(ctx, info, &runtime)?;
    // The runtime arguments the work was slung with go with each of its sessions.
    if info.hook.is_some() {
        resume.extend(info.session_args.iter().cloned());
    }
    let spec = session::StartSpec {
        address: &address,
        name: &info.name,
        cwd: &worktree,
        runtime: &runtime,
        bead: info.hook.as_deref(),
        sender,
        topic,
        repo: repo.as_deref(),
        resume: &resume,
        host: info.host.as_deref(),
    };
    let l = session::launch(ctx, &spec)?;
    Ok((l, !resume.is_empty()))
}

/// What `gt agent start` found or did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Started {
    pub agent: String,
    /// A new session was started now.
    pub started: bool,
    /// Its session was already running: nothing was started or restarted.
    pub already_running: bool,
    /// The window its session runs in.
    pub window: String,
    /// On its hook (kept).
    pub hook: Option<String>,
    /// The new session continues the agent's earlier conversation.
    pub resumed: bool,
}

/// An agent a person may start or restart: not the mayor (it has its own commands), and
/// not while a brake holds its rig.
fn startable(ctx: &Ctx, address: &str) -> Result<AgentInfo> {
    let info = super::require(ctx, address)?;
    if info.role == crate::agent::Role::Mayor {
        return Err(Error::invalid(
            "the mayor is started and stopped with `gt mayor start` / `gt mayor stop`",
        ));
    }
    crate::work::brakes::check_start(&ctx.reader(), info.rig.as_deref())?;
    Ok(info)
}

/// `gt agent start`: a stopped agent's session started again on its own worktree, its hook
/// kept. A running session is left alone (and said so): a start never interrupts work.
pub fn start(ctx: &mut Ctx, address: &str, who: &str) -> Result<Started> {
    let info = startable(ctx, address)?;
    let topic = match &info.hook {
        Some(h) => format!("started by {who}; {h} is on your hook"),
        None => format!("started by {who}"),
    };
    let (l, resumed) = launch_on_worktree(ctx, &info, who, &topic, false)?;
    if !l.already {
        ctx.write(|tx| {
            tx.record_event(
                Some(&info.bead_id),
                "agent_started",
                None,
                Some(serde_json::json!({"agent": info.address, "hook": info.hook, "window": l.window})),
                None,
            )?;
            Ok(())
        })?;
    }
    Ok(Started {
        agent: info.address,
        started: !l.already,
        already_running: l.already,
        window: l.window,
        hook: info.hook,
        resumed: resumed && !l.already,
    })
}

/// `gt agent restart`: what a person asks for — a new session now, hook kept.
pub fn restart_by_person(ctx: &mut Ctx, address: &str, who: &str) -> Result<String> {
    let info = startable(ctx, address)?;
    let topic = match &info.hook {
        Some(h) => format!("restarted by {who}; {h} is still on your hook"),
        None => format!("restarted by {who}"),
    };
    restart(ctx, &info, who, &topic, true)
}
