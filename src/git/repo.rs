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
    /// The commit checked out.
    pub head: Option<String>,
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
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string());
    Ok(WorktreeState {
        branch,
        dirty_files,
        head,
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

/// Commits the current content of `paths` (files or folders, relative to the work tree; a
/// missing path is committed as deleted) on top of HEAD — and nothing else: whatever the user
/// has staged stays staged and out of this commit. Returns false when nothing changed.
pub fn commit_paths(workdir: &Path, paths: &[&str], message: &str) -> Result<bool, GitError> {
    Ok(commit_paths_as(workdir, paths, message, None)?.is_some())
}

/// `commit_paths` with an explicit author and committer (name, email) — gt's own commits,
/// such as the deacon's ledger snapshots. Returns the new commit id, or None when nothing
/// changed.
pub fn commit_paths_as(
    workdir: &Path,
    paths: &[&str],
    message: &str,
    author: Option<(&str, &str)>,
) -> Result<Option<String>, GitError> {
    let repo = Repository::open(workdir)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    // The commit's tree: HEAD's tree with only our paths replaced, built in memory.
    let mut tree_index = git2::Index::new()?;
    if let Some(p) = &parent {
        tree_index.read_tree(&p.tree()?)?;
    }
    let mut files = Vec::new();
    for p in paths {
        let rel = Path::new(p);
        remove_prefix(&mut tree_index, rel)?;
        collect_files(workdir, rel, &mut files)?;
    }
    for rel in &files {
        let full = workdir.join(rel);
        let content = std::fs::read(&full)
            .map_err(|e| GitError::BadInput(format!("cannot read {}: {e}", full.display())))?;
        let oid = repo.blob(&content)?;
        tree_index.add(&index_entry(rel, oid, content.len(), executable(&full)))?;
    }
    let tree_id = tree_index.write_tree_to(&repo)?;
    if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let sig = match author {
        Some((name, email)) => git2::Signature::now(name, email)?,
        None => repo
            .signature()
            .or_else(|_| git2::Signature::now("Gas Town", "gt@localhost"))?,
    };
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
    // Keep the real index in step for our paths only, so `git status` stays clean for them.
    let mut index = repo.index()?;
    for p in paths {
        remove_prefix(&mut index, Path::new(p))?;
    }
    for rel in &files {
        index.add_path(rel)?;
    }
    index.write()?;
    Ok(Some(oid.to_string()))
}

fn remove_prefix(index: &mut git2::Index, rel: &Path) -> Result<(), GitError> {
    index.remove_path(rel).ok();
    index.remove_dir(rel, 0).ok();
    Ok(())
}

fn collect_files(
    workdir: &Path,
    rel: &Path,
    out: &mut Vec<std::path::PathBuf>,
) -> Result<(), GitError> {
    let full = workdir.join(rel);
    if full.is_file() {
        out.push(rel.to_path_buf());
    } else if full.is_dir() {
        let entries = std::fs::read_dir(&full)
            .map_err(|e| GitError::BadInput(format!("cannot read {}: {e}", full.display())))?;
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for n in names {
            collect_files(workdir, &rel.join(n), out)?;
        }
    }
    Ok(())
}

fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

fn index_entry(rel: &Path, id: git2::Oid, size: usize, exec: bool) -> git2::IndexEntry {
    let zero = git2::IndexTime::new(0, 0);
    git2::IndexEntry {
        ctime: zero,
        mtime: zero,
        dev: 0,
        ino: 0,
        mode: if exec { 0o100755 } else { 0o100644 },
        uid: 0,
        gid: 0,
        file_size: size as u32,
        id,
        flags: (rel.as_os_str().len().min(0xfff)) as u16,
        flags_extended: 0,
        path: rel.as_os_str().as_encoded_bytes().to_vec(),
    }
}

/// Commits reachable only from a worktree's detached HEAD or from the stash — work that
/// `local_branches` does not see. One line per finding.
pub fn loose_work(repo_path: &Path) -> Result<Vec<String>, GitError> {
    let repo = Repository::open(repo_path)?;
    let mut hidden = Vec::new();
    for b in repo.branches(None)? {
        let (b, _) = b?;
        if let Some(oid) = b.get().target() {
            hidden.push(oid);
        }
    }
    let mut out = Vec::new();
    let names = repo.worktrees()?;
    for name in names.iter().flatten().flatten() {
        let Ok(wt) = repo.find_worktree(name) else {
            continue;
        };
        let Ok(wt_repo) = Repository::open_from_worktree(&wt) else {
            continue;
        };
        if !wt_repo.head_detached().unwrap_or(false) {
            continue;
        }
        let Some(head) = wt_repo.head().ok().and_then(|h| h.target()) else {
            continue;
        };
        let mut walk = repo.revwalk()?;
        walk.push(head)?;
        for oid in &hidden {
            walk.hide(*oid)?;
        }
        let n = walk.count();
        if n > 0 {
            out.push(format!(
                "worktree {name} has {n} commit(s) on a detached HEAD that no branch holds"
            ));
        }
    }
    if repo.find_reference("refs/stash").is_ok() {
        out.push("the repository has stashed changes (git stash list)".into());
    }
    Ok(out)
}

/// Stages every change in the work tree (new, modified, deleted; ignored files excluded) and
/// commits it on the current branch. The author comes from GIT_AUTHOR_NAME/EMAIL when set,
/// else the repository config. Returns the new commit id, or None when nothing changed.
pub fn commit_all(workdir: &Path, message: &str) -> Result<Option<String>, GitError> {
    commit_all_as(workdir, message, None)
}

/// Like `commit_all`, with an explicit author (name, email) used when the environment names
/// none (gt committing an agent's leftover work on its behalf).
pub fn commit_all_as(
    workdir: &Path,
    message: &str,
    author: Option<(&str, &str)>,
) -> Result<Option<String>, GitError> {
    let repo = Repository::open(workdir)?;
    let mut index = repo.index()?;
    index.add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)?;
    index.update_all(["*"].iter(), None)?;
    index.write()?;
    let tree_id = index.write_tree()?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    if parent.as_ref().is_some_and(|p| p.tree_id() == tree_id) {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let sig = match (env_signature("AUTHOR"), author) {
        (Some(s), _) => s,
        (None, Some((name, email))) => git2::Signature::now(name, email)?,
        (None, None) => repo
            .signature()
            .or_else(|_| git2::Signature::now("Gas Town", "gt@localhost"))?,
    };
    let committer = env_signature("COMMITTER").unwrap_or_else(|| sig.clone());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo.commit(Some("HEAD"), &sig, &committer, message, &tree, &parents)?;
    Ok(Some(oid.to_string()))
}

fn env_signature(kind: &str) -> Option<git2::Signature<'static>> {
    let name = std::env::var(format!("GIT_{kind}_NAME")).ok()?;
    let email = std::env::var(format!("GIT_{kind}_EMAIL")).ok()?;
    git2::Signature::now(&name, &email).ok()
}
