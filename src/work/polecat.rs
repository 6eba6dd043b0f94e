//! Polecats: named workers with their own worktree and branch. Names come from the rig's
//! pool under the rig lock; an idle polecat is reused before a new name is taken.

use super::Ctx;
use super::agents::{self, AgentInfo};
use crate::agent::{Address, names};
use crate::town::RigConfig;
use crate::{Error, Result, git};
use std::path::PathBuf;

/// `polecat/<name>/<bead>`.
pub fn branch_name(name: &str, bead: &str) -> String {
    format!("polecat/{name}/{bead}")
}

/// The git worktree name of a polecat (unique in the rig's repository).
pub fn worktree_name(name: &str) -> String {
    format!("polecat-{name}")
}

pub fn worktree_path(ctx: &Ctx, rig: &str, name: &str) -> PathBuf {
    ctx.town.paths.polecats_dir(rig).join(name)
}

/// Names in use by live polecats of the rig (or blocked by a leftover directory).
fn taken(ctx: &Ctx, rig: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = agents::list(&ctx.reader(), Some(rig))?
        .into_iter()
        .filter(|a| a.role == "polecat")
        .map(|a| a.name)
        .collect();
    if let Ok(entries) = std::fs::read_dir(ctx.town.paths.polecats_dir(rig)) {
        names.extend(
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string)),
        );
    }
    Ok(names)
}

/// A new name from the pool; an error when all 50 are in use.
pub fn allocate_name(ctx: &Ctx, rig: &str) -> Result<String> {
    let taken = taken(ctx, rig)?;
    names::first_free(|n| taken.iter().any(|t| t == n), &names::FIELD_GUIDE)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::failed(format!(
                "all {} polecat names of rig {rig} are in use; remove idle polecats with `gt polecat remove`",
                names::FIELD_GUIDE.len()
            ))
        })
}

/// Checks a name given by the person (`<rig>/polecats/<name>`).
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !names::RESERVED.contains(&name);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid polecat name {name:?}: letters, digits and '_', at most 32, not one of {}",
            names::RESERVED.join(", ")
        )))
    }
}

/// An idle polecat of the rig whose worktree is clean (so it can take new work).
pub fn idle_polecat(ctx: &Ctx, rig: &str) -> Result<Option<AgentInfo>> {
    for a in agents::list(&ctx.reader(), Some(rig))? {
        if a.role != "polecat" || a.state != "idle" || a.hook.is_some() {
            continue;
        }
        let Some(wt) = &a.worktree else { continue };
        match git::worktree_state(wt) {
            Ok(s) if s.dirty_files == 0 => return Ok(Some(a)),
            _ => continue,
        }
    }
    Ok(None)
}

/// Creates `<rig>/polecats/<name>` on a new branch from the default branch.
pub fn create_worktree(ctx: &Ctx, rig: &RigConfig, name: &str, branch: &str) -> Result<PathBuf> {
    let path = worktree_path(ctx, &rig.name, name);
    let repo = ctx.town.paths.rig_repo(&rig.name);
    std::fs::create_dir_all(ctx.town.paths.polecats_dir(&rig.name)).map_err(|e| {
        Error::io(
            format!(
                "create {}",
                ctx.town.paths.polecats_dir(&rig.name).display()
            ),
            e,
        )
    })?;
    git::add_worktree_on_new_branch(
        &repo,
        &worktree_name(name),
        &path,
        branch,
        &rig.default_branch,
    )
    .map_err(|e| {
        Error::failed(format!(
            "could not create the worktree {}: {e}",
            path.display()
        ))
    })?;
    Ok(path)
}

/// Removes a polecat's worktree and its registration; the branch is kept unless merged.
pub fn destroy_worktree(ctx: &Ctx, rig: &RigConfig, name: &str) -> Result<()> {
    let repo = ctx.town.paths.rig_repo(&rig.name);
    git::remove_worktree(
        &repo,
        &worktree_name(name),
        &worktree_path(ctx, &rig.name, name),
    )?;
    Ok(())
}

/// A polecat with what it holds, for `gt polecat list|show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolecatView {
    #[serde(flatten)]
    pub agent: AgentInfo,
    pub dirty_files: Option<usize>,
    pub commits_ahead: Option<usize>,
    /// Why `commits_ahead` could not be worked out (an unknown is a risk, never "none").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead_error: Option<String>,
}

