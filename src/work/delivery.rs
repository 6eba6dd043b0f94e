//! Confirmed delivery of text into a running agent (DESIGN.md §5): serialized per agent,
//! pasted through a tmux buffer, submitted with Enter, and verified on screen at each step.
//! A busy agent's messages wait in the durable queue for its next idle prompt. Every message
//! ends `delivered`, or `failed` with the reason — or is visibly still `queued`.

use super::Ctx;
use super::agents::{self, AgentInfo};
use crate::agent::{self, Runtime, screen};
use crate::fsutil::LockGuard;
use crate::ledger::Delivery;
use crate::tmux::{Pane, Server};
use crate::{Error, Result};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryReport {
    pub id: i64,
    pub agent: String,
    pub state: String,
    pub reason: Option<String>,
    pub attempts: i64,
}

impl From<Delivery> for DeliveryReport {
    fn from(d: Delivery) -> Self {
        DeliveryReport {
            id: d.id,
            agent: d.agent,
            state: d.state,
            reason: d.reason,
            attempts: d.attempts,
        }
    }
}

/// Makes text safe to type into an agent: line endings become `\n`, and control characters
/// (ESC above all, which runtimes read as "cancel") are shown as `^[`-style text instead of
/// acting as keys. Empty text is refused.
pub fn sanitize(text: &str) -> Result<String> {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    for c in unified.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\u{7f}' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c => out.push(c),
        }
    }
    if out.trim().is_empty() {
        return Err(Error::invalid("nothing to deliver: the text is empty"));
    }
    Ok(out)
}

fn lock_path(ctx: &Ctx, agent: &str) -> std::path::PathBuf {
    ctx.town
        .paths
        .locks_dir()
        .join(format!("deliver-{}.lock", agent.replace('/', "--")))
}

fn find_pane(panes: Vec<Pane>, agent: &str) -> Option<Pane> {
    panes
        .into_iter()
        .find(|p| p.agent.as_deref() == Some(agent))
}

