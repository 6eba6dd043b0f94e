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

/// Builds `tip` (a commit or ref) on top of `target` in the refinery worktree `wt`. Anything left in the
/// worktree by an earlier, interrupted run is thrown away first: the worktree is the
/// refinery's scratch space and holds nobody's work.
pub fn prepare(
    wt: &Path,
    tip: &str,
    target: &str,
    strategy: Strategy,
) -> Result<Prepared, GitError> {
    let _ = git(wt, &["rebase", "--abort"]);
    let _ = git(wt, &["merge", "--abort"]);
    git(wt, &["reset", "--quiet", "--hard"])?;
    git(wt, &["clean", "-q", "-fd"])?;
    let base = rev(wt, &format!("refs/heads/{target}"))?;
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

fn rev(wt: &Path, what: &str) -> Result<String, GitError> {
    Ok(git(wt, &["rev-parse", "--verify", "--quiet", what])?
        .trim()
        .to_string())
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
