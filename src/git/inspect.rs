//! What `gt doctor` asks git: its version, what a stray worktree holds, and the worktree
//! registrations whose directory is gone.

use super::GitError;
use git2::{BranchType, Repository};
use std::path::{Path, PathBuf};

/// `git --version` without the `git version ` prefix, e.g. `2.47.3`.
pub fn version() -> Result<String, GitError> {
    let out = super::cli::run(&["--version"], None)?;
    let text = out.trim();
    Ok(text
        .strip_prefix("git version ")
        .unwrap_or(text)
        .to_string())
}

/// A directory found where gt keeps worktrees, as git sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeFacts {
    /// It belongs to the given repository (its common dir is that repository).
    pub of_repo: bool,
    /// Its registration name in that repository, when registered.
    pub name: Option<String>,
    /// The checked-out branch (None when detached or unborn).
    pub branch: Option<String>,
    /// Modified, staged or untracked files (ignored files excluded).
    pub dirty_files: usize,
    /// Commits reachable from its HEAD that `base` does not contain.
    pub ahead: usize,
}

/// Opens `path` as a git work tree and compares it with `repo_path` and its branch `base`.
pub fn inspect_worktree(
    repo_path: &Path,
    path: &Path,
    base: &str,
) -> Result<WorktreeFacts, GitError> {
    let wt = Repository::open(path)?;
    let of_repo = same_path(wt.commondir(), repo_path);
    let branch = if wt.head_detached().unwrap_or(false) {
        None
    } else {
        wt.head()
            .ok()
            .and_then(|h| h.shorthand().ok().map(str::to_string))
    };
    let state = super::worktree_state(path)?;
    let head = wt.head().ok().and_then(|h| h.target());
    let base_tip = wt
        .find_branch(base, BranchType::Local)
        .map_err(|_| GitError::BadInput(format!("branch {base:?} does not exist")))?
        .get()
        .target()
        .ok_or_else(|| GitError::BadInput(format!("branch {base:?} points nowhere")))?;
    let ahead = match head {
        Some(h) => wt.graph_ahead_behind(h, base_tip)?.0,
        None => 0,
    };
    let name = if of_repo {
        registration_of(repo_path, path)?
    } else {
        None
    };
    Ok(WorktreeFacts {
        of_repo,
        name,
        branch,
        dirty_files: state.dirty_files,
        ahead,
    })
}

/// The name under which `path` is registered as a worktree of `repo_path`.
fn registration_of(repo_path: &Path, path: &Path) -> Result<Option<String>, GitError> {
    let repo = Repository::open(repo_path)?;
    let names = repo.worktrees()?;
    for name in names.iter().flatten().flatten() {
        if let Ok(wt) = repo.find_worktree(name)
            && same_path(wt.path(), path)
        {
            return Ok(Some(name.to_string()));
        }
    }
    Ok(None)
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}

/// A worktree registered in a repository whose directory no longer exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleWorktree {
    pub name: String,
    pub path: PathBuf,
    /// `git worktree lock`ed: prune leaves it alone.
    pub locked: bool,
}

/// Registrations whose work tree is gone (what `git worktree prune` would remove, plus the
/// locked ones it keeps).
pub fn stale_worktrees(repo_path: &Path) -> Result<Vec<StaleWorktree>, GitError> {
    let repo = Repository::open(repo_path)?;
    let names = repo.worktrees()?;
    let mut out = Vec::new();
    for name in names.iter().flatten().flatten() {
        let Ok(wt) = repo.find_worktree(name) else {
            continue;
        };
        if wt.path().exists() {
            continue;
        }
        out.push(StaleWorktree {
            name: name.to_string(),
            path: wt.path().to_path_buf(),
            locked: !matches!(wt.is_locked(), Ok(git2::WorktreeLockStatus::Unlocked)),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `git worktree prune`: forgets registrations whose directory is gone (never locked ones,
/// never a directory that exists).
pub fn prune_worktrees(repo_path: &Path) -> Result<(), GitError> {
    super::cli::run(&["worktree", "prune"], Some(repo_path)).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_numbers() {
        let v = version().expect("git runs");
        assert!(v.starts_with(|c: char| c.is_ascii_digit()), "{v}");
    }
}
