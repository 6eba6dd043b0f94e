//! Helpers for the merge-queue tests: rig.toml lines, waiting for merge requests, reading
//! the refinery's outcomes.

use super::{Sandbox, git, wait_for};
use serde_json::Value;
use std::path::PathBuf;

/// Appends `line` to the rig's rig.toml (each refinery run reads it again).
pub fn rig_toml(s: &Sandbox, rig: &str, line: &str) {
    let path = s.town().join(rig).join("rig.toml");
    let mut text = std::fs::read_to_string(&path).expect("rig.toml");
    text.push_str(line);
    text.push('\n');
    std::fs::write(&path, text).expect("write");
}

pub fn merge_requests(s: &Sandbox) -> usize {
    s.sql("SELECT count(*) FROM beads WHERE issue_type = 'merge-request'")
        .parse()
        .unwrap_or(0)
}

/// Waits until the town holds `n` merge requests.
pub fn wait_for_merge_requests(s: &Sandbox, n: usize) {
    wait_for(90, &format!("{n} merge requests"), || {
        (merge_requests(s) >= n).then_some(())
    });
}

/// Slings each bead to a polecat of `rig` (one `gt sling` each); their addresses.
pub fn sling_each(s: &Sandbox, beads: &[String], rig: &str, extra: &[&str]) -> Vec<String> {
    beads
        .iter()
        .map(|b| {
            let mut args = vec!["sling", b.as_str(), rig];
            args.extend_from_slice(extra);
            s.json(&args)["slung"][0]["agent"]
                .as_str()
                .expect("agent")
                .to_string()
        })
        .collect()
}

/// `gt refinery run --rig <rig>` (JSON), its outcomes.
pub fn run_refinery(s: &Sandbox, rig: &str) -> Vec<Value> {
    s.json(&["refinery", "run", "--rig", rig])["processed"]
        .as_array()
        .expect("processed")
        .clone()
}

/// The outcomes of one kind.
pub fn of_kind<'a>(outcomes: &'a [Value], kind: &str) -> Vec<&'a Value> {
    outcomes.iter().filter(|o| o["outcome"] == kind).collect()
}

pub fn bare_repo(s: &Sandbox, rig: &str) -> PathBuf {
    s.town().join(rig).join(".repo.git")
}

/// Files on the rig's default branch `main`.
pub fn files_on_main(s: &Sandbox, rig: &str) -> String {
    git(
        &bare_repo(s, rig),
        &["ls-tree", "-r", "--name-only", "main"],
    )
}

pub fn main_tip(s: &Sandbox, rig: &str) -> String {
    git(&bare_repo(s, rig), &["rev-parse", "main"])
        .trim()
        .to_string()
}

pub fn has_branch(s: &Sandbox, rig: &str, branch: &str) -> bool {
    !git(&bare_repo(s, rig), &["branch", "--list", branch])
        .trim()
        .is_empty()
}
