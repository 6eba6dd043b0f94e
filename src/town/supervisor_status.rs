//! The supervisor's state as others see it: `.gt/daemon/status.json`, rewritten every second
//! by the running supervisor, and the OS lock on `.gt/daemon.lock`, which says whether one
//! runs at all (a status file nobody's lock backs is stale).

use crate::fsutil::LockGuard;
use crate::town::TownPaths;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `gt daemon run`, normally in the `hq:daemon` window (`gt up`).
    Daemon,
    /// The workspace, supervising while it is open because no daemon was running.
    Workspace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyState {
    Starting,
    Running,
    /// It failed; it starts again after a pause that doubles with each failure.
    Backoff,
    Stopped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DutyStatus {
    /// `witness:<rig>`, `refinery:<rig>`, `deacon`, `watcher`.
    pub name: String,
    pub state: DutyState,
    pub restarts: u32,
    pub last_error: Option<String>,
    /// Unix time of its last finished round.
    pub last_tick_at: Option<i64>,
    /// One line on what it last saw or did.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub pid: u32,
    pub kind: Kind,
    pub started_at: i64,
    pub updated_at: i64,
    /// True while the town is down (`gt down`): duties stay stopped.
    #[serde(default)]
    pub paused: bool,
    pub duties: Vec<DutyStatus>,
}

/// What `gt daemon status` and the workspace see.
#[derive(Debug, Clone, Serialize)]
pub struct Seen {
    /// A supervisor holds the lock.
    pub running: bool,
    /// The town was taken down with `gt down` (and not brought up since).
    pub down: bool,
    /// Its last report (when running), or the leftover of a dead one (`stale`).
    pub status: Option<Status>,
    pub stale: bool,
}

pub fn write(paths: &TownPaths, st: &Status) {
    let res = serde_json::to_vec_pretty(st)
        .map_err(std::io::Error::other)
        .and_then(|b| {
            std::fs::create_dir_all(paths.daemon_dir())?;
            crate::fsutil::write_atomic(&paths.daemon_status(), &b)
        });
    if let Err(e) = res {
        tracing::warn!(error = %e, "cannot write the supervisor status");
    }
}

/// Only the pid of whoever wrote the status file (also from a file an older or newer gt wrote,
/// whose other fields differ): what `gt doctor` needs to tell a live supervisor from a stale
/// file.
pub fn read_pid(paths: &TownPaths) -> Option<u32> {
    #[derive(Deserialize)]
    struct Pid {
        pid: u32,
    }
    let text = std::fs::read_to_string(paths.daemon_status()).ok()?;
    serde_json::from_str::<Pid>(&text).ok().map(|p| p.pid)
}

pub fn read_file(paths: &TownPaths) -> Option<Status> {
    let text = std::fs::read_to_string(paths.daemon_status()).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether a supervisor holds the town's lock right now (probed, and let go at once).
pub fn lock_held(paths: &TownPaths) -> bool {
    match LockGuard::try_acquire(&paths.daemon_lock()) {
        Ok(Some(_probe)) => false,
        Ok(None) => true,
        Err(e) => {
            tracing::warn!(error = %e, "cannot probe the daemon lock");
            false
        }
    }
}

/// Written by `gt up` while it starts the daemon: a workspace supervising (or standing by)
/// lets go of the lock and leaves supervising to the daemon. Ignored once stale.
pub fn handover_marker(paths: &TownPaths) -> std::path::PathBuf {
    paths.daemon_dir().join("handover")
}

/// A handover asked for in the last 30 seconds.
pub fn handover_pending(paths: &TownPaths) -> bool {
    std::fs::metadata(handover_marker(paths))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < std::time::Duration::from_secs(30))
}

pub fn down_marker(paths: &TownPaths) -> std::path::PathBuf {
    paths.runtime_dir().join("down")
}

pub fn seen(paths: &TownPaths) -> Seen {
    let running = lock_held(paths);
    let status = read_file(paths);
    Seen {
        running,
        down: down_marker(paths).exists(),
        stale: !running && status.is_some(),
        status,
    }
}

impl Seen {
    /// One line for the status bar.
    pub fn line(&self, now: i64) -> String {
        if self.down && !self.running {
            return "town is down (`gt up` starts it)".into();
        }
        let Some(st) = self.status.as_ref().filter(|_| self.running) else {
            return "supervisor not running (`gt up` starts it)".into();
        };
        let failing: Vec<&str> = st
            .duties
            .iter()
            .filter(|d| d.state == DutyState::Backoff)
            .map(|d| d.name.as_str())
            .collect();
        let who = match st.kind {
            Kind::Daemon => format!("supervisor pid {}", st.pid),
            Kind::Workspace => "supervised by the workspace".to_string(),
        };
        let age = now - st.updated_at;
        if st.paused {
            format!("{who}: paused (town down)")
        } else if age > 15 {
            format!("{who}: no report for {}", crate::time::human_duration(age))
        } else if failing.is_empty() {
            format!("{who}: {} duties running", st.duties.len())
        } else {
            format!("{who}: {} restarting", failing.join(", "))
        }
    }
}
