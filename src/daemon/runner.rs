//! Each duty runs in a thread of its own (with its own ledger connection), round
//! after round. A duty that fails or panics is started again after a pause that doubles with
//! each failure in a row (1 s … 60 s); the failure is in the status for everyone to see.

use super::duty::Duty;
use super::status::{DutyState, DutyStatus};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the duty threads and the supervisor share.
pub struct Shared {
    pub root: PathBuf,
    stop: AtomicBool,
    duties: Mutex<Vec<DutyStatus>>,
    /// Duties asked to do their next round now (the watcher saw something).
    pokes: Mutex<HashSet<String>>,
    /// Wakes a pausing duty the moment it is poked.
    poked: Condvar,
    /// duty → the agents' processes it last saw running; the watcher pokes it when one ends.
    pids: Mutex<std::collections::BTreeMap<String, Vec<u32>>>,
}

impl Shared {
    pub fn new(root: PathBuf) -> Arc<Shared> {
        Arc::new(Shared {
            root,
            stop: AtomicBool::new(false),
            duties: Mutex::new(Vec::new()),
            pokes: Mutex::new(HashSet::new()),
            poked: Condvar::new(),
            pids: Mutex::new(Default::default()),
        })
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn duties(&self) -> Vec<DutyStatus> {
        self.duties.lock().map(|d| d.clone()).unwrap_or_default()
    }

    fn update(&self, name: &str, f: impl FnOnce(&mut DutyStatus)) {
        if let Ok(mut all) = self.duties.lock() {
            match all.iter_mut().find(|d| d.name == name) {
                Some(d) => f(d),
                None => {
                    let mut d = DutyStatus {
                        name: name.to_string(),
                        state: DutyState::Starting,
                        restarts: 0,
                        last_error: None,
                        last_tick_at: None,
                        summary: String::new(),
                    };
                    f(&mut d);
                    all.push(d);
                }
            }
        }
    }

    /// A round finished. Its summary goes to the log when it differs from the last one (a
    /// line per round would bury what changed under thousands of identical rounds).
    pub fn ticked(&self, name: &str, summary: String) {
        let now = chrono::Utc::now().timestamp();
        self.update(name, |d| {
            if d.summary != summary || d.state != DutyState::Running {
                tracing::info!("round: {summary}");
            }
            d.state = DutyState::Running;
            d.last_tick_at = Some(now);
            d.summary = summary;
        });
    }

    /// Asks the duty `name` (all duties of a kind with a `witness:` style prefix) to go now.
    pub fn poke(&self, name: &str) {
        if let Ok(mut p) = self.pokes.lock() {
            p.insert(name.to_string());
        }
        self.poked.notify_all();
    }

    /// The processes `duty` wants to hear about when they end.
    pub fn watch_pids(&self, duty: &str, pids: Vec<u32>) {
        if let Ok(mut all) = self.pids.lock() {
            all.insert(duty.to_string(), pids);
        }
    }

    /// Every (duty, process) pair to look at.
    pub fn watched_pids(&self) -> Vec<(String, u32)> {
        self.pids
            .lock()
            .map(|all| {
                all.iter()
                    .flat_map(|(d, ps)| ps.iter().map(move |p| (d.clone(), *p)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Takes back a poke of `name`, if there was one (for tests).
    #[cfg(test)]
    pub fn take_poke(&self, name: &str) -> Option<()> {
        self.pokes.lock().ok()?.remove(name).then_some(())
    }

    /// Pokes every duty whose name starts with `prefix` (`witness:`: every rig's witness).
    pub fn poke_all(&self, prefix: &str) {
        let names: Vec<String> = self
            .duties()
            .into_iter()
            .map(|d| d.name)
            .filter(|n| n.starts_with(prefix))
            .collect();
        for n in names {
            self.poke(&n);
        }
    }

    /// Sleeps up to `d`; returns early when stopping or poked (at once: a poke wakes it).
    pub fn pause(&self, name: &str, d: Duration) {
        let end = Instant::now() + d;
        let Ok(mut pokes) = self.pokes.lock() else {
            return;
        };
        loop {
            if self.stopping() || pokes.remove(name) {
                return;
            }
            let now = Instant::now();
            if now >= end {
                return;
            }
            // Stopping is looked at every 100 ms.
            match self
                .poked
                .wait_timeout(pokes, Duration::from_millis(100).min(end - now))
            {
                Ok((p, _)) => pokes = p,
                Err(_) => return,
            }
        }
    }

    /// A failed duty's pause: only stopping ends it early. (A poke comes with every change
    /// to the town; if it ended the backoff, a duty failing on every pass would run — and
    /// fail — as often as the town changes.)
    fn backoff(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end && !self.stopping() {
            std::thread::sleep(Duration::from_millis(100).min(end - Instant::now()));
        }
    }
}

const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A duty healthy this long starts its backoff from the beginning after its next failure.
const HEALTHY: Duration = Duration::from_secs(300);

/// Starts `duty` in its own thread, restarting it with backoff until the supervisor stops.
pub fn spawn(duty: Duty, shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    let name = duty.name();
    shared.update(&name, |d| d.state = DutyState::Starting);
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            // Every line the duty logs (here or in the use cases it calls) carries its name:
            // `gt daemon logs` picks the supervisor's lines out of the town's log by it.
            let span = tracing::info_span!("duty", name = %name);
            let _in_span = span.enter();
            tracing::info!("duty started");
            let mut failures: u32 = 0;
            loop {
                let began = Instant::now();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    duty.run(&shared)
                }));
                let error = match outcome {
                    Ok(Ok(())) => break,
                    Ok(Err(e)) => e.to_string(),
                    Err(panic) => panic_text(&panic),
                };
                if shared.stopping() {
                    break;
                }
                if began.elapsed() > HEALTHY {
                    failures = 0;
                }
                failures += 1;
                let wait = Duration::from_secs(1 << (failures - 1).min(6)).min(MAX_BACKOFF);
                tracing::warn!(duty = %name, error = %error, wait_secs = wait.as_secs(), "duty failed; restarting after a pause");
                shared.update(&name, |d| {
                    d.state = DutyState::Backoff;
                    d.restarts += 1;
                    d.last_error = Some(error.clone());
                    d.summary = format!("failed; starting again in {}s", wait.as_secs());
                });
                shared.backoff(wait);
                if shared.stopping() {
                    break;
                }
            }
            shared.update(&name, |d| d.state = DutyState::Stopped);
            tracing::info!("duty stopped");
        })
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("panicked: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A duty that fails on every pass waits out its backoff even while the town keeps
    /// poking it (before, each poke cut the pause short: a failure loop as fast as changes).
    /// A poke ends a pause (the whole pause otherwise: an hour here).
    #[test]
    fn a_poke_ends_a_pause() {
        let shared = Shared::new(PathBuf::from("/nonexistent"));
        let s2 = shared.clone();
        let t = std::thread::spawn(move || s2.pause("witness:r", Duration::from_secs(3600)));
        std::thread::sleep(Duration::from_millis(50));
        shared.poke("witness:r");
        let end = Instant::now() + Duration::from_secs(20);
        while !t.is_finished() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(t.is_finished(), "still pausing after the poke");
        shared.request_stop();
    }

    #[test]
    fn a_failing_duty_backs_off_even_when_poked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shared = Shared::new(dir.path().join("no-town-here"));
        let duty = Duty::Deacon;
        let name = duty.name();
        let handle = spawn(duty, shared.clone()).expect("spawn");
        let end = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < end {
            shared.poke(&name);
            std::thread::sleep(Duration::from_millis(20));
        }
        let restarts = shared
            .duties()
            .iter()
            .find(|d| d.name == name)
            .map_or(0, |d| d.restarts);
        shared.request_stop();
        let _ = handle.join();
        assert!(
            (1..=2).contains(&restarts),
            "1 s, then 2 s of backoff: {restarts} restarts in 1.5 s"
        );
    }
}
