//! Worktrees and branches of a rig's bare repository (libgit2).

use super::GitError;
use git2::{BranchType, Repository, WorktreeAddOptions, WorktreePruneOptions};
use std::path::Path;

fn bad(msg: impl Into<String>) -> GitError {
    GitError::BadInput(msg.into())
}

/// The commit a local branch points at.
pub fn branch_tip(repo_path: &Path, branch: &str) -> Result<String, GitError> {
    let repo = Repository::open(repo_path)?;
    let b = repo
        .find_branch(branch, BranchType::Local)
        .map_err(|_| bad(format!("branch {branch:?} does not exist")))?;
    b.get()
        .target()
        .map(|o| o.to_string())
        .ok_or_else(|| bad(format!("branch {branch:?} points nowhere")))
}

/// Creates `branch` at the tip of `from` (fails if it exists) and a worktree named `name`
/// at `path` with it checked out.
pub fn add_worktree_on_new_branch(
    repo_path: &Path,
    name: &str,
    path: &Path,
    branch: &str,
    from: &str,
) -> Result<(), GitError> {
    let repo = Repository::open(repo_path)?;
    let base = repo
        .find_branch(from, BranchType::Local)
        .map_err(|_| bad(format!("branch {from:?} does not exist")))?
        .get()
        .peel_to_commit()?;
    let new = repo.branch(branch, &base, false)?;
    let reference = new.into_reference();
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(&reference));
    if let Err(e) = repo.worktree(name, path, Some(&opts)) {
        // Leave no branch behind for a worktree that was never made.
        if let Ok(mut b) = repo.find_branch(branch, BranchType::Local) {
            let _ = b.delete();
        }
        return Err(e.into());
    }
    Ok(())
}

/// Checks out `branch` in an existing (clean) worktree, creating it from `from`'s tip when
/// it does not exist yet. The caller has checked there is nothing uncommitted.
pub fn switch_worktree(worktree: &Path, branch: &str, from: &str) -> Result<(), GitError> {
    let repo = Repository::open(worktree)?;
    let target = match repo.find_branch(branch, BranchType::Local) {
        Ok(b) => b.get().peel_to_commit()?,
        Err(_) => {
            let base = repo
                .find_branch(from, BranchType::Local)
                .map_err(|_| bad(format!("branch {from:?} does not exist")))?
                .get()
                .peel_to_commit()?;
            repo.branch(branch, &base, false)?;
            base
        }
    };
    repo.checkout_tree(
        target.as_object(),
        Some(git2::build::CheckoutBuilder::new().force()),
    )?;
    repo.set_head(&format!("refs/heads/{branch}"))?;
    Ok(())
}

/// Removes a worktree's directory and its registration in the repository.
pub fn remove_worktree(repo_path: &Path, name: &str, path: &Path) -> Result<(), GitError> {
    if path.exists() {
        std::fs::remove_dir_all(path)
            .map_err(|e| bad(format!("cannot remove {}: {e}", path.display())))?;
    }
    let repo = Repository::open(repo_path)?;
    if let Ok(wt) = repo.find_worktree(name) {
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true).working_tree(true).locked(true);
        wt.prune(Some(&mut opts))?;
    }
    Ok(())
}

/// The branches checked out in the repository's worktrees (registered ones whose directory
/// still opens).
pub fn worktree_branches(repo_path: &Path) -> Result<Vec<String>, GitError> {
    let repo = Repository::open(repo_path)?;
    let mut out = Vec::new();
    for name in repo.worktrees()?.iter().flatten().flatten() {
        let Ok(wt) = repo.find_worktree(name) else {
            continue;
        };
        let Ok(r) = Repository::open_from_worktree(&wt) else {
            continue;
        };
        if let Ok(head) = r.head()
            && let Ok(b) = head.shorthand()
        {
            out.push(b.to_string());
        }
    }
    Ok(out)
}

/// Names of the worktrees registered in the repository.
pub fn worktree_names(repo_path: &Path) -> Result<Vec<String>, GitError> {
    let repo = Repository::open(repo_path)?;
    let names = repo.worktrees()?;
    Ok(names
        .iter()
        .flatten()
        .flatten()
        .map(str::to_string)
        .collect())
}

