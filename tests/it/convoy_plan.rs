//! Convoys from a plan: `gt convoy stage` (waves over blocks dependencies), `gt convoy launch`
//! (the first wave now, later ones by the deacon as their blockers land) and `gt convoy check`
//! — with real tmux, git and sim agents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// Quick supervisor settings: rounds every second.
fn fast(s: &Sandbox) {
    for (k, v) in [
        ("witness.interval_secs", "1"),
        ("witness.stall_after_secs", "20"),
        ("witness.grace_secs", "3"),
        ("witness.backoff_secs", "1"),
        ("refinery.interval_secs", "1"),
        ("deacon.interval_secs", "1"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
}

/// The bead ids of each wave, as JSON reports them.
fn wave_ids(waves: &Value) -> Vec<BTreeSet<String>> {
    waves
        .as_array()
        .expect("waves")
        .iter()
        .map(|w| {
            w["beads"]
                .as_array()
                .expect("beads")
                .iter()
                .map(|b| b["id"].as_str().expect("id").to_string())
                .collect()
        })
        .collect()
}

/// The order in which each bead's simulated change reached `main` (first commit touching
/// `sim-work/<bead>.md`, oldest first).
fn landing_order(s: &Sandbox, rig: &str) -> Vec<String> {
    let log = git(
        &s.town().join(rig).join(".repo.git"),
        &[
            "log",
            "--reverse",
            "--pretty=format:%H",
            "--name-only",
            "main",
        ],
    );
    let mut out: Vec<String> = Vec::new();
    for line in log.lines() {
        if let Some(name) = line
            .strip_prefix("sim-work/")
            .and_then(|f| f.strip_suffix(".md"))
            && !out.iter().any(|b| b == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

#[test]
fn a_convoy_staged_from_an_epic_of_12_beads_in_4_waves_lands_in_wave_order() {
    let s = Sandbox::with_sim_rig("gastown");
    fast(&s);
    s.sim_runtime("quick", "--busy 0.5", &[]);
    s.ok(&["--batch", "config", "default-agent", "quick"]);
    let epic = s.create(&["Release 2", "-t", "epic", "--rig", "gastown"]);
    // 4 waves of 3: every bead of a wave waits on every bead of the wave before.
    let waves: Vec<Vec<String>> = (1..=4)
        .map(|w| {
            (1..=3)
                .map(|i| s.create(&[&format!("Wave {w} part {i}"), "--parent", &epic]))
                .collect()
        })
        .collect();
    for k in 1..4 {
        for b in &waves[k] {
            for a in &waves[k - 1] {
                s.ok(&["--batch", "bead", "dep", "add", b, a]);
            }
        }
    }
    let expected: Vec<BTreeSet<String>> =
        waves.iter().map(|w| w.iter().cloned().collect()).collect();

    // A dry run shows the waves and writes nothing.
    let before = s.ledger_state();
    let dry = s.ok(&["convoy", "stage", &epic, "--dry-run"]).stdout;
    assert_eq!(before, s.ledger_state(), "a dry run writes nothing");
    for w in 1..=4 {
        assert!(dry.contains(&format!("wave {w}:")), "{dry}");
    }
    assert!(!dry.contains("wave 5:"), "{dry}");
    assert!(dry.contains("dry run: nothing was written"), "{dry}");
    // Wave 1's first bead is printed before wave 2's heading, wave 4's after wave 3's.
    let at = |t: &str| dry.find(t).unwrap_or_else(|| panic!("{t} in {dry}"));
    assert!(at(&waves[0][0]) < at("wave 2:") && at("wave 3:") < at(&waves[3][2]));

    let staged = s.json(&["convoy", "stage", &epic]);
    let st = &staged["staged"];
    assert_eq!(st["rig"], "gastown", "{st}");
    assert_eq!(st["epic"], epic.as_str());
    assert_eq!(st["tracked"], 12);
    assert_eq!(wave_ids(&st["waves"]), expected, "{st}");
    let cv = st["convoy"].as_str().expect("convoy id").to_string();
    let shown = s.json(&["convoy", "show", &cv]);
    assert_eq!(shown["convoy"]["plan"], "staged", "{shown}");
    assert_eq!(shown["convoy"]["total"], 12);
    // Staged is not started: nothing is hooked yet.
    assert!(
        !s.json(&["agents"])["agents"]
            .to_string()
            .contains(&waves[0][0])
    );

    s.ok(&["up"]);
    let launched = s.json(&["convoy", "launch", &cv]);
    let l = &launched["launched"];
    // Slung by the launch, or by the deacon's round the launch woke a moment before.
    let mut first: BTreeSet<String> = l["slung"]
        .as_array()
        .expect("slung")
        .iter()
        .map(|x| x["bead"].as_str().expect("bead").to_string())
        .collect();
    first.extend(
        l["in_hand"]
            .as_array()
            .expect("in hand")
            .iter()
            .map(|x| x.as_str().expect("bead").to_string()),
    );
    assert_eq!(first, expected[0], "the first wave goes at once: {l}");
    for b in &waves[0] {
        let st = s.json(&["show", b])["bead"]["status"].clone();
        assert_ne!(st, "open", "{b} was slung");
    }
    assert_eq!(l["waiting"].as_array().expect("waiting").len(), 9, "{l}");
    assert_eq!(l["failed"], serde_json::json!([]), "{l}");
    assert_eq!(
        s.json(&["convoy", "show", &cv])["convoy"]["plan"],
        "launched"
    );

    let all: Vec<&String> = waves.iter().flatten().collect();
    wait_for_or(
        150,
        "all twelve beads on main and the convoy landed",
        || {
            let order = landing_order(&s, "gastown");
            let landed = s.json(&["convoy", "show", &cv])["convoy"]["status"] == "closed";
            (all.iter().all(|b| order.contains(b)) && landed).then_some(())
        },
        || {
            format!(
                "convoy: {}\nmain: {:?}\nmq: {}\ndeacon: {}",
                s.json(&["convoy", "show", &cv]),
                landing_order(&s, "gastown"),
                s.json(&["mq", "list"]),
                s.json(&["daemon", "status"])
            )
        },
    );
    let order = landing_order(&s, "gastown");
    let pos = |b: &String| order.iter().position(|x| x == b).expect("landed");
    for k in 0..3 {
        let last_of_k = waves[k].iter().map(pos).max().expect("wave");
        let first_after = waves[k + 1].iter().map(pos).min().expect("wave");
        assert!(
            last_of_k < first_after,
            "wave {} landed before wave {} was done: {order:?}",
            k + 2,
            k + 1
        );
    }
    // Waves 2 to 4 were slung by the deacon on its rounds, not by the launch.
    let later: Vec<String> = waves[1..]
        .iter()
        .flatten()
        .map(|b| format!("'{b}'"))
        .collect();
    assert_eq!(
        s.sql(&format!(
            "SELECT count(DISTINCT issue_id) FROM events WHERE event_type = 'hooked' \
             AND actor = 'deacon' AND issue_id IN ({})",
            later.join(",")
        )),
        "9"
    );
    // Landed, not closed by hand; and launched exactly once.
    let c = s.json(&["convoy", "show", &cv]);
    assert_eq!(
        c["convoy"]["close_reason"],
        "landed: every tracked bead is closed"
    );
    assert_eq!(
        s.sql(&format!(
            "SELECT count(*) FROM events WHERE issue_id = '{cv}' AND event_type = 'convoy_launched'"
        )),
        "1"
    );
}

#[test]
fn check_finds_unlanded_stranded_and_stalled_convoys_and_lands_the_first_kind() {
    let s = Sandbox::with_town();
    s.add_rig("shop");
    // Every bead closed, the convoy reopened by hand: never landed.
    let a = s.create(&["A", "--rig", "shop"]);
    let b = s.create(&["B", "--rig", "shop"]);
    let done = s.json(&["convoy", "create", "Done work", &a, &b])["convoy"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    s.ok(&["close", &a, &b]);
    s.ok(&["bead", "reopen", &done]);
    assert_eq!(
        s.json(&["convoy", "show", &done])["convoy"]["status"],
        "open"
    );
    // Ready work nobody took: a plain convoy and a staged one.
    let c = s.create(&["C", "--rig", "shop"]);
    let loose = s.json(&["convoy", "create", "Loose", &c])["convoy"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let d = s.create(&["D", "--rig", "shop"]);
    let staged = s.json(&["convoy", "stage", &d])["staged"]["convoy"]
        .as_str()
        .expect("id")
        .to_string();
    // Launched, but its only bead waits on unfinished work outside it.
    let outside = s.create(&["Outside prerequisite"]);
    let e = s.create(&["E", "--rig", "shop"]);
    s.ok(&["bead", "dep", "add", &e, &outside]);
    let stuck = s.json(&["convoy", "stage", &e])["staged"]["convoy"]
        .as_str()
        .expect("id")
        .to_string();
    let l = s.json(&["convoy", "launch", &stuck]);
    assert_eq!(l["launched"]["slung"], serde_json::json!([]), "{l}");
    assert_eq!(
        l["launched"]["waiting"][0]["on"],
        serde_json::json!([outside.clone()]),
        "{l}"
    );
    // A convoy in hand is not a finding.
    let f = s.create(&["F", "--rig", "shop", "--assignee", "shop/polecats/nux"]);
    s.ok(&["bead", "update", &f, "--status", "in_progress"]);
    s.json(&["convoy", "create", "Busy", &f]);

    let r = s.json(&["convoy", "check"]);
    let ids = |kind: &str| -> Vec<String> {
        r["check"][kind]
            .as_array()
            .expect(kind)
            .iter()
            .map(|x| x["convoy"].as_str().expect("convoy").to_string())
            .collect()
    };
    assert_eq!(ids("unlanded"), vec![done.clone()], "{r}");
    assert_eq!(ids("stranded"), vec![loose.clone(), staged.clone()], "{r}");
    assert_eq!(ids("stalled"), vec![stuck.clone()], "{r}");
    assert_eq!(r["clean"], false);
    let stranded = &r["check"]["stranded"];
    assert_eq!(stranded[0]["ready"], serde_json::json!([c.clone()]));
    assert_eq!(stranded[1]["mode"], "staged");
    assert_eq!(stranded[1]["hint"], format!("gt convoy launch {staged}"));
    let why = r["check"]["stalled"][0]["reason"].as_str().expect("reason");
    assert!(why.contains(&outside), "{why}");
    let text = s.ok(&["convoy", "check"]).stdout;
    for want in ["unlanded", "stranded", "stalled", &done, &loose, &stuck] {
        assert!(text.contains(want), "{want} in {text}");
    }

    // --land lands it through the landing use case: reason, event, announcement.
    let landed = s.json(&["convoy", "check", "--land"]);
    assert_eq!(landed["check"]["landed"], serde_json::json!([done.clone()]));
    assert_eq!(landed["check"]["unlanded"], serde_json::json!([]));
    let v = s.json(&["convoy", "show", &done]);
    assert_eq!(v["convoy"]["status"], "closed");
    assert_eq!(
        v["convoy"]["close_reason"],
        "landed: every tracked bead is closed"
    );
    let tick = s.json(&["deacon", "run", "--once"]);
    let notified = tick["deacon"]["notified"].to_string();
    assert!(notified.contains(&done), "{tick}");
    // Nothing left of that kind.
    assert_eq!(
        s.json(&["convoy", "check"])["check"]["unlanded"],
        serde_json::json!([])
    );
}

#[test]
fn launch_honours_a_paused_scheduler_and_a_parked_rig() {
    let s = Sandbox::with_sim_rig("shop");
    let a = s.create(&["A", "--rig", "shop"]);
    let b = s.create(&["B", "--rig", "shop"]);
    s.ok(&["bead", "dep", "add", &b, &a]);
    // Parked: launched, nothing slung, and the deacon slings nothing either.
    s.ok(&["rig", "park", "shop", "-m", "freeze"]);
    let cv = s.json(&["convoy", "stage", &a, &b])["staged"]["convoy"]
        .as_str()
        .expect("id")
        .to_string();
    let l = s.json(&["convoy", "launch", &cv]);
    assert!(
        l["launched"]["held"]
            .as_str()
            .is_some_and(|h| h.contains("parked")),
        "{l}"
    );
    assert_eq!(l["launched"]["slung"], serde_json::json!([]));
    let t = s.json(&["deacon", "run", "--once"]);
    assert_eq!(t["deacon"]["fed"], serde_json::json!([]), "{t}");
    assert!(t["deacon"]["held"].to_string().contains(&a), "{t}");
    assert_eq!(s.json(&["show", &a])["bead"]["status"], "open");
    // Unparked but paused: the ready bead waits in the scheduler's queue, the next does not.
    s.ok(&["rig", "unpark", "shop"]);
    s.ok(&["scheduler", "pause"]);
    let l = s.json(&["convoy", "launch", &cv]);
    assert_eq!(l["launched"]["already"], true);
    assert_eq!(l["launched"]["queued"][0]["bead"], a.as_str(), "{l}");
    assert_eq!(l["launched"]["waiting"][0]["bead"], b.as_str(), "{l}");
    let t = s.json(&["deacon", "run", "--once"]);
    assert_eq!(t["deacon"]["paused"], true);
    assert_eq!(t["deacon"]["fed"], serde_json::json!([]));
    // Resumed: the deacon slings the queued one; B still waits on it.
    s.ok(&["scheduler", "resume"]);
    let t = s.json(&["deacon", "run", "--once"]);
    assert_eq!(t["deacon"]["dispatched"][0]["bead"], a.as_str(), "{t}");
    assert_eq!(t["deacon"]["fed"], serde_json::json!([]), "{t}");
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "open");
}

#[test]
fn bad_plans_are_refused_with_exit_2_and_nothing_written() {
    let s = Sandbox::with_town();
    s.add_rig("shop");
    s.add_rig("docs");
    // A cycle can only come from outside (`gt bead dep add` refuses one): a bd ledger.
    let file = s.path().join("cycle.jsonl");
    let line = |id: &str, on: &str| {
        format!(
            "{{\"id\":\"{id}\",\"title\":\"{id}\",\"status\":\"open\",\"priority\":2,\"issue_type\":\"task\",\
             \"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\",\
             \"dependencies\":[{{\"issue_id\":\"{id}\",\"depends_on_id\":\"{on}\",\"type\":\"blocks\",\
             \"created_at\":\"2026-01-01T00:00:00Z\"}}]}}\n"
        )
    };
    std::fs::write(
        &file,
        line("hq-cyca", "hq-cycb") + &line("hq-cycb", "hq-cycc") + &line("hq-cycc", "hq-cyca"),
    )
    .expect("write");
    s.ok(&["bead", "import", file.to_str().expect("utf8")]);
    let empty_epic = s.create(&["Nothing yet", "-t", "epic"]);
    let x = s.create(&["X", "--rig", "shop"]);
    let y = s.create(&["Y", "--rig", "docs"]);
    let plain = s.json(&["convoy", "create", "Plain", &x])["convoy"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let closed = s.create(&["Closed", "--rig", "shop"]);
    s.ok(&["close", &closed]);

    // Settled first: the export follower of the writes above is not the refused commands'.
    s.flush();
    let before = s.ledger_state();
    let files = snapshot(&s.town());
    for (args, msg) in [
        (
            vec![
                "convoy", "stage", "hq-cyca", "hq-cycb", "hq-cycc", "--rig", "shop",
            ],
            "cycle",
        ),
        (vec!["convoy", "stage", "sh-nope"], "no bead \"sh-nope\""),
        (
            vec!["convoy", "stage", &x, "hq-nope"],
            "no bead \"hq-nope\"",
        ),
        (vec!["convoy", "stage", &plain], "is a convoy"),
        (vec!["convoy", "stage", &empty_epic], "has no children"),
        (vec!["convoy", "stage", &x, &y], "rigs docs, shop"),
        (vec!["convoy", "stage", &x, "--rig", "nowhere"], "nowhere"),
        (vec!["convoy", "stage", &closed], "already closed"),
        (vec!["convoy", "stage", &x, "--title", " "], "title"),
        (vec!["convoy", "launch", "hq-cv-zzzzz"], "no bead"),
        (vec!["convoy", "launch", &x], "not a convoy"),
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    // The cycle is named, bead by bead.
    let r = s.gt(&[
        "convoy", "stage", "hq-cyca", "hq-cycb", "hq-cycc", "--rig", "shop",
    ]);
    assert!(
        r.stderr.contains("hq-cyca → hq-cycb → hq-cycc → hq-cyca"),
        "{}",
        r.stderr
    );
    assert_eq!(before, s.ledger_state(), "nothing written");
    assert_eq!(files, snapshot(&s.town()), "no file changed");

    // A closed convoy is not launched again; a bead cannot be in two plans.
    let staged = s.json(&["convoy", "stage", &x])["staged"]["convoy"]
        .as_str()
        .expect("id")
        .to_string();
    let r = s.gt(&["convoy", "stage", &x]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&staged), "{}", r.stderr);
    s.ok(&["convoy", "close", &staged]);
    let r = s.gt(&["convoy", "launch", &staged]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("closed"), "{}", r.stderr);
}
