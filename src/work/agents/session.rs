//! Starting an agent's session: its window on the town's tmux server, with the environment,
//! role instructions and beacon of DESIGN.md §5.

use crate::agent::{Address, PromptMode, Runtime, roles};
use crate::tmux::{Created, WindowSpec};
use crate::work::Ctx;
use crate::{Error, Result, git};
use std::path::Path;

pub struct StartSpec<'a> {
    pub address: &'a Address,
    /// Short name (window name): `ash`, `mayor`.
    pub name: &'a str,
    pub cwd: &'a Path,
    pub runtime: &'a Runtime,
    pub bead: Option<&'a str>,
    pub sender: &'a str,
    pub topic: &'a str,
    /// The rig's bare repository, for keeping the instruction file out of git.
    pub repo: Option<&'a Path>,
    /// Arguments that continue an earlier conversation (empty: a fresh session).
    pub resume: &'a [String],
    /// The town's host it runs on (None: this machine); `cwd` is a path there.
    pub host: Option<&'a str>,
}

/// How every beacon begins (a runtime that shows it has taken its beacon).
pub use super::startup::BEACON_TAG;

/// `[GAS TOWN] <agent> <- <sender> • <time> • <topic>`, and what to do about it.
pub fn beacon(agent: &str, sender: &str, topic: &str) -> String {
    let time = chrono::Local::now().format("%H:%M");
    format!(
        "{BEACON_TAG} {agent} <- {sender} • {time} • {topic} — run `gt prime` and start on your hook"
    )
}

/// The tmux session an agent lives in: its rig's, or `hq` for town roles.
pub fn session_for(address: &Address) -> String {
    address
        .rig()
        .map(str::to_string)
        .unwrap_or_else(|| "hq".into())
}

/// The environment every agent session gets.
pub fn environment(ctx: &Ctx, address: &Address, name: &str) -> Vec<(String, String)> {
    let exe = crate::work::gt_exe();
    let mut path = exe
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if let Ok(existing) = std::env::var("PATH") {
        path = format!("{path}:{existing}");
    }
    let role = address.role();
    let rig = address.rig().unwrap_or("hq");
    let addr = address.to_string();
    let author = format!("{name} ({role} of {rig}, gt)");
    let email = format!("{name}@{role}.{rig}.gt.local");
    let mut env = vec![
        ("GT_TOWN".to_string(), ctx.town.root().display().to_string()),
        ("GT_ROLE".to_string(), role.to_string()),
        (
            "GT_RIG".to_string(),
            address.rig().unwrap_or_default().to_string(),
        ),
        ("GT_AGENT".to_string(), addr.clone()),
        ("BD_ACTOR".to_string(), addr),
        ("GIT_AUTHOR_NAME".to_string(), author.clone()),
        ("GIT_AUTHOR_EMAIL".to_string(), email.clone()),
        ("GIT_COMMITTER_NAME".to_string(), author),
        ("GIT_COMMITTER_EMAIL".to_string(), email),
        ("PATH".to_string(), path),
    ];
    // Agents inherit the town's tmux config choice (tests run with /dev/null).
    if let Ok(conf) = std::env::var("GT_TMUX_CONFIG") {
        env.push(("GT_TMUX_CONFIG".into(), conf));
    }
    env
}

/// The environment of a session of `rt`: gt's own (identity, PATH, git author) with the
/// runtime's `env` on top — except the agent's identity, which no runtime setting can change,
/// and PATH, which keeps this gt's directory first so the agent always finds this gt.
pub fn session_env(
    ctx: &Ctx,
    address: &Address,
    name: &str,
    rt: &Runtime,
) -> Result<Vec<(String, String)>> {
    let mut env = environment(ctx, address, name);
    let gt_dir = crate::work::gt_exe()
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for (k, v) in &rt.env {
        if is_identity(k) {
            continue;
        }
        let v = if k == "PATH" {
            format!("{gt_dir}:{v}")
        } else {
            v.clone()
        };
        env.retain(|(ek, _)| ek != k);
        env.push((k.clone(), v));
    }
    if let Some(d) = rt.hooks {
        for (k, v) in super::hook_config::hook_env(d) {
            env.retain(|(ek, _)| *ek != k);
            env.push((k, v));
        }
    }
    // The account it runs on (of several for its runtime) goes on top of the runtime's own.
    if let Some(a) = super::accounts::for_new_session(ctx, &rt.name)? {
        for (k, v) in super::accounts::env_of(&a, rt) {
            if is_identity(&k) && k != super::accounts::ACCOUNT_ENV {
                continue;
            }
            env.retain(|(ek, _)| *ek != k);
            env.push((k, v));
        }
    }
    Ok(env)
}

