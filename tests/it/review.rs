//! Review before landing: `merge.review = "human"` (or a bead's or convoy's policy) holds
//! green work for a person; `gt diff` shows it; `gt mq approve` lands it; `gt mq send-back`
//! returns it to its polecat with the comment, and the fixed branch lands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::mq::*;
use crate::common::*;
use serde_json::Value;

/// A rig whose work waits for review, and one bead slung and finished (its merge request
/// made). Returns the sandbox, the bead and the polecat.
fn reviewed_work(title: &str) -> (Sandbox, String, String) {
    let s = Sandbox::with_sim_rig("shop");
    s.ok(&["config", "set", "merge.review", "human", "--rig", "shop"]);
    let b = s.create(&[title, "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop"]);
    wait_for_merge_requests(&s, 1);
    (s, b, agent)
}

fn main_files(s: &Sandbox) -> String {
    git(
        &s.town().join("shop/.repo.git"),
        &["ls-tree", "-r", "--name-only", "main"],
    )
}

fn one_waiting(r: &[Value]) -> String {
    let waiting = of_kind(r, "awaiting_review");
    assert_eq!(waiting.len(), 1, "{r:?}");
    assert!(of_kind(r, "merged").is_empty(), "{r:?}");
    waiting[0]["mr"].as_str().expect("mr").to_string()
}

#[test]
fn green_work_waits_for_a_person_and_lands_once_approved() {
    let (s, b, agent) = reviewed_work("Change the greeting");
    let mr = one_waiting(&run_refinery(&s, "shop"));
    // Waiting: nothing landed, the bead is not closed, the queue says so.
    assert!(!main_files(&s).contains(&format!("sim-work/{b}.md")));
    assert_ne!(s.json(&["show", &b])["bead"]["status"], "closed");
    let q = s.json(&["mq", "list"]);
    assert_eq!(q["queue"][0]["review"], "review-waiting", "{q}");
    assert!(s.ok(&["mq", "list"]).stdout.contains("review"));
    // Another round leaves it waiting (it is not tested again and again).
    assert!(run_refinery(&s, "shop").is_empty());

    // The diff, by merge request, bead or agent: the file and the patch.
    for target in [&mr, &b, &agent] {
        let d = s.json(&["diff", target])["diff"].clone();
        let files: Vec<&str> = d["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(|f| f["path"].as_str())
            .collect();
        assert_eq!(files, [format!("sim-work/{b}.md")], "{target}: {d}");
        assert!(
            d["patch"]
                .as_str()
                .is_some_and(|p| p.contains("+# ") && p.contains("diff --git")),
            "{target}: {d}"
        );
    }
    let d = s.json(&["diff", &mr])["diff"].clone();
    assert_eq!(d["review"], "review-waiting");
    let stat = s.json(&["diff", &mr, "--stat"])["diff"].clone();
    assert_eq!(stat["patch"], "", "--stat has no patch");
    assert_eq!(stat["insertions"], d["insertions"]);
    let text = s.ok(&["diff", &mr]).stdout;
    assert!(text.contains(&format!("gt mq approve {mr}")), "{text}");

    s.ok(&["mq", "approve", &mr]);
    let r = run_refinery(&s, "shop");
    assert_eq!(of_kind(&r, "merged").len(), 1, "{r:?}");
    assert!(main_files(&s).contains(&format!("sim-work/{b}.md")));
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "closed");
    // What landed can still be looked at.
    let landed = s.json(&["diff", &b])["diff"].clone();
    assert_eq!(landed["files"][0]["path"], format!("sim-work/{b}.md"));
}

