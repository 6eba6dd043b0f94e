//! `gt handoff`: an agent's session is replaced by a fresh one in the same window and
//! worktree. The hook stays; a handoff mail carries the note to the successor, whose
//! `gt prime` shows it.

use crate::agent::{self, Address};
use crate::ledger::Bead;
use crate::work::Ctx;
use crate::work::agents;
use crate::work::agents::session;
use crate::work::mail::Priority;
use crate::{Error, Result};

/// Label on handoff mail (what `gt prime` looks for).
pub const HANDOFF: &str = "handoff";

#[derive(Debug, Clone, serde::Serialize)]
pub struct HandoffReport {
    pub agent: String,
    pub window: String,
    pub hook: Option<String>,
    pub mail: String,
}

pub fn handoff(ctx: &mut Ctx, agent: Option<&str>, note: Option<&str>) -> Result<HandoffReport> {
    let address = match agent {
        Some(a) => a.to_string(),
        None => {
            let me = agents::whoami(ctx);
            if me == Address::Overseer {
                return Err(Error::invalid(
                    "gt handoff is run by an agent, or give --agent <address>",
                ));
            }
            me.to_string()
        }
    };
    let info = agents::require(ctx, &address)?;
    // A fresh session is a start like any other: not while a brake holds the rig.
    crate::work::brakes::check_start(&ctx.reader(), info.rig.as_deref())?;
    let addr = Address::parse(&info.address).map_err(Error::Invalid)?;
    let pane = crate::work::agents::live::pane_of(ctx, &info.address)?;
    let rt = agent::runtime_named(&ctx.town, info.runtime.as_deref().unwrap_or("claude"))?;
    let cwd = info
        .worktree
        .clone()
        .unwrap_or_else(|| ctx.town.paths.mayor_dir());
    // The note first, durably: the successor reads it even if anything below fails.
    let body = note
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("(no note was left)")
        .to_string();
    let mail_id = ctx.write(|tx| {
        let id = tx.new_id("hq", "handoff")?;
        let now = tx.now().to_string();
        let b = Bead {
            id: id.clone(),
            title: "Handoff from your previous session".into(),
            description: Some(body.clone()),
            status: crate::ledger::Status::Open.into(),
            priority: Priority::High.level(),
            issue_type: "message".into(),
            created_at: now.clone(),
            updated_at: now,
            created_by: Some(info.address.clone()),
            sender: Some(info.address.clone()),
            assignee: Some(info.address.clone()),
            metadata: Some(
                serde_json::json!({"msg": id, "thread": id, "to": [info.address], "handoff": true})
                    .to_string(),
            ),
            ..Bead::default()
        };
        tx.insert_bead(&b)?;
        tx.add_label(&id, HANDOFF)?;
        tx.add_label(&id, &format!("thread:{id}"))?;
        let ev =
            serde_json::json!({"agent": info.address, "hook": info.hook, "window": pane.window_id});
        tx.record_event(Some(&info.bead_id), "handoff", None, Some(ev), None)?;
        Ok(id)
    })?;
    // Queued notifications were meant for the session that is ending; they stay queued and
    // reach the successor at its first idle prompt.
    let beacon = session::beacon(
        &info.address,
        &info.address,
        "handoff: your predecessor left you a note",
    );
    let exe = crate::work::gt_exe().display().to_string();
    let mut extra = crate::work::agents::sessions::resume_args(ctx, &info, &rt)?;
    extra.extend(session::hook_args(&rt)?);
    let argv = rt.argv_resuming(Some(&beacon), &exe, &extra);
    let env = session::session_env(ctx, &addr, &info.name, &rt)?;
    ctx.tmux().respawn(
        &pane.pane_id,
        &cwd.display().to_string(),
        &env,
        &rt.env_removed(),
        &argv,
    )?;
    // The successor must really start; if it does not, its window stays with the evidence.
    let created = crate::tmux::Created {
        window_id: pane.window_id.clone(),
        pane_id: pane.pane_id.clone(),
    };
    let given = !session::beacon_by_paste(&rt);
    crate::work::agents::startup::until_ready(ctx, &info.address, &created, &rt, &env, given)
        .map_err(|e| {
            Error::failed(format!(
                "the new session of {} did not start: {e}; your note is kept as mail",
                info.address
            ))
        })?;
    if session::beacon_by_paste(&rt) {
        let wait = std::time::Duration::from_secs(rt.startup_timeout_secs);
        let r =
            crate::work::agents::delivery::send(ctx, &info.address, &info.address, &beacon, wait)?;
        if r.state == crate::work::agents::delivery::DeliveryState::Failed {
            return Err(Error::failed(format!(
                "the new session of {} did not take its first prompt: {}",
                info.address,
                r.reason.unwrap_or_default()
            )));
        }
    }
    Ok(HandoffReport {
        agent: info.address,
        window: pane.window_id,
        hook: info.hook,
        mail: mail_id,
    })
}

/// The latest unread handoff note for `address`, if any.
pub fn latest_note(ctx: &Ctx, address: &str) -> Result<Option<(String, String)>> {
    for m in ctx.reader().messages_for(address, false, true)? {
        let b = ctx.reader().require(&m.id)?;
        if ctx.reader().labels(&b.id)?.iter().any(|l| l == HANDOFF) {
            return Ok(Some((b.id, b.description.unwrap_or_default())));
        }
    }
    Ok(None)
}
