//! The git side of `gt sync`: a small repository of the town's own (under `.gt/sync/`) that
//! holds only the beads file on one branch, shared with other towns through a remote; git
//! merges the file with gt's merge driver.

use super::GitError;
use super::cli::{run, run_within};
use std::path::Path;
use std::time::Duration;

/// The branch towns share their beads on.
pub const BRANCH: &str = "gt-beads";
const LIMIT: Duration = Duration::from_secs(120);
/// Who gt's sync commits are by (a town's repository may have no identity set).
const WHO: [&str; 4] = [
    "-c",
    "user.name=gt sync",
    "-c",
    "user.email=gt-sync@localhost",
];

/// The URL of the town repository's remote `name`, or None when it has none.
pub fn remote_url(town_repo: &Path, name: &str) -> Option<String> {
    run(&["remote", "get-url", "--", name], Some(town_repo))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Makes (once) the sync repository at `dir`, its remote `url` and the merge driver
/// `driver` for `.beads/issues.jsonl`.
pub fn prepare(dir: &Path, url: &str, driver: &str) -> Result<(), GitError> {
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(dir)
            .map_err(|e| GitError::BadInput(format!("cannot make {}: {e}", dir.display())))?;
        run(&["init", "--quiet", "-b", BRANCH], Some(dir))?;
        run(&["remote", "add", "origin", url], Some(dir))?;
    }
    run(&["remote", "set-url", "origin", url], Some(dir))?;
    run(
        &[
            "config",
            "merge.beads.name",
            "gt: beads merged bead by bead",
        ],
        Some(dir),
    )?;
    run(&["config", "merge.beads.driver", driver], Some(dir))?;
    std::fs::write(
        dir.join(".gitattributes"),
        ".beads/issues.jsonl merge=beads\n",
    )
    .map_err(|e| GitError::BadInput(format!("cannot write .gitattributes: {e}")))?;
    Ok(())
}

/// Fetches the remote; whether it has the shared branch.
pub fn fetch(dir: &Path) -> Result<bool, GitError> {
    run_within(&["fetch", "--quiet", "origin"], Some(dir), Some(LIMIT))?;
    Ok(run(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/remotes/origin/{BRANCH}"),
        ],
        Some(dir),
    )
    .is_ok())
}

/// Whether the local branch has a commit yet.
pub fn has_commits(dir: &Path) -> bool {
    run(&["rev-parse", "--verify", "--quiet", "HEAD"], Some(dir)).is_ok()
}

/// Starts the local branch from the remote's (a town's first sync to a shared remote).
pub fn start_from_remote(dir: &Path) -> Result<(), GitError> {
    run(
        &[
            "checkout",
            "--quiet",
            "--force",
            "-B",
            BRANCH,
            &format!("origin/{BRANCH}"),
        ],
        Some(dir),
    )
    .map(|_| ())
}

/// Commits the beads file and the attributes; false when nothing changed.
pub fn commit(dir: &Path, message: &str) -> Result<bool, GitError> {
    run(
        &["add", "--", ".beads/issues.jsonl", ".gitattributes"],
        Some(dir),
    )?;
    if run(&["diff", "--cached", "--quiet"], Some(dir)).is_ok() {
        return Ok(false);
    }
    let mut args = WHO.to_vec();
    args.extend(["commit", "--quiet", "-m", message]);
    run(&args, Some(dir)).map(|_| true)
}

/// Merges the remote's branch (the beads file through the merge driver). A failed merge is
/// undone, so the next sync starts clean.
pub fn merge_remote(dir: &Path) -> Result<(), GitError> {
    let target = format!("origin/{BRANCH}");
    let mut args = WHO.to_vec();
    args.extend(["merge", "--quiet", "--no-edit", &target]);
    run(&args, Some(dir)).map(|_| ()).inspect_err(|_| {
        let _ = run(&["merge", "--abort"], Some(dir));
    })
}

pub fn push(dir: &Path) -> Result<(), GitError> {
    run_within(
        &["push", "--quiet", "origin", &format!("{BRANCH}:{BRANCH}")],
        Some(dir),
        Some(LIMIT),
    )
    .map(|_| ())
}
