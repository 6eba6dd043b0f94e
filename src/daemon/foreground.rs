//! `gt daemon run`: the supervisor in the foreground, normally in the `hq:daemon` window.
//! SIGTERM and Ctrl-C stop it cleanly. A hang-up is ignored: when the tmux server dies the
//! supervisor keeps running (and its witnesses bring the agents back).

use super::status::Kind;
use super::supervisor::Supervisor;
use crate::{Error, Result};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// How `run` ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Signal,
    TownDown,
}

pub fn run(root: &Path) -> Result<Ended> {
    let town = crate::town::Town::open(root)?;
    // Starting a supervisor by hand brings the town up.
    let marker = super::status::down_marker(&town.paths);
    if marker.exists() {
        std::fs::remove_file(&marker).map_err(|e| Error::io("remove the down marker", e))?;
    }
    let Some(sup) = Supervisor::start(town.root(), Kind::Daemon)? else {
        let who = super::status::read_file(&town.paths)
            .map(|s| format!(" (pid {})", s.pid))
            .unwrap_or_default();
        return Err(Error::failed(format!(
            "a supervisor already runs for this town{who}; `gt daemon status` shows it"
        )));
    };
    // A handover asked for by `gt up` is done.
    let _ = std::fs::remove_file(super::status::handover_marker(&town.paths));
    say(&format!(
        "gt supervisor for {} (pid {}) — witnesses, refineries, deacon and watcher running; logs in {}. Ctrl-C stops it; `gt down` stops the town.",
        town.root().display(),
        std::process::id(),
        town.paths.logs_dir().display()
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start the async runtime", e))?;
    let ended = rt.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(|e| Error::io("SIGTERM", e))?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::io("SIGINT", e))?;
        let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::io("SIGHUP", e))?;
        let mut tick = tokio::time::interval(Duration::from_millis(300));
        loop {
            tokio::select! {
                _ = term.recv() => return Ok::<_, Error>(Ended::Signal),
                _ = int.recv() => return Ok(Ended::Signal),
                _ = hup.recv() => tracing::info!("hang-up ignored (the terminal or tmux server went away)"),
                _ = tick.tick() => if sup.finished() { return Ok(Ended::TownDown) },
            }
        }
    })?;
    sup.stop();
    say(match ended {
        Ended::Signal => "gt supervisor stopped.",
        Ended::TownDown => "gt supervisor stopped: the town is down (`gt up` starts it again).",
    });
    Ok(ended)
}

/// A line to the window; a terminal that is gone is not an error.
fn say(text: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}