pub fn delete_branch(repo_path: &Path, branch: &str) -> Result<bool, GitError> {
    let repo = Repository::open(repo_path)?;
    match repo.find_branch(branch, BranchType::Local) {
        Ok(mut b) => {
            b.delete()?;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

/// Commits on `branch` that `base` does not contain.
pub fn commits_ahead(repo_path: &Path, branch: &str, base: &str) -> Result<usize, GitError> {
    let repo = Repository::open(repo_path)?;
    let tip = repo
        .find_branch(branch, BranchType::Local)
        .map_err(|_| bad(format!("branch {branch:?} does not exist")))?
        .get()
        .target()
        .ok_or_else(|| bad(format!("branch {branch:?} points nowhere")))?;
    let base_tip = repo
        .find_branch(base, BranchType::Local)
        .map_err(|_| bad(format!("branch {base:?} does not exist")))?
        .get()
        .target()
        .ok_or_else(|| bad(format!("branch {base:?} points nowhere")))?;
    let (ahead, _) = repo.graph_ahead_behind(tip, base_tip)?;
    Ok(ahead)
}

/// Commits on `branch` that `base` lacks, and commits on `base` that `branch` lacks.
pub fn ahead_behind(
    repo_path: &Path,
    branch: &str,
    base: &str,
) -> Result<(usize, usize), GitError> {
    let repo = Repository::open(repo_path)?;
    let tip = local_tip(&repo, branch)?;
    let base_tip = local_tip(&repo, base)?;
    Ok(repo.graph_ahead_behind(tip, base_tip)?)
}

/// Unix time of the commit a local branch points at (its committer time).
pub fn branch_time(repo_path: &Path, branch: &str) -> Result<i64, GitError> {
    let repo = Repository::open(repo_path)?;
    let tip = local_tip(&repo, branch)?;
    Ok(repo.find_commit(tip)?.time().seconds())
}

fn local_tip(repo: &Repository, branch: &str) -> Result<git2::Oid, GitError> {
    repo.find_branch(branch, BranchType::Local)
        .map_err(|_| bad(format!("branch {branch:?} does not exist")))?
        .get()
        .target()
        .ok_or_else(|| bad(format!("branch {branch:?} points nowhere")))
}

/// Whether `path` (relative to the worktree) is tracked in HEAD.
pub fn is_tracked(worktree: &Path, rel: &str) -> Result<bool, GitError> {
    let repo = Repository::open(worktree)?;
    let Ok(head) = repo.head() else {
        return Ok(false);
    };
    let tree = head.peel_to_tree()?;
    Ok(tree.get_path(Path::new(rel)).is_ok())
}

/// Adds `pattern` to the repository's shared `info/exclude` (all worktrees), once.
pub fn exclude(repo_path: &Path, pattern: &str) -> Result<(), GitError> {
    let repo = Repository::open(repo_path)?;
    let file = repo.commondir().join("info").join("exclude");
    let existing = std::fs::read_to_string(&file).unwrap_or_default();
    if existing.lines().any(|l| l.trim() == pattern) {
        return Ok(());
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| bad(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(pattern);
    text.push('\n');
    std::fs::write(&file, text).map_err(|e| bad(format!("cannot write {}: {e}", file.display())))
}

/// The current commit of a worktree.
pub fn head_commit(worktree: &Path) -> Result<String, GitError> {
    let repo = Repository::open(worktree)?;
    Ok(repo.head()?.peel_to_commit()?.id().to_string())
}

/// Refuses a name git would not take for a branch (`..`, spaces, control characters, …).
pub fn check_branch_name(name: &str) -> Result<(), GitError> {
    if name.is_empty()
        || name.starts_with('-')
        || !git2::Reference::is_valid_name(&format!("refs/heads/{name}"))
    {
        return Err(GitError::BadInput(format!(
            "{name:?} is not a valid branch name"
        )));
    }
    Ok(())
}

/// Makes `branch` at `from` (a branch or commit of `repo`); refused when it exists.
pub fn create_branch(repo_path: &Path, branch: &str, from: &str) -> Result<String, GitError> {
    check_branch_name(branch)?;
    let repo = git2::Repository::open(repo_path)?;
    let commit = repo
        .revparse_single(&format!("{from}^{{commit}}"))
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| GitError::BadInput(format!("{from} names no commit")))?;
    repo.branch(branch, &commit, false)
        .map_err(|e| GitError::BadInput(format!("cannot make branch {branch}: {}", e.message())))?;
    Ok(commit.id().to_string())
}