#[test]
fn sent_back_work_returns_to_its_polecat_with_the_comment_and_the_fix_lands() {
    let (s, b, agent) = reviewed_work("Write the welcome page");
    let mr = one_waiting(&run_refinery(&s, "shop"));
    let before = s.sql("SELECT count(*) FROM beads WHERE issue_type = 'message'");
    let sent = s.json(&[
        "mq",
        "send-back",
        &mr,
        "-m",
        "Please mention the opening hours",
    ])["sent_back"]
        .clone();
    assert_eq!(sent["returned_to"], agent.as_str(), "{sent}");
    // The comment is on the bead, and went to the polecat by mail.
    let shown = s.json(&["show", &b]);
    let comments = shown["bead"]["comments"].to_string() + &shown["comments"].to_string();
    assert!(
        comments.contains("Please mention the opening hours"),
        "{shown}"
    );
    assert_ne!(
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'message'"),
        before
    );
    // The merge request is closed unlanded; nothing reached the default branch.
    assert_eq!(s.json(&["show", &mr])["bead"]["status"], "closed");
    assert!(!main_files(&s).contains(&format!("sim-work/{b}.md")));

    // The polecat reads the comment, changes its work, and finishes again.
    wait_for_merge_requests(&s, 2);
    let second = one_waiting(&run_refinery(&s, "shop"));
    assert_ne!(second, mr);
    let patch = s.json(&["diff", &second])["diff"]["patch"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        patch.contains("Addressed in review: Please mention the opening hours"),
        "{patch}"
    );
    s.ok(&["mq", "approve", &second]);
    let r = run_refinery(&s, "shop");
    assert_eq!(of_kind(&r, "merged").len(), 1, "{r:?}");
    let landed = git(
        &s.town().join("shop/.repo.git"),
        &["show", &format!("main:sim-work/{b}.md")],
    );
    assert!(landed.contains("Addressed in review"), "{landed}");
}

#[test]
fn a_bead_or_convoy_policy_beats_the_rigs_and_bad_input_writes_nothing() {
    let s = Sandbox::with_sim_rig("shop");
    // The rig lands on green; this one bead asks for a person.
    let careful = s.create(&["Touch the payment code", "--rig", "shop"]);
    let easy = s.create(&["Fix a typo", "--rig", "shop"]);
    s.ok(&["mq", "policy", &careful, "human"]);
    s.sling_agent(&[&careful, "shop"]);
    s.sling_agent(&[&easy, "shop"]);
    wait_for_merge_requests(&s, 2);
    let r = run_refinery(&s, "shop");
    assert_eq!(of_kind(&r, "merged").len(), 1, "{r:?}");
    assert_eq!(of_kind(&r, "awaiting_review").len(), 1, "{r:?}");
    assert_eq!(of_kind(&r, "merged")[0]["source_bead"], easy.as_str());

    // Turned back to the rig's policy while it waits: it lands on the next round.
    s.ok(&["mq", "policy", &careful, "default"]);
    let r = run_refinery(&s, "shop");
    assert_eq!(of_kind(&r, "merged").len(), 1, "{r:?}");
    assert_eq!(of_kind(&r, "merged")[0]["source_bead"], careful.as_str());

    // A convoy's policy covers its beads.
    let c1 = s.create(&["Convoy work", "--rig", "shop"]);
    let cv = s.json(&["convoy", "create", "Careful batch", &c1])["convoy"]["id"]
        .as_str()
        .expect("convoy")
        .to_string();
    s.ok(&["mq", "policy", &cv, "human"]);
    s.sling_agent(&[&c1, "shop"]);
    wait_for_merge_requests(&s, 3);
    let r = run_refinery(&s, "shop");
    assert_eq!(of_kind(&r, "awaiting_review").len(), 1, "{r:?}");
    assert_eq!(
        of_kind(&r, "awaiting_review")[0]["source_bead"],
        c1.as_str()
    );

    // Bad input: a clear error, exit 2, nothing written.
    let state = s.ledger_state();
    for args in [
        vec!["mq", "policy", &careful, "sometimes"],
        vec!["mq", "approve", "sh-nosuch"],
        vec!["mq", "send-back", "sh-nosuch", "-m", "x"],
        vec!["diff", "sh-nosuch"],
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(!r.stderr.trim().is_empty(), "{args:?}");
    }
    let waiting = s.json(&["mq", "list"])["queue"]
        .as_array()
        .expect("queue")
        .iter()
        .find(|q| q["review"] == "review-waiting")
        .and_then(|q| q["id"].as_str().map(str::to_string))
        .expect("a waiting one");
    let r = s.gt(&["mq", "send-back", &waiting, "-m", "  "]);
    assert_eq!(r.code, 2, "an empty comment: {r:?}");
    assert_eq!(s.ledger_state(), state, "nothing was written");
}
