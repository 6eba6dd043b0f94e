//! Removing a polecat or crew member: `gt polecat remove` (refused while work would be lost,
//! unless forced) and the refinery's cleanup of a polecat whose work has landed.

use crate::agent::Address;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::agents;
use crate::work::agents::departed;
use crate::work::agents::polecat::{PolecatView, show_worker, worktree_path};
use crate::{Error, Result, git};

#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoveReport {
    pub address: String,
    pub window_killed: bool,
    /// Work discarded with --force.
    pub discarded: Vec<String>,
    /// Branches kept because their commits are not merged.
    pub branch_kept: Option<String>,
    /// The branch deleted with it (its work is on the default branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_removed: Option<String>,
}

/// Removes a polecat: its window, worktree (and its registration in git) and its agent
/// record. Refuses while it holds uncommitted or unmerged work unless `force`; an unmerged
/// branch is kept even then (a branch costs nothing and loses nothing).
pub fn remove(ctx: &mut Ctx, address: &str, force: bool) -> Result<RemoveReport> {
    remove_worker(ctx, address, crate::agent::Role::Polecat, force)
}

/// Removes a polecat or crew member (`role`) with the same protections.
pub fn remove_worker(
    ctx: &mut Ctx,
    address: &str,
    role: crate::agent::Role,
    force: bool,
) -> Result<RemoveReport> {
    let first = show_worker(ctx, address, role)?;
    let rig_name = first
        .agent
        .rig
        .clone()
        .ok_or_else(|| Error::failed("polecat without a rig"))?;
    let rig = ctx.town.rig(&rig_name)?;
    // Under the rig lock, so a sling cannot pick this worker while it is being removed;
    // and looked at again under it.
    let _lock = crate::fsutil::LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    let v = show_worker(ctx, address, role)?;
    let a = v.agent.clone();
    let mut risks = Vec::new();
    if let Some(n) = v.dirty_files.filter(|n| *n > 0) {
        risks.push(format!(
            "{n} uncommitted file(s) in {}",
            a.worktree
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ));
    }
    if let Some(n) = v.commits_ahead.filter(|n| *n > 0) {
        risks.push(format!(
            "{n} commit(s) on {} not merged into {}",
            a.branch.clone().unwrap_or_default(),
            rig.default_branch
        ));
    }
    if let (Some(b), Some(e)) = (&a.branch, &v.ahead_error) {
        risks.push(format!("could not tell whether {b} is merged: {e}"));
    }
    if let Some(h) = &a.hook {
        risks.push(format!("{h} is on its hook"));
    }
    if !risks.is_empty() && !force {
        return Err(Error::invalid(format!(
            "polecat {} has work that would be lost:\n  {}\nLet it finish (`gt done`), or use --force",
            a.address,
            risks.join("\n  ")
        )));
    }
    take_down(ctx, &rig, &v, role, force, risks, None)
}

/// Removes a polecat whose work has landed (the refinery's cleanup after a merge): only when
/// it is idle with nothing on its hook, its worktree has no uncommitted or untracked file and
/// is still on `branch` at `landed_tip` (a commit the default branch holds), and nobody is
/// attached to its window. Otherwise nothing is touched and the reason is returned.
pub fn remove_landed(
    ctx: &mut Ctx,
    address: &str,
    branch: &str,
    landed_tip: &str,
) -> Result<std::result::Result<RemoveReport, String>> {
    let first = show_worker(ctx, address, crate::agent::Role::Polecat)?;
    let Some(rig_name) = first.agent.rig.clone() else {
        return Ok(Err(format!("{address} has no rig")));
    };
    let rig = ctx.town.rig(&rig_name)?;
    let _lock = crate::fsutil::LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    let v = show_worker(ctx, address, crate::agent::Role::Polecat)?;
    let a = &v.agent;
    let Some(wt) = a.worktree.clone() else {
        return Ok(Err(format!("{address} has no worktree")));
    };
    let state = match agents::worktree_state(ctx, a) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err("the folder is gone".to_string()),
        Err(e) => Err(e.to_string()),
    };
    let tip = git::branch_tip(&ctx.town.paths.rig_repo(&rig.name), branch).ok();
    let why_not = if a.state != crate::work::agents::AgentState::Idle || a.hook.is_some() {
        Some(format!(
            "{address} is {} with {} on its hook",
            a.state,
            a.hook.as_deref().unwrap_or("nothing")
        ))
    } else if let Some(w) = departed::told_after_finishing(&ctx.reader(), a)? {
        Some(w)
    } else {
        match &state {
            Err(e) => Some(format!("cannot read {}: {e}", wt.display())),
            Ok(s) if s.dirty_files > 0 => Some(format!(
                "{} has {} uncommitted or untracked file(s)",
                wt.display(),
                s.dirty_files
            )),
            Ok(s) if s.branch.as_deref() != Some(branch) => Some(format!(
                "{} is on {}, not {branch}",
                wt.display(),
                s.branch.as_deref().unwrap_or("no branch")
            )),
            Ok(_) if tip.as_deref() != Some(landed_tip) => {
                Some(format!("{branch} has commits that did not land"))
            }
            // On a host, commits made after `gt done` were never fetched: the worktree
            // there must stand at what landed.
            Ok(s) if a.host.is_some() && s.head.as_deref() != Some(landed_tip) => Some(format!(
                "{} on {} has commits that were not brought back",
                wt.display(),
                a.host.as_deref().unwrap_or_default()
            )),
            Ok(_) => None,
        }
    };
    if let Some(w) = why_not {
        return Ok(Err(w));
    }
    match take_down(
        ctx,
        &rig,
        &v,
        crate::agent::Role::Polecat,
        false,
        Vec::new(),
        Some(landed_tip),
    ) {
        Ok(r) => Ok(Ok(r)),
        Err(Error::Invalid(m)) => Ok(Err(m)),
        Err(e) => Err(e),
    }
}

