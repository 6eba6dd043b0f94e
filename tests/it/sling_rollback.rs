//! A sling that fails at any step leaves nothing behind: no half-made polecat (worktree,
//! branch, agent record, window) and no bead hooked to nobody.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

/// Everything a sling could leave behind, as one comparable description.
fn leftovers(s: &Sandbox, rig: &str) -> String {
    let repo = s.town().join(rig).join(".repo.git");
    let branches = git(&repo, &["branch", "--list", "polecat/*"]);
    let worktrees = git(&repo, &["worktree", "list"]);
    let dirs: Vec<String> = std::fs::read_dir(s.town().join(rig).join("polecats"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    format!(
        "agents={} convoys={} hooked={} branches=[{}] polecat_worktrees={} dirs={:?} windows={}",
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'agent' AND status <> 'closed'"),
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'convoy'"),
        s.sql("SELECT count(*) FROM beads WHERE status = 'hooked'"),
        branches.trim(),
        worktrees
            .lines()
            .filter(|l| l.contains("/polecats/"))
            .count(),
        dirs,
        s.json(&["agents"])["count"],
    )
}

const CLEAN: &str = "agents=0 convoys=0 hooked=0 branches=[] polecat_worktrees=0 dirs=[] windows=0";

fn assert_bead_untouched(s: &Sandbox, bead: &str) {
    let b = &s.json(&["show", bead])["bead"];
    assert_eq!(b["status"], "open", "{b}");
    assert_eq!(b["assignee"], serde_json::Value::Null, "{b}");
}

#[test]
fn a_failed_worktree_leaves_nothing() {
    let s = Sandbox::with_sim_rig("rb");
    let b = s.create(&["Will not start", "--rig", "rb"]);
    // Make the worktree impossible: `polecats` is a file.
    let polecats = s.town().join("rb/polecats");
    std::fs::remove_dir_all(&polecats).expect("rm");
    std::fs::write(&polecats, "in the way").expect("write");
    let r = s.gt(&["sling", &b, "rb"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("polecats"), "{}", r.stderr);
    assert_bead_untouched(&s, &b);
    std::fs::remove_file(&polecats).expect("rm");
    std::fs::create_dir(&polecats).expect("mkdir");
    assert_eq!(leftovers(&s, "rb"), CLEAN);
}

#[test]
fn a_failed_window_start_undoes_the_worktree_and_the_hook() {
    let s = Sandbox::with_sim_rig("rb");
    let b = s.create(&["Will not start", "--rig", "rb"]);
    // No tmux on PATH: the window cannot be created.
    let o = s
        .cmd(&s.town(), &["sling", &b, "rb"])
        .env("PATH", "/nonexistent")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not start") && stderr.contains("nothing was left behind"),
        "{stderr}"
    );
    assert_bead_untouched(&s, &b);
    assert_eq!(leftovers(&s, "rb"), CLEAN);
    // The rollback is in the event log.
    assert_eq!(s.sql(&format!("SELECT count(*) FROM events WHERE issue_id = '{b}' AND event_type = 'sling_rolled_back'")), "1");
    // And the same sling works once tmux is back.
    s.ok(&["sling", &b, "rb"]);
}

#[test]
fn a_runtime_that_never_takes_its_beacon_is_undone() {
    let s = Sandbox::with_sim_rig("rb");
    s.sim_runtime("deafsim", "--hang", &["--prompt", "paste"]);
    let b = s.create(&["Nobody listens", "--rig", "rb"]);
    let r = s.gt(&["sling", &b, "rb", "--agent", "deafsim"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("did not take its first prompt"),
        "{}",
        r.stderr
    );
    assert_bead_untouched(&s, &b);
    assert_eq!(leftovers(&s, "rb"), CLEAN);
}

#[test]
fn a_rollback_restores_a_reused_polecat_and_a_moved_bead() {
    let s = Sandbox::with_sim_rig("rb");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let a = s.create(&["Held by ash", "--rig", "rb"]);
    let holder = s.sling_agent(&[&a, "rb", "--agent", "slowsim"]);
    // Moving it (--force) to a polecat whose window cannot start must give it back.
    let o = s
        .cmd(&s.town(), &["sling", &a, "rb/polecats/reed", "--force"])
        .env("PATH", "/nonexistent")
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bead = &s.json(&["show", &a])["bead"];
    assert_eq!(bead["status"], "hooked");
    assert_eq!(bead["assignee"], holder.as_str());
    assert_eq!(s.agent_view(&holder)["hook"], a.as_str());
    assert!(
        s.agent_view("rb/polecats/reed").is_null(),
        "no half-made polecat"
    );
}

#[test]
fn an_undone_slings_beacon_never_reaches_a_later_session() {
    let s = Sandbox::with_sim_rig("rb");
    // Starts slower than its startup timeout, so the pasted beacon is never taken.
    s.sim_runtime(
        "slowpaste",
        "--slow-start 4 --busy 0.2",
        &["--prompt", "paste", "--startup-timeout", "1"],
    );
    let first = s.create(&["Undone", "--rig", "rb"]);
    let r = s.gt(&["sling", &first, "rb", "--agent", "slowpaste"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("did not reach its prompt within 1 s"),
        "{}",
        r.stderr
    );
    // The start failed before its beacon was queued: nothing waits for a later session.
    assert_eq!(
        s.sql("SELECT count(*) FROM deliveries WHERE state IN ('queued', 'pasting', 'pasted')"),
        "0"
    );
    // The next polecat of that name gets its own work and a nudge, never the old beacon.
    let second = s.create(&["Real work", "--rig", "rb"]);
    let agent = s.sling_agent(&[&second, "rb"]);
    let r = s.gt(&["--batch", "nudge", &agent, "hello", "--wait", "30"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = s.sim_received(&agent);
    assert!(!got.iter().any(|t| t.contains(&first)), "{got:?}");
    assert!(got.iter().any(|t| t == "hello"), "{got:?}");
}

#[test]
fn a_rollback_gives_a_reused_polecat_back_its_unmerged_branch() {
    let s = Sandbox::with_sim_rig("rb");
    s.sim_runtime(
        "deafsim",
        "--hang",
        &["--prompt", "paste", "--startup-timeout", "2"],
    );
    // A polecat finishes one bead: idle, with an unmerged branch waiting in the queue.
    let a = s.create(&["First job", "--rig", "rb"]);
    let agent = s.sling_agent(&[&a, "rb"]);
    wait_for(30, "the first job to be done", || {
        (s.agent_view(&agent)["state"] == "idle").then_some(())
    });
    let before = s.json(&["polecat", "show", &agent])["polecat"].clone();
    let old_branch = before["branch"].as_str().expect("branch").to_string();
    assert_eq!(before["commits_ahead"], 1, "{before}");
    // It is reused for the next bead, whose runtime never takes its beacon: undone.
    let b = s.create(&["Second job", "--rig", "rb"]);
    let r = s.gt(&["sling", &b, "rb", "--agent", "deafsim"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("undone"), "{}", r.stderr);
    let after = s.json(&["polecat", "show", &agent])["polecat"].clone();
    assert_eq!(after["branch"], old_branch.as_str(), "{after}");
    assert_eq!(after["commits_ahead"], 1, "{after}");
    assert_eq!(after["runtime"], before["runtime"], "{after}");
    let wt = s
        .town()
        .join("rb/polecats")
        .join(agent.rsplit('/').next().expect("name"));
    assert_eq!(
        git(&wt, &["branch", "--show-current"]).trim(),
        old_branch,
        "the worktree is back on its branch"
    );
    // So its protections still hold.
    let r = s.gt(&["polecat", "remove", &agent]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not merged"), "{}", r.stderr);
}

#[test]
fn a_failed_start_leaves_no_beacon_for_the_next_one() {
    let s = Sandbox::with_sim_rig("rb");
    s.sim_runtime(
        "pslow",
        "--slow-start 4",
        &["--prompt", "paste", "--startup-timeout", "1"],
    );
    s.sim_runtime("pfast", "--busy 0.2", &["--prompt", "paste"]);
    let r = s.gt(&["mayor", "start", "--agent", "pslow"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    s.ok(&["mayor", "start", "--agent", "pfast"]);
    wait_for(15, "the mayor's beacon", || {
        (!s.sim_received("mayor").is_empty()).then_some(())
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let got = s.sim_received("mayor");
    assert_eq!(got.len(), 1, "one beacon, not two: {got:?}");
}
