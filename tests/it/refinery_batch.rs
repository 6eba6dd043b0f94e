//! The refinery's batches (bisection on a red gate) and conflict-resolution beads, with real
//! sim polecats, real git and the real ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::mq::*;
use crate::common::*;

#[test]
fn a_batch_of_four_with_one_bad_branch_lands_the_three_good_ones() {
    let s = Sandbox::with_sim_rig("gastown");
    let beads: Vec<String> = (1..=4)
        .map(|i| s.create(&[&format!("Change {i}"), "--rig", "gastown"]))
        .collect();
    let bad = beads[2].clone();
    // The gate fails when the bad bead's file is in the tree; it logs each run outside it.
    let log = s.path().join("gate-runs.log");
    rig_toml(
        &s,
        "gastown",
        &format!(
            "gates = [\"echo run >> {}; if test -f sim-work/{bad}.md; then echo {bad} breaks the build; exit 1; fi\"]",
            log.display()
        ),
    );
    sling_each(&s, &beads, "gastown", &[]);
    wait_for_merge_requests(&s, 4);
    let before = main_tip(&s, "gastown");

    let outcomes = run_refinery(&s, "gastown");
    let merged = of_kind(&outcomes, "merged");
    let failed = of_kind(&outcomes, "gate_failed");
    assert_eq!(merged.len(), 3, "{outcomes:?}");
    assert_eq!(failed.len(), 1, "{outcomes:?}");
    assert_eq!(failed[0]["source_bead"], bad.as_str(), "{outcomes:?}");
    assert!(
        failed[0]["tail"]
            .as_str()
            .unwrap_or("")
            .contains("breaks the build"),
        "{outcomes:?}"
    );
    // All four were tested as one batch, which was bisected.
    for o in merged.iter().chain(failed.iter()) {
        assert_eq!(o["batch"].as_array().map(Vec::len), Some(4), "{o}");
        assert_eq!(o["bisected"], true, "{o}");
    }
    // One batch run, then halves: fewer runs than a full second pass, more than one.
    let runs = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count();
    assert!((2..=5).contains(&runs), "{runs} gate runs");

    let files = files_on_main(&s, "gastown");
    for b in &beads {
        let there = files.contains(&format!("sim-work/{b}.md"));
        assert_eq!(there, *b != bad, "{b} on main: {files}");
    }
    let repo = bare_repo(&s, "gastown");
    // Each landed request recorded the commit it was built as, and main holds it.
    for o in &merged {
        let commit = o["commit"].as_str().expect("commit");
        git(&repo, &["merge-base", "--is-ancestor", commit, "main"]);
        let src = o["source_bead"].as_str().expect("source");
        assert_eq!(s.json(&["show", src])["bead"]["status"], "closed");
    }
    assert!(
        git(&repo, &["rev-list", "--merges", "main"])
            .trim()
            .is_empty()
    );
    assert_eq!(
        git(&repo, &["rev-list", "--count", &format!("{before}..main")]).trim(),
        "3"
    );
    // Only the bad one went back, with the reason.
    assert_eq!(s.json(&["show", &bad])["bead"]["status"], "open");
    let mr = failed[0]["mr"].as_str().expect("mr");
    let shown = s.json(&["mq", "show", mr]);
    assert_eq!(shown["merge_request"]["failed"], true);
    assert_eq!(shown["merge_request"]["source_bead"], bad.as_str());
    assert_eq!(s.json(&["mq", "list"])["count"], 1);
}

#[test]
fn batch_max_one_works_one_at_a_time() {
    let s = Sandbox::with_sim_rig("gastown");
    rig_toml(&s, "gastown", "merge.batch_max = 1");
    let beads: Vec<String> = (1..=2)
        .map(|i| s.create(&[&format!("Change {i}"), "--rig", "gastown"]))
        .collect();
    sling_each(&s, &beads, "gastown", &[]);
    wait_for_merge_requests(&s, 2);
    let once = s.json(&["refinery", "run", "--rig", "gastown", "--once"]);
    let merged: Vec<_> = once["processed"]
        .as_array()
        .expect("processed")
        .iter()
        .filter(|o| o["outcome"] == "merged")
        .collect();
    assert_eq!(merged.len(), 1, "{once}");
    assert!(merged[0].get("batch").is_none(), "tested alone: {once}");
    assert_eq!(s.json(&["mq", "list"])["count"], 1);
}

