//! Confirmed delivery of text into a running agent (DESIGN.md §5): serialized per agent,
//! pasted through a tmux buffer, submitted with Enter, and verified on screen at each step.
//! A busy agent's messages wait in the durable queue for its next idle prompt. Every message
//! ends `delivered`, or `failed` with the reason — or is visibly still `queued`.

use crate::agent::{self, Runtime, screen};
use crate::fsutil::LockGuard;
use crate::ledger::Delivery;
use crate::tmux::{Pane, Server};
use crate::work::Ctx;
use crate::work::agents::{self, AgentInfo};
use crate::{Error, Result};
use std::time::{Duration, Instant};

/// Where a message is: waiting, on its way in, or finished one way or the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Queued,
    Pasting,
    Pasted,
    Delivered,
    Failed,
}

impl DeliveryState {
    /// The state as the ledger stores it; anything else reads as failed (it cannot be vouched
    /// for).
    pub fn from_ledger(s: &str) -> DeliveryState {
        match s {
            "queued" => DeliveryState::Queued,
            "pasting" => DeliveryState::Pasting,
            "pasted" => DeliveryState::Pasted,
            "delivered" => DeliveryState::Delivered,
            _ => DeliveryState::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Pasting => "pasting",
            DeliveryState::Pasted => "pasted",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryReport {
    pub id: i64,
    pub agent: String,
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub attempts: i64,
}

impl From<Delivery> for DeliveryReport {
    fn from(d: Delivery) -> Self {
        DeliveryReport {
            id: d.id,
            agent: d.agent,
            state: DeliveryState::from_ledger(&d.state),
            reason: d.reason,
            attempts: d.attempts,
        }
    }
}

/// One message as the ledger has it (`gt nudge --status`).
pub fn status(ctx: &Ctx, id: i64) -> Result<Delivery> {
    ctx.reader()
        .delivery(id)?
        .ok_or_else(|| Error::not_found(format!("no message {id}")))
}

/// How many messages wait for `agent`.
pub fn queued_count(ctx: &Ctx, agent: &str) -> Result<usize> {
    Ok(ctx.reader().queued_deliveries(agent)?.len())
}

/// A message from a person (`gt nudge`, the workspace, `gt mayor say`): delivered now, or
/// queued — and then, unless `background` is off, a background deliverer takes it to the
/// agent's next idle prompt. The one place that decides it; callers only show the outcome.
pub fn nudge(
    ctx: &mut Ctx,
    agent: &str,
    sender: &str,
    text: &str,
    wait: Duration,
    background: bool,
) -> Result<DeliveryReport> {
    let r = send(ctx, agent, sender, text, wait)?;
    if r.state == DeliveryState::Queued && background {
        spawn_flusher(ctx, &r.agent);
    }
    Ok(r)
}

/// `text` through the one seam that makes it inert for `rt` (see `agent::inert`); a refusal
/// is bad input (nothing is queued).
pub fn inert(rt: &Runtime, text: &str) -> Result<String> {
    crate::inert::for_agent(rt, text).map_err(|e| Error::invalid(e.to_string()))
}

/// Queues `text` for a running `agent` (mail notices, notes to a standing agent), made inert
/// for its runtime; the caller starts a deliverer. Returns the delivery's id.
pub fn enqueue(ctx: &mut Ctx, agent: &str, sender: &str, text: &str, urgent: bool) -> Result<i64> {
    let info = agents::require(ctx, agent)?;
    let runtime = runtime_of(ctx, &info)?;
    let text = inert(&runtime, text)?;
    ctx.write(|tx| Ok(tx.add_delivery(&info.address, sender, &text, urgent)?))
}

fn lock_path(ctx: &Ctx, agent: &str, what: &str) -> std::path::PathBuf {
    ctx.town
        .paths
        .locks_dir()
        .join(format!("{what}-{}.lock", agent.replace('/', "--")))
}

fn find_pane(panes: Vec<Pane>, agent: &str) -> Option<Pane> {
    panes
        .into_iter()
        .find(|p| p.agent.as_deref() == Some(agent))
}

/// Queues `text` for `agent` and delivers the queue up to it, oldest first, waiting up to
/// `wait` for a busy agent to reach its prompt. Returns this message's outcome (`queued`
/// when the wait ran out: it stays in the queue, visibly).
pub fn send(
    ctx: &mut Ctx,
    address: &str,
    sender: &str,
    text: &str,
    wait: Duration,
) -> Result<DeliveryReport> {
    let info = agents::require(ctx, address)?;
    let runtime = runtime_of(ctx, &info)?;
    let text = inert(&runtime, text)?;
    let id = ctx.write(|tx| Ok(tx.add_delivery(&info.address, sender, &text, false)?))?;
    deliver(ctx, &info, &runtime, wait, Some(id))?;
    let d = ctx
        .reader()
        .delivery(id)?
        .ok_or_else(|| Error::failed(format!("delivery {id} disappeared")))?;
    Ok(d.into())
}

pub fn runtime_of(ctx: &Ctx, info: &AgentInfo) -> Result<Runtime> {
    let name = info.runtime.clone().unwrap_or_else(|| "claude".into());
    Ok(agent::runtime_named(&ctx.town, &name)?)
}

/// Delivers the agent's whole queue in order while it is idle; stops (leaving the rest
/// queued) when `wait` runs out on a busy agent.
pub fn flush(ctx: &mut Ctx, info: &AgentInfo, rt: &Runtime, wait: Duration) -> Result<()> {
    deliver(ctx, info, rt, wait, None)
}

/// The background deliverer (`gt agent flush`): one per agent. Returns false at once when
/// another one is already at work. Before giving up its turn it looks at the queue again,
/// so a message queued while it was finishing is not left waiting for nobody.
pub fn flush_as_deliverer(
    ctx: &mut Ctx,
    info: &AgentInfo,
    rt: &Runtime,
    wait: Duration,
) -> Result<bool> {
    let path = lock_path(ctx, &info.address, "deliverer");
    let deadline = Instant::now() + wait;
    let mut ran = false;
    loop {
        let Some(turn) = LockGuard::try_acquire(&path)? else {
            return Ok(ran);
        };
        ran = true;
        let left = deadline.saturating_duration_since(Instant::now());
        deliver(ctx, info, rt, left, None)?;
        drop(turn);
        // Held by an emergency stop: the thaw starts a deliverer of its own.
        if frozen(ctx, &info.address)? {
            return Ok(ran);
        }
        let queued = !ctx.reader().queued_deliveries(&info.address)?.is_empty();
        if !queued || Instant::now() >= deadline {
            return Ok(ran);
        }
    }
}

/// Delivers queued messages oldest first — all of them, or up to and including `until`.
/// Waiting for an idle prompt needs no lock; only pasting is serialized per agent, so a
/// deliverer waiting out a long busy period never blocks anyone else.
fn deliver(
    ctx: &mut Ctx,
    info: &AgentInfo,
    rt: &Runtime,
    wait: Duration,
    until: Option<i64>,
) -> Result<()> {
    let server = ctx.tmux();
    let deadline = Instant::now() + wait;
    let paste_lock = lock_path(ctx, &info.address, "deliver");
    loop {
        if until.is_some_and(|id| !is_queued(ctx, id)) {
            return Ok(());
        }
        if ctx.reader().queued_deliveries(&info.address)?.is_empty() {
            return Ok(());
        }
        let Some(pane) = find_pane(server.panes()?, &info.address) else {
            cancel_queued(
                ctx,
                &info.address,
                "the agent has no running session (start it, then resend)",
            )?;
            return Ok(());
        };
        if pane.dead {
            let why = format!(
                "the agent's program has exited{}",
                pane.exit_status
                    .map(|s| format!(" (status {s})"))
                    .unwrap_or_default()
            );
            cancel_queued(ctx, &info.address, &why)?;
            return Ok(());
        }
        if frozen(ctx, &info.address)? {
            // Stopped by an emergency stop: typed now, it would sit unread in the terminal
            // with nothing to confirm it. It stays queued; the thaw delivers it.
            return Ok(());
        }
        let waiter = Waiter {
            server: &server,
            pane: &pane.pane_id,
            rt,
            agent: &info.address,
            paste_lock: &paste_lock,
            last_output: pane.activity,
        };
        if !waiter.until_idle(ctx, deadline)? {
            // Busy (or still starting) past the wait: it stays queued, visibly.
            return Ok(());
        }
        let Some(_turn) = lock_until(&paste_lock, deadline)? else {
            // Another deliverer is pasting; it delivers the queue in order, ours included.
            return Ok(());
        };
        fail_abandoned(ctx, &info.address)?;
        let Some(next) = ctx
            .reader()
            .queued_deliveries(&info.address)?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        if frozen(ctx, &info.address)? {
            return Ok(());
        }
        // The screen may have changed while we waited for the turn.
        if !is_idle(rt, &server.capture(&pane.pane_id, 60)?) {
            continue;
        }
        if let Err(e) = deliver_one(ctx, &server, &pane.pane_id, rt, &next) {
            let why = format!(
                "delivery stopped by an error: {e}; not pasted again, so it cannot arrive twice"
            );
            ctx.write(|tx| {
                Ok(tx.move_delivery(
                    next.id,
                    &["pasting", "pasted"],
                    "failed",
                    Some(&why),
                    false,
                )?)
            })?;
        }
    }
}

fn frozen(ctx: &Ctx, agent: &str) -> Result<bool> {
    Ok(crate::work::brakes::Brakes::read(&ctx.reader())?.holds_agent(agent))
}

/// Waits for one agent's idle prompt.
struct Waiter<'a> {
    server: &'a Server,
    pane: &'a str,
    rt: &'a Runtime,
    agent: &'a str,
    paste_lock: &'a std::path::Path,
    /// Unix time of the pane's last output when it was listed.
    last_output: Option<i64>,
}

impl Waiter<'_> {
    /// Polls the screen until the runtime shows an empty prompt; false at the deadline.
    /// Meanwhile, when the next message is urgent and the runtime allows it, the agent is
    /// interrupted — once per message, whoever is waiting.
    fn until_idle(&self, ctx: &mut Ctx, deadline: Instant) -> Result<bool> {
        let may_interrupt = self.rt.urgent_interrupts && self.rt.escape_cancels;
        let settle = Duration::from_millis(self.rt.paste.idle_settle_ms);
        // Quiet since before this wait began (tmux counts activity in whole seconds).
        let settled_already = self.last_output.is_some_and(|t| {
            let quiet = ctx.unix_now() - t;
            quiet > 0 && quiet as u64 * 1000 >= self.rt.paste.idle_settle_ms + 1000
        });
        let mut idle_since: Option<Instant> = None;
        loop {
            let text = self.server.capture(self.pane, 60)?;
            if is_idle(self.rt, &text) {
                let since = *idle_since.get_or_insert_with(Instant::now);
                if settle.is_zero() || settled_already || since.elapsed() >= settle {
                    return Ok(true);
                }
            } else {
                idle_since = None;
            }
            if may_interrupt && screen::read(self.rt, &text).busy {
                self.interrupt_for_urgent(ctx)?;
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Presses Escape for the urgent message at the head of the queue, under the paste lock
    /// (so it can never land between another deliverer's paste and its Enter).
    fn interrupt_for_urgent(&self, ctx: &mut Ctx) -> Result<()> {
        let head = ctx
            .reader()
            .queued_deliveries(self.agent)?
            .into_iter()
            .next();
        let Some(head) = head.filter(|d| d.urgent && d.interrupted_at.is_none()) else {
            return Ok(());
        };
        let Some(_turn) = LockGuard::try_acquire(self.paste_lock)? else {
            return Ok(());
        };
        if !screen::read(self.rt, &self.server.capture(self.pane, 60)?).busy {
            return Ok(());
        }
        if !ctx.write(|tx| Ok(tx.mark_interrupted(head.id)?))? {
            return Ok(());
        }
        self.server.press_escape(self.pane)?;
        let note =
            serde_json::json!({"agent": self.agent, "delivery": head.id, "why": "urgent message"});
        ctx.write(|tx| Ok(tx.record_event(None, "agent_interrupted", None, Some(note), None)?))?;
        Ok(())
    }
}

fn is_queued(ctx: &Ctx, id: i64) -> bool {
    matches!(ctx.reader().delivery(id), Ok(Some(d)) if d.state == "queued")
}

fn lock_until(path: &std::path::Path, deadline: Instant) -> Result<Option<LockGuard>> {
    loop {
        if let Some(g) = LockGuard::try_acquire(path)? {
            return Ok(Some(g));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Under the paste lock no delivery can be under way, so one still `pasting`/`pasted` was
/// left by a process that died mid-delivery. It may or may not have arrived: it is marked
/// failed and never pasted again.
fn fail_abandoned(ctx: &mut Ctx, agent: &str) -> Result<()> {
    let stale = ctx.reader().unfinished_deliveries(agent)?;
    if stale.is_empty() {
        return Ok(());
    }
    ctx.write(|tx| {
        for d in &stale {
            let why = format!(
                "the process delivering it stopped while it was {}; check the agent's screen — it is not pasted again, so it cannot arrive twice",
                d.state
            );
            tx.move_delivery(d.id, &["pasting", "pasted"], "failed", Some(&why), false)?;
        }
        Ok(())
    })
}

/// Idle at an empty prompt; for a runtime gt cannot find the input of, not busy.
fn is_idle(rt: &Runtime, text: &str) -> bool {
    let s = screen::read(rt, text);
    if has_input_line(rt) {
        s.idle_empty()
    } else {
        !s.busy && s.dialog.is_none()
    }
}

fn has_input_line(rt: &Runtime) -> bool {
    rt.ready_marker.is_some() || rt.input_anchor.is_some()
}

/// Fails every message still queued for `agent`, with the reason; returns how many. Used
/// when the session they were meant for is gone or replaced, so a stale message (a beacon
/// for other work) never reaches the next session.
pub fn cancel_queued(ctx: &mut Ctx, agent: &str, reason: &str) -> Result<usize> {
    if ctx.reader().queued_deliveries(agent)?.is_empty() {
        return Ok(0);
    }
    Ok(ctx.write(|tx| Ok(tx.fail_queued(agent, reason)?))?.len())
}

/// Generous: a runtime on a loaded machine can take seconds to show a paste (OpenCode checks
/// whether a pasted text names a file first); a failure reported too early would be false.
const PASTE_SEEN_WITHIN: Duration = Duration::from_secs(10);
const SUBMIT_SEEN_WITHIN: Duration = Duration::from_millis(1500);
const ENTER_TRIES: usize = 3;

/// Paste, see it, press Enter, see it taken — or say exactly which step failed. The state
/// says `pasting` before the paste, so whatever happens next it is never pasted twice; only
/// Enter is retried. The text passes the inert seam again here, whatever queued it.
fn deliver_one(
    ctx: &mut Ctx,
    server: &Server,
    pane: &str,
    rt: &Runtime,
    d: &Delivery,
) -> Result<()> {
    let text = match crate::inert::for_agent(rt, &d.text) {
        Ok(t) if rt.paste.trailing_space && ends_in_symbol_word(&t) => format!("{t} "),
        Ok(t) => t,
        Err(e) => {
            let why = format!("not pasted: {e}");
            ctx.write(|tx| {
                Ok(tx.move_delivery(d.id, &["queued"], "failed", Some(&why), false)?)
            })?;
            return Ok(());
        }
    };
    let before = server.capture(pane, 60)?;
    if !ctx.write(|tx| Ok(tx.move_delivery(d.id, &["queued"], "pasting", None, true)?))? {
        // Cancelled (its session was stopped) after it was picked: not pasted at all.
        return Ok(());
    }
    server.paste(pane, &text)?;
    ctx.write(|tx| Ok(tx.move_delivery(d.id, &["pasting"], "pasted", None, false)?))?;
    let start = Instant::now();
    let mut after_paste = None;
    while start.elapsed() < PASTE_SEEN_WITHIN {
        let now = server.capture(pane, 60)?;
        let s = screen::read(rt, &now);
        let shown = if has_input_line(rt) {
            s.collapsed || s.input.as_deref().is_some_and(|i| !i.is_empty())
        } else {
            now != before
        };
        if shown {
            after_paste = Some(now);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let Some(after_paste) = after_paste else {
        let why = "the agent did not show the pasted text within 10 s (is it hung?); not pasted again, so it cannot arrive twice. If the text is in its input after all, later messages wait until that input is cleared";
        ctx.write(|tx| Ok(tx.move_delivery(d.id, &["pasted"], "failed", Some(why), false)?))?;
        return Ok(());
    };
    // Some runtimes read a submit key that follows a paste too closely as a newline.
    if rt.paste.submit_delay_ms > 0 {
        std::thread::sleep(Duration::from_millis(rt.paste.submit_delay_ms));
    }
    for _ in 0..ENTER_TRIES {
        server.press_enter(pane)?;
        let start = Instant::now();
        while start.elapsed() < SUBMIT_SEEN_WITHIN {
            let now = server.capture(pane, 60)?;
            if let Some(note) = submitted(rt, &after_paste, &now) {
                ctx.write(|tx| {
                    let moved =
                        tx.move_delivery(d.id, &["pasted"], "delivered", note.as_deref(), false)?;
                    // A message (not a mail notice) the agent now has: a polecat told
                    // something after its `gt done` is not removed under it.
                    if moved
                        && from_someone(&d.sender)
                        && let Some(a) = super::find(&tx.reader(), &d.agent).ok().flatten()
                    {
                        tx.record_event(
                            Some(&a.bead_id),
                            "agent_told",
                            None,
                            Some(serde_json::json!({"delivery": d.id, "sender": d.sender})),
                            None,
                        )?;
                    }
                    Ok(moved)
                })?;
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let why = format!(
        "Enter did not submit the text after {ENTER_TRIES} tries; it is still in the agent's input, and later messages wait until that input is cleared"
    );
    ctx.write(|tx| Ok(tx.move_delivery(d.id, &["pasted"], "failed", Some(&why), false)?))?;
    Ok(())
}

/// A message a person or an agent wrote (not gt's own notices: mail notifications, the
/// witness's and the refinery's words).
fn from_someone(sender: &str) -> bool {
    sender == "overseer"
        || sender == "mayor"
        || matches!(
            crate::agent::Address::parse(sender),
            Ok(crate::agent::Address::Polecat { .. } | crate::agent::Address::Crew { .. })
        )
}

/// Whether the last word of `t` starts with a symbol (`@file`, `$skill`, `/cmd`): typed, it
/// would open a completion menu.
fn ends_in_symbol_word(t: &str) -> bool {
    t.split_whitespace()
        .next_back()
        .and_then(|w| w.chars().next())
        .is_some_and(|c| !c.is_alphanumeric())
        && !t.ends_with(char::is_whitespace)
}

/// Whether the text went in after Enter, with a note when the runtime queued it behind a
/// turn of its own (it reaches the model when that turn ends). None: still in the input.
fn submitted(rt: &Runtime, after_paste: &str, now: &str) -> Option<Option<String>> {
    if !has_input_line(rt) {
        return (now != after_paste).then_some(None);
    }
    let before = screen::read(rt, after_paste);
    let s = screen::read(rt, now);
    let cleared = s.input.as_deref().is_none_or(str::is_empty);
    if !cleared && !s.busy {
        return None;
    }
    if s.queued && !before.queued {
        return Some(Some(format!(
            "{} queued it behind the turn it was in; it reaches the model when that turn ends",
            rt.name
        )));
    }
    // Busy, but our text still sits in the input: the runtime is busy with something else
    // (a turn of its own) and Enter was not taken — no evidence it went in.
    if !cleared && s.input.is_some() && s.input == before.input {
        return None;
    }
    if cleared || s.busy {
        return Some(None);
    }
    None
}

/// Leaves a detached `gt agent flush` behind to deliver a queued message when the agent is
/// idle again (its own process group, so the sender's terminal does not take it down).
pub fn spawn_flusher(ctx: &Ctx, agent: &str) {
    use std::os::unix::process::CommandExt;
    let exe = crate::work::gt_exe();
    let res = std::process::Command::new(exe)
        .args(["--batch", "agent", "flush", agent])
        .current_dir(ctx.town.root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
    match res {
        // Reaped when it ends, so a long-lived workspace does not collect zombies.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::warn!(error = %e, agent, "could not start the background deliverer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runtime::presets;

    #[test]
    fn only_a_last_word_starting_with_a_symbol_gets_a_space() {
        assert!(ends_in_symbol_word("look at @"));
        assert!(ends_in_symbol_word("run $skill"));
        assert!(!ends_in_symbol_word("plain words"));
        assert!(!ends_in_symbol_word("ends @ "));
        assert!(!ends_in_symbol_word("mail me at a@b.c"));
    }

    #[test]
    fn a_submit_is_seen_cleared_busy_or_queued_and_text_left_in_the_input_is_not() {
        let rt = presets()["claude"].clone();
        let rule = "─".repeat(40);
        let screen = |body: &str, input: &str, footer: &str| {
            format!("{body}\n{rule}\n❯\u{a0}{input}\n{rule}\n  ⏵⏵ bypass permissions on{footer}\n")
        };
        let pasted = screen("", "[Pasted text #1 +5 lines]", "");
        assert_eq!(
            submitted(
                &rt,
                &pasted,
                &screen("❯ l1\n\n· Swooping…", "", " · esc to interrupt")
            ),
            Some(None)
        );
        assert_eq!(submitted(&rt, &pasted, &pasted), None);
        let busy_pasted = screen("· Swooping…", "[Pasted text #2 +5 lines]", "");
        let queued = screen(
            "❯ l1\n  ⎿  Queued · ctrl+x ctrl+s to send now\n\n· Swooping…",
            "Press up to edit queued messages",
            " · esc to interrupt",
        );
        let note = submitted(&rt, &busy_pasted, &queued)
            .flatten()
            .expect("a note");
        assert!(note.contains("queued"), "{note}");
        // Busy with a turn of its own while our text still waits in the input: not in.
        let still = screen(
            "· Swooping…",
            "[Pasted text #2 +5 lines]",
            " · esc to interrupt",
        );
        assert_eq!(submitted(&rt, &busy_pasted, &still), None);
    }
}
