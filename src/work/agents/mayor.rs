//! The mayor: the coordinator AI the human chats with, in window `mayor` of session `hq`,
//! working from `<town>/mayor`. These are the services the workspace's mayor pane uses.

use crate::agent::{self, Address};
use crate::work::Ctx;
use crate::work::agents::delivery::{self, DeliveryReport};
use crate::work::agents::session::{self, Launched, StartSpec};
use crate::work::agents::{self, AgentRecord};
use crate::{Error, Result};
use std::time::Duration;

#[derive(Debug, Clone, serde::Serialize)]
pub struct MayorStatus {
    pub running: bool,
    pub runtime: Option<String>,
    pub window: Option<String>,
    /// working, idle, starting, exited, not running
    pub session: String,
}

pub fn start(ctx: &mut Ctx, runtime_flag: Option<&str>) -> Result<Launched> {
    crate::work::brakes::check_start(&ctx.reader(), None)?;
    let dir = ctx.town.paths.mayor_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    let default_agent = ctx.setting("default_agent", None)?.as_str();
    let rt = agent::runtime_for_role(&ctx.town, None, "mayor", runtime_flag, &default_agent)?;
    let address = Address::Mayor;
    ctx.write(|tx| {
        agents::upsert(
            tx,
            &AgentRecord {
                address: &address,
                prefix: "hq",
                name: "mayor",
                state: "idle",
                hook: agents::find(&tx.reader(), "mayor")?
                    .and_then(|a| a.hook)
                    .as_deref(),
                runtime: &rt.name,
                worktree: Some(&dir),
                branch: None,
                session_args: &[],
                host: None,
            },
        )?;
        Ok(())
    })?;
    let sender = ctx.actor.clone();
    let spec = StartSpec {
        address: &address,
        name: "mayor",
        cwd: &dir,
        runtime: &rt,
        bead: None,
        sender: &sender,
        topic: "the town is yours to run",
        repo: None,
        resume: &[],
        host: None,
    };
    session::launch(ctx, &spec)
}

pub fn stop(ctx: &mut Ctx, force: bool) -> Result<bool> {
    let stopped = session::stop(ctx, &Address::Mayor, force)?;
    if let Some(a) = agents::find(&ctx.reader(), "mayor")? {
        ctx.write(|tx| {
            tx.record_event(
                Some(&a.bead_id),
                "agent_stopped",
                None,
                Some(serde_json::json!({"agent": "mayor"})),
                None,
            )?;
            Ok(())
        })?;
    }
    Ok(stopped)
}

pub fn status(ctx: &Ctx) -> Result<MayorStatus> {
    let views = crate::work::agents::live::agents(ctx, None)?;
    match views.into_iter().find(|v| v.info.address == "mayor") {
        Some(v) => Ok(MayorStatus {
            running: v.window.is_some() && v.session != super::live::SessionState::Exited,
            runtime: v.info.runtime,
            window: v.window,
            session: v.session.to_string(),
        }),
        None => Ok(MayorStatus {
            running: false,
            runtime: None,
            window: None,
            session: "not running".into(),
        }),
    }
}

/// A chat line to the mayor, through confirmed delivery (queued behind a busy mayor, with a
/// background deliverer).
pub fn say(ctx: &mut Ctx, text: &str, wait: Duration) -> Result<DeliveryReport> {
    if agents::find(&ctx.reader(), "mayor")?.is_none() {
        return Err(Error::failed(
            "the mayor has never been started; run `gt mayor start`",
        ));
    }
    let sender = ctx.actor.clone();
    delivery::nudge(ctx, "mayor", &sender, text, wait, true)
}

/// What the mayor's pane shows (the last `lines` lines).
pub fn transcript(ctx: &Ctx, lines: usize) -> Result<String> {
    crate::work::agents::live::peek(ctx, "mayor", lines)
}
