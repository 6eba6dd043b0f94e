//! A session's start, watched until its runtime is ready for work: the startup dialogs the
//! town's configuration already decided are answered; a runtime that exits, stops at a
//! screen only a person can answer, or never shows its prompt fails the start loudly, with
//! its own last screen lines.

use crate::agent::{Runtime, procs, screen, startup};
use crate::tmux::Created;
use crate::work::Ctx;
use crate::{Error, Result};
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
    let started = Instant::now();
    let deadline = started + Duration::from_secs(rt.startup_timeout_secs);
    let mut ready_since: Option<Instant> = None;
    let mut prompt_since: Option<Instant> = None;
    let mut status_waits = 0;
    // The dialog last answered, and the screen and when it last changed since.
    let mut answered: Option<usize> = None;
    let mut last_text = String::new();
    let mut changed_at = Instant::now();
    let readable = rt.ready_marker.is_some()
        || rt.input_anchor.is_some()
        || rt.busy_texts().next().is_some()
        || !rt.busy_patterns.is_empty();
    loop {
        let pane = server
            .panes()?
            .into_iter()
            .find(|p| p.pane_id == created.pane_id);
        let Some(pane) = pane else {
            return Err(Error::failed(format!(
                "{agent}'s window went away while {} was starting",
                rt.name
            )));
        };
        let text = server.capture(&created.pane_id, 60).unwrap_or_default();
        if pane.dead && pane.exit_status.is_none() && status_waits < 60 {
            // tmux lists the pane dead when its terminal closes and learns the exit status
            // only when it reaps the process — up to seconds later on a loaded machine; some
            // runtimes' status it never learns (then 3 s are spent waiting for it).
            status_waits += 1;
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
        if text != last_text {
            last_text = text.clone();
            changed_at = Instant::now();
        }
        let s = screen::read(rt, &text);
        if let Some(i) = s.dialog {
            let d = &rt.dialogs[i];
            if answered == Some(i) && changed_at.elapsed() < STILL_FOR {
                // Just answered: give it time to go before answering again.
                if Instant::now() >= deadline {
                    return Err(Error::failed(format!(
                        "{} did not reach its prompt within {} s{}",
                        rt.name,
                        rt.startup_timeout_secs,
                        evidence(rt, env, &text)
                    )));
                }
                std::thread::sleep(POLL);
                continue;
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
                    shown(rt, env, startup::dialog_lines(&text, d, 16))
                )));
            }
            std::thread::sleep(DIALOG_SETTLE);
            server.press_dialog_keys(&created.pane_id, &d.keys)?;
            tracing::info!(agent, dialog = %d.name, "answered a startup dialog");
            ready.answered.push(d.name.clone());
            ready_since = None;
            answered = Some(i);
            changed_at = Instant::now();
            continue;
        }
        answered = None;
        let now_ready = if !readable {
            started.elapsed() >= Duration::from_millis(500)
        } else if s.starting {
            false
        } else if beacon_given {
            s.busy
                || (s.at_prompt && text.contains(BEACON_TAG))
                || (s.at_prompt && prompt_since.is_some_and(|t| t.elapsed() >= QUIET_PROMPT))
        } else {
            s.at_prompt || s.busy
        };
        if s.at_prompt {
            prompt_since.get_or_insert_with(Instant::now);
        } else {
            prompt_since = None;
        }
        if now_ready {
            let since = *ready_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= Duration::from_millis(rt.ready_settle_ms) {
                server.mark_ready(&created.pane_id)?;
                ready.waited_ms = started.elapsed().as_millis();
                return Ok(());
            }
        } else {
            ready_since = None;
        }
        if Instant::now() >= deadline {
            return Err(Error::failed(format!(
                "{} did not reach its prompt within {} s{}",
                rt.name,
                rt.startup_timeout_secs,
                evidence(rt, env, &text)
            )));
        }
        std::thread::sleep(POLL);
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
