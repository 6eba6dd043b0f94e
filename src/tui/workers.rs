//! The workspace's background threads, so the UI thread never waits on tmux, git or the
//! ledger: a snapshotter (refreshes the town picture; tmux twice per refresh, the ledger
//! only when it changed, git only for worktrees that changed) and an executor (runs effects
//! with the same `work/` services the CLI uses). Each has its own ledger connection.

use super::msg::{Effect, Msg};
use crate::work::agents::delivery::DeliveryState;
use crate::work::views::snapshot::{self, Cache, Request, TownSnapshot};
use crate::work::{self, Ctx};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How often the town is looked at when nothing prompts it.
const REFRESH: Duration = Duration::from_secs(1);
/// Even an unchanged town is re-sent this often (ages on screen move on).
const RESEND: Duration = Duration::from_secs(10);

pub enum WatchCmd {
    Request(Request),
    /// Look again now (after an effect, or on the person's request).
    Refresh {
        full: bool,
    },
    /// Files changed under these paths (worktrees, repositories).
    Touched(Vec<PathBuf>),
}

pub struct Workers {
    pub watch: Sender<WatchCmd>,
    pub effects: Sender<Effect>,
    /// Keeps the file watcher alive.
    _watcher: Option<Box<dyn std::any::Any + Send>>,
}

pub fn start(root: &Path, to_ui: UnboundedSender<Msg>) -> crate::Result<Workers> {
    let (watch_tx, watch_rx) = std::sync::mpsc::channel();
    let (fx_tx, fx_rx) = std::sync::mpsc::channel();
    let snap_ctx = Ctx::open(root)?;
    let fx_ctx = Ctx::open(root)?;
    let ui = to_ui.clone();
    std::thread::Builder::new()
        .name("gt-snapshot".into())
        .spawn(move || snapshotter(snap_ctx, watch_rx, ui))
        .map_err(|e| crate::Error::io("start the snapshot thread", e))?;
    let poke = watch_tx.clone();
    std::thread::Builder::new()
        .name("gt-effects".into())
        .spawn(move || executor(fx_ctx, fx_rx, to_ui, poke))
        .map_err(|e| crate::Error::io("start the effects thread", e))?;
    let watcher = if std::env::var_os("GT_NO_WATCH").is_some() {
        None
    } else {
        watch_files(root, watch_tx.clone())
    };
    Ok(Workers {
        watch: watch_tx,
        effects: fx_tx,
        _watcher: watcher,
    })
}

/// Two snapshots show the same town (the clock and the tmux count aside).
fn same(a: &TownSnapshot, b: &TownSnapshot) -> bool {
    let strip = |s: &TownSnapshot| {
        let mut s = s.clone();
        s.taken_at = 0;
        s.tmux_calls = 0;
        format!("{s:?}")
    };
    strip(a) == strip(b)
}

