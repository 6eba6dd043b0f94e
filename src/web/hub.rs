//! The one thing that looks at the town for every open page: a thread that takes the same
//! snapshot the workspace takes (two tmux processes per refresh however many pages are open,
//! the ledger read only when it changed) and hands each new state to every page. It looks
//! only while someone is watching (and a little after), at once when the ledger changes
//! (checked every 100 ms, a cheap counter read), and at least once a second.

use super::{page_state, screen};
use crate::work::Ctx;
use crate::work::views::snapshot::{self, Cache, Request};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The longest a page waits for a look at the town.
const REFRESH: Duration = Duration::from_secs(1);
/// How often the ledger's change counter is read between refreshes.
const LEDGER_CHECK: Duration = Duration::from_millis(100);
/// Looking goes on this long after the last page left (a reload comes back at once).
const LINGER: Duration = Duration::from_secs(30);
/// An unchanged town is still re-sent this often (ages on the page move on).
const RESEND: Duration = Duration::from_secs(10);
/// The least time between two looks, however often pages or actions ask.
const MIN_GAP: Duration = Duration::from_millis(200);
/// Git facts of worktrees (dirty files, commits ahead) are read again this often.
const GIT_EVERY: Duration = Duration::from_secs(5);

/// One look at the town, as pages get it.
#[derive(Debug, Default)]
pub struct Frame {
    /// Counts up with each new state (0: nothing looked at yet).
    pub version: u64,
    pub state: Arc<str>,
    /// The coloured screens pages asked for, by agent.
    pub screens: HashMap<String, Arc<str>>,
}

pub struct Hub {
    frames: watch::Sender<Arc<Frame>>,
    /// Agents whose screens open pages show, with how many pages show each.
    wanted: Mutex<BTreeMap<String, usize>>,
    viewers: AtomicUsize,
    last_demand: Mutex<Instant>,
    poked: Mutex<bool>,
    wake: Condvar,
    stop: AtomicBool,
}