/// Two polecats whose branches both rewrite README.md differently: the sim makes its change
/// but does not commit (`--no-commit`); the test edits README.md and finishes with `gt done`.
fn conflicting_pair(s: &Sandbox) -> (Vec<String>, Vec<String>) {
    s.sim_runtime("nocommit", "--no-commit", &[]);
    let beads: Vec<String> = ["Left README", "Right README"]
        .iter()
        .map(|t| s.create(&[t, "--rig", "gastown"]))
        .collect();
    let agents = sling_each(s, &beads, "gastown", &["--agent", "nocommit"]);
    for (i, (bead, agent)) in beads.iter().zip(&agents).enumerate() {
        let wt = s
            .town()
            .join("gastown/polecats")
            .join(agent.rsplit('/').next().expect("name"));
        wait_for(60, "the sim's file", || {
            wt.join(format!("sim-work/{bead}.md"))
                .exists()
                .then_some(())
        });
        std::fs::write(wt.join("README.md"), format!("# side {i}\n")).expect("write");
        s.ok(&["--batch", "done", "--agent", agent]);
    }
    (beads, agents)
}

#[test]
fn a_conflicting_pair_makes_one_resolution_bead_and_slings_it() {
    let s = Sandbox::with_sim_rig("gastown");
    let (beads, agents) = conflicting_pair(&s);
    wait_for_merge_requests(&s, 2);

    let outcomes = run_refinery(&s, "gastown");
    assert_eq!(of_kind(&outcomes, "merged").len(), 1, "{outcomes:?}");
    let conflicts = of_kind(&outcomes, "conflict");
    assert_eq!(conflicts.len(), 1, "{outcomes:?}");
    let c = conflicts[0];
    assert_eq!(c["files"], serde_json::json!(["README.md"]), "{c}");
    assert_eq!(c["policy"], "sling");
    let res = c["resolution"].as_str().expect("resolution").to_string();
    let slung_to = c["slung_to"].as_str().expect("slung").to_string();
    let mr = c["mr"].as_str().expect("mr").to_string();

    // The resolution bead: titled after the work, saying what to do, blocking that work.
    let shown = s.json(&["mq", "show", &mr]);
    let src = shown["merge_request"]["source_bead"]
        .as_str()
        .expect("source")
        .to_string();
    assert!(beads.contains(&src));
    assert_eq!(shown["merge_request"]["failed"], true);
    assert_eq!(shown["merge_request"]["resolution_bead"], res.as_str());
    assert!(shown["comments"].to_string().contains(&res), "{shown}");
    let src_title = s.json(&["show", &src])["bead"]["title"]
        .as_str()
        .expect("title")
        .to_string();
    let r = s.json(&["show", &res]);
    assert_eq!(
        r["bead"]["title"],
        format!("Resolve conflict: {src_title}").as_str()
    );
    let text = r["bead"]["description"].as_str().unwrap_or("").to_string();
    let branch = shown["merge_request"]["branch"].as_str().expect("branch");
    for needle in [branch, "README.md", mr.as_str(), "main", "gt done"] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }
    assert_eq!(
        s.sql(&format!(
            "SELECT type FROM deps WHERE issue_id = '{src}' AND depends_on_id = '{res}'"
        )),
        "blocks"
    );
    // Slung: on a polecat's hook. The work that conflicted waits, unassigned.
    assert_eq!(r["bead"]["status"], "hooked", "{r}");
    assert_eq!(r["bead"]["assignee"], slung_to.as_str());
    let source = s.json(&["show", &src]);
    assert_eq!(source["bead"]["status"], "open");
    assert!(source["bead"]["assignee"].is_null(), "{source}");
    // The worker is told which bead resolves it.
    let worker = agents[beads.iter().position(|b| *b == src).expect("worker")].clone();
    let body = s.sql(&format!(
        "SELECT description FROM beads WHERE issue_type = 'message' \
         AND assignee = '{worker}' AND title LIKE 'Merge conflict:%'"
    ));
    assert!(
        body.contains(&res),
        "the mail names the resolution bead: {body}"
    );

    // Retried, it conflicts again: the same resolution bead, never a second one.
    s.ok(&["mq", "retry", &mr]);
    let again = s.json(&["refinery", "run", "--rig", "gastown", "--once"]);
    let c2 = &again["processed"][0];
    assert_eq!(c2["outcome"], "conflict", "{again}");
    assert_eq!(c2["resolution"], res.as_str(), "{again}");
    let count = s.sql("SELECT count(*) FROM labels WHERE label = 'conflict-resolution'");
    assert_eq!(count, "1");

    // The polecat finishes the resolution; when it lands, the work it carried closes too.
    wait_for(60, "the resolution's merge request", || {
        s.json(&["mq", "list"])["queue"]
            .as_array()
            .and_then(|q| q.iter().find(|i| i["source_bead"] == res.as_str()).cloned())
    });
    let last = run_refinery(&s, "gastown");
    let landed = of_kind(&last, "merged");
    assert_eq!(landed.len(), 1, "{last:?}");
    assert_eq!(landed[0]["source_bead"], res.as_str());
    assert_eq!(
        landed[0]["also_closed"],
        serde_json::json!([src, mr]),
        "{last:?}"
    );
    assert_eq!(s.json(&["show", &src])["bead"]["status"], "closed");
    assert_eq!(s.json(&["mq", "list"])["count"], 0);
}