/// Variables that say who the agent is; set by gt alone.
fn is_identity(k: &str) -> bool {
    k.starts_with("GT_")
        || k == "BD_ACTOR"
        || k.starts_with("GIT_AUTHOR_")
        || k.starts_with("GIT_COMMITTER_")
}

/// Writes the role text where the runtime looks for instructions, unless the project tracks
/// a file of that name (its own instructions win; `gt prime` still gives the role), and keeps
/// the file out of git so `gt done` never commits it.
fn write_instructions(ctx: &Ctx, spec: &StartSpec<'_>) -> Result<()> {
    let Some(file) = spec.runtime.instruction_file.as_deref() else {
        return Ok(());
    };
    if let Some(repo) = spec.repo {
        if git::is_tracked(spec.cwd, file)? {
            return Ok(());
        }
        git::exclude(repo, &format!("/{file}"))?;
    }
    let text = roles::text(
        ctx.town.root(),
        spec.address.rig(),
        spec.address.role().as_str(),
        &spec.address.to_string(),
        &ctx.town.config.name,
    );
    let path = spec.cwd.join(file);
    std::fs::write(&path, text).map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// The runtime's hook configuration in the session's directory (see `runtime_events`), kept
/// out of git like the instructions.
fn write_hooks(spec: &StartSpec<'_>) -> Result<()> {
    let Some(dialect) = spec.runtime.hooks else {
        return Ok(());
    };
    let files = super::hook_config::hooks_files(dialect);
    if let Some(repo) = spec.repo {
        for file in files {
            if git::is_tracked(spec.cwd, file)? {
                // The project's own settings are tracked: gt does not change them.
                return Ok(());
            }
        }
        for file in files {
            git::exclude(repo, &format!("/{file}"))?;
        }
    }
    super::hook_config::write_hooks(dialect, spec.cwd, &crate::work::gt_exe())
}

/// Arguments that give the runtime its hooks (for runtimes that take them on the command
/// line).
pub fn hook_args(rt: &Runtime) -> Result<Vec<String>> {
    match rt.hooks {
        Some(d) => super::hook_config::hook_args(d, &crate::work::gt_exe()),
        None => Ok(Vec::new()),
    }
}

/// A window made for a session, with the environment it was given.
pub struct Started {
    pub created: Created,
    pub env: Vec<(String, String)>,
}

/// Starts the runtime in a new window (not waiting for it: see `await_ready`). For `paste`
/// runtimes the beacon is not in the command line; the caller delivers it once ready.
pub fn start(ctx: &Ctx, spec: &StartSpec<'_>) -> Result<Started> {
    if let Some(host) = spec.host {
        return start_remote(ctx, spec, host);
    }
    write_instructions(ctx, spec)?;
    write_hooks(spec)?;
    let beacon_text = beacon(&spec.address.to_string(), spec.sender, spec.topic);
    let exe = crate::work::gt_exe().display().to_string();
    let mut extra = spec.resume.to_vec();
    extra.extend(hook_args(spec.runtime)?);
    let argv = spec.runtime.argv_resuming(Some(&beacon_text), &exe, &extra);
    let env = session_env(ctx, spec.address, spec.name, spec.runtime)?;
    let window = WindowSpec {
        session: session_for(spec.address),
        name: spec.name.to_string(),
        cwd: spec.cwd.display().to_string(),
        env: env.clone(),
        unset: spec.runtime.env_removed(),
        argv,
        agent: spec.address.to_string(),
        bead: spec.bead.map(str::to_string),
        daemon: false,
    };
    let created = ctx.tmux().create_window(&window)?;
    Ok(Started { created, env })
}

/// A session on a host: its environment written there, its runtime started in the host's
/// tmux, and the town's window attached to it over ssh (see `hosts::remote`). The runtime's
/// hook files are not written there (its reports do not reach the town yet).
fn start_remote(ctx: &Ctx, spec: &StartSpec<'_>, host: &str) -> Result<Started> {
    use crate::work::hosts::remote;
    // Its `gt` is answered by the supervisor: without one it would wait, unseen.
    if std::os::unix::net::UnixStream::connect(remote::local_socket(ctx, host)).is_err() {
        return Err(Error::failed(format!(
            "an agent on host {host} needs the supervisor, which answers its gt: run `gt up` first"
        )));
    }
    let p = remote::place(ctx, host)?;
    let addr = spec.address.to_string();
    if let Some(file) = spec.runtime.instruction_file.as_deref() {
        let text = roles::text(
            ctx.town.root(),
            spec.address.rig(),
            spec.address.role().as_str(),
            &addr,
            &ctx.town.config.name,
        );
        remote::write_instructions(&p, spec.address.rig(), spec.cwd, file, &text)?;
    }
    let beacon_text = beacon(&addr, spec.sender, spec.topic);
    let argv = spec
        .runtime
        .argv_resuming(Some(&beacon_text), &p.gt(), spec.resume);
    let env = remote::session_env(
        &p,
        &session_env(ctx, spec.address, spec.name, spec.runtime)?,
    );
    let env_file = remote::write_env(&p, &addr, &env, &spec.runtime.env_removed())?;
    let window = WindowSpec {
        session: session_for(spec.address),
        name: spec.name.to_string(),
        cwd: ctx.town.root().display().to_string(),
        // The town's window runs ssh: it gets the plain environment (no runtime secrets).
        env: environment(ctx, spec.address, spec.name),
        unset: Vec::new(),
        argv: remote::window_argv(
            ctx,
            &p,
            &addr,
            &spec.cwd.display().to_string(),
            &env_file,
            &argv,
        ),
        agent: addr,
        bead: spec.bead.map(str::to_string),
        daemon: false,
    };
    let created = ctx.tmux().create_window(&window)?;
    Ok(Started { created, env })
}

/// Kills an agent's window, and for a remote agent its session on its host too (the window
/// here only shows it): an undone start must not leave a runtime running unseen there.
pub fn kill_window_of(ctx: &Ctx, address: &str, window_id: &str) -> Result<bool> {
    let killed = ctx.tmux().kill_agent_window(window_id)?;
    if let Some(host) = super::find(&ctx.reader(), address)?.and_then(|i| i.host) {
        crate::work::hosts::remote::kill_session(ctx, &host, address)?;
    }
    Ok(killed)
}

/// What becomes of the window of a start that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Gone with everything else the caller undoes (a sling leaves nothing half-made).
    Remove,
    /// Kept when it holds something a person needs — a runtime that exited (its last screen
    /// and exit status) or one stopped at a dialog only a person can answer (they attach and
    /// answer it): an agent that exists anyway — restarted by the witness, a crew member, the
    /// mayor — shows as start-failed or blocked until then, and is not started in a loop. A
    /// runtime that was merely too slow is stopped: it would come up later on its own.
    Keep,
}

