//! The scheduler: `scheduler.max_polecats`, the queue in the ledger, pause/resume, and the
//! deacon dispatching queued beads as polecats free up — with real tmux and `sim`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::mq::wait_for_merge_requests;
use crate::common::*;
use serde_json::{Value, json};

fn tick(s: &Sandbox) -> Value {
    let v = s.json(&["deacon", "run", "--once"]);
    assert_eq!(v["deacon"]["errors"], json!([]), "{v}");
    v["deacon"].clone()
}

fn status(s: &Sandbox) -> Value {
    s.json(&["scheduler", "status"])["scheduler"].clone()
}

fn queued_ids(s: &Sandbox) -> Vec<String> {
    status(s)["queued"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|q| q["bead"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn working(s: &Sandbox) -> u64 {
    status(s)["working"].as_u64().unwrap_or(99)
}

#[test]
fn no_limit_by_default() {
    let s = Sandbox::with_town();
    let st = status(&s);
    assert_eq!(st["max"], 0, "{st}");
    assert_eq!(st["paused"], false);
    assert_eq!(st["queued"], json!([]));
    let r = s.ok(&["scheduler", "status"]);
    assert!(r.stdout.contains("no limit"), "{}", r.stdout);
}

#[test]
fn slings_beyond_the_limit_wait_and_go_in_order_as_polecats_free_up() {
    let s = Sandbox::with_sim_rig("gastown");
    // Busy long enough that "working" can be seen, short enough to keep the test quick.
    s.sim_runtime("steady", "--busy 3", &[]);
    s.ok(&["config", "default-agent", "steady"]);
    s.ok(&["config", "set", "scheduler.max_polecats", "1"]);
    let a = s.create(&["First", "--rig", "gastown"]);
    let b = s.create(&["Second", "--rig", "gastown"]);
    let c = s.create(&["Third", "--rig", "gastown"]);
    let d = s.create(&["Fourth", "--rig", "gastown"]);

    let r = s.json(&["sling", &a, &b, "gastown"]);
    assert_eq!(r["slung"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["slung"][0]["bead"], a.as_str());
    assert_eq!(r["queued"][0]["bead"], b.as_str(), "{r}");
    assert_eq!(r["queued"][0]["queued"], true);
    assert_eq!(r["queued"][0]["position"], 1);
    assert_eq!(r["failed"], json!([]));
    let st = status(&s);
    assert_eq!(
        (st["max"].clone(), st["working"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(st["queued"][0]["target"], "gastown");
    assert_eq!(queued_ids(&s), vec![b.clone()]);
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "open");
    // Slinging a queued bead again is a repeat, not a second entry.
    let again = s.json(&["sling", &b, "gastown"]);
    assert_eq!(again["queued"][0]["already"], true, "{again}");
    // While the first one works, a pass dispatches nothing.
    assert_eq!(tick(&s)["dispatched"], json!([]));

    // Paused: a sling queues even when there is room, and nothing is dispatched.
    s.ok(&["scheduler", "pause"]);
    let r = s.ok(&["scheduler", "status"]);
    assert!(r.stdout.contains("PAUSED"), "{}", r.stdout);
    let r = s.json(&["sling", &c, "gastown"]);
    assert_eq!(r["queued"][0]["position"], 2, "{r}");
    wait_for(60, "the first polecat's gt done", || {
        (working(&s) == 0).then_some(())
    });
    let t = tick(&s);
    assert_eq!(t["paused"], true);
    assert_eq!(t["dispatched"], json!([]));
    assert_eq!(queued_ids(&s), vec![b.clone(), c.clone()]);

    // Resumed: the next pass slings the head of the queue, and only as many as fit.
    s.ok(&["scheduler", "resume"]);
    let t = tick(&s);
    let sent = t["dispatched"].as_array().cloned().unwrap_or_default();
    assert_eq!(sent.len(), 1, "{t}");
    assert_eq!(sent[0]["bead"], b.as_str());
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "hooked");
    assert_eq!(queued_ids(&s), vec![c.clone()]);

    // Full again: a new sling queues (behind c); closing it takes it out of the queue.
    let r = s.json(&["sling", &d, "gastown"]);
    assert_eq!(r["queued"][0]["position"], 2, "{r}");
    s.ok(&["close", &d]);
    assert_eq!(queued_ids(&s), vec![c.clone()]);
    // Unslinging a queued bead takes it out too; it stays open.
    let u = s.json(&["unsling", &c]);
    assert_eq!(u["unslung"]["unqueued"], true, "{u}");
    assert_eq!(queued_ids(&s), Vec::<String>::new());
    let shown = s.json(&["show", &c])["bead"].clone();
    assert_eq!(shown["status"], "open");
    assert!(
        !shown["labels"].to_string().contains("scheduled"),
        "{shown}"
    );

    // A named polecat is the caller's choice: it starts even when the limit is reached.
    let e = s.create(&["Fifth", "--rig", "gastown"]);
    let r = s.json(&["sling", &e, "gastown/polecats/zed"]);
    assert_eq!(r["slung"][0]["agent"], "gastown/polecats/zed", "{r}");
}

#[test]
fn the_queue_is_durable_checked_up_front_and_kept_when_a_sling_fails() {
    let s = Sandbox::with_sim_rig("gastown");
    s.ok(&["scheduler", "pause"]);
    let a = s.create(&["Waits", "--rig", "gastown"]);
    let r = s.ok(&["sling", &a, "gastown"]);
    assert!(r.stdout.contains("Queued"), "{}", r.stdout);
    assert!(r.stdout.contains("paused"), "{}", r.stdout);
    // Another process, the same queue.
    assert_eq!(queued_ids(&s), vec![a.clone()]);
    // A closed bead cannot be queued.
    let closed = s.create(&["Closed", "--rig", "gastown"]);
    s.ok(&["close", &closed]);
    assert_eq!(s.gt(&["sling", &closed, "gastown"]).code, 2);
    assert_eq!(queued_ids(&s), vec![a.clone()]);
    // A formula slung by name is poured now and its molecule waits.
    let r = s.json(&["sling", "review", "gastown", "--var", "change=gt-1"]);
    let root = r["queued"][0]["molecule"]
        .as_str()
        .expect("molecule")
        .to_string();
    assert_eq!(r["queued"][0]["bead"], root.as_str());
    assert_eq!(queued_ids(&s), vec![a.clone(), root.clone()]);
    let out = s.ok(&["--batch", "sling", &a, "gastown"]);
    assert_eq!(out.stdout.trim(), format!("{a}\tqueued\t1"));
    s.ok(&["unsling", &root]);

    // A sling that fails when dispatched leaves the bead queued, in its place, and says why.
    s.ok(&[
        "config",
        "set",
        "sling.formula",
        "no-such-formula",
        "--rig",
        "gastown",
    ]);
    s.ok(&["scheduler", "resume"]);
    let r = s.gt(&["--batch", "--json", "deacon", "run", "--once"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let t = r.json()["deacon"].clone();
    assert_eq!(t["dispatched"], json!([]), "{t}");
    assert!(t["errors"].to_string().contains("no-such-formula"), "{t}");
    assert_eq!(queued_ids(&s), vec![a.clone()]);
    s.ok(&["config", "unset", "sling.formula", "--rig", "gastown"]);
    let t = tick(&s);
    assert_eq!(t["dispatched"][0]["bead"], a.as_str(), "{t}");
    assert_eq!(queued_ids(&s), Vec::<String>::new());
}

#[test]
fn a_convoy_formula_run_waits_its_turn_legs_and_synthesis_alike() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("steady", "--busy 2", &[]);
    s.ok(&["config", "default-agent", "steady"]);
    s.ok(&["config", "set", "scheduler.max_polecats", "1"]);
    s.town_formula(
        "pair",
        r#"
formula = "pair"
type = "convoy"
[[legs]]
id = "one"
title = "Leg one"
[[legs]]
id = "two"
title = "Leg two"
[synthesis]
title = "Both legs together"
"#,
    );
    let run = s.json(&["formula", "run", "pair", "--rig", "gastown"]);
    let legs = run["run"]["legs"].as_array().expect("legs").clone();
    assert!(legs[0]["agent"].is_string(), "{run}");
    assert!(
        legs[1]["agent"].is_null(),
        "the limit holds the second leg: {run}"
    );
    let why = legs[1]["queued"].as_str().unwrap_or("");
    assert!(why.contains("position 1"), "{run}");
    let second = legs[1]["bead"].as_str().expect("bead").to_string();
    let synthesis = run["run"]["synthesis"]
        .as_str()
        .expect("synthesis")
        .to_string();
    assert_eq!(queued_ids(&s), vec![second.clone()]);

    wait_for(60, "the first leg done", || {
        (working(&s) == 0).then_some(())
    });
    let t = tick(&s);
    assert_eq!(t["dispatched"][0]["bead"], second.as_str(), "{t}");
    // Paused while the second leg works: its `gt done` queues the synthesis.
    s.ok(&["scheduler", "pause"]);
    // Queued, then its waiting label taken off (a second write right after): both seen.
    let syn = wait_for(
        60,
        "the synthesis queued and no longer waiting by itself",
        || {
            let syn = s.json(&["show", &synthesis]);
            (queued_ids(&s).contains(&synthesis) && !syn.to_string().contains("sling-when-ready"))
                .then_some(syn)
        },
    );
    assert_eq!(syn["bead"]["status"], "open", "{syn}");
    assert!(
        !syn.to_string().contains("sling-when-ready"),
        "the scheduler has it now: {syn}"
    );
    s.ok(&["scheduler", "resume"]);
    let t = tick(&s);
    assert_eq!(t["dispatched"][0]["bead"], synthesis.as_str(), "{t}");
    wait_for_merge_requests(&s, 3);
}

#[test]
fn a_sling_with_room_does_not_jump_beads_already_waiting() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("steady", "--busy 2", &[]);
    s.ok(&["config", "default-agent", "steady"]);
    s.ok(&["config", "set", "scheduler.max_polecats", "1"]);
    let a = s.create(&["First", "--rig", "gastown"]);
    let b = s.create(&["Waited", "--rig", "gastown"]);
    let c = s.create(&["Came late", "--rig", "gastown"]);
    s.ok(&["sling", &a, &b, "gastown"]);
    assert_eq!(queued_ids(&s), vec![b.clone()]);
    wait_for(60, "the first polecat's gt done", || {
        (working(&s) == 0).then_some(())
    });
    // No deacon round since the place freed up: the waiting bead takes it, the late one
    // waits behind.
    let r = s.gt(&["--json", "sling", &c, "gastown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["queued"][0]["bead"], c.as_str(), "{v}");
    assert_eq!(v["queued"][0]["position"], 1, "{v}");
    assert!(
        r.stderr.contains(&b),
        "says the waiting one went: {}",
        r.stderr
    );
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "hooked");
    assert_eq!(queued_ids(&s), vec![c.clone()]);
}

#[test]
fn beads_that_keep_failing_at_the_head_of_the_queue_do_not_hold_a_new_sling_back() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("steady", "--busy 2", &[]);
    s.sim_runtime("gone", "--busy 2", &[]);
    s.ok(&["config", "default-agent", "steady"]);
    s.ok(&["config", "set", "scheduler.max_polecats", "2"]);
    s.ok(&["scheduler", "pause"]);
    let stuck: Vec<String> = (1..=3)
        .map(|i| s.create(&[&format!("Stuck {i}"), "--rig", "gastown"]))
        .collect();
    for b in &stuck {
        s.ok(&["sling", b, "gastown", "--agent", "gone"]);
    }
    // Their runtime is removed while they wait: every sling of them fails now.
    s.ok(&["config", "agent", "remove", "gone"]);
    s.ok(&["scheduler", "resume"]);
    let fresh = s.create(&["Fresh", "--rig", "gastown"]);
    let r = s.gt(&["--json", "sling", &fresh, "gastown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["slung"][0]["bead"], fresh.as_str(), "{v}");
    assert!(r.stderr.contains("it stays queued"), "{}", r.stderr);
    assert_eq!(queued_ids(&s), stuck, "the failing ones keep their places");
}
