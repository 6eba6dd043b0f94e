//! The hook: the bead an agent is working on (status `hooked`, assignee = the agent).

use crate::ledger::{Bead, Reader, Tx};
use crate::work::Ctx;
pub use crate::work::agents::unhook_in;
use crate::work::agents::{self, AgentInfo};
use crate::{Error, Result};

/// What is on an agent's hook.
#[derive(Debug, Clone)]
pub struct HookView {
    pub agent: String,
    pub bead: Option<Bead>,
    pub branch: Option<String>,
    pub worktree: Option<String>,
}

pub fn show(ctx: &Ctx, address: &str) -> Result<HookView> {
    let bead = agents::hooked_bead(&ctx.reader(), address)?;
    let info = agents::find(&ctx.reader(), address)?;
    Ok(HookView {
        agent: address.to_string(),
        bead,
        branch: info.as_ref().and_then(|i| i.branch.clone()),
        worktree: info
            .as_ref()
            .and_then(|i| i.worktree.as_ref().map(|p| p.display().to_string())),
    })
}

/// Puts `bead` on `address`'s hook without starting anything (`gt hook <bead> <agent>`).
pub fn attach(ctx: &mut Ctx, bead_id: &str, address: &str) -> Result<Bead> {
    let agent = agents::require(ctx, address)?;
    let bead = crate::work::beads::require(ctx, &ctx.reader(), bead_id)?;
    check_hookable(&ctx.reader(), &bead, &agent.address, false)?;
    if let Some(h) = agent.hook.as_deref().filter(|h| *h != bead_id) {
        return Err(Error::invalid(format!(
            "{} already has {h} on its hook; `gt unsling --agent {}` first",
            agent.address, agent.address
        )));
    }
    // Checked again inside the transaction, against a parallel hook or sling.
    ctx.write(|tx| {
        let cur = tx.reader().require(bead_id)?;
        check_hookable(&tx.reader(), &cur, &agent.address, false)?;
        let me = tx.reader().require(&agent.bead_id)?;
        if let Some(h) = me
            .hook_bead
            .as_deref()
            .filter(|h| !h.is_empty() && *h != bead_id)
        {
            return Err(Error::invalid(format!(
                "{} already has {h} on its hook; `gt unsling --agent {}` first",
                agent.address, agent.address
            )));
        }
        hook_in(tx, bead_id, &agent.address)?;
        agents::set_state(
            tx,
            &agent.bead_id,
            crate::work::agents::AgentState::Working,
            Some(bead_id),
        )?;
        Ok(tx.reader().require(bead_id)?)
    })
}

/// Refuses closed beads, machinery, and — unless `force` — beads on someone else's hook or
/// waiting in the merge queue.
pub fn check_hookable(r: &Reader<'_>, bead: &Bead, address: &str, force: bool) -> Result<()> {
    if bead.is_closed() {
        return Err(Error::invalid(format!(
            "{} is closed; reopen it first (`gt bead reopen {}`)",
            bead.id, bead.id
        )));
    }
    // A molecule is machinery for the ready list, but it is exactly what an agent takes when
    // a formula is slung.
    if bead.issue_type == "step" {
        let root = bead.id.rsplit_once('.').map(|(r, _)| r).unwrap_or(&bead.id);
        return Err(Error::invalid(format!(
            "{} is a step of molecule {root}; sling the molecule, not one of its steps",
            bead.id
        )));
    }
    if bead.issue_type != "molecule"
        && crate::ledger::INFRA_TYPES.contains(&bead.issue_type.as_str())
    {
        return Err(Error::invalid(format!(
            "{} is a {}, not work an agent can take",
            bead.id, bead.issue_type
        )));
    }
    if !force && let Some(mr) = crate::work::beads::merge_request::pending_merge_of(r, &bead.id)? {
        return Err(Error::invalid(format!(
            "{}'s work is done and waiting in the merge queue as {mr}; use --force to work on it again (that merge request is then closed as superseded)",
            bead.id
        )));
    }
    if bead.status == crate::ledger::Status::Hooked
        && !force
        && let Some(holder) = bead.assignee.as_deref().filter(|h| *h != address)
    {
        return Err(Error::invalid(format!(
            "{} is already on {holder}'s hook; use --force to move it",
            bead.id
        )));
    }
    Ok(())
}

/// Hooks a bead inside a transaction: status `hooked`, assignee = the agent.
pub fn hook_in(tx: &mut Tx<'_>, bead_id: &str, address: &str) -> Result<()> {
    let old = tx.reader().require(bead_id)?;
    // Checked again inside the transaction: a close that won a race with this sling stands.
    if old.is_closed() {
        return Err(Error::invalid(format!(
            "{bead_id} was closed meanwhile; reopen it first (`gt bead reopen {bead_id}`)"
        )));
    }
    let mut new = old.clone();
    new.status = crate::ledger::Status::Hooked.into();
    new.assignee = Some(address.to_string());
    tx.update_bead(&old, new, "hooked")?;
    // On a hook, it no longer waits for the scheduler.
    crate::work::beads::queue::dequeue_in(tx, bead_id, &format!("hooked by {address}"))?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UnslingReport {
    pub bead: String,
    pub agent: Option<String>,
    /// It was waiting in the scheduler's queue and was taken out of it (no hook involved).
    pub unqueued: bool,
}

/// Takes work off a hook (by bead, or everything on an agent's hook). The agent is freed;
/// its session and worktree stay as they are.
pub fn unsling(ctx: &mut Ctx, bead: Option<&str>, agent: Option<&str>) -> Result<UnslingReport> {
    let (bead_id, holder): (String, Option<AgentInfo>) = match (bead, agent) {
        (Some(b), _) => {
            let bd = crate::work::beads::require(ctx, &ctx.reader(), b)?;
            if bd.status != crate::ledger::Status::Hooked
                && crate::work::beads::queue::entry_of(&ctx.reader(), &bd.id)?.is_some()
            {
                let who = ctx.actor.clone();
                crate::work::beads::queue::unqueue(ctx, &bd.id, &format!("unslung by {who}"))?;
                return Ok(UnslingReport {
                    bead: bd.id,
                    agent: None,
                    unqueued: true,
                });
            }
            if bd.status != crate::ledger::Status::Hooked {
                return Err(Error::invalid(format!(
                    "{b} is not on anyone's hook (status {})",
                    bd.status
                )));
            }
            let holder = match bd.assignee.as_deref() {
                Some(a) => agents::find(&ctx.reader(), a)?,
                None => None,
            };
            (b.to_string(), holder)
        }
        (None, Some(a)) => {
            let info = agents::require(ctx, a)?;
            let hooked = agents::hooked_bead(&ctx.reader(), &info.address)?.ok_or_else(|| {
                Error::invalid(format!("{} has nothing on its hook", info.address))
            })?;
            (hooked.id, Some(info))
        }
        (None, None) => return Err(Error::invalid("give a bead id or --agent <address>")),
    };
    ctx.write(|tx| {
        unhook_in(tx, &bead_id)?;
        if let Some(h) = &holder {
            agents::set_state(tx, &h.bead_id, crate::work::agents::AgentState::Idle, None)?;
        }
        Ok(())
    })?;
    Ok(UnslingReport {
        bead: bead_id,
        agent: holder.map(|h| h.address),
        unqueued: false,
    })
}
