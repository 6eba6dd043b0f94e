//! Polecats: named workers with their own worktree and branch. Names come from the rig's
//! pool under the rig lock; an idle polecat is reused before a new name is taken.

use crate::agent::Role;
use crate::agent::names;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::agents::{self, AgentInfo};
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
        .filter(|a| a.role == crate::agent::Role::Polecat)
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

/// Where the rig's new polecats get their names (`polecats.names`, rig beats town). A value
/// that is no theme or holds a bad name is bad input (exit 2), said with the file it is in.
pub fn name_pool(ctx: &Ctx, rig: &RigConfig) -> Result<names::Pool> {
    let r = ctx
        .setting("polecats.names", Some(rig))
        .map_err(|e| match e {
            Error::Town(crate::town::TownError::BadConfig { path, message }) => {
                Error::invalid(format!("{path}: {message}"))
            }
            other => other,
        })?;
    names::parse_setting(&r.value).map_err(|m| Error::invalid(format!("{}: {m}", r.source)))
}

/// A new name from the rig's pool: the first not in use, numbered once all are (never fails
/// for want of names). Existing polecats keep theirs, whatever the pool is now.
pub fn allocate_name(ctx: &Ctx, rig: &RigConfig) -> Result<String> {
    let pool = name_pool(ctx, rig)?;
    let taken: std::collections::HashSet<String> = taken(ctx, &rig.name)?.into_iter().collect();
    Ok(names::first_free(|n| taken.contains(n), &pool.names()))
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
    // A polecat that slings to its own rig (a convoy formula's synthesis slung by its
    // `gt done`) is idle by then, but reusing it would end the session that is asking.
    let caller = agents::whoami(ctx).to_string();
    for a in agents::list(&ctx.reader(), Some(rig))? {
        if a.role != crate::agent::Role::Polecat
            || a.state != crate::work::agents::AgentState::Idle
            || a.hook.is_some()
            || a.address == caller
        {
            continue;
        }
        if a.worktree.is_none() {
            continue;
        }
        // Read where it is (on its host for a remote polecat); unknown is not clean.
        match super::worktree_state(ctx, &a) {
            Ok(Some(s)) if s.dirty_files == 0 => return Ok(Some(a)),
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
    // Read where the worktree is (on its host for a remote polecat); unreadable is unknown.
    let state = super::worktree_state(ctx, &a).ok().flatten();
    let dirty = state.as_ref().map(|s| s.dirty_files);
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
    let (commits_ahead, mut ahead_error) = match ahead {
        Some(Ok(n)) => (Some(n), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    // On a host the town counts only what was fetched back: a worktree standing elsewhere
    // (or unread) holds commits the town has not seen.
    if let (Some(host), Some(rig), Some(branch)) = (&a.host, &a.rig, &a.branch) {
        let tip = git::branch_tip(&ctx.town.paths.rig_repo(rig), branch).ok();
        if state.as_ref().and_then(|s| s.head.clone()) != tip {
            ahead_error = Some(format!(
                "its worktree on {host} is not at the town's copy of {branch} (commits not brought back, or unreadable)"
            ));
        }
    }
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
        .filter(|a| a.role == crate::agent::Role::Polecat)
        .map(|a| view(ctx, a))
        .collect()
}

pub fn show(ctx: &Ctx, address: &str) -> Result<PolecatView> {
    show_worker(ctx, address, Role::Polecat)
}

/// A polecat or crew member (`role`) in detail.
pub fn show_worker(ctx: &Ctx, address: &str, role: Role) -> Result<PolecatView> {
    let a = agents::require(ctx, address)?;
    if a.role != role {
        return Err(Error::invalid(format!(
            "{} is a {}, not a {role}",
            a.address, a.role
        )));
    }
    view(ctx, a)
}
