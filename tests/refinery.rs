//! The refinery's merge queue: gates, landing on the default branch, sending work back.

mod common;
use common::*;

fn set_gates(s: &Sandbox, rig: &str, gates: &str) {
    let path = s.town().join(rig).join("rig.toml");
    let mut text = std::fs::read_to_string(&path).expect("rig.toml");
    text.push_str(&format!("gates = {gates}\n"));
    std::fs::write(&path, text).expect("write");
}

fn merge_requests(s: &Sandbox) -> usize {
    s.sql("SELECT count(*) FROM beads WHERE issue_type = 'merge-request'")
        .parse()
        .unwrap_or(0)
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

    let r = s.json(&["refinery", "run", "--rig", "gastown"]);
    let done = r["processed"].as_array().expect("processed");
    assert_eq!(done.len(), 2, "{r}");
    assert!(done.iter().all(|o| o["outcome"] == "merged"), "{r}");
    assert_eq!(done[1]["landed"], serde_json::json!([cv.clone()]), "{r}");

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
    let slung = s.json(&["sling", &a, "gastown"]);
    let agent = slung["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
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
