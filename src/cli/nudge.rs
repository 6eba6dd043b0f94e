//! `gt nudge`: a message typed into an agent, confirmed.

use super::args::{WEEK, at_most};
use super::output::Out;
use crate::work::agents::delivery::DeliveryState;
use crate::work::mail::broadcast;
use crate::work::{Ctx, agents::delivery};
use crate::{Error, Result};
use clap::Args;
use std::io::Read;
use std::time::Duration;

pub fn nudge(out: &mut Out, ctx: &mut Ctx, a: NudgeArgs) -> Result<()> {
    if let Some(id) = a.status {
        let d = delivery::status(ctx, id)?;
        if out.json {
            return out.json_ser(&super::json::One::new("delivery", &d));
        }
        return out.line(format!(
            "message {} to {}: {}{} (attempts: {}, updated {})",
            d.id,
            d.agent,
            d.state,
            d.reason.map(|r| format!(" — {r}")).unwrap_or_default(),
            d.attempts,
            d.updated_at
        ));
    }
    let agent = a.agent.unwrap_or_default();
    let text = text_of(a.stdin, &a.text)?;
    let sender = ctx.actor.clone();
    if broadcast::is_group(&agent) {
        let how = broadcast::Sending {
            wait: Duration::from_secs(a.wait),
            background: !a.no_background,
        };
        let r = broadcast::nudge_group(ctx, &agent, &sender, &text, how)?;
        return group_report(out, &r);
    }
    let r = delivery::nudge(
        ctx,
        &agent,
        &sender,
        &text,
        Duration::from_secs(a.wait),
        !a.no_background,
    )?;
    if out.json {
        out.json_ser(&super::json::One::new("delivery", &r))?;
    } else {
        match r.state {
            DeliveryState::Delivered => out
                .line(format!(
                    "Delivered to {} (message {}){}.",
                    r.agent,
                    r.id,
                    r.reason.as_deref().map(|w| format!("; {w}")).unwrap_or_default()
                ))?,
            DeliveryState::Queued => out
                .line(format!(
                    "Queued: {} is busy; it gets the message at its next idle prompt (message {}; `gt nudge --status {}`).",
                    r.agent, r.id, r.id
                ))?,
            _ => {}
        }
    }
    if r.state == DeliveryState::Failed {
        return Err(Error::failed(format!(
            "message {} was not delivered to {}: {}",
            r.id,
            r.agent,
            r.reason.unwrap_or_default()
        )));
    }
    Ok(())
}

/// `gt broadcast`: every agent with a running session.
pub fn broadcast_cmd(out: &mut Out, ctx: &mut Ctx, a: BroadcastArgs) -> Result<()> {
    let text = text_of(a.stdin, &a.text)?;
    if text.trim().is_empty() {
        return Err(Error::invalid(
            "nothing to broadcast: give the text (or --stdin)",
        ));
    }
    let sender = ctx.actor.clone();
    let how = broadcast::Sending {
        wait: Duration::from_secs(a.wait),
        background: !a.no_background,
    };
    let r = broadcast::broadcast(ctx, a.rig.as_deref(), &sender, &text, how)?;
    group_report(out, &r)
}

/// The words given, or stdin.
fn text_of(stdin: bool, words: &[String]) -> Result<String> {
    if stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("read stdin", e))?;
        return Ok(s);
    }
    Ok(words.join(" "))
}

/// One line per agent with its outcome, then the counts; a failure anywhere fails the
/// command (after everything is said).
fn group_report(out: &mut Out, r: &broadcast::GroupReport) -> Result<()> {
    let s = &r.summary;
    if out.json {
        out.json_ser(r)?;
    } else {
        for o in &r.results {
            let id = o.id.map(|i| format!(" (message {i})")).unwrap_or_default();
            let line = match o.state.as_str() {
                "delivered" => format!(
                    "{}: delivered{id}{}",
                    o.agent,
                    o.reason
                        .as_deref()
                        .map(|w| format!("; {w}"))
                        .unwrap_or_default()
                ),
                "queued" => format!(
                    "{}: queued{id} — busy; it gets the message at its next idle prompt",
                    o.agent
                ),
                state => format!(
                    "{}: {state}{id} — {}",
                    o.agent,
                    o.reason.as_deref().unwrap_or("no reason given")
                ),
            };
            out.line(line)?;
        }
        let skipped = if s.skipped > 0 {
            format!(", {} skipped (no running session)", s.skipped)
        } else {
            String::new()
        };
        out.line(format!(
            "{} delivered, {} queued, {} failed{skipped}",
            s.delivered, s.queued, s.failed
        ))?;
    }
    if s.failed > 0 {
        return Err(Error::failed(format!(
            "{} of {} message(s) to {} were not delivered (each line says why)",
            s.failed,
            s.delivered + s.queued + s.failed,
            r.target
        )));
    }
    Ok(())
}

// ---- command-line grammar (clap) ----

#[derive(Debug, Args)]
#[command(
    after_help = "A group gets one message per agent, each confirmed, with a line per agent and a summary:\n  \
<rig>/             every agent of the rig (e.g. shop/)\n  \
@crew, @polecats   every crew member / polecat of the town (also @town and your [mail] groups);\n                     \
one rig's crew: shop/crew/*\n  \
shop/polecats/*    a pattern: * matches one whole segment\n\
Agents of the group without a running session are skipped (and listed).\n\n\
Examples:\n  gt nudge shop/polecats/ash \"also update the docs\"\n  gt nudge shop/ \"main is red, hold your merges\""
)]
pub struct NudgeArgs {
    /// The agent's address, or a group: `shop/`, `@crew`, `shop/polecats/*`.
    #[arg(required_unless_present = "status")]
    pub agent: Option<String>,
    /// The text (words are joined with spaces); or use --stdin.
    pub text: Vec<String>,
    /// Read the text from stdin.
    #[arg(long, conflicts_with = "text")]
    pub stdin: bool,
    /// Seconds to wait for a busy agent before leaving the message queued.
    #[arg(long, default_value_t = 10, value_parser = at_most::<WEEK>)]
    pub wait: u64,
    /// Show the state of an earlier message by its id.
    #[arg(long, conflicts_with_all = ["agent", "text", "stdin"])]
    pub status: Option<i64>,
    /// Do not hand a still-queued message to a background deliverer.
    #[arg(long)]
    pub no_background: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  gt broadcast \"the demo starts in 10 minutes: commit what you have\""
)]
pub struct BroadcastArgs {
    /// The text (words are joined with spaces); or use --stdin.
    pub text: Vec<String>,
    /// Read the text from stdin.
    #[arg(long, conflicts_with = "text")]
    pub stdin: bool,
    /// Only the agents of this rig.
    #[arg(long)]
    pub rig: Option<String>,
    /// Seconds to wait for a busy agent before leaving its message queued.
    #[arg(long, default_value_t = 10, value_parser = at_most::<WEEK>)]
    pub wait: u64,
    /// Do not hand still-queued messages to background deliverers.
    #[arg(long)]
    pub no_background: bool,
}
