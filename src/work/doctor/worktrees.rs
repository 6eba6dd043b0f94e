//! Worktrees: directories under `<rig>/polecats/` and `<rig>/crew/` that no agent claims,
//! agents whose worktree is gone, and registrations in the rig's repository whose directory
//! is gone. A directory holding work (uncommitted files, commits the default branch lacks)
//! is never removed: it is reported with the way to recover it.

use super::Check;
use crate::fsutil::LockGuard;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::agents;
use crate::{Error, Result, git};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A directory this young may be a worktree being made right now (its agent record is
/// written just after it); it is reported but not removed.
const GRACE: Duration = Duration::from_secs(60);

pub(super) fn check(ctx: &Ctx, fix: bool) -> Vec<Check> {
    let mut out = Vec::new();
    // Rigs whose rig.toml does not read are reported by the config check.
    let rigs = ctx.town.rigs().unwrap_or_default();
    for rig in &rigs {
        match rig_check(ctx, rig, fix) {
            Ok(v) => out.extend(v),
            Err(e) => out.push(Check::error(
                "worktrees",
                format!("rig {}: could not check its worktrees: {e}", rig.name),
                "see the error",
            )),
        }
    }
    if out.is_empty() {
        out.push(Check::ok(
            "worktrees",
            format!(
                "every worktree under polecats/ and crew/ of {} rig(s) belongs to an agent; no stale registrations",
                rigs.len()
            ),
        ));
    }
    out
}

fn rig_check(ctx: &Ctx, rig: &RigConfig, fix: bool) -> Result<Vec<Check>> {
    let repo = ctx.town.paths.rig_repo(&rig.name);
    if !git::is_repo(&repo) {
        return Ok(Vec::new());
    }
    // Slings and removals of this rig make and delete worktrees under this lock.
    let _lock = LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    let agents: Vec<_> = agents::list(&ctx.reader(), Some(&rig.name))?
        .into_iter()
        .filter(|a| a.role == crate::agent::Role::Polecat || a.role == crate::agent::Role::Crew)
        .collect();
    let mut out = Vec::new();
    let mut claimed: Vec<PathBuf> = Vec::new();
    for a in &agents {
        let kind = if a.role == crate::agent::Role::Polecat {
            ctx.town.paths.polecats_dir(&rig.name)
        } else {
            ctx.town.paths.crew_dir(&rig.name)
        };
        claimed.push(canonical(&kind.join(&a.name)));
        // A remote agent's worktree is on its host (the host's own check reaches it).
        if a.host.is_some() {
            continue;
        }
        if let Some(wt) = &a.worktree {
            claimed.push(canonical(wt));
            if !wt.exists() {
                out.push(Check::warn(
                    "worktrees",
                    format!("{}'s worktree {} is missing", a.address, rel(ctx, wt)),
                    format!(
                        "`gt {} remove --force {}` forgets the agent (its branch is kept)",
                        a.role, a.address
                    ),
                ));
            }
        }
    }
    for dir in [
        ctx.town.paths.polecats_dir(&rig.name),
        ctx.town.paths.crew_dir(&rig.name),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        // Real directories only: a symbolic link is not something gt made, and removing a
        // worktree through one would reach its target.
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        paths.sort();
        for path in paths {
            if !claimed.contains(&canonical(&path)) {
                out.push(orphan(ctx, rig, &repo, &path, fix));
            }
        }
    }
    out.extend(stale(ctx, &repo, fix)?);
    out.extend(orphan_branches(ctx, rig, &repo, fix)?);
    Ok(out)
}

/// `polecat/…` branches that no agent, worktree or merge request names — what a sling killed
/// between making the branch and recording its agent leaves. One with nothing the default
/// branch lacks is deleted by `--fix`; one with its own commits is kept and named.
fn orphan_branches(ctx: &Ctx, rig: &RigConfig, repo: &Path, fix: bool) -> Result<Vec<Check>> {
    let mut named: Vec<String> = agents::list(&ctx.reader(), Some(&rig.name))?
        .into_iter()
        .filter_map(|a| a.branch)
        .collect();
    let all = [
        "open",
        "in_progress",
        "closed",
        "blocked",
        "deferred",
        "hooked",
        "pinned",
    ];
    named.extend(
        crate::work::refinery::merge_requests(ctx, rig, &all, None)?
            .into_iter()
            .map(|m| m.branch),
    );
    named.extend(git::worktree_branches(repo)?);
    let mut out = Vec::new();
    for b in git::local_branches(repo)? {
        if !b.name.starts_with("polecat/") || named.contains(&b.name) {
            continue;
        }
        let ahead = git::commits_ahead(repo, &b.name, &rig.default_branch)?;
        if ahead > 0 {
            out.push(Check::warn(
                "branches",
                format!(
                    "rig {}: branch {} belongs to no agent or merge request and has {ahead} commit(s) {} lacks",
                    rig.name, b.name, rig.default_branch
                ),
                format!(
                    "kept (it holds work): look at it with `git -C {} log {}`, then sling its bead again or delete it",
                    repo.display(),
                    b.name
                ),
            ));
            continue;
        }
        let mut c = Check::warn(
            "branches",
            format!(
                "rig {}: branch {} belongs to no agent or merge request (a sling cut short?) and holds nothing {} lacks",
                rig.name, b.name, rig.default_branch
            ),
            "delete it",
        )
        .fixable();
        if fix {
            c.outcome(
                git::delete_branch(repo, &b.name)
                    .map(|_| ())
                    .map_err(Into::into),
            );
        }
        out.push(c);
    }
    Ok(out)
}

/// A path as shown in a finding: relative to the town when inside it.
fn rel(ctx: &Ctx, p: &Path) -> String {
    p.strip_prefix(ctx.town.root())
        .unwrap_or(p)
        .display()
        .to_string()
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A directory no agent claims: removable only when empty, or a clean worktree whose every
/// commit the default branch already has.
fn orphan(ctx: &Ctx, rig: &RigConfig, repo: &Path, path: &Path, fix: bool) -> Check {
    let full = path.display();
    let shown = rel(ctx, path);
    let leave_it = "gt never deletes it: look at it yourself";
    let is_empty = std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none());
    if is_empty && young(path) {
        return too_young(&shown);
    }
    if is_empty {
        let mut c = Check::warn(
            "worktrees",
            format!("{shown} is an empty directory no agent claims"),
            "remove it",
        )
        .fixable();
        if fix {
            c.outcome(
                std::fs::remove_dir(path).map_err(|e| Error::io(format!("remove {full}"), e)),
            );
        }
        return c;
    }
    let facts = match git::inspect_worktree(repo, path, &rig.default_branch) {
        Ok(f) => f,
        Err(e) => {
            return Check::warn(
                "worktrees",
                format!("{shown} belongs to no agent and is not a readable git worktree ({e})"),
                leave_it,
            );
        }
    };
    if !facts.of_repo {
        return Check::warn(
            "worktrees",
            format!(
                "{shown} belongs to no agent and is a git repository of its own, not a worktree of rig {}",
                rig.name
            ),
            format!("{leave_it}; move it out of the rig if it is yours"),
        );
    }
    let on = facts
        .branch
        .as_deref()
        .map_or("a detached HEAD".to_string(), |b| format!("branch {b}"));
    if facts.dirty_files > 0 || facts.ahead > 0 {
        let mut held = Vec::new();
        if facts.dirty_files > 0 {
            held.push(format!("{} uncommitted file(s)", facts.dirty_files));
        }
        if facts.ahead > 0 {
            held.push(format!(
                "{} commit(s) not on {}",
                facts.ahead, rig.default_branch
            ));
        }
        let keep = match &facts.branch {
            Some(b) => format!("it stays on branch {b} of the rig's repository, ready to merge"),
            None => "HEAD is detached: `git switch -c rescue/<name>` first, so a branch holds it"
                .to_string(),
        };
        return Check::warn(
            "worktrees",
            format!(
                "{shown} belongs to no agent and holds work on {on}: {}",
                held.join(", ")
            ),
            format!(
                "gt never removes it. To recover: `cd {full} && git status && git log {}..HEAD`; \
                 commit what you want to keep ({keep}); when nothing there is needed any more: \
                 `git -C {} worktree remove --force {full}`",
                rig.default_branch,
                repo.display()
            ),
        );
    }
    let Some(registration) = facts.name.clone() else {
        return Check::warn(
            "worktrees",
            format!(
                "{shown} belongs to no agent and is not registered as a worktree of rig {}",
                rig.name
            ),
            leave_it,
        );
    };
    if young(path) {
        return too_young(&shown);
    }
    let branch = facts
        .branch
        .clone()
        .filter(|b| b.starts_with("polecat/") || b.starts_with("crew/"));
    let mut action = "remove it (and its registration)".to_string();
    if let Some(b) = &branch {
        action.push_str(&format!(
            ", and branch {b}, which {} already contains",
            rig.default_branch
        ));
    }
    let mut c = Check::warn(
        "worktrees",
        format!(
            "{shown} belongs to no agent; it is clean and {} has everything on its {on}",
            rig.default_branch
        ),
        action,
    )
    .fixable();
    if fix {
        c.outcome(remove_clean(
            repo,
            rig,
            path,
            &registration,
            branch.as_deref(),
        ));
    }
    c
}

fn remove_clean(
    repo: &Path,
    rig: &RigConfig,
    path: &Path,
    registration: &str,
    branch: Option<&str>,
) -> Result<()> {
    // Looked at again right before: nothing may have appeared since.
    let f = git::inspect_worktree(repo, path, &rig.default_branch)?;
    if f.dirty_files > 0 || f.ahead > 0 {
        return Err(Error::failed(format!(
            "{} changed while being checked; left as it is",
            path.display()
        )));
    }
    git::remove_worktree(repo, registration, path)?;
    if let Some(b) = branch
        && matches!(git::commits_ahead(repo, b, &rig.default_branch), Ok(0))
    {
        git::delete_branch(repo, b)?;
    }
    tracing::info!(path = %path.display(), "gt doctor removed a clean, merged orphan worktree");
    Ok(())
}

fn too_young(shown: &str) -> Check {
    Check::warn(
        "worktrees",
        format!(
            "{shown} belongs to no agent, but it was made moments ago (a worktree being set up?)"
        ),
        "left for now; run `gt doctor` again in a minute",
    )
}

/// Made or changed within the grace period (the directory or its `.git` link).
fn young(path: &Path) -> bool {
    let now = SystemTime::now();
    [path.to_path_buf(), path.join(".git")].iter().any(|p| {
        std::fs::symlink_metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age < GRACE)
    })
}

