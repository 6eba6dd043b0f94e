//! Several gt processes acting on the same bead or agent at once: exactly one wins, the
//! others say so, and nothing is duplicated or orphaned.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use std::process::{Child, Stdio};

fn spawn(s: &Sandbox, args: &[&str]) -> Child {
    s.cmd(&s.town(), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

fn finish(c: Child) -> Run {
    Run::from(c.wait_with_output().expect("wait"))
}

/// A polecat running a simulator that stays busy, so it never runs `gt done` itself.
fn busy_polecat(s: &Sandbox, rig: &str, title: &str) -> (String, String) {
    let b = s.create(&[title, "--rig", rig]);
    let agent = s.sling_agent(&[&b, rig, "--agent", "slowsim"]);
    (b, agent)
}

#[test]
fn parallel_slings_of_one_bead_give_it_to_one_polecat() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    // A second rig: slings to different rigs do not share the rig lock, only the ledger.
    let src = s.source_repo("other");
    std::fs::write(src.join("a.txt"), "a\n").expect("write");
    git(&src, &["add", "."]);
    git(&src, &["commit", "-q", "-m", "a"]);
    s.ok(&[
        "--batch",
        "rig",
        "add",
        "other",
        src.to_str().expect("utf8"),
    ]);
    let b = s.create(&["Wanted by everyone", "--rig", "r"]);
    let targets = ["r", "r", "r", "r", "other", "other"];
    let children: Vec<Child> = targets
        .iter()
        .map(|t| spawn(&s, &["--batch", "sling", &b, t, "--agent", "slowsim"]))
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    let won: Vec<&Run> = runs.iter().filter(|r| r.code == 0).collect();
    assert!(!won.is_empty(), "{runs:?}");
    // Every failure is the clear refusal, never a crash or a half-made polecat.
    for r in runs.iter().filter(|r| r.code != 0) {
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("already on"), "{}", r.stderr);
    }
    let holder = s.json(&["show", &b])["bead"]["assignee"]
        .as_str()
        .expect("assignee")
        .to_string();
    // The successes all name the one holder (the others were told it is already there).
    for r in &won {
        assert_eq!(r.stdout.trim().split('\t').nth(1), Some(holder.as_str()));
    }
    let agents = s.json(&["agents"]);
    let with_hook: Vec<&serde_json::Value> = agents["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["hook"] == b.as_str())
        .collect();
    assert_eq!(with_hook.len(), 1, "{agents}");
    assert_eq!(agents["count"], 1, "no orphan polecat: {agents}");
    let worktrees = git(&s.town().join("r/.repo.git"), &["worktree", "list"]);
    let other = git(&s.town().join("other/.repo.git"), &["worktree", "list"]);
    assert_eq!(
        worktrees
            .lines()
            .chain(other.lines())
            .filter(|l| l.contains("/polecats/"))
            .count(),
        1,
        "{worktrees}{other}"
    );
}

#[test]
fn parallel_dones_make_one_merge_request() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let (b, agent) = busy_polecat(&s, "r", "Finish me once");
    let wt = s
        .town()
        .join("r/polecats")
        .join(agent.rsplit('/').next().expect("name"));
    std::fs::write(wt.join("work.txt"), "done\n").expect("write");
    git(&wt, &["add", "."]);
    git(&wt, &["commit", "-q", "-m", "the work"]);
    let children: Vec<Child> = (0..3)
        .map(|_| spawn(&s, &["--batch", "done", "--agent", &agent]))
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    assert_eq!(runs.iter().filter(|r| r.code == 0).count(), 1, "{runs:?}");
    for r in runs.iter().filter(|r| r.code != 0) {
        assert_eq!(r.code, 2, "{}", r.stderr);
    }
    assert_eq!(
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'merge-request'"),
        "1"
    );
    let bead = &s.json(&["show", &b])["bead"];
    assert_eq!(bead["status"], "in_progress", "{bead}");
}