/// Queues `text` for `agent` and delivers everything queued for it, oldest first, waiting up
/// to `wait` for a busy agent to reach its prompt. Returns this message's outcome.
pub async fn send(
    ctx: &mut Ctx,
    address: &str,
    sender: &str,
    text: &str,
    wait: Duration,
) -> Result<DeliveryReport> {
    let info = agents::require(ctx, address)?;
    let text = sanitize(text)?;
    let runtime = runtime_of(ctx, &info)?;
    let id = ctx.write(|tx| Ok(tx.add_delivery(&info.address, sender, &text)?))?;
    flush(ctx, &info, &runtime, wait).await?;
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

/// Delivers the agent's queue in order while it is idle; stops (leaving the rest queued)
/// when `wait` runs out on a busy agent. Serialized across processes per agent.
pub async fn flush(ctx: &mut Ctx, info: &AgentInfo, rt: &Runtime, wait: Duration) -> Result<()> {
    let _lock = LockGuard::acquire(&lock_path(ctx, &info.address))?;
    let server = ctx.tmux();
    let deadline = Instant::now() + wait;
    loop {
        let queued = ctx.reader().queued_deliveries(&info.address)?;
        let Some(next) = queued.into_iter().next() else {
            return Ok(());
        };
        let Some(pane) = find_pane(server.panes().await?, &info.address) else {
            fail_all(
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
            fail_all(ctx, &info.address, &why)?;
            return Ok(());
        }
        if !wait_until_idle(&server, &pane.pane_id, rt, deadline).await? {
            // Busy (or still starting) past the wait: it stays queued, visibly.
            return Ok(());
        }
        deliver_one(ctx, &server, &pane.pane_id, rt, &next).await?;
    }
}

/// Polls the screen until the runtime shows an empty prompt; false at the deadline.
async fn wait_until_idle(
    server: &Server,
    pane: &str,
    rt: &Runtime,
    deadline: Instant,
) -> Result<bool> {
    loop {
        let s = screen::read(rt, &server.capture(pane, 60).await?);
        let idle = if rt.ready_marker.is_some() {
            s.at_prompt && s.input.as_deref() == Some("")
        } else {
            !s.busy
        };
        if idle {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn fail_all(ctx: &mut Ctx, agent: &str, reason: &str) -> Result<()> {
    let queued = ctx.reader().queued_deliveries(agent)?;
    ctx.write(|tx| {
        for d in &queued {
            tx.set_delivery_state(d.id, "failed", Some(reason), false)?;
        }
        Ok(())
    })
}

const PASTE_SEEN_WITHIN: Duration = Duration::from_secs(3);
const SUBMIT_SEEN_WITHIN: Duration = Duration::from_millis(1500);
const ENTER_TRIES: usize = 3;

/// Paste, see it, press Enter, see it taken — or say exactly which step failed. The text is
/// pasted once only; only Enter is retried, so nothing can arrive twice.
async fn deliver_one(
    ctx: &mut Ctx,
    server: &Server,
    pane: &str,
    rt: &Runtime,
    d: &Delivery,
) -> Result<()> {
    let before = server.capture(pane, 60).await?;
    server.paste(pane, &d.text).await?;
    ctx.write(|tx| Ok(tx.set_delivery_state(d.id, "pasted", None, true)?))?;
    let start = Instant::now();
    let mut after_paste = None;
    while start.elapsed() < PASTE_SEEN_WITHIN {
        let now = server.capture(pane, 60).await?;
        let shown = match (rt.ready_marker.is_some(), screen::read(rt, &now).input) {
            (true, Some(input)) => !input.is_empty(),
            (true, None) => false,
            (false, _) => now != before,
        };
        if shown {
            after_paste = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let Some(after_paste) = after_paste else {
        let why = "the agent did not show the pasted text within 3 s (is it hung?); not pasted again, so it cannot arrive twice";
        ctx.write(|tx| Ok(tx.set_delivery_state(d.id, "failed", Some(why), false)?))?;
        return Ok(());
    };
    for _ in 0..ENTER_TRIES {
        server.press_enter(pane).await?;
        let start = Instant::now();
        while start.elapsed() < SUBMIT_SEEN_WITHIN {
            let now = server.capture(pane, 60).await?;
            let s = screen::read(rt, &now);
            let taken = if rt.ready_marker.is_some() {
                s.busy || s.input.as_deref().is_none_or(str::is_empty)
            } else {
                now != after_paste
            };
            if taken {
                ctx.write(|tx| Ok(tx.set_delivery_state(d.id, "delivered", None, false)?))?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let why = format!(
        "Enter did not submit the text after {ENTER_TRIES} tries; it is still in the agent's input"
    );
    ctx.write(|tx| Ok(tx.set_delivery_state(d.id, "failed", Some(&why), false)?))?;
    Ok(())
}

/// Leaves a detached `gt agent flush` behind to deliver a queued message when the agent is
/// idle again (its own process group, so the sender's terminal does not take it down).
pub fn spawn_flusher(ctx: &Ctx, agent: &str) {
    use std::os::unix::process::CommandExt;
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let res = std::process::Command::new(exe)
        .args(["--batch", "agent", "flush", agent])
        .current_dir(ctx.town.root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
    if let Err(e) = res {
        tracing::warn!(error = %e, agent, "could not start the background deliverer");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_text_and_defuses_control_keys() {
        assert_eq!(sanitize("a\r\nb\rc").ok().as_deref(), Some("a\nb\nc"));
        assert_eq!(
            sanitize("x\x1b[31my\x03").ok().as_deref(),
            Some("x^[[31my^C")
        );
        assert_eq!(sanitize("tab\there").ok().as_deref(), Some("tab\there"));
        assert!(sanitize("  \n ").is_err());
    }
}