/// Waits until the session's runtime is ready (answering the dialogs gt may answer); the
/// error of a start that fails carries the runtime's own last screen lines.
pub fn await_ready(
    ctx: &Ctx,
    address: &Address,
    started: &Started,
    rt: &Runtime,
    on_failure: OnFailure,
) -> Result<crate::work::agents::startup::Ready> {
    let agent = address.to_string();
    let given = !beacon_by_paste(rt);
    match crate::work::agents::startup::until_ready(
        ctx,
        &agent,
        &started.created,
        rt,
        &started.env,
        given,
    ) {
        Ok(r) => Ok(r),
        Err(e) => {
            let keep =
                on_failure == OnFailure::Keep && worth_keeping(ctx, &started.created.pane_id, rt);
            if !keep {
                let _ = kill_window_of(ctx, &agent, &started.created.window_id);
            }
            Err(e)
        }
    }
}

/// Whether the beacon must be typed in after start.
pub fn beacon_by_paste(rt: &Runtime) -> bool {
    rt.prompt == PromptMode::Paste
}

/// What `launch` found or did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Launched {
    pub agent: String,
    pub window: String,
    pub pane: String,
    /// It was already running; nothing was started.
    pub already: bool,
    /// The startup dialogs gt answered.
    pub answered_dialogs: Vec<String>,
}

/// A failed start's window shows an exited runtime or a dialog a person must answer.
fn worth_keeping(ctx: &Ctx, pane: &str, rt: &Runtime) -> bool {
    let server = ctx.tmux();
    let dead = server
        .panes()
        .ok()
        .and_then(|ps| ps.into_iter().find(|p| p.pane_id == pane))
        .is_some_and(|p| p.dead);
    if dead {
        return true;
    }
    let text = server.capture(pane, 60).unwrap_or_default();
    crate::agent::screen::read(rt, &text).dialog.is_some()
}

impl Launched {
    /// The session that was there already, left as it is.
    fn already_running(agent: String, p: crate::tmux::Pane) -> Launched {
        Launched {
            agent,
            window: p.window_id,
            pane: p.pane_id,
            already: true,
            answered_dialogs: Vec::new(),
        }
    }
}

