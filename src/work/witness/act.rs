//! Carrying out the witness's decisions. Each action is recorded as an event (the feed shows
//! it) with the reason; a failed action is reported, never hidden, and retried next round.

use super::classify::Verdict;
use super::policy::{Action, Memory};
use crate::agent::Address;
use crate::work::agents::live::AgentView;
use crate::work::{Ctx, agents::delivery, agents::session, mail::escalation};

use crate::{Error, Result};
use serde_json::json;
use std::time::Duration;

/// Does `action`; returns what came of it (None when there was nothing to do).
pub fn carry_out(
    ctx: &mut Ctx,
    view: &AgentView,
    action: &Action,
    mem: &mut Memory,
) -> Option<String> {
    let now = ctx.unix_now();
    let res = match action {
        Action::None(_) | Action::Wait(_) => return None,
        Action::Nudge(why) => {
            let r = nudge(ctx, view, why);
            // Stamped after the paste: the nudge's own echo is not the agent moving.
            mem.nudged_at = Some(ctx.unix_now());
            r
        }
        Action::Restart(why) => {
            if moved_since(ctx, view) {
                return Some("it moved since the round began; left alone".into());
            }
            // Counted before trying: a restart that fails also backs off.
            mem.restarts.push(now);
            mem.nudged_at = None;
            restart(ctx, view, why)
        }
        Action::Escalate(why) => {
            if matches!(view.verdict, Verdict::StartFailed | Verdict::Blocked) {
                mem.stuck_reported_at = Some(now);
            } else {
                mem.escalated_at = Some(now);
            }
            escalate(ctx, view, why)
        }
        Action::Answer(dialog) => answer(ctx, view, dialog),
    };
    let (kind, why) = match action {
        Action::Nudge(w) => ("witness_nudge", w),
        Action::Restart(w) => ("witness_restart", w),
        Action::Escalate(w) => ("witness_escalate", w),
        Action::Answer(w) => ("witness_answer", w),
        Action::None(w) | Action::Wait(w) => ("witness", w),
    };
    let outcome = match &res {
        Ok(text) => text.clone(),
        Err(e) => format!("failed: {e}"),
    };
    tracing::info!(agent = %view.info.address, kind, why = %why, outcome = %outcome, "witness acted");
    let bead = view.info.bead_id.clone();
    let detail =
        json!({"agent": view.info.address, "why": why, "outcome": outcome, "hook": view.info.hook});
    if let Err(e) =
        ctx.write(|tx| Ok(tx.record_event(Some(&bead), kind, None, Some(detail), None)?))
    {
        tracing::warn!(error = %e, "cannot record the witness's action");
    }
    Some(outcome)
}

/// An event when an agent's verdict changes to or from trouble (not every working↔idle flip).
pub fn record_verdict(ctx: &mut Ctx, view: &AgentView, before: Option<Verdict>) {
    let interesting =
        |v: Option<Verdict>| v.is_some_and(|v| v.is_trouble() || v == Verdict::Waiting);
    if !interesting(Some(view.verdict)) && !interesting(before) {
        return;
    }
    let bead = view.info.bead_id.clone();
    let old = before.map(|v| json!(v.as_str()));
    let new = json!({"agent": view.info.address, "verdict": view.verdict.as_str(), "reason": view.reason});
    if let Err(e) =
        ctx.write(|tx| Ok(tx.record_event(Some(&bead), "witness_verdict", old, Some(new), None)?))
    {
        tracing::warn!(error = %e, "cannot record a verdict");
    }
}

/// A stalled agent that showed something new or ran gt after the round read it is not stuck
/// any more: the round's verdict is old news (a round can take a while when it restarts
/// others). Its screen is read again for that; a spinner is no news.
fn moved_since(ctx: &Ctx, view: &AgentView) -> bool {
    if view.verdict != Verdict::Stalled {
        return false;
    }
    let seen = view.last_activity.unwrap_or(0);
    let beat = crate::work::agents::heartbeat::last(&ctx.town.paths, &view.info.address);
    let screen = match (&view.pane, delivery::runtime_of(ctx, &view.info)) {
        (Some(pane), Ok(rt)) => ctx.tmux().capture(pane, 60).ok().map(|text| {
            crate::work::agents::screen_activity::observe(
                &ctx.town.paths,
                &view.info.address,
                crate::agent::screen::fingerprint(&rt, &text),
                ctx.unix_now(),
            )
        }),
        _ => None,
    };
    beat.into_iter().chain(screen).any(|t| t > seen)
}

fn nudge(ctx: &mut Ctx, view: &AgentView, why: &str) -> Result<String> {
    let hook = view.info.hook.as_deref().unwrap_or("your hooked work");
    let text = format!(
        "[witness] You seem stuck ({why}). Carry on with {hook}: run `gt prime` to see it, commit as you go, and `gt done` when finished."
    );
    let r = delivery::send(
        ctx,
        &view.info.address,
        "witness",
        &text,
        Duration::from_secs(2),
    )?;
    Ok(match r.state.as_str() {
        "delivered" => "nudged".to_string(),
        state => format!(
            "nudge {state}{}",
            r.reason.map(|w| format!(": {w}")).unwrap_or_default()
        ),
    })
}

/// A fresh session on the agent's own worktree with its hook unchanged. The old window goes
/// first (a dead one is replaced by `launch`; a live, stuck one is stopped here).
fn restart(ctx: &mut Ctx, view: &AgentView, why: &str) -> Result<String> {
    let hook = view.info.hook.clone().unwrap_or_default();
    let topic = format!("restarted by the witness ({why}); {hook} is still on your hook");
    let live = view.pane.is_some() && view.exit_status.is_none();
    crate::work::agents::control::restart(ctx, &view.info, "witness", &topic, live)
}

/// Answers a dialog gt may answer, after reading the screen again: the keys go only to the
/// dialog they are for.
fn answer(ctx: &mut Ctx, view: &AgentView, dialog: &str) -> Result<String> {
    let pane = view
        .pane
        .clone()
        .ok_or_else(|| Error::failed("it has no window"))?;
    let rt = delivery::runtime_of(ctx, &view.info)?;
    let text = ctx.tmux().capture(&pane, 60)?;
    let seen = crate::agent::screen::read(&rt, &text);
    let Some(d) = seen.dialog.and_then(|i| rt.dialogs.get(i)) else {
        return Ok("the dialog had gone by itself".into());
    };
    // The session's own environment (its account's key too), as its start had it.
    let address = Address::parse(&view.info.address).map_err(Error::Invalid)?;
    let env = session::session_env(ctx, &address, &view.info.name, &rt)?;
    if d.name != dialog || !crate::agent::startup::may_answer(d, &rt, &env) {
        return Ok(format!(
            "now at {:?}, which is not gt's to answer; left",
            d.name
        ));
    }
    ctx.tmux().press_dialog_keys(&pane, &d.keys)?;
    Ok(format!("answered {:?}", d.name))
}

fn escalate(ctx: &mut Ctx, view: &AgentView, why: &str) -> Result<String> {
    let text = format!(
        "{} keeps failing and the witness has stopped restarting it: {why}. Look at it with `gt peek {}`; `gt witness status` shows the history.",
        view.info.address, view.info.address
    );
    let e = escalation::escalate(ctx, "high", &text, view.info.hook.as_deref())?;
    Ok(format!("escalated as {}", e.id))
}
