//! Convoys: tracking, progress, landing on the last close, reopening.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

#[test]
fn convoy_lands_when_its_last_bead_closes() {
    let s = Sandbox::with_town();
    s.add_rig("gastown");
    let a = s.create(&["A", "--rig", "gastown"]);
    let b = s.create(&["B", "--assignee", "gastown/polecats/nux"]);
    let created = s.json(&["convoy", "create", "Ship it", &a, &b]);
    let cv = created["convoy"]["id"].as_str().expect("id").to_string();
    assert!(
        cv.starts_with("hq-cv-") && cv.len() == "hq-cv-".len() + 5,
        "{cv}"
    );
    assert_eq!(created["convoy"]["total"], 2);
    assert_eq!(created["convoy"]["closed"], 0);

    let shown = s.json(&["convoy", "show", &cv]);
    assert_eq!(
        shown["convoy"]["tracked"][1]["assignee"],
        "gastown/polecats/nux"
    );
    assert_eq!(shown["convoy"]["tracked"][0]["status"], "open");
    let human = s.ok(&["convoy", "show", &cv]).stdout;
    assert!(human.contains("0/2 closed"), "{human}");

    let r = s.json(&["close", &a]);
    assert_eq!(r["landed"], serde_json::json!([]));
    assert_eq!(s.json(&["convoy", "show", &cv])["convoy"]["closed"], 1);
    assert_eq!(s.json(&["convoy", "list"])["count"], 1);

    let r = s.json(&["close", &b]);
    assert_eq!(r["landed"], serde_json::json!([cv.clone()]));
    let c = &s.json(&["convoy", "show", &cv])["convoy"];
    assert_eq!(c["status"], "closed");
    assert_eq!(c["closed"], 2);
    assert_eq!(s.json(&["convoy", "list"])["count"], 0);
    assert_eq!(s.json(&["convoy", "list", "--all"])["count"], 1);
    assert_eq!(
        s.json(&["convoy", "list", "--status", "landed"])["convoys"][0]["landed"],
        true
    );
    // The landing left an event.
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM events WHERE issue_id = '{cv}' AND event_type = 'convoy_landed'"
        )),
        "1"
    );

    // Adding an open bead to a landed convoy reopens it.
    let c2 = s.create(&["C"]);
    let r = s.json(&["convoy", "add", &cv, &c2]);
    assert_eq!(r["reopened"], true);
    assert_eq!(r["convoy"]["status"], "open");
    assert_eq!(r["convoy"]["total"], 3);
    // Closing through `bead update --status closed` lands it too.
    let r = s.json(&["bead", "update", &c2, "--status", "closed"]);
    assert_eq!(r["landed"], serde_json::json!([cv.clone()]));
    // Reopening a tracked bead reopens the landed convoy.
    s.ok(&["bead", "reopen", &a]);
    assert_eq!(s.json(&["convoy", "show", &cv])["convoy"]["status"], "open");
    // Removing the only open bead lands it.
    let r = s.json(&["convoy", "remove", &cv, &a]);
    assert_eq!(r["convoy"]["status"], "closed");
    assert_eq!(r["convoy"]["total"], 2);
}

#[test]
fn manual_close_and_refusals() {
    let s = Sandbox::with_town();
    let a = s.create(&["A"]);
    let cv = s
        .ok(&["--batch", "convoy", "create", "Empty start"])
        .stdout
        .trim()
        .to_string();
    s.ok(&["convoy", "add", &cv, &a]);
    let before = s.ledger_state();
    for (args, msg) in [
        (
            vec!["convoy", "create", "Bad", "hq-nope"],
            "no bead \"hq-nope\"",
        ),
        (vec!["convoy", "add", &cv, "hq-nope"], "no bead"),
        (vec!["convoy", "add", &a, &a], "not a convoy"),
        (vec!["convoy", "add", &cv, &cv], "convoys track work beads"),
        (vec!["convoy", "remove", &cv, "hq-zz"], "does not track"),
        (vec!["convoy", "show", "hq-cv-zzzzz"], "no bead"),
        (
            vec!["convoy", "list", "--status", "odd"],
            "unknown convoy status",
        ),
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    assert_eq!(before, s.ledger_state());
    let r = s.json(&["convoy", "close", &cv, "--reason", "abandoned"]);
    assert_eq!(r["convoy"]["status"], "closed");
    assert_eq!(r["convoy"]["close_reason"], "abandoned");
    assert_eq!(s.gt(&["convoy", "close", &cv]).code, 2);
    // A convoy closed by hand is not "landed" and does not reopen when a bead reopens.
    s.ok(&["close", &a]);
    s.ok(&["bead", "reopen", &a]);
    assert_eq!(
        s.json(&["convoy", "show", &cv])["convoy"]["status"],
        "closed"
    );
}

#[test]
fn a_convoy_of_closed_beads_lands_at_once() {
    let s = Sandbox::with_town();
    let a = s.create(&["A"]);
    s.ok(&["close", &a]);
    let v = s.json(&["convoy", "create", "Already done", &a]);
    assert_eq!(v["convoy"]["status"], "closed");
}
