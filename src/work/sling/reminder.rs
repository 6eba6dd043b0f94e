//! The one reminder a polecat gets when its turn ends with work on its hook and no `gt done`
//! (reported by its runtime's stop hook, see `agents::runtime_events`).

use crate::Result;
use crate::work::Ctx;
use crate::work::agents::{self, runtime_events};
use serde_json::{Value, json};

/// The ledger event of a reminder given at a stop.
pub const REMINDER_TYPE: &str = "stop_reminder";

/// A polecat that ends its turn with work on its hook and no `gt done` is reminded of what is
/// left — once per session (and never while the runtime is already continuing because of a
/// stop hook), so it is neither a silent idle nor a loop. None: nothing to say.
pub fn stop_reminder(ctx: &mut Ctx, agent: &str, payload: &str) -> Result<Option<String>> {
    let p: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    if p["stop_hook_active"].as_bool() == Some(true) {
        return Ok(None);
    }
    let info = agents::require(ctx, agent)?;
    if info.role != crate::agent::Role::Polecat {
        return Ok(None);
    }
    let Some(hook) = info.hook.clone() else {
        return Ok(None);
    };
    let r = ctx.reader();
    let Some(bead) = r.bead(&hook)? else {
        return Ok(None);
    };
    if !crate::ledger::Status::of(&bead.status).is_worked()
        || crate::work::beads::merge_request::pending_merge_of(&r, &bead.id)?.is_some()
    {
        return Ok(None);
    }
    let session = p["session_id"].as_str().unwrap_or_default().to_string();
    let already = r
        .last_event(&info.bead_id, REMINDER_TYPE)?
        .and_then(|e| e.new_value)
        .and_then(|v| serde_json::from_str::<Value>(&v).ok())
        .is_some_and(|v| v["session_id"].as_str() == Some(session.as_str()));
    if already {
        return Ok(None);
    }
    let detail = json!({"agent": info.address, "bead": bead.id, "session_id": session});
    runtime_events::record_on(ctx, &info.bead_id, REMINDER_TYPE, detail)?;
    Ok(Some(format!(
        "You stopped with {} ({}) still on your hook and no `gt done`. Finish it: commit your \
         work and run `gt done`. If it needs no change, say why with `gt bead comment {} \"…\"` \
         and run `gt done --status deferred`. If only a person can unblock it, comment on the \
         bead and stop.",
        bead.id, bead.title, bead.id
    )))
}