impl Hub {
    /// Starts the looking thread for the town at `root`.
    pub fn start(root: PathBuf) -> crate::Result<Arc<Hub>> {
        let (frames, _) = watch::channel(Arc::new(Frame::default()));
        let hub = Arc::new(Hub {
            frames,
            wanted: Mutex::new(BTreeMap::new()),
            viewers: AtomicUsize::new(0),
            last_demand: Mutex::new(Instant::now()),
            poked: Mutex::new(true),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let ctx = Ctx::open(&root)?;
        let h = hub.clone();
        std::thread::Builder::new()
            .name("gt-web-hub".into())
            .spawn(move || h.run(ctx))
            .map_err(|e| crate::Error::io("start the dashboard's looking thread", e))?;
        Ok(hub)
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<Frame>> {
        self.frames.subscribe()
    }

    pub fn current(&self) -> Arc<Frame> {
        self.frames.borrow().clone()
    }

    /// Look again now (after an action, or a page that needs a state).
    pub fn poke(&self) {
        if let Ok(mut l) = self.last_demand.lock() {
            *l = Instant::now();
        }
        if let Ok(mut p) = self.poked.lock() {
            *p = true;
        }
        self.wake.notify_all();
    }

    /// Stops looking and ends every page's stream (they are woken to see it).
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.frames.send_modify(|_| {});
        self.poke();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// A page is open (showing `agent`'s screen, if any) until the guard is dropped.
    pub fn watch(self: &Arc<Hub>, agent: Option<String>) -> Viewer {
        self.viewers.fetch_add(1, Ordering::SeqCst);
        self.want(agent.clone());
        self.poke();
        Viewer {
            hub: self.clone(),
            agent,
        }
    }

    fn want(&self, agent: Option<String>) {
        if let (Some(a), Ok(mut w)) = (agent, self.wanted.lock()) {
            *w.entry(a).or_default() += 1;
        }
    }

    fn unwant(&self, agent: Option<String>) {
        if let (Some(a), Ok(mut w)) = (agent, self.wanted.lock())
            && let Some(n) = w.get_mut(&a)
        {
            *n -= 1;
            if *n == 0 {
                w.remove(&a);
            }
        }
    }

    pub fn viewers(&self) -> usize {
        self.viewers.load(Ordering::SeqCst)
    }

    /// Someone is watching (or did a moment ago): the state is at most a second old.
    pub fn looking(&self) -> bool {
        self.viewers() > 0
            || self
                .last_demand
                .lock()
                .map(|l| l.elapsed() < LINGER)
                .unwrap_or(true)
    }

    fn request(&self) -> Request {
        Request {
            identity: "overseer".into(),
            screens: self
                .wanted
                .lock()
                .map(|w| w.keys().cloned().collect())
                .unwrap_or_default(),
            ..Request::default()
        }
    }

    /// Waits up to `d` for a poke; true when poked.
    fn wait(&self, d: Duration) -> bool {
        let Ok(mut p) = self.poked.lock() else {
            return false;
        };
        if !*p {
            p = match self.wake.wait_timeout(p, d) {
                Ok((p, _)) => p,
                Err(_) => return false,
            };
        }
        std::mem::replace(&mut *p, false)
    }

    fn run(self: Arc<Hub>, mut ctx: Ctx) {
        let mut cache = Cache::new();
        // The last state sent, without its clock and tmux count: what the page would show.
        let mut last: Option<String> = None;
        let mut last_sent = Instant::now();
        let mut git_read = Instant::now();
        let mut version = 0u64;
        // Back from idle, the first look is sent even if the town looks the same: whoever
        // asked is waiting for a state.
        let mut was_idle = false;
        while !self.stop.load(Ordering::SeqCst) {
            if !self.looking() {
                was_idle = true;
                self.wait(REFRESH);
                continue;
            }
            if let Err(e) = ctx.follow_town() {
                tracing::warn!(error = %e, "town.toml could not be read again; the last good settings stay");
            }
            if git_read.elapsed() >= GIT_EVERY {
                cache.touched(ctx.town.root());
                git_read = Instant::now();
            }
            let req = self.request();
            let looked_at = Instant::now();
            // Read before the look: a commit during it is still news after.
            let seen = ctx.reader().data_version().ok();
            match snapshot::refresh(&ctx, &mut cache, &req) {
                Ok(s) => {
                    let screens: HashMap<String, Arc<str>> = s
                        .screens
                        .iter()
                        .map(|p| {
                            (
                                p.agent.clone(),
                                Arc::from(screen::to_json(&p.agent, &p.text)),
                            )
                        })
                        .collect();
                    let before = self.current();
                    let shown = page_state::unstamped_json(&s);
                    let town_changed =
                        std::mem::take(&mut was_idle) || last.as_ref() != Some(&shown);
                    let screens_changed = screens.len() != before.screens.len()
                        || screens
                            .iter()
                            .any(|(a, j)| before.screens.get(a).is_none_or(|b| b != j));
                    if town_changed || screens_changed || last_sent.elapsed() >= RESEND {
                        version += 1;
                        let state: Arc<str> = if town_changed || last_sent.elapsed() >= RESEND {
                            Arc::from(page_state::to_json(&s))
                        } else {
                            before.state.clone()
                        };
                        if town_changed || last_sent.elapsed() >= RESEND {
                            last_sent = Instant::now();
                        }
                        self.frames.send_replace(Arc::new(Frame {
                            version,
                            state,
                            screens,
                        }));
                        last = Some(shown);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the dashboard could not look at the town"),
            }
            self.pause(&ctx, seen, looked_at);
        }
    }

    /// Until the next look: a second after the last began, or sooner when poked or the
    /// ledger changed since `seen` — never sooner than `MIN_GAP` after it.
    fn pause(&self, ctx: &Ctx, seen: Option<i64>, looked_at: Instant) {
        let until = looked_at + REFRESH;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let news = left.is_zero()
                || self.wait(left.min(LEDGER_CHECK))
                || ctx.reader().data_version().ok() != seen;
            if news {
                let early = (looked_at + MIN_GAP).saturating_duration_since(Instant::now());
                if !early.is_zero() {
                    std::thread::sleep(early);
                }
                return;
            }
        }
    }
}

/// An open page; dropping it (the page closed) stops its screen being read.
pub struct Viewer {
    hub: Arc<Hub>,
    agent: Option<String>,
}

impl Viewer {
    /// The dashboard is stopping: the page's stream ends.
    pub fn closing(&self) -> bool {
        self.hub.stopped()
    }

    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    /// The page shows another agent's screen (or none); looked at again at once.
    pub fn show(&mut self, agent: Option<String>) {
        if agent == self.agent {
            return;
        }
        self.hub.unwant(self.agent.take());
        self.hub.want(agent.clone());
        self.agent = agent;
        self.hub.poke();
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.hub.viewers.fetch_sub(1, Ordering::SeqCst);
        self.hub.unwant(self.agent.take());
        if let Ok(mut l) = self.hub.last_demand.lock() {
            *l = Instant::now();
        }
    }
}