#[test]
fn on_conflict_bead_only_makes_the_bead_and_send_back_makes_none() {
    let s = Sandbox::with_sim_rig("gastown");
    rig_toml(&s, "gastown", "merge.on_conflict = \"bead\"");
    conflicting_pair(&s);
    wait_for_merge_requests(&s, 2);
    let outcomes = run_refinery(&s, "gastown");
    let c = of_kind(&outcomes, "conflict")[0].clone();
    assert_eq!(c["policy"], "bead");
    assert!(c["slung_to"].is_null(), "{c}");
    let res = c["resolution"].as_str().expect("resolution");
    assert_eq!(s.json(&["show", res])["bead"]["status"], "open");

    // send-back: the old behaviour, no bead.
    let mr = c["mr"].as_str().expect("mr");
    let path = s.town().join("gastown/rig.toml");
    let text = std::fs::read_to_string(&path).expect("read").replace(
        "merge.on_conflict = \"bead\"",
        "merge.on_conflict = \"send-back\"",
    );
    std::fs::write(&path, text).expect("write");
    s.ok(&["mq", "retry", mr]);
    let again = run_refinery(&s, "gastown");
    let c2 = of_kind(&again, "conflict")[0].clone();
    assert_eq!(c2["policy"], "send-back");
    assert!(c2["resolution"].is_null(), "{c2}");
}

#[test]
fn the_gates_test_the_stack_that_lands_even_after_a_member_conflicts() {
    let s = Sandbox::with_sim_rig("gastown");
    // Passes only on the first member's README: the stack that lands, not the tip of the
    // member that conflicted on top of it.
    rig_toml(&s, "gastown", r#"gates = ["grep -q 'side 0' README.md"]"#);
    let (beads, _) = conflicting_pair(&s);
    wait_for_merge_requests(&s, 2);
    let outcomes = run_refinery(&s, "gastown");
    let merged = of_kind(&outcomes, "merged");
    assert_eq!(merged.len(), 1, "{outcomes:?}");
    assert_eq!(merged[0]["source_bead"], beads[0].as_str(), "{outcomes:?}");
    assert!(of_kind(&outcomes, "gate_failed").is_empty(), "{outcomes:?}");
    assert_eq!(of_kind(&outcomes, "conflict").len(), 1, "{outcomes:?}");
}