#[test]
fn work_waiting_for_its_merge_is_not_slung_again() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let (b, agent) = busy_polecat(&s, "r", "Done already");
    let wt = s
        .town()
        .join("r/polecats")
        .join(agent.rsplit('/').next().expect("name"));
    std::fs::write(wt.join("work.txt"), "done\n").expect("write");
    s.ok(&["--batch", "done", "--agent", &agent]);
    let before = s.ledger_state();
    let r = s.gt(&["sling", &b, "r"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("merge queue"), "{}", r.stderr);
    assert_eq!(before, s.ledger_state(), "nothing written");
    // --force is the way to work on it again; the old merge request is then superseded, so
    // the old branch can never land over the new work.
    s.ok(&["sling", &b, "r", "--force", "--agent", "slowsim"]);
    assert_eq!(
        s.sql("SELECT status || ' ' || close_reason FROM beads WHERE issue_type = 'merge-request'"),
        format!("closed superseded: {b} was slung again with --force")
    );
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM labels WHERE issue_id = '{b}' AND label = 'pending-merge'"
        )),
        "0"
    );
}

#[test]
fn a_forced_move_never_stops_the_session_its_old_polecat_got_next() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    // Takes its beacon only after a few seconds: the forced sling waits that long.
    s.sim_runtime(
        "pastesim",
        "--slow-start 3 --busy 60",
        &["--prompt", "paste", "--startup-timeout", "20"],
    );
    let (a, ash) = busy_polecat(&s, "r", "Moved away");
    let forced = spawn(
        &s,
        &[
            "--batch",
            "sling",
            &a,
            "r/polecats/reed",
            "--force",
            "--agent",
            "pastesim",
        ],
    );
    // Meanwhile the old holder is idle, and a plain sling reuses it for other work.
    wait_for(10, "the old holder to be freed", || {
        (s.agent_view(&ash)["state"] == "idle").then_some(())
    });
    let b = s.create(&["Next job", "--rig", "r"]);
    let next = s.json(&["sling", &b, "r", "--agent", "slowsim"]);
    assert_eq!(next["slung"][0]["agent"], ash.as_str(), "{next}");
    let r = finish(forced);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Its new session runs on: only the session started for the moved bead was stopped.
    let v = s.agent_view(&ash);
    assert_eq!(v["hook"], b.as_str(), "{v}");
    assert_eq!(v["session"], "working", "{v}");
    assert_eq!(s.agent_view("r/polecats/reed")["hook"], a.as_str());
}

#[test]
fn parallel_starts_of_one_agent_make_one_window() {
    let s = Sandbox::with_sim_rig("r");
    // No session exists yet: every starter races to create it too.
    let children: Vec<Child> = (0..3)
        .map(|_| spawn(&s, &["--batch", "mayor", "start"]))
        .collect();
    for r in children.into_iter().map(finish) {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let agents = s.json(&["agents"]);
    let windows: Vec<&serde_json::Value> = agents["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["address"] == "mayor")
        .collect();
    assert_eq!(windows.len(), 1, "{agents}");
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let o = std::process::Command::new("tmux")
        .args([
            "-L",
            socket.trim(),
            "list-windows",
            "-a",
            "-F",
            "#{@gt_agent}",
        ])
        .output()
        .expect("tmux");
    let tagged = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| *l == "mayor")
        .count();
    assert_eq!(tagged, 1, "one mayor window on the server");
}

#[test]
fn a_forced_move_stops_the_polecat_it_was_taken_from() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let (b, first) = busy_polecat(&s, "r", "Move me");
    let moved = s.json(&[
        "sling",
        &b,
        "r/polecats/reed",
        "--force",
        "--agent",
        "slowsim",
    ]);
    assert_eq!(moved["slung"][0]["moved_from"], first.as_str(), "{moved}");
    let old = s.agent_view(&first);
    assert_eq!(old["state"], "idle", "{old}");
    assert_eq!(old["hook"], serde_json::Value::Null, "{old}");
    assert_eq!(
        old["session"], "no session",
        "its session was stopped: {old}"
    );
    // Its worktree stays.
    let name = first.rsplit('/').next().expect("name");
    assert!(s.town().join("r/polecats").join(name).is_dir());
    assert_eq!(s.agent_view("r/polecats/reed")["hook"], b.as_str());
}