/// Makes sure a long-lived agent (mayor, crew) is running: an existing live window is left
/// alone; a dead one (its program exited) is replaced; paste-prompt runtimes get their beacon
/// through confirmed delivery. The window is named `window`.
pub fn launch(ctx: &mut Ctx, spec: &StartSpec<'_>) -> Result<Launched> {
    let server = ctx.tmux();
    let addr = spec.address.to_string();
    // One launcher per agent at a time, or two could both find nothing and both start one.
    let lock = ctx
        .town
        .paths
        .locks_dir()
        .join(format!("session-{}.lock", addr.replace('/', "--")));
    let _turn = crate::fsutil::LockGuard::acquire(&lock)?;
    for p in server.panes()? {
        if p.agent.as_deref() != Some(addr.as_str()) {
            continue;
        }
        if !p.dead {
            let stuck = !p.ready
                && p.started
                    .is_some_and(|t| ctx.unix_now() - t > spec.runtime.startup_timeout_secs as i64);
            if stuck {
                return Err(Error::failed(format!(
                    "{addr}'s session is running but never reached its prompt (see `gt peek {addr}`); answer what it shows, or stop it (`gt crew stop` / `gt mayor stop`) and start it again"
                )));
            }
            return Ok(Launched::already_running(addr, p));
        }
        // A remote agent whose window here closed but whose session there goes on: the
        // window attaches again (nothing is started twice).
        if let Some(host) = spec.host
            && crate::work::hosts::remote::session_alive(ctx, host, &addr)?
        {
            server.rerun_dead(std::slice::from_ref(&p.pane_id))?;
            return Ok(Launched::already_running(addr, p));
        }
        server.kill_agent_window(&p.window_id)?;
        crate::work::agents::delivery::cancel_queued(
            ctx,
            &addr,
            "its session had exited and was replaced",
        )?;
    }
    let started = start(ctx, spec)?;
    let ready = await_ready(ctx, spec.address, &started, spec.runtime, OnFailure::Keep)?;
    let created = started.created;
    if beacon_by_paste(spec.runtime) {
        let text = beacon(&addr, spec.sender, spec.topic);
        let wait = std::time::Duration::from_secs(spec.runtime.startup_timeout_secs);
        let r = crate::work::agents::delivery::send(ctx, &addr, spec.sender, &text, wait)?;
        if r.state != crate::work::agents::delivery::DeliveryState::Delivered {
            let _ = kill_window_of(ctx, &addr, &created.window_id);
            // Its beacon must not reach the next session as a second one.
            crate::work::agents::delivery::cancel_queued(
                ctx,
                &addr,
                "the session it was for did not start",
            )?;
            return Err(Error::failed(format!(
                "{addr} started but did not take its first prompt: {}",
                r.reason
                    .unwrap_or_else(|| format!("it is still {}", r.state))
            )));
        }
    }
    Ok(Launched {
        agent: addr,
        window: created.window_id,
        pane: created.pane_id,
        already: false,
        answered_dialogs: ready.answered,
    })
}

/// Stops an agent's window (never one a person is looking at, unless `force`).
/// What was still queued for it is failed, with the reason: it was meant for that session.
pub fn stop(ctx: &mut Ctx, address: &Address, force: bool) -> Result<bool> {
    let addr = address.to_string();
    let Some(stopped) = close_windows(ctx, &addr, force)? else {
        return Err(Error::invalid(format!(
            "someone is attached to {addr}'s window; detach first or use --force"
        )));
    };
    crate::work::agents::delivery::cancel_queued(ctx, &addr, "the agent's session was stopped")?;
    if let Some(info) = super::find(&ctx.reader(), &addr)? {
        super::sessions::close_all(ctx, &info, "stopped")?;
    }
    Ok(stopped)
}

/// Kills the agent's windows; None (nothing killed) when a person is attached to one and
/// `force` is not given, else whether a window was killed.
pub(in crate::work) fn close_windows(
    ctx: &Ctx,
    address: &str,
    force: bool,
) -> Result<Option<bool>> {
    let server = ctx.tmux();
    let panes = server.panes()?;
    let mine: Vec<_> = panes
        .iter()
        .filter(|p| p.agent.as_deref() == Some(address))
        .collect();
    if !force && mine.iter().any(|p| p.human_attached()) {
        return Ok(None);
    }
    let mut killed = false;
    for p in mine {
        killed |= server.kill_agent_window(&p.window_id)?;
    }
    // A remote agent's runtime runs in the host's tmux: the town's window was only a view.
    if let Some(host) = super::find(&ctx.reader(), address)?.and_then(|i| i.host) {
        crate::work::hosts::remote::kill_session(ctx, &host, address)?;
    }
    Ok(Some(killed))
}
