//! The git side of `gt sync`: a small repository of the town's own (under `.gt/sync/`) that
//! holds only the beads file on one branch, shared with other towns through a remote; git
//! merges the file with gt's merge driver.

use super::GitError;
use super::cli::{run, run_env, run_within};
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
    // Claims are staged by write_claim / drop_claims.
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

/// A bead's claim file on the shared branch: a town that hooks a bead says so there first.
fn claim_path(bead: &str) -> String {
    format!("claims/{bead}")
}

/// The claim on `bead` on the remote's branch as last fetched, if any.
pub fn remote_claim(dir: &Path, bead: &str) -> Option<String> {
    run(
        &["show", &format!("origin/{BRANCH}:{}", claim_path(bead))],
        Some(dir),
    )
    .ok()
}

/// Every claim in this repository's branch whose content `mine` recognises: (bead, content).
pub fn own_claims(dir: &Path, mine: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let Ok(rd) = std::fs::read_dir(dir.join("claims")) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let bead = e.file_name().to_str()?.to_string();
            let content = std::fs::read_to_string(e.path()).ok()?;
            mine(&content).then_some((bead, content))
        })
        .collect()
}

/// Removes claim files (staged for the next commit).
pub fn drop_claims(dir: &Path, beads: &[String]) -> Result<(), GitError> {
    for b in beads {
        let _ = std::fs::remove_file(dir.join(claim_path(b)));
        run(
            &[
                "rm",
                "--quiet",
                "--cached",
                "--ignore-unmatch",
                "--",
                &claim_path(b),
            ],
            Some(dir),
        )?;
    }
    Ok(())
}

/// What became of an attempt to publish a claim.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// On the remote now (or already this town's).
    Published,
    /// Another town's claim was there first (its content).
    Taken(String),
}

/// Publishes `content` as the claim on `bead`: one commit on top of the remote's branch,
/// made without touching this repository's own branch or files (a temporary index), and
/// pushed. A push beaten by another town's is fetched and tried again; a claim that
/// appeared meanwhile wins. `mine` tells this town's own claim from another's.
pub fn publish_claim(
    dir: &Path,
    bead: &str,
    content: &str,
    mine: impl Fn(&str) -> bool,
) -> Result<Claimed, GitError> {
    let path = claim_path(bead);
    let index = dir.join(".git/gt-claim-index");
    for _ in 0..8 {
        let remote_has = fetch(dir)?;
        let origin = format!("origin/{BRANCH}");
        if remote_has && let Some(c) = remote_claim(dir, bead) {
            return Ok(if mine(&c) {
                Claimed::Published
            } else {
                Claimed::Taken(c)
            });
        }
        let env = [("GIT_INDEX_FILE", index.as_path())];
        let _ = std::fs::remove_file(&index);
        if remote_has {
            run_env(&["read-tree", &origin], dir, &env)?;
        }
        let blob_file = dir.join(".git/gt-claim-blob");
        std::fs::write(&blob_file, content)
            .map_err(|e| GitError::BadInput(format!("cannot write a claim: {e}")))?;
        let blob = run(
            &["hash-object", "-w", "--", &blob_file.to_string_lossy()],
            Some(dir),
        )?;
        let info = format!("100644,{},{path}", blob.trim());
        run_env(&["update-index", "--add", "--cacheinfo", &info], dir, &env)?;
        let tree = run_env(&["write-tree"], dir, &env)?;
        let message = format!("gt claim {bead}");
        let mut args = WHO.to_vec();
        args.extend(["commit-tree", tree.trim(), "-m", &message]);
        if remote_has {
            args.extend(["-p", &origin]);
        }
        let commit = run(&args, Some(dir))?;
        let _ = std::fs::remove_file(&index);
        let spec = format!("{}:refs/heads/{BRANCH}", commit.trim());
        if run_within(
            &["push", "--quiet", "origin", &spec],
            Some(dir),
            Some(LIMIT),
        )
        .is_ok()
        {
            return Ok(Claimed::Published);
        }
        // Beaten to the push: look again.
    }
    Err(GitError::BadInput(format!(
        "the claim on {bead} could not be pushed after several tries (the remote is busy)"
    )))
}