#[test]
fn parallel_starts_into_a_missing_session_all_succeed() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    s.ok(&["--batch", "config", "default-agent", "slowsim"]);
    // Three crew members of one rig, started at once: the rig's session does not exist yet,
    // so every starter tries to create it.
    let children: Vec<Child> = ["c1", "c2", "c3"]
        .iter()
        .map(|n| spawn(&s, &["--batch", "crew", "add", n, "--rig", "r"]))
        .collect();
    for r in children.into_iter().map(finish) {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    for n in ["c1", "c2", "c3"] {
        let v = s.agent_view(&format!("r/crew/{n}"));
        assert_ne!(v["session"], "no session", "{v}");
    }
}

#[test]
fn parallel_adds_of_one_crew_name_make_one_member() {
    let s = Sandbox::with_sim_rig("r");
    let children: Vec<Child> = (0..4)
        .map(|_| {
            spawn(
                &s,
                &["--batch", "crew", "add", "twin", "--rig", "r", "--no-start"],
            )
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    let ok = runs.iter().filter(|r| r.code == 0).count();
    assert_eq!(ok, 1, "exactly one add wins");
    for r in runs.iter().filter(|r| r.code != 0) {
        assert_eq!(r.code, 2, "the others are refused cleanly: {}", r.stderr);
        assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    }
    let v = s.agent_view("r/crew/twin");
    assert_eq!(v["state"], "idle", "{v}");
    let repo = s.town().join("r/.repo.git");
    let worktrees = git(&repo, &["worktree", "list"]);
    assert_eq!(worktrees.matches("/crew/twin").count(), 1, "{worktrees}");
}

/// A bead an agent works on is not closed from under it: `gt close` refuses without --force,
/// and with it the agent is freed and told. Raced against slings, no agent is ever left
/// holding a closed bead.
#[test]
fn a_close_never_leaves_an_agent_holding_a_closed_bead() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let (b, agent) = busy_polecat(&s, "rig", "Being worked on");
    let r = s.gt(&["--batch", "close", &b]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&agent) && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    let r = s.gt(&["--batch", "bead", "update", &b, "--status", "closed"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_ne!(s.json(&["show", &b])["bead"]["status"], "closed");
    let r = s.ok(&["--batch", "close", &b, "--force", "-r", "not needed"]);
    assert!(
        r.stdout.contains(&format!("{agent} was freed")),
        "{}",
        r.stdout
    );
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "closed");
    let view = s.agent_view(&agent);
    assert!(view["hook"].is_null(), "freed: {view}");
    let told = s.sql(&format!(
        "SELECT count(*) FROM deliveries WHERE agent = '{agent}' AND text LIKE '%was closed by%'"
    ));
    assert_eq!(told, "1", "the agent is told");

    // Slings and closes at once, on fresh beads: each bead ends either closed with nobody
    // holding it, or on a hook and open.
    let beads: Vec<String> = (0..6)
        .map(|i| s.create(&[&format!("Race {i}"), "--rig", "rig"]))
        .collect();
    let mut children = Vec::new();
    for b in &beads {
        children.push(spawn(
            &s,
            &["--batch", "sling", b, "rig", "--agent", "slowsim"],
        ));
        children.push(spawn(&s, &["--batch", "close", b]));
    }
    for c in children {
        let r = finish(c);
        assert!(r.code == 0 || r.code == 2 || r.code == 1, "{}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    let agents = s.json(&["agents"]);
    for b in &beads {
        let status = s.json(&["show", b])["bead"]["status"].clone();
        let holder = agents["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .find(|a| a["hook"] == b.as_str())
            .cloned();
        if status == "closed" {
            assert!(holder.is_none(), "{b} is closed but hooked: {holder:?}");
        } else {
            assert!(holder.is_some(), "{b} is {status} and nobody holds it");
        }
    }
    s.ok(&["--batch", "down"]);
}
