//! A session's start, watched until its runtime is ready for work: the startup dialogs the
//! town's configuration already decided are answered; a runtime that exits, stops at a
//! screen only a person can answer, or never shows its prompt fails the start loudly, with
//! its own last screen lines.

use crate::agent::{Runtime, procs, screen, startup};
use crate::tmux::Created;
use crate::work::Ctx;
use crate::{Error, Result};
use chrono::Timelike;
use std::time::{Duration, Instant};

/// What every beacon starts with: seen on an agent's screen, its start reached the runtime.
pub const BEACON_TAG: &str = "[GAS TOWN]";

/// What a start went through.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Ready {
    /// The dialogs gt answered, in order.
    pub answered: Vec<String>,
    pub waited_ms: u128,
}

const POLL: Duration = Duration::from_millis(50);
/// A dialog gt answered must leave the screen within this time, or it is answered again.
/// A dialog gt answered that is still on a screen that has not changed for this long took no
/// keys: it is answered again. While the screen changes (a runtime restarting itself after an
/// answer redraws slowly under load), gt waits.
const STILL_FOR: Duration = Duration::from_secs(3);
const MAX_ANSWERS: usize = 3;
/// A dialog takes keys only once it is drawn and listening: keys pressed the moment its text
/// appears can be lost (seen with Claude Code), so gt waits this long first.
const DIALOG_SETTLE: Duration = Duration::from_millis(400);

/// Waits until `rt` in `created` shows its prompt or works, answering what gt may answer.
/// On success the window is marked ready (`@gt_ready`), so the witness can later tell a
/// runtime that never started from one that ran and exited.
/// `beacon_given`: the beacon was on the command line. Then a start is done only once the
/// runtime took it (some draw an idle prompt first and submit it a moment later — text pasted
/// into that moment is lost).
pub fn until_ready(
    ctx: &Ctx,
    agent: &str,
    created: &Created,
    rt: &Runtime,
    env: &[(String, String)],
    beacon_given: bool,
) -> Result<Ready> {
    let mut ready = Ready::default();
    watch_into(ctx, agent, created, rt, env, beacon_given, &mut ready)?;
    Ok(ready)
}

/// How long a runtime that shows neither the beacon nor a busy text must sit at its prompt
/// before its start counts (one that does not echo what it was given).
const QUIET_PROMPT: Duration = Duration::from_secs(10);

/// `until_ready`, filling `ready` as it goes: what was answered is kept when the start fails.
pub fn watch_into(
    ctx: &Ctx,
    agent: &str,
    created: &Created,
    rt: &Runtime,
    env: &[(String, String)],
    beacon_given: bool,
    ready: &mut Ready,
) -> Result<()> {
    let server = ctx.tmux();
    let mut w = Watch::new(agent, created, rt, env, ctx.now());
    loop {
        let pane = server
            .panes()?
            .into_iter()
            .find(|p| p.pane_id == created.pane_id);
        let Some(pane) = pane else {
            // A runtime quick enough to do its whole job (and be cleaned up after) before the
            // watch saw its prompt did start: its own report says so.
            if w.reported_since_start(ctx)? {
                ready.waited_ms = w.started.elapsed().as_millis();
                return Ok(());
            }
            return Err(Error::failed(format!(
                "{agent}'s window went away while {} was starting",
                rt.name
            )));
        };
        let text = server.capture(&created.pane_id, 60).unwrap_or_default();
        if pane.dead && pane.exit_status.is_none() && w.status_waits < 60 {
            // tmux lists the pane dead when its terminal closes and learns the exit status
            // only when it reaps the process — up to seconds later on a loaded machine; some
            // runtimes' status it never learns (then 3 s are spent waiting for it).
            w.status_waits += 1;
            std::thread::sleep(POLL);
            continue;
        }
        if pane.dead {
            let status = pane
                .exit_status
                .map(|s| format!(" with status {s}"))
                .unwrap_or_default();
            return Err(Error::failed(format!(
                "{} exited{status} before reaching its prompt{}",
                rt.name,
                evidence(rt, env, &text)
            )));
        }
        w.saw(&text);
        let s = screen::read(rt, &text);
        if let Some(i) = s.dialog {
            w.dialog(ctx, ready, i, &text)?;
            continue;
        }
        w.answered = None;
        if w.ready(&s, &text, beacon_given) || w.reported_since_start(ctx)? {
            server.mark_ready(&created.pane_id)?;
            ready.waited_ms = w.started.elapsed().as_millis();
            return Ok(());
        }
        w.check_deadline(&text)?;
        std::thread::sleep(POLL);
    }
}

/// What the start watcher has seen so far.
struct Watch<'a> {
    agent: &'a str,
    created: &'a Created,
    rt: &'a Runtime,
    env: &'a [(String, String)],
    started: Instant,
    /// The same moment on the clock runtime reports are stamped with.
    wall_start: chrono::DateTime<chrono::Utc>,
    deadline: Instant,
    /// Since when the runtime has looked ready (it must stay so for `ready_settle_ms`).
    ready_since: Option<Instant>,
    /// Since when its prompt has shown.
    prompt_since: Option<Instant>,
    /// Rounds spent waiting for tmux to learn a dead runtime's exit status.
    status_waits: u32,
    /// The dialog last answered, and the screen and when it last changed since.
    answered: Option<usize>,
    last_text: String,
    changed_at: Instant,
    /// Whether the runtime shows anything gt can read (markers, a busy text, an anchor).
    readable: bool,
}