fn snapshotter(mut ctx: Ctx, rx: Receiver<WatchCmd>, ui: UnboundedSender<Msg>) {
    let mut cache = Cache::new();
    let mut req = Request {
        identity: "overseer".into(),
        ..Request::default()
    };
    let mut last: Option<Arc<TownSnapshot>> = None;
    let mut last_sent = Instant::now();
    let mut notifier = work::views::notify::Notifier::default();
    loop {
        if let Err(e) = ctx.follow_town() {
            tracing::warn!(error = %e, "town.toml could not be read again; the last good settings stay");
        }
        match snapshot::refresh(&ctx, &mut cache, &req) {
            Ok(s) => {
                // Told even when not looking: the bell and a desktop notice, as asked.
                if let Ok(cfg) = work::views::notify::NotifyConfig::read(&ctx)
                    && (cfg.bell || cfg.desktop)
                    && let Some(n) = notifier.observe(&cfg, s.taken_at, &s.attention, &s.feed)
                    && ui
                        .send(Msg::Notice {
                            notice: n,
                            bell: cfg.bell,
                            desktop: cfg.desktop,
                        })
                        .is_err()
                {
                    return;
                }
                let changed = last.as_ref().is_none_or(|l| !same(l, &s));
                if changed || last_sent.elapsed() >= RESEND {
                    let s = Arc::new(s);
                    last = Some(s.clone());
                    last_sent = Instant::now();
                    if ui.send(Msg::Snapshot(s)).is_err() {
                        return;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "refreshing the town"),
        }
        // Wait for the next refresh or a command; several commands arriving together make
        // one refresh.
        let deadline = Instant::now() + REFRESH;
        let mut first = true;
        loop {
            let timeout = if first {
                deadline.saturating_duration_since(Instant::now())
            } else {
                Duration::from_millis(5)
            };
            match rx.recv_timeout(timeout) {
                Ok(cmd) => {
                    first = false;
                    match cmd {
                        WatchCmd::Request(r) => req = r,
                        WatchCmd::Refresh { full } => {
                            if full {
                                cache.invalidate();
                            }
                        }
                        WatchCmd::Touched(paths) => {
                            for p in paths {
                                cache.touched(&p);
                            }
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

fn executor(mut ctx: Ctx, rx: Receiver<Effect>, ui: UnboundedSender<Msg>, poke: Sender<WatchCmd>) {
    for fx in rx {
        let msg = run_effect(&mut ctx, fx);
        if let Some(m) = msg
            && ui.send(m).is_err()
        {
            return;
        }
        let _ = poke.send(WatchCmd::Refresh { full: false });
    }
}

fn done(id: u64, r: crate::Result<String>) -> Option<Msg> {
    Some(Msg::Done {
        id,
        result: r.map_err(|e| e.to_string()),
    })
}

/// Runs one effect with the `work/` services; the message to report back. What the use case
/// warned about (the CLI prints it on stderr) goes along with the outcome.
pub fn run_effect(ctx: &mut Ctx, fx: Effect) -> Option<Msg> {
    ctx.warnings.clear();
    // Settings changed from a shell since the last action count for this one.
    if let Err(e) = ctx.follow_town() {
        tracing::warn!(error = %e, "town.toml could not be read again; the last good settings stay");
    }
    let msg = effect_outcome(ctx, fx);
    let warnings = std::mem::take(&mut ctx.warnings);
    if warnings.is_empty() {
        return msg;
    }
    let also = warnings.join("; ");
    let with_warnings = |result: Result<String, String>| match result {
        Ok(line) => Ok(format!("{line} — {also}")),
        Err(e) => Err(format!("{e} — {also}")),
    };
    match msg {
        Some(Msg::Done { id, result }) => Some(Msg::Done {
            id,
            result: with_warnings(result),
        }),
        Some(Msg::Slung { id, result, agent }) => Some(Msg::Slung {
            id,
            result: with_warnings(result),
            agent,
        }),
        other => other,
    }
}

fn effect_outcome(ctx: &mut Ctx, fx: Effect) -> Option<Msg> {
    match fx {
        Effect::Sling { id, bead, target } => {
            let outcome = work::scheduler::sling_or_queue(ctx, &bead, &target, &Default::default());
            let agent = match &outcome {
                Ok(work::scheduler::Outcome::Slung(s)) => Some(s.agent.clone()),
                _ => None,
            };
            let result = outcome
                .map(|o| match o {
                    work::scheduler::Outcome::Slung(s) if s.already => {
                        format!("{} is already on {}'s hook", s.bead, s.agent)
                    }
                    work::scheduler::Outcome::Slung(s) => {
                        format!("Slung {} to {} ({})", s.bead, s.agent, s.runtime)
                    }
                    work::scheduler::Outcome::Queued(q) => format!(
                        "Queued {} for {} (position {}): {}",
                        q.bead, q.target, q.position, q.reason
                    ),
                })
                .map_err(|e| e.to_string());
            Some(Msg::Slung { id, result, agent })
        }
        Effect::SendMail {
            id,
            to,
            subject,
            body,
            reply_to,
        } => {
            let from = ctx.actor.clone();
            let req = work::mail::SendRequest {
                to,
                cc: Vec::new(),
                subject,
                body,
                priority: None,
                reply_to,
            };
            done(
                id,
                work::mail::send(ctx, &from, &req).map(|s| s.describe("Sent to")),
            )
        }
        Effect::ReadMail { id, message } => Some(Msg::MessageLoaded {
            id,
            result: work::mail::read(ctx, &message)
                .map(Box::new)
                .map_err(|e| e.to_string()),
        }),
        Effect::Archive { id, message } => done(
            id,
            work::mail::archive(ctx, std::slice::from_ref(&message))
                .map(|_| format!("Archived {message}")),
        ),
        Effect::MarkUnread { id, message } => done(
            id,
            work::mail::mark(ctx, std::slice::from_ref(&message), false)
                .map(|_| format!("{message} is unread again")),
        ),
        Effect::Nudge { id, agent, text } => {
            let sender = ctx.actor.clone();
            let r = work::agents::delivery::nudge(
                ctx,
                &agent,
                &sender,
                &text,
                Duration::from_secs(5),
                true,
            );
            done(
                id,
                r.and_then(|d| match d.state {
                    DeliveryState::Delivered => Ok(format!("Delivered to {}", d.agent)),
                    DeliveryState::Queued => {
                        Ok(format!("{} is busy: queued for its next prompt", d.agent))
                    }
                    _ => Err(crate::Error::failed(
                        d.reason
                            .unwrap_or_else(|| format!("it is {}", d.state.as_str())),
                    )),
                }),
            )
        }
        Effect::MayorSay { id, text } => {
            let r = work::agents::mayor::say(ctx, &text, Duration::from_secs(10));
            done(
                id,
                r.and_then(|d| match d.state {
                    DeliveryState::Delivered => Ok("delivered".into()),
                    DeliveryState::Queued => Ok("queued: the mayor is busy".into()),
                    _ => Err(crate::Error::failed(
                        d.reason
                            .unwrap_or_else(|| format!("it is {}", d.state.as_str())),
                    )),
                }),
            )
        }
        Effect::NewConvoy { id, title, beads } => done(
            id,
            work::convoy::create(ctx, &title, &beads)
                .map(|c| format!("Convoy {} \"{}\" tracks {} bead(s)", c.id, c.title, c.total)),
        ),
        Effect::AckEscalation { id, escalation } => done(
            id,
            work::mail::escalation::ack(ctx, &escalation).map(|e| format!("Acknowledged {}", e.id)),
        ),
        Effect::RunCommand { id, line } => Some(run_command(ctx, id, line)),
        Effect::LoadTree { id, bead, edit } => Some(Msg::TreeLoaded {
            id,
            result: work::beads::tree::tree(ctx, &bead, 2)
                .map(Box::new)
                .map_err(|e| e.to_string()),
            edit,
        }),
        Effect::SaveBead { id, fields } => done(
            id,
            work::beads::save(ctx, fields).map(|(b, created)| {
                let verb = if created { "Created" } else { "Saved" };
                format!("{verb} {} \"{}\"", b.id, b.title)
            }),
        ),
        Effect::Diff { id, target } => Some(Msg::DiffLoaded {
            id,
            result: work::refinery::diff::diff(ctx, &target, true)
                .map(Box::new)
                .map_err(|e| e.to_string()),
        }),
        Effect::Approve { id, mr } => {
            let who = ctx.actor.clone();
            done(
                id,
                work::refinery::review::approve(ctx, &mr, &who)
                    .map(|a| format!("Approved {}: it lands once its gates pass", a.merge_request)),
            )
        }
        Effect::SendBack { id, mr, comment } => {
            let who = ctx.actor.clone();
            done(
                id,
                work::refinery::review::send_back(ctx, &mr, &comment, &who).map(|s| {
                    match (&s.returned_to, &s.why_not) {
                        (Some(a), _) => format!("Sent {mr} back to {a} with your comment"),
                        (None, Some(w)) => format!("Sent {mr} back: {w}"),
                        (None, None) => format!("Sent {mr} back"),
                    }
                }),
            )
        }
        // The app handles these itself.
        Effect::Refresh | Effect::Attach { .. } | Effect::Notify { .. } | Effect::Quit => None,
    }
}

/// How long a palette command may run before it is stopped.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Runs a palette command: this same gt binary in the town, its words passed as they are
/// (no shell), what it printed (stdout, then stderr) kept for the palette.
fn run_command(ctx: &Ctx, id: u64, line: String) -> Msg {
    let done = |ok: bool, output: String| Msg::CommandDone {
        id,
        command: line.clone(),
        ok,
        output,
    };
    let words = match crate::tui::palette::split(&line) {
        Ok(w) => w,
        Err(why) => return done(false, why),
    };
    let mut cmd = std::process::Command::new(crate::fsutil::gt_exe());
    cmd.args(&words)
        .current_dir(ctx.town.root())
        .env("NO_COLOR", "1")
        // Not as an agent, and never steering the person's own tmux client.
        .env_remove("GT_AGENT")
        .env_remove("TMUX");
    match crate::process::run_within(
        &mut cmd,
        None,
        COMMAND_LIMIT,
        crate::process::Kill::Group,
        |_| {},
    ) {
        Ok(f) => {
            let mut text = String::from_utf8_lossy(&f.stdout).into_owned();
            let err = String::from_utf8_lossy(&f.stderr);
            if !err.trim().is_empty() {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&err);
            }
            let text = crate::inert::visible(&text);
            match f.status {
                Some(s) if s.success() => done(true, text),
                Some(s) => done(
                    false,
                    format!("{text}(exit status {})", s.code().unwrap_or(-1)),
                ),
                None => done(
                    false,
                    format!("{text}(stopped after {} s)", COMMAND_LIMIT.as_secs()),
                ),
            }
        }
        Err(e) => done(false, format!("could not run gt: {e}")),
    }
}

/// Watches the rigs' worktrees and repositories, so hook facts (dirty files, commits) move
/// when an agent works, without polling git.
fn watch_files(root: &Path, tx: Sender<WatchCmd>) -> Option<Box<dyn std::any::Any + Send>> {
    use notify::RecursiveMode;
    use notify_debouncer_full::new_debouncer;
    let town = crate::town::Town::open(root).ok()?;
    let rigs = town.rigs().ok()?;
    let mut debouncer = new_debouncer(
        Duration::from_millis(500),
        None,
        move |res: notify_debouncer_full::DebounceEventResult| {
            if let Ok(events) = res {
                tracing::debug!(n = events.len(), first = ?events.first().map(|e| e.event.paths.clone()), "file events");
                // Reads (git looking at a worktree opens its files) change nothing.
                let paths: Vec<PathBuf> = events
                    .into_iter()
                    .filter(|e| !matches!(e.event.kind, notify::EventKind::Access(_)))
                    .flat_map(|e| e.event.paths)
                    .filter(|p| meaningful(p))
                    .collect();
                if !paths.is_empty() {
                    let _ = tx.send(WatchCmd::Touched(paths));
                }
            }
        },
    )
    .map_err(|e| tracing::warn!(error = %e, "no file watcher; hook facts refresh on restart"))
    .ok()?;
    // The whole rig folder: its repository, and worktrees made after the workspace opened.
    for r in rigs {
        let dir = root.join(&r.name);
        if let Err(e) = debouncer.watch(&dir, RecursiveMode::Recursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "not watched");
        }
    }
    Some(Box::new(debouncer))
}

/// Changes that can alter hook facts: files in worktrees, branch refs. Not git's own
/// bookkeeping — reading a worktree's status rewrites its index, and reacting to that would
/// make the watcher feed itself.
fn meaningful(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "index" || name.ends_with(".lock") || name == "FETCH_HEAD" {
        return false;
    }
    !p.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("objects" | "logs" | "hooks" | "info")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_bookkeeping_is_not_a_change() {
        for p in [
            "/t/shop/.repo.git/worktrees/polecat-ash/index",
            "/t/shop/.repo.git/worktrees/polecat-ash/index.lock",
            "/t/shop/.repo.git/objects/ab/cdef",
            "/t/shop/.repo.git/logs/HEAD",
        ] {
            assert!(!meaningful(Path::new(p)), "{p}");
        }
        for p in [
            "/t/shop/.repo.git/refs/heads/polecat/ash/sh-1",
            "/t/shop/polecats/ash/src/main.rs",
        ] {
            assert!(meaningful(Path::new(p)), "{p}");
        }
    }
}