pub fn view(ctx: &Ctx, a: AgentInfo) -> Result<PolecatView> {
    let dirty = a
        .worktree
        .as_ref()
        .and_then(|w| git::worktree_state(w).ok())
        .map(|s| s.dirty_files);
    let ahead = match (&a.rig, &a.branch) {
        (Some(rig), Some(branch)) => {
            let cfg = ctx.town.rig(rig)?;
            Some(git::commits_ahead(
                &ctx.town.paths.rig_repo(rig),
                branch,
                &cfg.default_branch,
            ))
        }
        _ => None,
    };
    let (commits_ahead, ahead_error) = match ahead {
        Some(Ok(n)) => (Some(n), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    Ok(PolecatView {
        agent: a,
        dirty_files: dirty,
        commits_ahead,
        ahead_error,
    })
}

pub fn list(ctx: &Ctx, rig: Option<&str>) -> Result<Vec<PolecatView>> {
    if let Some(r) = rig {
        ctx.town.rig(r)?;
    }
    agents::list(&ctx.reader(), rig)?
        .into_iter()
        .filter(|a| a.role == "polecat")
        .map(|a| view(ctx, a))
        .collect()
}

pub fn show(ctx: &Ctx, address: &str) -> Result<PolecatView> {
    show_worker(ctx, address, "polecat")
}

/// A polecat or crew member (`role`) in detail.
pub fn show_worker(ctx: &Ctx, address: &str, role: &str) -> Result<PolecatView> {
    let a = agents::require(ctx, address)?;
    if a.role != role {
        return Err(Error::invalid(format!(
            "{} is a {}, not a {role}",
            a.address, a.role
        )));
    }
    view(ctx, a)
}

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
pub async fn remove(ctx: &mut Ctx, address: &str, force: bool) -> Result<RemoveReport> {
    remove_worker(ctx, address, "polecat", force).await
}

/// Removes a polecat or crew member (`role`) with the same protections.
pub async fn remove_worker(
    ctx: &mut Ctx,
    address: &str,
    role: &str,
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
    take_down(ctx, &rig, &v, role, force, risks, None).await
}

/// Removes a polecat whose work has landed (the refinery's cleanup after a merge): only when
/// it is idle with nothing on its hook, its worktree has no uncommitted or untracked file and
/// is still on `branch` at `landed_tip` (a commit the default branch holds), and nobody is
/// attached to its window. Otherwise nothing is touched and the reason is returned.
pub async fn remove_landed(
    ctx: &mut Ctx,
    address: &str,
    branch: &str,
    landed_tip: &str,
) -> Result<std::result::Result<RemoveReport, String>> {
    let first = show_worker(ctx, address, "polecat")?;
    let Some(rig_name) = first.agent.rig.clone() else {
        return Ok(Err(format!("{address} has no rig")));
    };
    let rig = ctx.town.rig(&rig_name)?;
    let _lock = crate::fsutil::LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    let v = show_worker(ctx, address, "polecat")?;
    let a = &v.agent;
    let Some(wt) = a.worktree.clone() else {
        return Ok(Err(format!("{address} has no worktree")));
    };
    let state = git::worktree_state(&wt).map_err(|e| e.to_string());
    let tip = git::branch_tip(&ctx.town.paths.rig_repo(&rig.name), branch).ok();
    let why_not = if a.state != "idle" || a.hook.is_some() {
        Some(format!(
            "{address} is {} with {} on its hook",
            a.state,
            a.hook.as_deref().unwrap_or("nothing")
        ))
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
        "polecat",
        false,
        Vec::new(),
        Some(landed_tip),
    )
    .await
    {
        Ok(r) => Ok(Ok(r)),
        Err(Error::Invalid(m)) => Ok(Err(m)),
        Err(e) => Err(e),
    }
}

/// The removal itself (under the rig lock, checks done): window, worktree, branch when its
/// work is on the default branch (merged, or `landed_tip`), queued messages, agent record.
async fn take_down(
    ctx: &mut Ctx,
    rig: &RigConfig,
    v: &PolecatView,
    role: &str,
    force: bool,
    risks: Vec<String>,
    landed_tip: Option<&str>,
) -> Result<RemoveReport> {
    let a = v.agent.clone();
    let server = ctx.tmux();
    let mut window_killed = false;
    for p in server.panes().await? {
        if p.agent.as_deref() == Some(a.address.as_str()) {
            if p.human_attached() && !force {
                return Err(Error::invalid(format!(
                    "someone is attached to {}'s window; detach first or use --force",
                    a.address
                )));
            }
            window_killed |= server.kill_agent_window(&p.window_id).await?;
        }
    }
    let wt_path = a
        .worktree
        .clone()
        .unwrap_or_else(|| worktree_path(ctx, &rig.name, &a.name));
    git::remove_worktree(
        &ctx.town.paths.rig_repo(&rig.name),
        &format!("{role}-{}", a.name),
        &wt_path,
    )?;
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
    super::delivery::cancel_queued(ctx, &a.address, "the agent was removed")?;
    let hook = a.hook.clone();
    let address = Address::parse(&a.address).map_err(Error::Invalid)?;
    ctx.write(|tx| {
        if let Some(h) = &hook {
            super::hook::unhook_in(tx, h)?;
        }
        agents::set_state(tx, &a.bead_id, "removed", None)?;
        let note = serde_json::json!({"agent": address.to_string(), "discarded": risks, "landed": landed_tip});
        tx.record_event(Some(&a.bead_id), "polecat_removed", None, Some(note), None)?;
        Ok(())
    })?;
    Ok(RemoveReport {
        address: a.address,
        window_killed,
        discarded: if force { risks_text(v) } else { Vec::new() },
        branch_kept,
        branch_removed,
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
