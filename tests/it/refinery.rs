//! The refinery's merge queue: gates, landing on the default branch, sending work back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::mq::*;
use crate::common::*;

fn set_gates(s: &Sandbox, rig: &str, gates: &str) {
    rig_toml(s, rig, &format!("gates = {gates}"));
}

#[test]
fn green_gates_land_every_branch_and_the_convoy() {
    let s = Sandbox::with_sim_rig("gastown");
    set_gates(
        &s,
        "gastown",
        r#"["test -f file1.txt", "test -d sim-work"]"#,
    );
    let a = s.create(&["First change", "--rig", "gastown"]);
    let b = s.create(&["Second change", "--rig", "gastown"]);
    let cv = s.json(&["convoy", "create", "Both", &a, &b])["convoy"]["id"]
        .as_str()
        .expect("convoy")
        .to_string();
    s.ok(&["--batch", "sling", &a, &b, "gastown"]);
    wait_for(60, "two merge requests", || {
        (merge_requests(&s) == 2).then_some(())
    });
    assert_eq!(s.json(&["mq", "list"])["count"], 2);

    let r = run_refinery(&s, "gastown");
    let done = of_kind(&r, "merged");
    assert_eq!(done.len(), 2, "{r:?}");
    assert_eq!(done[1]["landed"], serde_json::json!([cv.clone()]), "{r:?}");
    // Both polecats were finished and clean: removed, with their branches.
    let cleaned = of_kind(&r, "cleaned");
    assert_eq!(cleaned.len(), 1, "{r:?}");
    assert_eq!(cleaned[0]["polecats"].as_array().map(Vec::len), Some(2));
    assert_eq!(cleaned[0]["branches"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        s.sql("SELECT count(*) FROM labels WHERE label = 'cleanup-pending'"),
        "0",
        "the cleanup is recorded as done"
    );

    let repo = s.town().join("gastown/.repo.git");
    let files = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    for bead in [&a, &b] {
        assert!(files.contains(&format!("sim-work/{bead}.md")), "{files}");
        assert_eq!(s.json(&["show", bead])["bead"]["status"], "closed");
    }
    assert_eq!(s.json(&["mq", "list"])["count"], 0);
    assert_eq!(
        s.json(&["convoy", "show", &cv])["convoy"]["status"],
        "closed"
    );
    // Linear history: the rebase put each branch on top of main.
    let merges = git(&repo, &["rev-list", "--merges", "main"]);
    assert!(merges.trim().is_empty(), "{merges}");
}

#[test]
fn a_red_gate_sends_the_work_back_with_the_reason() {
    let s = Sandbox::with_sim_rig("gastown");
    set_gates(&s, "gastown", r#"["echo the tests are red; exit 3"]"#);
    let a = s.create(&["Breaks things", "--rig", "gastown"]);
    let agent = s.sling_agent(&[&a, "gastown"]);
    wait_for(60, "the merge request", || {
        (merge_requests(&s) == 1).then_some(())
    });
    let before = git(&s.town().join("gastown/.repo.git"), &["rev-parse", "main"]);

    let r = s.json(&["refinery", "run", "--rig", "gastown"]);
    let o = &r["processed"][0];
    assert_eq!(o["outcome"], "gate_failed", "{r}");
    assert!(
        o["tail"]
            .as_str()
            .unwrap_or("")
            .contains("the tests are red"),
        "{r}"
    );
    assert_eq!(
        git(&s.town().join("gastown/.repo.git"), &["rev-parse", "main"]),
        before,
        "main did not move"
    );
    let bead = &s.json(&["show", &a])["bead"];
    assert_eq!(bead["status"], "open", "back to do: {bead}");
    let mr = o["mr"].as_str().expect("mr").to_string();
    let shown = s.json(&["mq", "show", &mr]);
    assert_eq!(shown["merge_request"]["failed"], true);
    assert!(shown["comments"].to_string().contains("exit 3"), "{shown}");
    // The worker was told.
    let inbox = s.json(&["mail", "inbox", &agent]);
    assert!(inbox.to_string().contains("Merge failed"), "{inbox}");
    // A failed request is not retried by itself; `gt mq retry` puts it back.
    assert_eq!(
        s.json(&["refinery", "run", "--rig", "gastown"])["processed"],
        serde_json::json!([])
    );
    s.ok(&["mq", "retry", &mr]);
    assert_eq!(
        s.json(&["refinery", "run", "--rig", "gastown", "--once"])["processed"][0]["outcome"],
        "gate_failed"
    );
    s.ok(&["mq", "reject", &mr, "--reason", "not wanted"]);
    assert_eq!(s.json(&["mq", "list"])["count"], 0);
}

#[test]
fn cleanup_removes_a_merged_clean_polecat_and_keeps_a_dirty_one() {
    let s = Sandbox::with_sim_rig("gastown");
    let beads: Vec<String> = ["Clean one", "Dirty one"]
        .iter()
        .map(|t| s.create(&[t, "--rig", "gastown"]))
        .collect();
    let agents = sling_each(&s, &beads, "gastown", &[]);
    wait_for_merge_requests(&s, 2);
    let wt = |agent: &str| {
        s.town()
            .join("gastown/polecats")
            .join(agent.rsplit('/').next().expect("name"))
    };
    let branch = |i: usize| {
        let name = agents[i].rsplit('/').next().expect("name");
        format!("polecat/{name}/{}", beads[i])
    };
    // Something the second polecat has not committed (an untracked file).
    std::fs::write(wt(&agents[1]).join("notes.txt"), "mine\n").expect("write");

    let r = run_refinery(&s, "gastown");
    assert_eq!(of_kind(&r, "merged").len(), 2, "{r:?}");
    let cleaned = of_kind(&r, "cleaned")[0].clone();
    assert_eq!(
        cleaned["polecats"],
        serde_json::json!([agents[0]]),
        "{cleaned}"
    );
    assert_eq!(
        cleaned["branches"],
        serde_json::json!([branch(0)]),
        "{cleaned}"
    );
    assert_eq!(
        cleaned["kept"][0]["branch"],
        branch(1).as_str(),
        "{cleaned}"
    );
    assert!(
        cleaned["kept"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("untracked"),
        "{cleaned}"
    );
    // The clean one is gone (worktree, branch, agent); the dirty one is untouched.
    assert!(!wt(&agents[0]).exists());
    assert!(!has_branch(&s, "gastown", &branch(0)));
    assert!(s.agent_view(&agents[0]).is_null());
    assert!(wt(&agents[1]).join("notes.txt").exists());
    assert!(has_branch(&s, "gastown", &branch(1)));
    assert_eq!(s.agent_view(&agents[1])["state"], "idle");
    // Never the refinery's own worktree.
    assert!(s.town().join("gastown/refinery/README.md").exists());
}

#[test]
fn the_default_branch_is_pushed_and_a_failed_push_is_retried() {
    let s = Sandbox::with_sim_rig("gastown");
    let remote = s.path().join("remote.git");
    let repo = bare_repo(&s, "gastown");
    git(
        &repo,
        &["remote", "add", "backup", remote.to_str().expect("utf8")],
    );
    rig_toml(&s, "gastown", "push_remote = \"backup\"");
    let a = s.create(&["Pushed change", "--rig", "gastown"]);
    sling_each(&s, std::slice::from_ref(&a), "gastown", &[]);
    wait_for_merge_requests(&s, 1);

    // The remote does not exist yet: landed locally, the push fails and stays pending.
    let r = run_refinery(&s, "gastown");
    assert_eq!(of_kind(&r, "merged").len(), 1, "{r:?}");
    assert_eq!(of_kind(&r, "push_failed").len(), 1, "{r:?}");
    assert_eq!(s.json(&["show", &a])["bead"]["status"], "closed");
    let list = s.json(&["mq", "list"]);
    assert_eq!(list["push_pending"], true, "{list}");
    assert!(list["push"][0]["error"].is_string(), "{list}");
    let failed = s.sql("SELECT count(*) FROM events WHERE event_type = 'push_failed'");
    assert_eq!(failed, "1");

    // Retries wait `push_retry_secs` (default 30) unless something new landed.
    assert!(run_refinery(&s, "gastown").is_empty());

    // Once the remote is there, the next run pushes.
    git(
        s.path(),
        &["init", "-q", "--bare", remote.to_str().expect("utf8")],
    );
    rig_toml(&s, "gastown", "push_retry_secs = 0");
    let r = run_refinery(&s, "gastown");
    let pushed = of_kind(&r, "pushed");
    assert_eq!(pushed.len(), 1, "{r:?}");
    let tip = main_tip(&s, "gastown");
    assert_eq!(pushed[0]["commit"], tip.as_str());
    assert_eq!(git(&remote, &["rev-parse", "main"]).trim(), tip);
    let list = s.json(&["mq", "list"]);
    assert_eq!(list["push_pending"], false, "{list}");
    // Nothing more to push: a further run does nothing.
    assert!(run_refinery(&s, "gastown").is_empty());
}

#[test]
fn a_refinery_killed_after_moving_main_closes_the_request_on_restart() {
    let s = Sandbox::with_sim_rig("gastown");
    let a = s.create(&["Landed before the crash", "--rig", "gastown"]);
    sling_each(&s, std::slice::from_ref(&a), "gastown", &[]);
    wait_for_merge_requests(&s, 1);
    let item = s.json(&["mq", "list"])["queue"][0].clone();
    let mr = item["id"].as_str().expect("id").to_string();
    let commit = item["commit"].as_str().expect("commit").to_string();
    // What a refinery killed between the advance and the ledger's close leaves: main moved,
    // the merge request still in progress.
    git(
        &bare_repo(&s, "gastown"),
        &["update-ref", "refs/heads/main", &commit],
    );
    s.ok(&["--batch", "bead", "update", &mr, "--status", "in_progress"]);

    let r = run_refinery(&s, "gastown");
    let merged = of_kind(&r, "merged");
    assert_eq!(merged.len(), 1, "{r:?}");
    assert_eq!(merged[0]["mr"], mr.as_str());
    assert_eq!(merged[0]["already_merged"], true, "{r:?}");
    assert_eq!(main_tip(&s, "gastown"), commit, "main did not move");
    assert_eq!(s.json(&["show", &mr])["bead"]["status"], "closed");
    assert_eq!(s.json(&["show", &a])["bead"]["status"], "closed");
    assert_eq!(s.json(&["mq", "list"])["count"], 0);
}

#[test]
fn a_refinery_killed_before_its_cleanup_cleans_up_next_time() {
    let s = Sandbox::with_sim_rig("gastown");
    let beads: Vec<String> = ["Landed, not cleaned up", "Landed, half taken down"]
        .iter()
        .map(|t| s.create(&[t, "--rig", "gastown"]))
        .collect();
    let agents = sling_each(&s, &beads, "gastown", &[]);
    wait_for_merge_requests(&s, 2);
    let repo = bare_repo(&s, "gastown");
    let mut branches = Vec::new();
    let mut mrs = Vec::new();
    // What a refinery killed right after its landing transaction leaves: main moved, the
    // requests and beads closed and marked for cleanup, the polecats and branches still there.
    for item in s.json(&["mq", "list"])["queue"].as_array().expect("queue") {
        let mr = item["id"].as_str().expect("id").to_string();
        let commit = item["commit"].as_str().expect("commit");
        let src = item["source_bead"].as_str().expect("source");
        git(&repo, &["update-ref", "refs/heads/main", commit]);
        s.ok(&["--batch", "bead", "close", &mr, src]);
        s.ok(&[
            "--batch",
            "bead",
            "update",
            &mr,
            "--add-label",
            "cleanup-pending",
        ]);
        branches.push(item["branch"].as_str().expect("branch").to_string());
        mrs.push(mr);
    }
    // The sims branched from the same main: make the second branch sit on the first so
    // both are on main (the refinery would have rebased it).
    let first_tip = git(&repo, &["rev-parse", &branches[0]]);
    git(&repo, &["update-ref", "refs/heads/main", first_tip.trim()]);
    // …and the second was killed inside its take-down: worktree and branch gone, the
    // record still there.
    let half = &agents[1];
    let wt = s
        .town()
        .join("gastown/polecats")
        .join(half.rsplit('/').next().expect("name"));
    git(
        &repo,
        &["worktree", "remove", "--force", wt.to_str().expect("utf8")],
    );
    git(&repo, &["branch", "-D", &branches[1]]);
    assert_eq!(s.agent_view(half)["state"], "idle");

    let r = run_refinery(&s, "gastown");
    assert!(of_kind(&r, "merged").is_empty(), "{r:?}");
    let cleaned = of_kind(&r, "cleaned");
    assert_eq!(cleaned.len(), 1, "{r:?}");
    let mut gone: Vec<String> = cleaned[0]["polecats"]
        .as_array()
        .expect("polecats")
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    gone.sort();
    let mut want = agents.clone();
    want.sort();
    assert_eq!(gone, want, "{r:?}");
    assert!(!has_branch(&s, "gastown", &branches[0]));
    for a in &agents {
        assert!(s.agent_view(a).is_null(), "{a} forgotten");
    }
    for mr in &mrs {
        let labels = s.json(&["show", mr]).to_string();
        assert!(!labels.contains("cleanup-pending"), "{labels}");
    }
    // Done once: the next run has nothing to clean.
    assert!(of_kind(&run_refinery(&s, "gastown"), "cleaned").is_empty());
}

#[test]
fn a_bead_sent_back_by_a_red_gate_is_slung_again_and_lands() {
    let s = Sandbox::with_sim_rig("gastown");
    // Red until <town>/green exists (the refinery worktree is <town>/gastown/refinery).
    set_gates(&s, "gastown", r#"["test -f ../../green"]"#);
    let a = s.create(&["Needs two tries", "--rig", "gastown"]);
    s.ok(&["--batch", "sling", &a, "gastown"]);
    wait_for_merge_requests(&s, 1);
    let first = run_refinery(&s, "gastown");
    let failed = of_kind(&first, "gate_failed");
    assert_eq!(failed.len(), 1, "{first:?}");
    let old_mr = failed[0]["mr"].as_str().expect("mr").to_string();
    std::fs::write(s.town().join("green"), "").expect("green");

    // A plain sling takes the work again (no --force): the failed request is superseded.
    s.ok(&["--batch", "sling", &a, "gastown"]);
    let old = s.json(&["show", &old_mr]);
    assert_eq!(old["bead"]["status"], "closed", "{old}");
    assert!(
        old["bead"]["close_reason"]
            .as_str()
            .unwrap_or("")
            .contains("superseded"),
        "{old}"
    );
    let new_mr = wait_for(60, "the new merge request", || {
        s.json(&["mq", "list"])["queue"]
            .as_array()
            .and_then(|q| q.first().cloned())
            .and_then(|m| m["id"].as_str().map(str::to_string))
    });
    assert_ne!(new_mr, old_mr);
    let second = run_refinery(&s, "gastown");
    assert_eq!(of_kind(&second, "merged").len(), 1, "{second:?}");
    assert_eq!(s.json(&["show", &a])["bead"]["status"], "closed");
    assert!(files_on_main(&s, "gastown").contains(&format!("sim-work/{a}.md")));
}

#[test]
fn rejecting_a_waiting_merge_request_puts_the_work_back_to_do() {
    let s = Sandbox::with_sim_rig("gastown");
    let a = s.create(&["Not wanted like this", "--rig", "gastown"]);
    s.ok(&["--batch", "sling", &a, "gastown"]);
    wait_for_merge_requests(&s, 1);
    let mr = s.json(&["mq", "list"])["queue"][0]["id"]
        .as_str()
        .expect("mr")
        .to_string();
    assert_eq!(s.json(&["show", &a])["bead"]["status"], "in_progress");
    s.ok(&["mq", "reject", &mr, "--reason", "wrong approach"]);
    let b = s.json(&["show", &a]);
    assert_eq!(b["bead"]["status"], "open", "{b}");
    assert!(b["bead"]["assignee"].is_null(), "{b}");
    let ready = s.json(&["ready"]).to_string();
    assert!(ready.contains(&a), "back among the ready work: {ready}");
}
