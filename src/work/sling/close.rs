//! `gt close` by hand: the bead lifecycle meets the work lifecycle — a bead on an agent's hook
//! is only closed with `--force`, and then its agent is freed and told.

use crate::work::Ctx;
use crate::work::beads::CloseOutcome;
use crate::{Error, Result};

/// Closes beads by hand. A bead an agent is working on (on its hook) is refused unless
/// `force`: then the agent is freed and told, so it never holds a closed bead whose `gt done`
/// would be refused. Decided inside the write transaction, so a sling racing the close either
/// comes first (and the close is refused) or finds the bead closed (and is refused).
pub fn close(
    ctx: &mut Ctx,
    ids: &[String],
    reason: Option<&str>,
    force: bool,
) -> Result<CloseOutcome> {
    if ids.is_empty() {
        return Err(Error::invalid("give at least one bead id to close"));
    }
    let r = ctx.reader();
    for id in ids {
        crate::work::beads::require(ctx, &r, id)?;
    }
    let actor = ctx.actor.clone();
    let out = ctx.write(|tx| {
        let mut out = CloseOutcome::default();
        for id in ids {
            let old = tx.reader().require(id)?;
            if let Some(agent) = crate::work::beads::worker_of(&tx.reader(), &old)? {
                if !force {
                    return Err(Error::invalid(format!(
                        "{id} is on {}'s hook ({}); `gt unsling {id}` first, or close it with --force (the agent is freed and told)",
                        agent.address, old.status
                    )));
                }
                crate::work::agents::set_state(tx, &agent.bead_id, crate::work::agents::AgentState::Idle, None)?;
                out.freed.push(agent.address.clone());
            }
            crate::work::beads::close_in(tx, id, reason, &mut out)?;
        }
        Ok(out)
    })?;
    for agent in &out.freed {
        let note = format!(
            "The bead you were working on was closed by {actor}{}. Stop work on it; your branch and worktree stay as they are.",
            reason.map(|r| format!(" ({r})")).unwrap_or_default()
        );
        if crate::work::agents::delivery::enqueue(ctx, agent, "gt close", &note, false).is_ok() {
            crate::work::agents::delivery::spawn_flusher(ctx, agent);
        }
    }
    Ok(out)
}