impl<'a> Watch<'a> {
    fn new(
        agent: &'a str,
        created: &'a Created,
        rt: &'a Runtime,
        env: &'a [(String, String)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let started = Instant::now();
        Watch {
            agent,
            created,
            rt,
            env,
            started,
            // Whole seconds, as reports are stamped: a report in this second counts.
            wall_start: now.with_nanosecond(0).unwrap_or(now),
            deadline: started + Duration::from_secs(rt.startup_timeout_secs),
            ready_since: None,
            prompt_since: None,
            status_waits: 0,
            answered: None,
            last_text: String::new(),
            changed_at: started,
            readable: rt.ready_marker.is_some()
                || rt.input_anchor.is_some()
                || rt.busy_texts().next().is_some()
                || !rt.busy_patterns.is_empty(),
        }
    }

    /// The runtime reported its session started or its first prompt taken (through its
    /// hooks) since this watch began: the surest sign the start worked.
    fn reported_since_start(&self, ctx: &Ctx) -> Result<bool> {
        let Some(info) = super::find(&ctx.reader(), self.agent)? else {
            return Ok(false);
        };
        let Some(last) = super::runtime_events::last(&ctx.reader(), &info.bead_id)? else {
            return Ok(false);
        };
        let since = crate::time::format(self.wall_start);
        Ok(last.at >= since)
    }

    fn saw(&mut self, text: &str) {
        if text != self.last_text {
            self.last_text = text.to_string();
            self.changed_at = Instant::now();
        }
    }

    fn check_deadline(&self, text: &str) -> Result<()> {
        if Instant::now() >= self.deadline {
            return Err(Error::failed(format!(
                "{} did not reach its prompt within {} s{}",
                self.rt.name,
                self.rt.startup_timeout_secs,
                evidence(self.rt, self.env, text)
            )));
        }
        Ok(())
    }

    /// Dialog `i` is on screen: answered if gt may (and has not given up), else the start
    /// fails with what the screen shows.
    fn dialog(&mut self, ctx: &Ctx, ready: &mut Ready, i: usize, text: &str) -> Result<()> {
        let (rt, env) = (self.rt, self.env);
        let d = &rt.dialogs[i];
        if self.answered == Some(i) && self.changed_at.elapsed() < STILL_FOR {
            // Just answered: give it time to go before answering again.
            self.check_deadline(text)?;
            std::thread::sleep(POLL);
            return Ok(());
        }
        let times = ready.answered.iter().filter(|n| **n == d.name).count();
        if !startup::may_answer(d, rt, env) || times >= MAX_ANSWERS {
            let why = if times >= MAX_ANSWERS {
                format!("gt answered it {times} times and it stayed")
            } else {
                "only a person can answer it".into()
            };
            return Err(Error::failed(format!(
                "{} stopped at its \"{}\" screen ({why}){}",
                rt.name,
                d.name,
                shown(rt, env, startup::dialog_lines(text, d, 16))
            )));
        }
        std::thread::sleep(DIALOG_SETTLE);
        ctx.tmux()
            .press_dialog_keys(&self.created.pane_id, &d.keys)?;
        tracing::info!(agent = self.agent, dialog = %d.name, "answered a startup dialog");
        ready.answered.push(d.name.clone());
        self.ready_since = None;
        self.answered = Some(i);
        self.changed_at = Instant::now();
        Ok(())
    }

    /// Whether the runtime has been ready for work long enough: at its prompt (having shown
    /// the beacon, or quiet there for a while) or working; any screen, after a moment, for a
    /// runtime with nothing to read.
    fn ready(&mut self, s: &screen::Screen, text: &str, beacon_given: bool) -> bool {
        let now_ready = if !self.readable {
            self.started.elapsed() >= Duration::from_millis(500)
        } else if s.starting {
            false
        } else if beacon_given {
            s.busy
                || (s.at_prompt && text.contains(BEACON_TAG))
                || (s.at_prompt
                    && self
                        .prompt_since
                        .is_some_and(|t| t.elapsed() >= QUIET_PROMPT))
        } else {
            s.at_prompt || s.busy
        };
        if s.at_prompt {
            self.prompt_since.get_or_insert_with(Instant::now);
        } else {
            self.prompt_since = None;
        }
        if !now_ready {
            self.ready_since = None;
            return false;
        }
        let since = *self.ready_since.get_or_insert_with(Instant::now);
        since.elapsed() >= Duration::from_millis(self.rt.ready_settle_ms)
    }
}

/// The runtime's own last screen lines, and the fix for a known trap, for an error message.
fn evidence(rt: &Runtime, env: &[(String, String)], screen_text: &str) -> String {
    shown(rt, env, startup::last_lines(screen_text, 8))
}

fn shown(rt: &Runtime, env: &[(String, String)], lines: Vec<String>) -> String {
    let mut out = String::new();
    if lines.is_empty() {
        out.push_str("; its screen was empty");
    } else {
        out.push_str("; its screen ended with:");
        for l in lines {
            out.push_str("\n  | ");
            out.push_str(&crate::inert::visible(&l));
        }
    }
    if let Some(fix) = startup::root_trap(rt, env, procs::running_as_root()) {
        out.push_str("\n  hint: ");
        out.push_str(&fix);
    }
    out
}
