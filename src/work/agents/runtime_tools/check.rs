//! `gt config agent check <runtime>`: starts the runtime once, as a session would, in a
//! scratch git repository and a scratch window; reports its version, the dialogs gt answered,
//! and whether it reached its prompt — or the screen that stopped it. Nothing is left behind.

use crate::agent::{self, procs};
use crate::tmux::WindowSpec;
use crate::work::{Ctx, agents::startup};
use crate::{Error, Result, git};
use std::time::Duration;

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub runtime: String,
    pub command: String,
    pub version: Option<String>,
    pub version_error: Option<String>,
    pub verified: Option<String>,
    pub answered_dialogs: Vec<String>,
    pub reached_prompt: bool,
    pub waited_ms: Option<u128>,
    /// Why it did not reach its prompt, with its own last screen lines.
    pub failure: Option<String>,
    /// A known environmental trap and its fix.
    pub trap: Option<String>,
}

pub fn check(ctx: &Ctx, name: &str) -> Result<CheckReport> {
    let rt = agent::runtime_named(&ctx.town, name)?;
    let (version, version_error) = match super::version::of(&rt, Duration::from_secs(30)) {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    };
    let scratch = ctx.town.paths.runtime_dir().join("check").join(format!(
        "{name}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| Error::io(format!("create {}", scratch.display()), e))?;
    let mut ready = startup::Ready::default();
    let result = start_once(ctx, &rt, &scratch, &mut ready);
    let _ = std::fs::remove_dir_all(&scratch);
    let gt_dir = crate::work::gt_exe()
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let env = env_for(&rt, &gt_dir);
    let (reached, waited, failure) = match result {
        Ok(()) => (true, Some(ready.waited_ms), None),
        Err(e) => (false, None, Some(e.to_string())),
    };
    let answered = ready.answered;
    Ok(CheckReport {
        runtime: rt.name.clone(),
        command: rt.command_line(),
        version,
        version_error,
        verified: rt.verified.clone(),
        answered_dialogs: answered,
        reached_prompt: reached,
        waited_ms: waited,
        failure,
        trap: agent::startup::root_trap(&rt, &env, procs::running_as_root()),
    })
}

/// The scratch session's environment: PATH with this gt first and the runtime's own; no
/// agent identity (it is nobody's session).
fn env_for(rt: &agent::Runtime, gt_dir: &str) -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_default();
    let mut env = vec![("PATH".to_string(), format!("{gt_dir}:{path}"))];
    for (k, v) in &rt.env {
        if k == "PATH" {
            env[0].1 = format!("{gt_dir}:{v}");
        } else {
            env.push((k.clone(), v.clone()));
        }
    }
    env
}

fn start_once(
    ctx: &Ctx,
    rt: &agent::Runtime,
    scratch: &std::path::Path,
    ready: &mut startup::Ready,
) -> Result<()> {
    git::init_repo(scratch)?;
    let gt_dir = crate::work::gt_exe()
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let env = env_for(rt, &gt_dir);
    let exe = crate::work::gt_exe().display().to_string();
    let spec = WindowSpec {
        session: "gt-check".into(),
        name: rt.name.clone(),
        cwd: scratch.display().to_string(),
        env: env.clone(),
        unset: rt.env_removed(),
        argv: rt.argv(None, &exe),
        agent: format!("check/{}", rt.name),
        bead: None,
        daemon: false,
    };
    let server = ctx.tmux();
    let created = server.create_window(&spec)?;
    let agent = format!("check/{}", rt.name);
    let r = startup::watch_into(ctx, &agent, &created, rt, &env, false, ready);
    let _ = server.kill_agent_window(&created.window_id);
    r
}
