//! `gt up` and `gt down`: the town's supervisor in its `hq:daemon` window (plus the mayor
//! when `up.mayor` is set), and stopping it all again — our agents' windows and the
//! supervisor, never anything else on the machine, never a window a person is attached to
//! unless forced. Hooks stay as they are: after `gt up` the witnesses bring the work back.

use crate::agent::Address;
use crate::tmux::WindowSpec;
use crate::town::supervisor_status::{self as status, Seen};
use crate::work::{Ctx, agents::mayor, agents::session};
use crate::{Error, Result};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, serde::Serialize)]
pub struct UpReport {
    /// It was running already; nothing was started.
    pub already: bool,
    pub pid: Option<u32>,
    pub window: Option<String>,
    /// The mayor, when `up.mayor` asked for it: its window, or why it did not start.
    pub mayor: Option<String>,
    pub supervisor: Seen,
}

/// How long `gt up` waits for the new supervisor to report.
const START_WAIT: Duration = Duration::from_secs(15);

pub fn up(ctx: &mut Ctx) -> Result<UpReport> {
    let paths = ctx.town.paths.clone();
    let marker = status::down_marker(&paths);
    if marker.exists() {
        std::fs::remove_file(&marker).map_err(|e| Error::io("remove the down marker", e))?;
    }
    let holder = status::lock_held(&paths)
        .then(|| status::read_file(&paths))
        .flatten();
    let already = holder
        .as_ref()
        .is_some_and(|s| s.kind == status::Kind::Daemon);
    let mut window = None;
    if !already {
        // A workspace supervising (or standing by) lets the daemon have the lock: the town
        // must keep running after the workspace closes.
        let marker = status::handover_marker(&paths);
        std::fs::create_dir_all(paths.daemon_dir())
            .map_err(|e| Error::io("create .gt/daemon", e))?;
        std::fs::write(&marker, crate::time::now())
            .map_err(|e| Error::io("write the handover marker", e))?;
        let started = (|| {
            wait_for_release(&paths)?;
            let w = start_window(ctx)?;
            wait_for_report(ctx, Some(&w))?;
            Ok::<_, Error>(w)
        })();
        if started.is_err() {
            let _ = std::fs::remove_file(&marker);
        }
        window = Some(started?);
    }
    let mayor = if ctx.setting("up.mayor", None)?.as_bool() {
        Some(match mayor::start(ctx, None) {
            Ok(l) => format!("window {}", l.window),
            Err(e) => format!("not started: {e}"),
        })
    } else {
        None
    };
    let seen = status::seen(&paths);
    Ok(UpReport {
        already,
        pid: seen.status.as_ref().map(|s| s.pid),
        window,
        mayor,
        supervisor: seen,
    })
}

fn start_window(ctx: &Ctx) -> Result<String> {
    let server = ctx.tmux();
    // A window left by a supervisor that ended (remain-on-exit) makes way for the new one.
    for p in server.panes()? {
        if p.daemon {
            if !p.dead {
                return Err(Error::failed(format!(
                    "the supervisor's window {} is alive but holds no lock; look at it with `gt tmux attach` or close it",
                    p.window_id
                )));
            }
            server.kill_agent_window(&p.window_id)?;
        }
    }
    let exe = crate::work::gt_exe();
    // Empty identity: the server's global environment may carry the GT_AGENT of whoever
    // started it, and the supervisor must not act (or be excluded from reuse) as that agent.
    let mut env = vec![
        ("GT_TOWN".to_string(), ctx.town.root().display().to_string()),
        ("GT_AGENT".to_string(), String::new()),
        ("BD_ACTOR".to_string(), String::new()),
    ];
    if let Ok(conf) = std::env::var("GT_TMUX_CONFIG") {
        env.push(("GT_TMUX_CONFIG".into(), conf));
    }
    let spec = WindowSpec {
        session: "hq".into(),
        name: "daemon".into(),
        cwd: ctx.town.root().display().to_string(),
        env,
        unset: Vec::new(),
        argv: vec![exe.display().to_string(), "daemon".into(), "run".into()],
        agent: String::new(),
        bead: None,
        daemon: true,
    };
    Ok(server.create_window(&spec)?.window_id)
}

