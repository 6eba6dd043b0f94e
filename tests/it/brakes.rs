//! The brakes: `gt estop` / `gt thaw` and a rig's rest (`gt rig park|dock|…`), with real tmux,
//! git and sim agents under a running supervisor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::mq::*;
use crate::common::*;
use serde_json::Value;

/// Quick witness and refinery rounds, so anything they would do shows within seconds.
fn fast(s: &Sandbox) {
    for (k, v) in [
        ("witness.interval_secs", "1"),
        ("witness.stall_after_secs", "3"),
        ("witness.grace_secs", "2"),
        ("witness.backoff_secs", "1"),
        ("refinery.interval_secs", "1"),
        ("deacon.interval_secs", "1"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
}

fn landed_once(s: &Sandbox, rig: &str, bead: &str) -> usize {
    git(
        &bare_repo(s, rig),
        &[
            "log",
            "--format=%H",
            "main",
            "--",
            &format!("sim-work/{bead}.md"),
        ],
    )
    .lines()
    .count()
}

fn events(s: &Sandbox, kind: &str) -> String {
    s.sql(&format!(
        "SELECT count(*) FROM events WHERE event_type = '{kind}'"
    ))
}

#[test]
fn estop_freezes_agents_mid_work_and_after_thaw_every_bead_lands_once() {
    let s = Sandbox::with_sim_rig("shop");
    fast(&s);
    s.sim_runtime("slow", "--busy 5", &["--escape-cancels", "true"]);
    s.ok(&["--batch", "config", "default-agent", "slow"]);
    let beads: Vec<String> = (1..=3)
        .map(|i| s.create(&[&format!("Change {i}"), "--rig", "shop"]))
        .collect();
    let mut sling = vec!["--batch", "sling"];
    sling.extend(beads.iter().map(String::as_str));
    sling.push("shop");
    s.ok(&sling);
    s.ok(&["up"]);
    let agents: Vec<String> = beads
        .iter()
        .map(|b| {
            s.json(&["show", b])["bead"]["assignee"]
                .as_str()
                .expect("hooked")
                .to_string()
        })
        .collect();
    // Each has its work and is busy with it (the simulator shows its busy marker).
    wait_for(60, "every polecat busy with its bead", || {
        agents
            .iter()
            .all(|a| {
                s.agent_pane(a, "#{pane_id}")
                    .map(|p| s.town_tmux(&["capture-pane", "-p", "-t", p.trim()]))
                    .is_some_and(|t| t.contains("esc to interrupt"))
            })
            .then_some(())
    });

    let r = s.json(&["estop", "-m", "drill: stop everything"]);
    let frozen = r["estop"]["estop"]["frozen"].as_array().expect("frozen");
    assert_eq!(frozen.len(), 3, "{r}");
    assert!(
        frozen.iter().all(|f| f["interrupted"] == true),
        "each was busy and was interrupted: {r}"
    );
    // Each runtime left its turn: the simulator says its work is paused.
    for a in &agents {
        let pane = s.agent_pane(a, "#{pane_id}").expect("session kept");
        let screen = s.town_tmux(&["capture-pane", "-p", "-t", pane.trim()]);
        assert!(screen.contains("is paused"), "{a}: {screen}");
    }
    let view = s.json(&["agents"]);
    for a in &agents {
        let row = view["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .find(|r| r["address"] == a.as_str())
            .expect("listed")
            .clone();
        assert_eq!(row["verdict"], "frozen", "{row}");
    }

    // Nothing new starts: the sling is refused and nothing is written.
    let extra = s.create(&["Not now", "--rig", "shop"]);
    let refused = s.gt(&["sling", &extra, "shop"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("frozen"), "{}", refused.stderr);
    assert_eq!(s.json(&["show", &extra])["bead"]["status"], "open");
    assert_eq!(s.json(&["polecat", "list"])["count"], 3);

    // A message meanwhile waits: typed into a held agent it would start it again.
    let n = s.json(&["nudge", &agents[0], "a word while you are held"]);
    assert_eq!(n["delivery"]["state"], "queued", "{n}");

    // Longer than the work and than the stall limit: no one finishes, nothing lands, the
    // witness restarts nobody, and the supervisor is still up.
    let main_before = main_tip(&s, "shop");
    std::thread::sleep(std::time::Duration::from_secs(8));
    assert_eq!(main_tip(&s, "shop"), main_before);
    assert_eq!(merge_requests(&s), 0);
    assert_eq!(events(&s, "witness_restart"), "0");
    assert!(
        !s.sim_received(&agents[0])
            .iter()
            .any(|t| t.contains("a word while")),
        "not delivered while held"
    );
    assert_eq!(s.json(&["daemon", "status"])["daemon"]["running"], true);
    let st = s.json(&["rig", "status", "shop"]);
    assert_eq!(st["rig_status"]["state"], "frozen", "{st}");

    let t = s.json(&["thaw"]);
    assert_eq!(
        t["thaw"]["resumed"].as_array().expect("resumed").len(),
        3,
        "{t}"
    );
    let refs: Vec<&String> = beads.iter().collect();
    wait_for_or(
        120,
        "all three beads landed after the thaw",
        || {
            refs.iter()
                .all(|b| s.json(&["show", b])["bead"]["status"] == "closed")
                .then_some(())
        },
        || s.ok(&["agents"]).stdout,
    );
    for b in &beads {
        assert_eq!(landed_once(&s, "shop", b), 1, "{b} landed exactly once");
    }
    wait_for(30, "the message held during the stop delivered", || {
        s.sim_received(&agents[0])
            .iter()
            .any(|t| t.contains("a word while"))
            .then_some(())
    });
    assert_eq!(events(&s, "witness_restart"), "0", "nobody was restarted");
    // New work is taken again.
    s.ok(&["--batch", "sling", &extra, "shop"]);
    s.ok(&["down"]);
}

#[test]
fn a_parked_rig_takes_no_new_work_and_a_docked_one_neither_slings_nor_merges() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("quick", "--busy 0.3", &[]);
    s.sim_runtime("slow", "--busy 600", &[]);

    // Parked: refused with the way out; unparked: taken.
    let a = s.create(&["First", "--rig", "shop"]);
    let p = s.json(&["rig", "park", "shop", "-m", "release freeze"]);
    assert_eq!(p["rig"]["state"], "parked", "{p}");
    let refused = s.gt(&["sling", &a, "shop"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("rig shop is parked") && refused.stderr.contains("unpark"),
        "{}",
        refused.stderr
    );
    assert_eq!(s.json(&["show", &a])["bead"]["status"], "open");
    let st = s.json(&["rig", "status", "shop"]);
    assert_eq!(st["rig_status"]["state"], "parked");
    assert_eq!(st["rig_status"]["rest"]["why"], "release freeze");
    let bad = s.gt(&["rig", "park", "nowhere"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    s.ok(&["rig", "unpark", "shop"]);

    // One piece of work finished (its merge request waits), another running.
    s.sling_agent(&[&a, "shop", "--agent", "quick"]);
    wait_for_merge_requests(&s, 1);
    let b = s.create(&["Second", "--rig", "shop"]);
    let busy = s.sling_agent(&[&b, "shop", "--agent", "slow"]);
    assert!(s.agent_pane(&busy, "#{pane_id}").is_some());

    let d = s.json(&["rig", "dock", "shop", "-m", "CI is down"]);
    assert_eq!(d["rig"]["state"], "docked", "{d}");
    assert!(
        d["rig"]["sessions"].to_string().contains(&busy),
        "its session was stopped: {d}"
    );
    assert!(s.agent_pane(&busy, "#{pane_id}").is_none(), "window gone");
    assert_eq!(
        s.json(&["show", &b])["bead"]["assignee"],
        busy.as_str(),
        "hook kept"
    );

    // Nothing merges, nothing is slung, the witness and the supervisor leave it alone.
    let tip = main_tip(&s, "shop");
    assert!(run_refinery(&s, "shop").is_empty());
    assert_eq!(main_tip(&s, "shop"), tip);
    assert_eq!(merge_requests(&s), 1);
    let c = s.create(&["Third", "--rig", "shop"]);
    let refused = s.gt(&["sling", &c, "shop"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("docked"), "{}", refused.stderr);
    fast(&s);
    s.ok(&["up"]);
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(main_tip(&s, "shop"), tip, "the supervisor's refinery held");
    assert!(s.agent_pane(&busy, "#{pane_id}").is_none(), "not restarted");
    assert_eq!(events(&s, "witness_restart"), "0");
    let st: Value = s.json(&["rig", "status", "shop"]);
    assert_eq!(st["rig_status"]["state"], "docked");
    assert_eq!(st["rig_status"]["merge_requests"], 1);

    // Undocked: the stopped session is back with its hook, and the waiting work lands.
    let u = s.json(&["rig", "undock", "shop"]);
    assert!(u["rig"]["sessions"].to_string().contains(&busy), "{u}");
    assert!(s.agent_pane(&busy, "#{pane_id}").is_some(), "started again");
    wait_for(60, "the waiting merge request landed", || {
        (landed_once(&s, "shop", &a) == 1).then_some(())
    });
    s.ok(&["down"]);
}

#[test]
fn a_rig_stop_says_what_it_could_not_interrupt_and_bad_input_writes_nothing() {
    let s = Sandbox::with_sim_rig("shop");
    // A runtime with no interrupt key, busy for long.
    s.sim_runtime("stubborn", "--busy 600", &["--escape-cancels", "false"]);
    let b = s.create(&["Long", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "stubborn"]);
    wait_for(30, "busy", || {
        s.agent_pane(&agent, "#{pane_id}")
            .map(|p| s.town_tmux(&["capture-pane", "-p", "-t", p.trim()]))
            .is_some_and(|t| t.contains("esc to interrupt"))
            .then_some(())
    });

    for bad in [
        vec!["estop", "nowhere"],
        vec!["estop", "-m", "  "],
        vec!["thaw", "nowhere"],
    ] {
        let before = s.ledger_state();
        let r = s.gt(&bad);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
        assert_eq!(s.ledger_state(), before, "{bad:?} wrote nothing");
    }

    // `shop/` (as completion writes it) names rig shop.
    let r = s.gt(&["estop", "shop/", "-m", "drill"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains(&agent) && r.stderr.contains("could not be stopped"),
        "{r:?}"
    );
    // Still held: the rig's status says so, the town's thaw does not lift a rig's stop.
    assert_eq!(
        s.json(&["rig", "status", "shop"])["rig_status"]["state"],
        "frozen"
    );
    // Docking while frozen stops the session; undocking, which would start it, waits for
    // the thaw (and changes nothing meanwhile).
    s.ok(&["rig", "dock", "shop"]);
    let u = s.gt(&["rig", "undock", "shop"]);
    assert_eq!(u.code, 1, "{u:?}");
    assert!(
        u.stderr.contains("not undocked") && u.stderr.contains("gt thaw shop"),
        "{}",
        u.stderr
    );
    assert_eq!(
        s.json(&["rig", "status", "shop"])["rig_status"]["rest"]["state"],
        "docked"
    );
    let t = s.ok(&["thaw"]);
    assert!(t.stdout.contains("not stopped"), "{}", t.stdout);
    assert!(t.stdout.contains("shop"), "{}", t.stdout);
    let t = s.json(&["thaw", "shop"]);
    assert_eq!(
        t["thaw"]["released"].as_array().expect("released").len(),
        1,
        "{t}"
    );
    assert_eq!(
        s.json(&["rig", "status", "shop"])["rig_status"]["state"],
        "docked"
    );
    let u = s.json(&["rig", "undock", "shop"]);
    assert!(u["rig"]["sessions"].to_string().contains(&agent), "{u}");
    assert_eq!(
        s.json(&["rig", "status", "shop"])["rig_status"]["state"],
        "active"
    );
}
