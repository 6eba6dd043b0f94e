//! Landing a branch for the refinery: replay it onto the target in the refinery's own
//! worktree (detached, so no branch is checked out there), then move the target ref with a
//! compare-and-swap so a concurrent change to it is never overwritten.

use super::GitError;
use super::cli::run;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Rebase,
    Merge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// The worktree holds the result at `head`; `base` is the target it was built on.
    Ready { head: String, base: String },
    /// The branch does not apply cleanly; the worktree was put back.
    Conflict { files: Vec<String> },
}

fn git(wt: &Path, args: &[&str]) -> Result<String, GitError> {
    run(args, Some(wt))
}

/// Builds `tip` (a commit or ref) on top of `onto` (any revision: the default branch, or
/// the result of the previous member of a batch) in the refinery worktree `wt`. Anything
/// left in the worktree by an earlier, interrupted run is thrown away first: the worktree is
/// the refinery's scratch space and holds nobody's work. When `tip`'s changes are already in
/// `onto`, the result is `onto` itself (`head == base`).
pub fn prepare(wt: &Path, tip: &str, onto: &str, strategy: Strategy) -> Result<Prepared, GitError> {
    let _ = git(wt, &["rebase", "--abort"]);
    let _ = git(wt, &["merge", "--abort"]);
    git(wt, &["reset", "--quiet", "--hard"])?;
    git(wt, &["clean", "-q", "-fd"])?;
    let base = rev(wt, &format!("{onto}^{{commit}}"))?;
    let tip = rev(wt, &format!("{tip}^{{commit}}"))?;
    let attempt = match strategy {
        Strategy::Rebase => {
            git(wt, &["checkout", "--quiet", "--detach", &tip])?;
            git(
                wt,
                &[
                    "-c",
                    "core.editor=true",
                    "-c",
                    "user.name=gt refinery",
                    "-c",
                    "user.email=refinery@gt.local",
                    "rebase",
                    "--quiet",
                    &base,
                ],
            )
        }
        Strategy::Merge => {
            git(wt, &["checkout", "--quiet", "--detach", &base])?;
            git(
                wt,
                &[
                    "-c",
                    "user.name=gt refinery",
                    "-c",
                    "user.email=refinery@gt.local",
                    "merge",
                    "--quiet",
                    "--no-ff",
                    "--no-edit",
                    &tip,
                ],
            )
        }
    };
    match attempt {
        Ok(_) => Ok(Prepared::Ready {
            head: rev(wt, "HEAD")?,
            base,
        }),
        Err(e) => {
            let files: Vec<String> = git(wt, &["diff", "--name-only", "--diff-filter=U"])
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            let _ = git(wt, &["rebase", "--abort"]);
            let _ = git(wt, &["merge", "--abort"]);
            let _ = git(wt, &["reset", "--quiet", "--hard"]);
            if files.is_empty() {
                // Not a conflict: something else failed; say what.
                return Err(e);
            }
            Ok(Prepared::Conflict { files })
        }
    }
}

/// Puts the refinery worktree at `commit`, detached and clean (untracked build output that
/// git ignores is kept, for speed): the tree the gates test is exactly the one that lands.
pub fn checkout_clean(wt: &Path, commit: &str) -> Result<(), GitError> {
    git(wt, &["reset", "--quiet", "--hard"])?;
    git(wt, &["clean", "-q", "-fd"])?;
    git(wt, &["checkout", "--quiet", "--detach", commit])?;
    Ok(())
}

fn rev(wt: &Path, what: &str) -> Result<String, GitError> {
    Ok(git(wt, &["rev-parse", "--verify", "--quiet", what])?
        .trim()
        .to_string())
}

/// The commit `what` (a ref or commit id) names in `repo`; an error when it names none.
pub fn resolve_commit(repo: &Path, what: &str) -> Result<String, GitError> {
    rev(repo, &format!("{what}^{{commit}}"))
        .map_err(|_| GitError::BadInput(format!("{what} names no commit")))
}

/// Whether `ancestor` is contained in `of` (both revisions of `repo`).
pub fn is_ancestor(repo: &Path, ancestor: &str, of: &str) -> Result<bool, GitError> {
    match git(repo, &["merge-base", "--is-ancestor", ancestor, of]) {
        Ok(_) => Ok(true),
        Err(GitError::Command { code: Some(1), .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `repo` has a remote called `name`.
pub fn has_remote(repo: &Path, name: &str) -> bool {
    git(repo, &["remote"])
        .map(|out| out.lines().any(|l| l.trim() == name))
        .unwrap_or(false)
}

/// Pushes local `branch` to the same branch of `remote` — a fast-forward only: a remote
/// that moved elsewhere refuses it, and nothing is forced.
/// A push that takes longer has stalled; it is retried later.
const PUSH_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

pub fn push_branch(repo: &Path, remote: &str, branch: &str) -> Result<(), GitError> {
    let spec = format!("refs/heads/{branch}:refs/heads/{branch}");
    super::cli::run_within(
        &["push", "--quiet", remote, &spec],
        Some(repo),
        Some(PUSH_LIMIT),
    )
    .map(|_| ())
}

/// Moves `target` from `expected` to `new` — refused (an error) when it is no longer at
/// `expected`, so a change landed meanwhile is never lost. `new` must contain `expected`.
pub fn advance(repo: &Path, target: &str, new: &str, expected: &str) -> Result<(), GitError> {
    git(repo, &["merge-base", "--is-ancestor", expected, new]).map_err(|_| {
        GitError::BadInput(format!(
            "{new} does not contain {target} at {expected}; not a fast-forward"
        ))
    })?;
    git(
        repo,
        &[
            "update-ref",
            "-m",
            "gt refinery: land",
            &format!("refs/heads/{target}"),
            new,
            expected,
        ],
    )?;
    Ok(())
}
