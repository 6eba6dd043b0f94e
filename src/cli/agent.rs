//! `gt agent`: one agent's session (its runtime's events, flush, the simulator).

use super::args::{WEEK, at_most, seconds};
use super::output::Out;
use crate::agent::sim::{self, SimOptions};
use crate::work::{agents, agents::delivery, agents::hook_config, agents::runtime_events};
use crate::{Error, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::time::Duration;

/// `gt agent sim` runs without a town; `gt agent flush` with one.
pub fn agent_cmd(out: &mut Out, session: &mut super::Session, cmd: AgentCmd) -> Result<()> {
    match cmd {
        AgentCmd::Sim(a) => {
            let code = sim::run(SimOptions {
                slow_start: a.slow_start,
                busy: a.busy,
                ignore_first_enter: a.ignore_first_enter,
                hang: a.hang,
                crash_after: a.crash_after,
                no_commit: a.no_commit,
                exit_on_input: a.exit_on_input,
                report_to: a.report_to,
                step_secs: a.step_secs,
                once: a.once,
                prompt: a.prompt,
            });
            if code == 0 {
                Ok(())
            } else {
                Err(Error::failed(format!(
                    "the simulator stopped with status {code}"
                )))
            }
        }
        AgentCmd::Event { kind, dialect } => event(out, session, &kind, dialect.as_deref()),
        AgentCmd::Stop { agent, force } => {
            let ctx = session.ctx()?;
            let s = crate::work::agents::control::stop(ctx, &agent, force)?;
            if out.json {
                return out.json_ser(&super::json::One::new("stopped", &s));
            }
            let kept = s
                .hook
                .as_deref()
                .map(|h| format!("; {h} stays on its hook"))
                .unwrap_or_default();
            out.line(if s.stopped {
                format!(
                    "Stopped {}'s session{kept} (`gt agent start {}` starts it again)",
                    s.agent, s.agent
                )
            } else {
                format!("{} had no running session{kept}", s.agent)
            })
        }
        AgentCmd::Start { agent } => {
            let ctx = session.ctx()?;
            let who = ctx.actor.clone();
            let s = crate::work::agents::control::start(ctx, &agent, &who)?;
            if out.json {
                return out.json_ser(&super::json::One::new("started", &s));
            }
            let hook = s
                .hook
                .as_deref()
                .map(|h| format!("; {h} is on its hook"))
                .unwrap_or_default();
            out.line(if s.already_running {
                format!(
                    "{} is already running (window {}); not restarted (`gt agent restart {}` gives it a new session)",
                    s.agent, s.window, s.agent
                )
            } else {
                format!(
                    "Started {} in window {}{}{hook}",
                    s.agent,
                    s.window,
                    if s.resumed {
                        ", continuing its conversation"
                    } else {
                        ""
                    }
                )
            })
        }
        AgentCmd::Restart { agent } => {
            let ctx = session.ctx()?;
            let who = ctx.actor.clone();
            let what = crate::work::agents::control::restart_by_person(ctx, &agent, &who)?;
            if out.json {
                return out.json(json!({"agent": agent, "restarted": what}));
            }
            out.line(format!("{agent}: {what}"))
        }
        AgentCmd::Usage => {
            use std::io::Read;
            let mut payload = String::new();
            let _ = std::io::stdin().take(1 << 20).read_to_string(&mut payload);
            if std::env::var_os("GT_SEANCE").is_some() {
                return Ok(());
            }
            let ctx = session.ctx()?;
            let me = agents::whoami(ctx).to_string();
            let info = agents::require(ctx, &me)?;
            let counted = crate::work::agents::sessions::add_reported(ctx, &info, &payload)?;
            if out.json {
                return out.json(json!({"agent": info.address, "counted": counted}));
            }
            Ok(())
        }
        AgentCmd::Flush { agent, wait } => {
            let ctx = session.ctx()?;
            let info = agents::require(ctx, &agent)?;
            let rt = delivery::runtime_of(ctx, &info)?;
            let ran = delivery::flush_as_deliverer(ctx, &info, &rt, Duration::from_secs(wait))?;
            let left = delivery::queued_count(ctx, &info.address)?;
            if out.json {
                return out
                    .json(json!({ "agent": info.address, "still_queued": left, "another_deliverer": !ran }));
            }
            let who = if ran {
                ""
            } else {
                " (another deliverer is at work on them)"
            };
            out.line(format!(
                "{}: {left} message(s) still queued{who}",
                info.address
            ))
        }
    }
}

/// `gt agent event <kind>`: a runtime's hook reporting what happened in the session of the
/// agent it runs for (`$GT_AGENT`), with the runtime's JSON payload on stdin. A session start
/// also prints `gt prime`, which the runtime adds to the agent's context.
fn event(
    out: &mut Out,
    session: &mut super::Session,
    kind: &str,
    dialect: Option<&str>,
) -> Result<()> {
    use std::io::Read;
    let kind = runtime_events::HookKind::parse(kind)?;
    // A seance's copy of a past session runs the same hooks: it is nobody's session now.
    if std::env::var_os("GT_SEANCE").is_some() {
        return Ok(());
    }
    // The payload is small JSON; more than a MiB is not a hook payload.
    let mut payload = String::new();
    let _ = std::io::stdin().take(1 << 20).read_to_string(&mut payload);
    let ctx = session.ctx()?;
    let me = agents::whoami(ctx).to_string();
    let account = std::env::var(crate::work::agents::accounts::ACCOUNT_ENV).ok();
    let last = runtime_events::record(ctx, &me, kind, &payload, account.as_deref())?;
    if kind == runtime_events::HookKind::TurnEnd && !out.json {
        let Some(reason) = crate::work::sling::reminder::stop_reminder(ctx, &me, &payload)? else {
            return Ok(());
        };
        // Text for the agent (a bead's title is in it): through the one seam.
        let reason = crate::inert::visible(&reason);
        return match dialect.and_then(hook_config::parse_dialect) {
            // The runtime goes on with `reason` as its next instruction.
            Some(_) => {
                out.line(serde_json::json!({"decision": "block", "reason": reason}).to_string())
            }
            None => out.line(reason),
        };
    }
    if kind == runtime_events::HookKind::PromptSubmit && !out.json {
        // Unread mail goes in with the prompt, so an agent never works past a message.
        let unread = crate::work::mail::unread(ctx, &me)?;
        if unread.is_empty() {
            return Ok(());
        }
        let block = crate::work::mail::inject_block(&unread);
        return context(out, dialect, kind, &block);
    }
    if kind.primes() && !out.json {
        let p = crate::work::views::prime::prime(ctx)?;
        let text = super::prime::prime_text(&p, &ctx.town.config.name);
        return context(out, dialect, kind, &text);
    }
    if out.json {
        return out.json_ser(&super::json::One::new("event", &last));
    }
    Ok(())
}

/// Text a hook hands the agent as context: runtimes with a hook dialect take it from a JSON
/// answer named by their own event; anything else from plain output.
fn context(
    out: &mut Out,
    dialect: Option<&str>,
    kind: runtime_events::HookKind,
    text: &str,
) -> Result<()> {
    let named = dialect
        .and_then(hook_config::parse_dialect)
        .and_then(|d| hook_config::event_name(d, kind));
    // Context is text for the agent (titles, subjects, notes from the ledger): through the
    // one seam, so no control character reaches it (JSON would carry them escaped).
    let text = crate::inert::visible(text);
    match named {
        Some(event) => out.line(
            serde_json::json!({"hookSpecificOutput": {
                "hookEventName": event,
                "additionalContext": text,
            }})
            .to_string(),
        ),
        None => out.line(text.trim_end()),
    }
}

// ---- command-line grammar (clap) ----

#[derive(Debug, Subcommand)]
pub enum AgentCmd {
    /// The simulator: a stand-in for an AI coding CLI (no AI), used by `gt demo` and the tests.
    Sim(SimArgs),
    /// What the agent's runtime reports through its hooks (run by the runtime, not by people):
    /// session-start, prompt-submit, turn-end, needs-input, compact or session-end.
    Event {
        kind: String,
        /// The hook dialect of the runtime calling (how it wants its answer).
        #[arg(long = "for")]
        dialect: Option<String>,
    },
    /// One answer's tokens as the agent's runtime reports them (run by runtimes that keep no
    /// transcript gt can read: OpenCode's plugin), JSON on stdin.
    Usage,
    /// Stop an agent's session; its hook, worktree and branch are kept.
    #[command(
        after_help = "Example:\n  gt agent stop shop/polecats/ash   (gt agent start brings it back)"
    )]
    Stop {
        agent: String,
        /// Even when a person is attached to its window.
        #[arg(long)]
        force: bool,
    },
    /// Start a stopped agent's session on its own worktree, its hook kept; a running one is
    /// left alone (exit 0, and said so).
    #[command(after_help = "Example:\n  gt agent start shop/polecats/ash")]
    Start { agent: String },
    /// A new session for an agent (stopped or not) on its own worktree, its hook kept.
    #[command(after_help = "Example:\n  gt agent restart shop/polecats/ash")]
    Restart { agent: String },
    /// Deliver an agent's queued messages once it is idle (run in the background by `gt nudge`).
    Flush {
        agent: String,
        /// Give up (leaving messages queued) after this many seconds.
        #[arg(long, default_value_t = 1800, value_parser = at_most::<WEEK>)]
        wait: u64,
    },
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seconds before the prompt first appears [env GT_SIM_SLOW_START].
    #[arg(long, env = "GT_SIM_SLOW_START", default_value_t = 0.0, value_parser = seconds)]
    pub slow_start: f64,
    /// Seconds each piece of work keeps it busy [env GT_SIM_BUSY].
    #[arg(long, env = "GT_SIM_BUSY", default_value_t = 1.0, value_parser = seconds)]
    pub busy: f64,
    /// Swallow the first Enter it receives [env GT_SIM_IGNORE_FIRST_ENTER].
    #[arg(long, env = "GT_SIM_IGNORE_FIRST_ENTER")]
    pub ignore_first_enter: bool,
    /// Show the prompt, then never read input again [env GT_SIM_HANG].
    #[arg(long, env = "GT_SIM_HANG")]
    pub hang: bool,
    /// Crash (exit 3) after this many seconds [env GT_SIM_CRASH_AFTER].
    #[arg(long, env = "GT_SIM_CRASH_AFTER", value_parser = seconds)]
    pub crash_after: Option<f64>,
    /// Make the change, then exit without committing or `gt done` [env GT_SIM_NO_COMMIT].
    #[arg(long, env = "GT_SIM_NO_COMMIT")]
    pub no_commit: bool,
    /// Exit (status 4) as soon as anything is typed or pasted [env GT_SIM_EXIT_ON_INPUT].
    #[arg(long, env = "GT_SIM_EXIT_ON_INPUT")]
    pub exit_on_input: bool,
    /// Mail this address a short report after each `gt done`.
    #[arg(long)]
    pub report_to: Option<String>,
    /// Misbehave (hang, crash, no commit) only in this agent's first session; a restarted
    /// session works normally, as a transient failure would [env GT_SIM_ONCE].
    #[arg(long, env = "GT_SIM_ONCE")]
    pub once: bool,
    /// Seconds each step of a molecule keeps it busy [env GT_SIM_STEP_SECS].
    #[arg(long, env = "GT_SIM_STEP_SECS", default_value_t = 0.0, value_parser = seconds)]
    pub step_secs: f64,
    /// The first prompt (gt passes the beacon here).
    pub prompt: Option<String>,
}