/// Registrations whose directory is gone: `git worktree prune` forgets them (it never
/// touches a directory, a branch or a commit).
fn stale(ctx: &Ctx, repo: &Path, fix: bool) -> Result<Vec<Check>> {
    let found = git::stale_worktrees(repo)?;
    let mut out = Vec::new();
    let mut prunable = Vec::new();
    for s in &found {
        if s.locked {
            out.push(Check::warn(
                "worktrees",
                format!(
                    "worktree {:?} of {} points at {}, which is gone; it is locked",
                    s.name,
                    rel(ctx, repo),
                    rel(ctx, &s.path)
                ),
                format!(
                    "if the directory is not on a disk that is just unmounted: `git -C {} worktree unlock {}`, then `gt doctor --fix`",
                    repo.display(),
                    s.name
                ),
            ));
        } else {
            prunable.push(out.len());
            out.push(
                Check::warn(
                    "worktrees",
                    format!(
                        "worktree {:?} of {} points at {}, which is gone",
                        s.name,
                        rel(ctx, repo),
                        rel(ctx, &s.path)
                    ),
                    "forget the registration (`git worktree prune`; branches and commits stay)",
                )
                .fixable(),
            );
        }
    }
    if fix && !prunable.is_empty() {
        let res = git::prune_worktrees(repo);
        let left = git::stale_worktrees(repo).unwrap_or_default();
        for (i, s) in found.iter().filter(|s| !s.locked).enumerate() {
            let c = &mut out[prunable[i]];
            match &res {
                Err(e) => c.fix_error = Some(e.to_string()),
                Ok(()) if left.iter().any(|l| l.name == s.name) => {
                    c.fix_error = Some("`git worktree prune` kept it".into());
                }
                Ok(()) => c.fixed = true,
            }
        }
    }
    Ok(out)
}
