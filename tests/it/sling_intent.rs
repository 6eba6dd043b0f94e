//! Slinging with intent (`-m`, `--args`, `--base-branch`, `--merge`, `--dry-run`), `gt assign`,
//! and integration branches — with real tmux, git and sim agents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::mq::*;
use crate::common::*;
use serde_json::Value;

fn prime_as(s: &Sandbox, agent: &str) -> String {
    let out = s
        .cmd(&s.town(), &["prime"])
        .env("GT_AGENT", agent)
        .output()
        .expect("run gt");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_file(s: &Sandbox, rig: &str, branch: &str, bead: &str) -> bool {
    git(
        &bare_repo(s, rig),
        &["ls-tree", "-r", "--name-only", branch],
    )
    .contains(&format!("sim-work/{bead}.md"))
}

fn closed(s: &Sandbox, bead: &str) -> Option<Value> {
    let b = s.json(&["show", bead])["bead"].clone();
    (b["status"] == "closed").then_some(b)
}

fn cmdline(pid: &str) -> String {
    std::fs::read(format!("/proc/{}/cmdline", pid.trim()))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

#[test]
fn instructions_arguments_and_a_base_branch_go_with_the_work_and_it_lands_there() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("quick", "--busy 0.3", &[]);
    s.sim_runtime("slow", "--busy 600", &[]);
    let repo = bare_repo(&s, "shop");
    git(&repo, &["branch", "release", "main"]);

    // Instructions and runtime arguments: in prime, and in the runtime's command line —
    // also after a restart.
    let a = s.create(&["Docs", "--rig", "shop"]);
    let agent = s.sling_agent(&[
        &a,
        "shop",
        "--agent",
        "slow",
        "-m",
        "Use the v2 API; do not touch the CLI.",
        "--args",
        "--step-secs 0.1",
    ]);
    let prime = prime_as(&s, &agent);
    assert!(
        prime.contains("Instructions that came with this work")
            && prime.contains("Use the v2 API; do not touch the CLI."),
        "{prime}"
    );
    let pid = s.agent_pane(&agent, "#{pane_pid}").expect("running");
    assert!(
        cmdline(&pid).contains("--step-secs 0.1"),
        "{}",
        cmdline(&pid)
    );
    s.ok(&["agent", "restart", &agent]);
    let pid = wait_for(20, "a new session", || {
        s.agent_pane(&agent, "#{pane_pid}").filter(|p| *p != pid)
    });
    assert!(
        cmdline(&pid).contains("--step-secs 0.1"),
        "after a restart: {}",
        cmdline(&pid)
    );

    // A base branch: the work starts from it and lands on it, not on main.
    let main_only = s.create(&["Main first", "--rig", "shop"]);
    s.sling_agent(&[&main_only, "shop", "--agent", "quick"]);
    wait_for_merge_requests(&s, 1);
    run_refinery(&s, "shop");
    assert!(has_file(&s, "shop", "main", &main_only));
    let b = s.create(&["For the release", "--rig", "shop"]);
    let r = s.json(&[
        "sling",
        &b,
        "shop",
        "--agent",
        "quick",
        "--base-branch",
        "release",
    ]);
    assert_eq!(
        r["slung"][0]["base_branch"],
        "release",
        "{r} {}",
        s.ok(&["show", &b]).stdout
    );
    let branch = r["slung"][0]["branch"]
        .as_str()
        .expect("branch")
        .to_string();
    let mr = wait_for(30, "its merge request", || {
        let q = s.json(&["mq", "list"])["queue"][0].clone();
        (!q.is_null()).then_some(q)
    });
    assert_eq!(mr["target"], "release", "{mr}");
    assert!(
        git(&repo, &["merge-base", "--is-ancestor", "release", &branch]).is_empty(),
        "branched from release"
    );
    run_refinery(&s, "shop");
    wait_for(30, "landed", || closed(&s, &b));
    assert!(has_file(&s, "shop", "release", &b), "on release");
    assert!(!has_file(&s, "shop", "main", &b), "not on main");
    assert!(
        !has_file(&s, "shop", "release", &main_only),
        "release did not take main's work"
    );

    // Bad input is refused before anything is written.
    let c = s.create(&["Nope", "--rig", "shop"]);
    for bad in [
        vec!["sling", &c, "shop", "--merge", "squash"],
        vec!["sling", &c, "shop", "--base-branch", "no-such-branch"],
        vec!["sling", &c, "shop", "--base-branch", "..bad"],
        vec!["sling", &c, "shop", "--args", "\"unbalanced"],
        vec!["sling", &c, "shop", "-m", "  "],
    ] {
        let before = s.ledger_state();
        let r = s.gt(&bad);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
        assert_eq!(s.ledger_state(), before, "{bad:?} wrote nothing");
    }
}

#[test]
fn merge_modes_direct_local_and_none_and_a_dry_run_that_writes_nothing() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("quick", "--busy 0.3", &[]);

    // Dry run: says who and how, writes nothing, starts nothing.
    let a = s.create(&["Direct", "--rig", "shop"]);
    let before = s.ledger_state();
    let d = s.json(&["sling", &a, "shop", "--merge", "direct", "--dry-run"]);
    assert_eq!(d["dry_run"]["dry_run"], true, "{d}");
    assert_eq!(d["dry_run"]["agent"], "shop/polecats/ash");
    assert_eq!(d["dry_run"]["merge"], "direct");
    assert_eq!(d["dry_run"]["base_branch"], "main");
    assert_eq!(s.ledger_state(), before, "a dry run writes nothing");
    assert!(!s.town().join("shop/polecats/ash").exists(), "no worktree");

    // Direct: fast-forwarded at `gt done`, no merge request at all.
    let agent = s.sling_agent(&[&a, "shop", "--agent", "quick", "--merge", "direct"]);
    let bead = wait_for(30, "closed by gt done", || closed(&s, &a));
    assert!(
        bead["close_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("landed directly"),
        "{bead}"
    );
    assert!(has_file(&s, "shop", "main", &a));
    assert_eq!(
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'merge-request'"),
        "0"
    );
    let _ = agent;

    // Local: closed, kept on its branch, main untouched.
    let b = s.create(&["Local", "--rig", "shop"]);
    let tip = main_tip(&s, "shop");
    let r = s.json(&["sling", &b, "shop", "--agent", "quick", "--merge", "local"]);
    let branch = r["slung"][0]["branch"]
        .as_str()
        .expect("branch")
        .to_string();
    let bead = wait_for(30, "closed", || closed(&s, &b));
    assert!(
        bead["close_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("kept on branch"),
        "{bead}"
    );
    assert_eq!(main_tip(&s, "shop"), tip, "nothing merged");
    assert!(
        has_file(&s, "shop", &branch, &b),
        "the work is on its branch"
    );

    // None: closed, nothing merged; its commits are kept on the branch.
    let c = s.create(&["Research", "--rig", "shop"]);
    s.ok(&["sling", &c, "shop", "--agent", "quick", "--merge", "none"]);
    let bead = wait_for(30, "closed", || closed(&s, &c));
    assert!(
        bead["close_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("nothing merged"),
        "{bead}"
    );
    assert_eq!(main_tip(&s, "shop"), tip);
    assert_eq!(
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'merge-request'"),
        "0"
    );
}

#[test]
fn assign_files_and_hooks_in_one_go_and_refuses_a_stranger() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    s.ok(&["crew", "add", "bo", "--rig", "shop", "--agent", "slow"]);
    let r = s.json(&[
        "assign",
        "shop/crew/bo",
        "Fix the login redirect",
        "-m",
        "see the report in the wiki",
    ]);
    let bead = r["assigned"]["bead"].as_str().expect("bead").to_string();
    assert_eq!(r["assigned"]["slung"]["agent"], "shop/crew/bo", "{r}");
    let b = s.json(&["show", &bead])["bead"].clone();
    assert_eq!(b["status"], "hooked");
    assert_eq!(b["assignee"], "shop/crew/bo");
    assert!(bead.starts_with("sh-"), "filed in the crew's rig: {bead}");
    assert!(prime_as(&s, "shop/crew/bo").contains("see the report in the wiki"));

    let before = s.ledger_state();
    let other = s.create(&["Other", "--rig", "shop"]);
    let before_other = s.ledger_state();
    for bad in [
        vec!["sling", &other, "shop/crew/bo", "--args", "--model x"],
        vec!["sling", &other, "shop/crew/bo", "--base-branch", "main"],
    ] {
        let r = s.gt(&bad);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
        assert_eq!(s.ledger_state(), before_other, "{bad:?} wrote nothing");
    }
    let _ = before;
    let before = s.ledger_state();
    for bad in [
        vec!["assign", "shop/crew/nobody", "X"],
        vec!["assign", "shop/crew/bo", "Second while busy"],
        vec!["assign", "shop/crew/bo", ""],
    ] {
        let r = s.gt(&bad);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
        assert_eq!(s.ledger_state(), before, "{bad:?} wrote nothing");
    }
}

#[test]
fn an_epic_on_an_integration_branch_lands_on_main_as_one_merge() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("quick", "--busy 0.3", &[]);
    let epic = s.create(&["Payments v2", "--rig", "shop", "--type", "epic"]);
    let kids: Vec<String> = (1..=2)
        .map(|i| s.create(&[&format!("Piece {i}"), "--rig", "shop", "--parent", &epic]))
        .collect();
    let r = s.json(&["mq", "integration", "create", &epic]);
    let branch = format!("integration/{epic}");
    assert_eq!(r["integration"]["branch"], branch.as_str(), "{r}");
    assert!(has_branch(&s, "shop", &branch));
    let again = s.gt(&["mq", "integration", "create", &epic]);
    assert_eq!(again.code, 2, "{again:?}");
    let tip = main_tip(&s, "shop");

    for k in &kids {
        let r = s.json(&["sling", k, "shop", "--agent", "quick"]);
        assert_eq!(r["slung"][0]["base_branch"], branch.as_str(), "{r}");
    }
    wait_for_merge_requests(&s, 2);
    let early = s.gt(&["mq", "integration", "land", &epic]);
    assert_eq!(early.code, 2, "not done yet: {early:?}");
    assert!(early.stderr.contains("not done"), "{}", early.stderr);
    // Work headed for main meanwhile is not the epic's: status leaves it out.
    let other = s.create(&["Not the epic's", "--rig", "shop"]);
    s.sling_agent(&[&other, "shop", "--agent", "quick"]);
    let other_mr = wait_for(30, "its merge request for main", || {
        s.json(&["mq", "list"])["queue"]
            .as_array()?
            .iter()
            .find(|m| m["target"] == "main")
            .and_then(|m| m["id"].as_str().map(str::to_string))
    });
    let st = s.json(&["mq", "integration", "status", &epic]);
    let listed = st["integration"]["merge_requests"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{st}");
    assert!(!listed.to_string().contains(&other_mr), "{st}");
    s.ok(&["mq", "reject", &other_mr]);

    // Gated and landed on the integration branch; main does not move.
    while !kids.iter().all(|k| closed(&s, k).is_some()) {
        run_refinery(&s, "shop");
    }
    for k in &kids {
        assert!(has_file(&s, "shop", &branch, k));
        assert!(!has_file(&s, "shop", "main", k));
    }
    assert_eq!(main_tip(&s, "shop"), tip);
    let st = s.json(&["mq", "integration", "status", &epic]);
    assert_eq!(st["integration"]["done"], 2, "{st}");

    // One merge brings it all onto main.
    let landed = s.json(&["mq", "integration", "land", &epic]);
    let merge = landed["integration"]["integration"]["landed"]
        .as_str()
        .expect("landed")
        .to_string();
    assert_eq!(main_tip(&s, "shop"), merge);
    let repo = bare_repo(&s, "shop");
    let merges = git(&repo, &["rev-list", "--merges", &format!("{tip}..main")]);
    assert_eq!(merges.lines().count(), 1, "one merge: {merges}");
    assert_eq!(
        git(&repo, &["rev-parse", "main^2"]).trim(),
        git(&repo, &["rev-parse", &branch]).trim(),
        "its second parent is the integration branch"
    );
    for k in &kids {
        assert!(has_file(&s, "shop", "main", k));
    }
    // New pieces of the epic go to main again.
    let late = s.create(&["Piece 3", "--rig", "shop", "--parent", &epic]);
    let d = s.json(&["sling", &late, "shop", "--dry-run"]);
    assert_eq!(d["dry_run"]["base_branch"], "main", "{d}");
}

#[test]
fn a_convoy_staged_from_an_epic_lands_on_its_integration_branch_then_on_main_as_one_merge() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("quick", "--busy 0.3", &[]);
    s.ok(&["--batch", "config", "default-agent", "quick"]);
    for (k, v) in [
        ("witness.interval_secs", "1"),
        ("witness.stall_after_secs", "20"),
        ("refinery.interval_secs", "1"),
        ("deacon.interval_secs", "1"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
    let epic = s.create(&["Search v2", "--rig", "shop", "--type", "epic"]);
    let kids: Vec<String> = (1..=3)
        .map(|i| s.create(&[&format!("Part {i}"), "--rig", "shop", "--parent", &epic]))
        .collect();
    // Part 3 waits for parts 1 and 2: two waves.
    s.ok(&["--batch", "bead", "dep", "add", &kids[2], &kids[0]]);
    s.ok(&["--batch", "bead", "dep", "add", &kids[2], &kids[1]]);
    s.ok(&["mq", "integration", "create", &epic]);
    let branch = format!("integration/{epic}");
    let tip = main_tip(&s, "shop");
    let staged = s.json(&["convoy", "stage", &epic]);
    assert_eq!(
        staged["staged"]["waves"].as_array().map(Vec::len),
        Some(2),
        "{staged}"
    );
    let cv = staged["staged"]["convoy"]
        .as_str()
        .expect("convoy")
        .to_string();
    s.ok(&["up"]);
    s.ok(&["convoy", "launch", &cv]);
    wait_for_or(
        120,
        "all three parts landed on the integration branch",
        || kids.iter().all(|k| closed(&s, k).is_some()).then_some(()),
        || s.ok(&["convoy", "show", &cv]).stdout,
    );
    for k in &kids {
        assert!(has_file(&s, "shop", &branch, k), "{k} on {branch}");
        assert!(!has_file(&s, "shop", "main", k), "{k} not on main yet");
    }
    assert_eq!(main_tip(&s, "shop"), tip, "main did not move");
    s.ok(&["down"]);

    let landed = s.json(&["mq", "integration", "land", &epic]);
    let merge = landed["integration"]["integration"]["landed"]
        .as_str()
        .expect("landed")
        .to_string();
    let repo = bare_repo(&s, "shop");
    assert_eq!(main_tip(&s, "shop"), merge);
    assert_eq!(
        git(&repo, &["rev-list", "--merges", &format!("{tip}..main")])
            .lines()
            .count(),
        1,
        "the convoy came onto main as one merge"
    );
    assert_eq!(
        git(&repo, &["rev-parse", "main^1"]).trim(),
        tip,
        "onto main as it was"
    );
    for k in &kids {
        assert!(has_file(&s, "shop", "main", k));
    }
}