/// Waits for a workspace to let go of the lock after a handover request.
fn wait_for_release(paths: &crate::town::TownPaths) -> Result<()> {
    let end = Instant::now() + START_WAIT;
    while status::lock_held(paths) {
        if Instant::now() > end {
            return Err(Error::failed(
                "the workspace supervising this town did not hand over within 15 s; close it or try again",
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Waits until the new supervisor holds the lock and has written its status; when its window
/// dies first, says what it printed.
fn wait_for_report(ctx: &Ctx, window: Option<&str>) -> Result<()> {
    let paths = &ctx.town.paths;
    let end = Instant::now() + START_WAIT;
    while Instant::now() < end {
        let daemon = status::read_file(paths).is_some_and(|s| s.kind == status::Kind::Daemon);
        if daemon && status::lock_held(paths) {
            return Ok(());
        }
        let server = ctx.tmux();
        if let Some(p) = server
            .panes()?
            .into_iter()
            .find(|p| Some(p.window_id.as_str()) == window && p.dead)
        {
            let text = server.capture(&p.pane_id, 20).unwrap_or_default();
            return Err(Error::failed(format!(
                "the supervisor exited at once: {}",
                text.trim()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Error::failed(format!(
        "the supervisor did not report within {} s; see {}",
        START_WAIT.as_secs(),
        paths.logs_dir().display()
    )))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DownReport {
    /// The supervisor was running and has stopped.
    pub supervisor_stopped: bool,
    pub agents_stopped: Vec<String>,
    /// Windows left alone because a person is attached (use --force).
    pub refused: Vec<String>,
    /// Windows that could not be stopped, with why.
    pub failed: Vec<String>,
}

/// How long `gt down` waits for the supervisor to let go (a gate may be running).
const STOP_WAIT: Duration = Duration::from_secs(20);

pub fn down(ctx: &mut Ctx, force: bool) -> Result<DownReport> {
    let paths = ctx.town.paths.clone();
    let was_running = status::lock_held(&paths);
    let pid = status::read_file(&paths).map(|s| (s.pid, s.kind));
    std::fs::create_dir_all(paths.runtime_dir()).map_err(|e| Error::io("create .gt", e))?;
    let stamp = format!("{} {}\n", crate::time::now(), ctx.actor);
    crate::fsutil::write_atomic(&status::down_marker(&paths), stamp.as_bytes())
        .map_err(|e| Error::io("write the down marker", e))?;
    let end = Instant::now() + STOP_WAIT;
    while status::lock_held(&paths) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    if status::lock_held(&paths)
        && let Some((pid, status::Kind::Daemon)) = pid
    {
        // Stuck in a long gate: stop it the hard way (the merge queue resumes where it was).
        tracing::warn!(pid, "the supervisor did not stop in time; killing it");
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut report = DownReport {
        supervisor_stopped: was_running && !status::lock_held(&paths),
        agents_stopped: Vec::new(),
        refused: Vec::new(),
        failed: Vec::new(),
    };
    // A gate the supervisor was running dies with it, not later in a worktree nobody owns.
    for rig in ctx.town.rigs()? {
        crate::work::refinery::gates::stop_leftover(
            &crate::work::refinery::gates::gate_record(&paths, &rig.name),
            &paths.refinery_dir(&rig.name),
        );
    }
    // Agents `gt up` brings back did not crash: their restart history starts afresh.
    crate::work::witness::forget_all(ctx);
    let server = ctx.tmux();
    for p in server.panes()? {
        if p.daemon {
            // The supervisor has stopped; its leftover window goes unless someone watches it.
            if !p.human_attached() || force {
                server.kill_agent_window(&p.window_id)?;
            }
            continue;
        }
        let Some(agent) = p.agent.clone() else {
            continue;
        };
        if p.human_attached() && !force {
            report.refused.push(agent);
            continue;
        }
        // One window that cannot be stopped does not keep the others running.
        let res = match Address::parse(&agent) {
            Ok(addr) => session::stop(ctx, &addr, force).map(|_| ()),
            Err(_) => server
                .kill_agent_window(&p.window_id)
                .map(|_| ())
                .map_err(Error::from),
        };
        match res {
            Ok(()) => report.agents_stopped.push(agent),
            Err(e) => report.failed.push(format!("{agent}: {e}")),
        }
    }
    report.agents_stopped.sort();
    report.agents_stopped.dedup();
    // The hosts' connections end with the town (the next use opens them again), and with
    // them the folder of their sockets (the supervisor that served the town sockets is gone).
    let hosts = crate::town::hosts::load(&ctx.town.paths).unwrap_or_default();
    for h in &hosts {
        if let Ok(c) = crate::work::hosts::conn(ctx, h) {
            c.close();
        }
    }
    if !hosts.is_empty() && (report.supervisor_stopped || !status::lock_held(&ctx.town.paths)) {
        let _ = std::fs::remove_dir_all(crate::work::hosts::control_dir(ctx));
    }
    Ok(report)
}
