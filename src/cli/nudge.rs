//! `gt nudge`: a message typed into an agent, confirmed.

use super::args::{WEEK, at_most};
use super::output::Out;
use crate::work::agents::delivery::DeliveryState;
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
    let text = if a.stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("read stdin", e))?;
        s
    } else {
        a.text.join(" ")
    };
    let sender = ctx.actor.clone();
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

// ---- command-line grammar (clap) ----

#[derive(Debug, Args)]
pub struct NudgeArgs {
    /// The agent's address.
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
