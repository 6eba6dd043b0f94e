//! The supervisor: holds the town's one daemon lock and keeps every duty running — a witness
//! and a refinery per rig (rigs added later get theirs), the deacon and the watcher — while
//! reporting their state to `.gt/daemon/status.json`. `gt down` (the `.gt/down` marker) stops
//! the duties and lets the lock go; a `gt daemon run` then exits, the workspace waits for the
//! town to come up again.

use super::duty::Duty;
use super::runner::{self, Shared};
use super::status::{self, Kind, Status};
use crate::fsutil::LockGuard;
use crate::town::{Town, TownPaths};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const STOP_WAIT: Duration = Duration::from_secs(5);

/// A running supervisor; dropping it (or `stop`) ends every duty and lets the lock go.
pub struct Supervisor {
    quit: Arc<AtomicBool>,
    main: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Takes the lock and starts the duties; None when another supervisor holds the lock.
    pub fn start(root: &Path, kind: Kind) -> Result<Option<Supervisor>> {
        let town = Town::open(root)?;
        let paths = town.paths.clone();
        // `gt doctor` probes the lock for an instant; a start that meets the probe tries again.
        let mut lock = None;
        for _ in 0..5 {
            lock = LockGuard::try_acquire(&paths.daemon_lock())?;
            if lock.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        // A daemon without the lock is not needed; the workspace stands by, ready to take
        // over if the supervisor that holds it goes away.
        if lock.is_none() && kind == Kind::Daemon {
            return Ok(None);
        }
        let quit = Arc::new(AtomicBool::new(false));
        let q = quit.clone();
        let root = town.root().to_path_buf();
        let main = std::thread::Builder::new()
            .name("supervisor".into())
            .spawn(move || supervise(root, paths, kind, lock, q))
            .map_err(|e| Error::io("start the supervisor thread", e))?;
        Ok(Some(Supervisor {
            quit,
            main: Some(main),
        }))
    }

    /// The supervisor ended by itself (a `gt down` for a daemon).
    pub fn finished(&self) -> bool {
        self.main.as_ref().is_none_or(|m| m.is_finished())
    }

    pub fn stop(mut self) {
        self.halt();
    }

    /// Asks everything to stop and waits a little: a duty in the middle of a long gate is
    /// left to die with the process (the merge queue resumes where it was next time).
    fn halt(&mut self) {
        self.quit.store(true, Ordering::SeqCst);
        let end = Instant::now() + STOP_WAIT;
        while self.main.as_ref().is_some_and(|m| !m.is_finished()) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(m) = self.main.take().filter(|m| m.is_finished()) {
            let _ = m.join();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The duties of one "up" period.
struct Crew {
    shared: Arc<Shared>,
    threads: Vec<(Duty, JoinHandle<()>)>,
}

impl Crew {
    fn new(root: &Path) -> Crew {
        Crew {
            shared: Shared::new(root.to_path_buf()),
            threads: Vec::new(),
        }
    }

    /// Starts the duties the town needs that are not running yet.
    fn ensure(&mut self, root: &Path) {
        let rigs = match Town::open(root).and_then(|t| t.rigs()) {
            Ok(r) => r.into_iter().map(|r| r.name).collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the town's rigs");
                return;
            }
        };
        self.threads.retain(|(_, h)| !h.is_finished());
        for duty in Duty::all_for(&rigs) {
            if self.threads.iter().any(|(d, _)| *d == duty) {
                continue;
            }
            match runner::spawn(duty.clone(), self.shared.clone()) {
                Ok(h) => self.threads.push((duty, h)),
                Err(e) => {
                    tracing::error!(duty = %duty.name(), error = %e, "cannot start a duty thread")
                }
            }
        }
    }

    fn stop(self) {
        self.shared.request_stop();
        for (_, h) in self.threads {
            let _ = h.join();
        }
    }
}

fn supervise(
    root: PathBuf,
    paths: TownPaths,
    kind: Kind,
    mut lock: Option<LockGuard>,
    quit: Arc<AtomicBool>,
) {
    let started_at = chrono::Utc::now().timestamp();
    let mut crew: Option<Crew> = None;
    let mut next_scan = Instant::now();
    tracing::info!(?kind, pid = std::process::id(), "supervisor started");
    while !quit.load(Ordering::SeqCst) {
        if !paths.runtime_dir().is_dir() {
            tracing::warn!("the town's .gt folder is gone; the supervisor ends");
            break;
        }
        let down = status::down_marker(&paths).exists();
        let handing_over = kind == Kind::Workspace && status::handover_pending(&paths);
        if down || handing_over {
            if let Some(c) = crew.take() {
                tracing::info!("the town is down: stopping every duty");
                c.stop();
            }
            if lock.is_some() {
                let _ = std::fs::remove_file(paths.daemon_status());
                lock = None;
            }
            if kind == Kind::Daemon {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
            continue;
        }
        if lock.is_none() {
            // The workspace takes up supervising again once the town is up — unless a
            // `gt daemon run` got there first.
            match LockGuard::try_acquire(&paths.daemon_lock()) {
                Ok(Some(l)) => lock = Some(l),
                _ => {
                    std::thread::sleep(Duration::from_millis(500));
                    continue;
                }
            }
        }
        let c = crew.get_or_insert_with(|| Crew::new(&root));
        if Instant::now() >= next_scan {
            c.ensure(&root);
            next_scan = Instant::now() + Duration::from_secs(5);
        }
        write_status(&paths, kind, started_at, false, c.shared.duties());
        std::thread::sleep(Duration::from_millis(500));
    }
    if let Some(c) = crew.take() {
        c.stop();
    }
    if lock.is_some() {
        let _ = std::fs::remove_file(paths.daemon_status());
    }
    tracing::info!("supervisor stopped");
}

fn write_status(
    paths: &TownPaths,
    kind: Kind,
    started_at: i64,
    paused: bool,
    duties: Vec<status::DutyStatus>,
) {
    status::write(
        paths,
        &Status {
            pid: std::process::id(),
            kind,
            started_at,
            updated_at: chrono::Utc::now().timestamp(),
            paused,
            duties,
        },
    );
}
