//! Local repository work through libgit2.

use super::GitError;
use git2::{BranchType, Repository, StatusOptions, WorktreeAddOptions};
use std::path::Path;

pub fn is_repo(path: &Path) -> bool {
    Repository::open(path).is_ok()
}

pub fn init_repo(path: &Path) -> Result<(), GitError> {
    if Repository::open(path).is_err() {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        Repository::init_opts(path, &opts)?;
    }
    Ok(())
}

/// The branch HEAD of a (bare) repository points at, if it exists.
pub fn default_branch(repo_path: &Path) -> Result<Option<String>, GitError> {
    let repo = Repository::open(repo_path)?;
    let head = repo.find_reference("HEAD")?;
    let Ok(Some(target)) = head.symbolic_target() else {
        return Ok(None);
    };
    let name = target
        .strip_prefix("refs/heads/")
        .unwrap_or(target)
        .to_string();
    Ok(has_branch(repo_path, &name)?.then_some(name))
}

pub fn has_branch(repo_path: &Path, branch: &str) -> Result<bool, GitError> {
    let repo = Repository::open(repo_path)?;
    Ok(repo.find_branch(branch, BranchType::Local).is_ok())
}

/// Adds a worktree named `name` at `path` with `branch` checked out.
pub fn add_worktree(
    repo_path: &Path,
    name: &str,
    path: &Path,
    branch: &str,
) -> Result<(), GitError> {
    let repo = Repository::open(repo_path)?;
    let branch_ref = repo
        .find_branch(branch, BranchType::Local)
        .map_err(|_| {
            GitError::BadInput(format!(
                "branch {branch:?} does not exist in {}",
                repo_path.display()
            ))
        })?
        .into_reference();
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(&branch_ref));
    repo.worktree(name, path, Some(&opts))?;
    Ok(())
}

/// What a worktree holds that could be lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeState {
    pub branch: Option<String>,
    /// Modified, staged or untracked files (ignored files excluded).
    pub dirty_files: usize,
}

pub fn worktree_state(path: &Path) -> Result<WorktreeState, GitError> {
    let repo = Repository::open(path)?;
    let branch = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false);
    let dirty_files = repo.statuses(Some(&mut opts))?.len();
    Ok(WorktreeState {
        branch,
        dirty_files,
    })
}

/// A local branch and whether its commits exist anywhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchState {
    pub name: String,
    /// Commits on the branch that no `origin/*` branch contains (0 = safe to delete).
    pub unpushed: usize,
}

/// Every local branch with the number of its commits found on no remote-tracking branch.
pub fn local_branches(repo_path: &Path) -> Result<Vec<BranchState>, GitError> {
    let repo = Repository::open(repo_path)?;
    let mut remote_tips = Vec::new();
    for b in repo.branches(Some(BranchType::Remote))? {
        let (b, _) = b?;
        if let Some(oid) = b.get().target() {
            remote_tips.push(oid);
        }
    }
    let mut out = Vec::new();
    for b in repo.branches(Some(BranchType::Local))? {
        let (b, _) = b?;
        let Some(name) = b.name()?.map(str::to_string) else {
            continue;
        };
        let Some(tip) = b.get().target() else {
            continue;
        };
        let mut walk = repo.revwalk()?;
        walk.push(tip)?;
        for oid in &remote_tips {
            walk.hide(*oid)?;
        }
        let unpushed = walk.count();
        out.push(BranchState { name, unpushed });
    }
    Ok(out)
}

/// Commits the given paths (relative to the work tree) on the current branch.
/// Returns false when there was nothing to commit.
pub fn commit_paths(workdir: &Path, paths: &[&str], message: &str) -> Result<bool, GitError> {
    let repo = Repository::open(workdir)?;
    let mut index = repo.index()?;
    for p in paths {
        if workdir.join(p).exists() {
            index.add_all([*p].iter(), git2::IndexAddOption::DEFAULT, None)?;
        }
    }
    index.write()?;
    let tree_id = index.write_tree()?;
    let tree = repo.find_tree(tree_id)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    if let Some(p) = &parent
        && p.tree_id() == tree_id
    {
        return Ok(false);
    }
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("Gas Town", "gt@localhost"))?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
    Ok(true)
}
