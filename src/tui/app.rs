//! The loop: one task owns the state and the terminal. It waits on terminal input, messages
//! from the workers, and a slow tick; runs `update`; hands the effects out; and draws when
//! something changed — at most about 60 frames a second for the town's changes, a key's
//! frame at once (`pacing`).

use super::msg::{Effect, Msg};
use super::pacing::Pacing;
use super::state::State;
use super::stats::Stats;
use super::terminal::TermGuard;
use super::update::{update, watch_request};
use super::workers::{WatchCmd, Workers};
use super::{update as upd, view};
use crate::work::views::snapshot::Request;
use crate::{Error, Result};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

const TICK: Duration = Duration::from_millis(250);

pub struct App {
    pub state: State,
    pub workers: Workers,
    pub inbox: UnboundedReceiver<Msg>,
    pub root: std::path::PathBuf,
}

fn io(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(what.to_string(), e)
}

impl App {
    pub async fn run(mut self) -> Result<()> {
        let mut guard = TermGuard::enter().map_err(io("set up the terminal"))?;
        let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))
            .map_err(io("set up the terminal"))?;
        let size = term.size().map_err(io("read the terminal size"))?;
        self.state.size = (size.width, size.height);
        for w in std::mem::take(&mut self.state.warnings) {
            self.state.toast(w, true);
        }
        let mut stats = Stats::default();
        let mut events = EventStream::new();
        let started = Instant::now();
        let mut tick = tokio::time::interval(TICK);
        let mut last_request: Option<Request> = None;
        let mut pacing = Pacing::new(Instant::now());
        // When a key arrived that no frame has shown yet.
        let mut key_at: Option<Instant> = None;
        loop {
            self.send_request(&mut last_request);
            let redraw_at = pacing
                .due(self.state.dirty, key_at.is_some())
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            let msg = tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => match to_msg(ev) {
                        Some(m) => m,
                        None => continue,
                    },
                    Some(Err(e)) => return Err(Error::io("read the terminal", e)),
                    None => break,
                },
                m = self.inbox.recv() => match m {
                    Some(m) => m,
                    None => break,
                },
                _ = tick.tick() => Msg::Tick(started.elapsed().as_millis() as u64),
                _ = tokio::time::sleep_until(redraw_at.into()) => {
                    self.draw(&mut term, &mut stats, &mut key_at, &mut pacing)?;
                    continue;
                }
            };
            if matches!(msg, Msg::Key(_)) && key_at.is_none() {
                key_at = Some(Instant::now());
            }
            if let Msg::Snapshot(s) = &msg {
                stats.snapshot(s.tmux_calls);
            }
            let effects = update(&mut self.state, msg);
            let mut quit = false;
            for fx in effects {
                match fx {
                    Effect::Quit => quit = true,
                    Effect::Refresh => {
                        let _ = self.workers.watch.send(WatchCmd::Refresh { full: true });
                    }
                    Effect::Notify {
                        title,
                        body,
                        bell,
                        desktop,
                    } => {
                        let inside_tmux = std::env::var_os("TMUX").is_some();
                        let seq =
                            super::terminal::notice(&title, &body, bell, desktop, inside_tmux);
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        if let Err(e) = out.write_all(seq.as_bytes()).and_then(|()| out.flush()) {
                            tracing::warn!(error = %e, "could not ring the terminal");
                        }
                    }
                    Effect::Attach { agent } => {
                        self.attach(&mut guard, &mut term, &agent).await?;
                        pacing = Pacing::new(Instant::now());
                    }
                    other => {
                        if self.workers.effects.send(other).is_err() {
                            self.state.toast("the worker thread has stopped", true);
                        }
                    }
                }
            }
            if quit || self.state.quit {
                break;
            }
            if pacing
                .due(self.state.dirty, key_at.is_some())
                .is_some_and(|due| due <= Instant::now())
            {
                self.draw(&mut term, &mut stats, &mut key_at, &mut pacing)?;
            }
        }
        drop(guard);
        stats.write();
        Ok(())
    }

    /// Tells the snapshotter what to include when that changed (the preview, the inbox).
    fn send_request(&self, last: &mut Option<Request>) {
        let r = watch_request(&self.state);
        if last.as_ref() != Some(&r) {
            let _ = self.workers.watch.send(WatchCmd::Request(r.clone()));
            *last = Some(r);
        }
    }

    fn draw(
        &mut self,
        term: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
        stats: &mut Stats,
        key_at: &mut Option<Instant>,
        pacing: &mut Pacing,
    ) -> Result<()> {
        let t0 = Instant::now();
        let focus = self.state.focus;
        upd::keep_selection_visible(&mut self.state, focus);
        let state = &self.state;
        term.draw(|f| view::draw(f, state))
            .map_err(io("draw the workspace"))?;
        stats.frame(t0.elapsed());
        let for_key = key_at.is_some();
        if let Some(k) = key_at.take() {
            stats.key(k.elapsed());
        }
        self.state.dirty = false;
        pacing.drawn(Instant::now(), for_key);
        Ok(())
    }

    /// Gives the terminal to the agent's window until the person detaches, then comes back
    /// exactly as it was.
    async fn attach(
        &mut self,
        guard: &mut TermGuard,
        term: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
        agent: &str,
    ) -> Result<()> {
        let ctx = crate::work::Ctx::open(&self.root)?;
        // Inside our own server a switch-client is enough and the workspace keeps the screen.
        let inside = std::env::var("TMUX")
            .ok()
            .and_then(|v| v.split(',').next().map(str::to_string))
            .is_some_and(|s| s.ends_with(&format!("/{}", ctx.tmux().socket())));
        if !inside {
            guard.suspend().map_err(io("give the terminal back"))?;
        }
        let r = crate::work::agents::live::attach(&ctx, agent);
        if !inside {
            guard.resume().map_err(io("take the terminal back"))?;
            term.clear().map_err(io("redraw"))?;
        }
        if let Err(e) = r {
            self.state
                .toast(format!("could not attach to {agent}: {e}"), true);
        }
        self.state.dirty = true;
        let _ = self.workers.watch.send(WatchCmd::Refresh { full: false });
        Ok(())
    }
}

fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Paste(t) => Some(Msg::Paste(t)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

/// Opens the workspace on the town at `root`.
pub fn open(root: &Path) -> Result<()> {
    let ctx = crate::work::Ctx::open(root)?;
    let user_dir = super::keymap::user_config_dir();
    let (keymap, mut warnings) = super::keymap::Keymap::load(user_dir.as_deref());
    let theme_name = ctx.setting("ui.theme", None)?.as_str();
    let (theme, w) = super::theme::Theme::from_env(&theme_name, user_dir.as_deref());
    warnings.extend(w);
    let identity = crate::work::agents::whoami(&ctx).to_string();
    let mut state = State::new(keymap, theme, &identity);
    state.warnings = warnings;
    let root = ctx.town.root().to_path_buf();
    let supervise = ctx.setting("ui.supervise", None)?.as_bool();
    drop(ctx);
    // With no supervisor running (and the town not taken down), the workspace runs the
    // duties itself while it is open; otherwise it shows the supervisor's state.
    let _supervisor = if supervise {
        crate::daemon::Supervisor::start(&root, crate::daemon::Kind::Workspace)?
    } else {
        None
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start the async runtime", e))?;
    let result = rt.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let workers = super::workers::start(&root, tx)?;
        App {
            state,
            workers,
            inbox: rx,
            root: root.clone(),
        }
        .run()
        .await
    });
    // The workspace's own duties stop with it; then say what is left running.
    drop(_supervisor);
    if result.is_ok()
        && let Ok(ctx) = crate::work::Ctx::open(&root)
        && let Ok(lines) = crate::work::views::leaving::farewell(&ctx)
    {
        for l in lines {
            println!("{}", crate::inert::for_terminal(&l));
        }
    }
    result
}