/// The removal itself (under the rig lock, checks done): window, worktree, branch when its
/// work is on the default branch (merged, or `landed_tip`), queued messages, agent record.
pub(crate) fn take_down(
    ctx: &mut Ctx,
    rig: &RigConfig,
    v: &PolecatView,
    role: crate::agent::Role,
    force: bool,
    risks: Vec<String>,
    landed_tip: Option<&str>,
) -> Result<RemoveReport> {
    let a = v.agent.clone();
    let Some(window_killed) = crate::work::agents::session::close_windows(ctx, &a.address, force)?
    else {
        return Err(Error::invalid(format!(
            "someone is attached to {}'s window; detach first or use --force",
            a.address
        )));
    };
    let wt_path = a
        .worktree
        .clone()
        .unwrap_or_else(|| worktree_path(ctx, &rig.name, &a.name));
    match (&a.host, &a.branch) {
        (Some(host), Some(b)) => {
            crate::work::hosts::remote::remove_worktree(ctx, host, &rig.name, &a.name, b)?
        }
        _ => git::remove_worktree(
            &ctx.town.paths.rig_repo(&rig.name),
            &format!("{role}-{}", a.name),
            &wt_path,
        )?,
    }
    let mut branch_kept = None;
    let mut branch_removed = None;
    if let Some(b) = &a.branch {
        let repo = ctx.town.paths.rig_repo(&rig.name);
        // Only a branch known to be merged is deleted; an unknown keeps it.
        let landed =
            landed_tip.is_some() && git::branch_tip(&repo, b).ok().as_deref() == landed_tip;
        if landed || matches!(git::commits_ahead(&repo, b, &rig.default_branch), Ok(0)) {
            if git::delete_branch(&repo, b)? {
                branch_removed = Some(b.to_string());
            }
        } else {
            branch_kept = Some(b.to_string());
        }
    }
    let address = Address::parse(&a.address).map_err(Error::Invalid)?;
    let note =
        serde_json::json!({"agent": address.to_string(), "discarded": risks, "landed": landed_tip});
    forget(ctx, &a, note)?;
    Ok(RemoveReport {
        address: a.address,
        window_killed,
        discarded: if force { risks_text(v) } else { Vec::new() },
        branch_kept,
        branch_removed,
    })
}

/// Finishes the removal of a landed polecat that a stopped cleanup took half down: its
/// branch and worktree are gone but its record still says idle (so it looks like a worker
/// with nowhere to work). Its address when forgotten now.
pub fn finish_half_removed(ctx: &mut Ctx, rig: &RigConfig, branch: &str) -> Result<Option<String>> {
    let _lock = crate::fsutil::LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    let found = agents::list(&ctx.reader(), Some(&rig.name))?
        .into_iter()
        .find(|a| {
            a.role == crate::agent::Role::Polecat
                && a.state == crate::work::agents::AgentState::Idle
                && a.hook.is_none()
                && a.branch.as_deref() == Some(branch)
                && a.host.is_none()
                && a.worktree.as_ref().is_some_and(|w| !w.exists())
        });
    let Some(a) = found else {
        return Ok(None);
    };
    if crate::work::agents::session::close_windows(ctx, &a.address, false)?.is_none() {
        return Ok(None);
    }
    let note = serde_json::json!({"agent": a.address, "landed": branch, "finished": true});
    forget(ctx, &a, note)?;
    Ok(Some(a.address))
}

/// The agent's queued messages are dropped, its hook (if any) released and its record
/// marked removed, with a `polecat_removed` event carrying `note`.
fn forget(ctx: &mut Ctx, a: &agents::AgentInfo, note: serde_json::Value) -> Result<()> {
    // Its runtime was stopped without reporting an end: read what it left, and end it.
    crate::work::agents::sessions::close_all(ctx, a, "removed")?;
    crate::work::agents::delivery::cancel_queued(ctx, &a.address, "the agent was removed")?;
    ctx.write(|tx| {
        if let Some(h) = &a.hook {
            crate::work::agents::unhook_in(tx, h)?;
        }
        agents::set_state(
            tx,
            &a.bead_id,
            crate::work::agents::AgentState::Removed,
            None,
        )?;
        let why = departed::why_removed(&a.address, note["landed"].as_str(), tx.now());
        departed::forward_unread_in(tx, &a.address, &why)?;
        tx.record_event(Some(&a.bead_id), "polecat_removed", None, Some(note), None)?;
        Ok(())
    })
}

fn risks_text(v: &PolecatView) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = v.dirty_files.filter(|n| *n > 0) {
        out.push(format!("{n} uncommitted file(s)"));
    }
    if let Some(h) = &v.agent.hook {
        out.push(format!("hook {h} returned to the queue"));
    }
    out
}
