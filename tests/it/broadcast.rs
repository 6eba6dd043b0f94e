//! Nudges to many agents: a rig (`shop/`), a group (`@crew`), a pattern (`shop/polecats/*`)
//! and `gt broadcast` — each message confirmed per agent (read back from the simulators),
//! with a line per agent and the counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

fn wait_idle(s: &Sandbox, agent: &str) {
    wait_for_or(
        60,
        &format!("{agent} idle at its prompt"),
        || {
            let v = s.agent_view(agent);
            (v["session"] == "idle" && v["state"] == "idle").then_some(())
        },
        || s.agent_view(agent).to_string(),
    );
}

fn got(s: &Sandbox, agent: &str, text: &str) -> usize {
    s.sim_received(agent).iter().filter(|t| *t == text).count()
}

/// (agent, state) of each result.
fn outcomes(v: &Value) -> Vec<(String, String)> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["agent"].as_str().unwrap_or("").to_string(),
                r["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn pair(a: &str, st: &str) -> (String, String) {
    (a.to_string(), st.to_string())
}

fn deliveries(s: &Sandbox) -> String {
    s.sql("SELECT count(*) FROM deliveries")
}

#[test]
fn a_rig_a_group_a_pattern_and_a_broadcast_reach_each_agent_confirmed() {
    let s = Sandbox::with_sim_rig("shop");
    s.add_rig("yard");
    s.sim_runtime("chat", "--busy 0.2", &[]);
    s.sim_runtime("slow", "--busy 600", &[]);
    s.ok(&["crew", "add", "max", "--rig", "shop", "--agent", "chat"]);
    s.ok(&["crew", "add", "ann", "--rig", "yard", "--agent", "chat"]);
    let (b1, b2, b3) = (
        s.create(&["One", "--rig", "shop"]),
        s.create(&["Two", "--rig", "shop"]),
        s.create(&["Three", "--rig", "shop"]),
    );
    // The busy one first: a polecat that has finished would be reused for it.
    let busy = s.sling_agent(&[&b3, "shop", "--agent", "slow"]);
    let slung = s.json(&["sling", &b1, &b2, "shop", "--agent", "chat"]);
    let p1 = slung["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    let p2 = slung["slung"][1]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    let (max, ann) = ("shop/crew/max", "yard/crew/ann");
    for a in [p1.as_str(), p2.as_str(), max, ann] {
        wait_idle(&s, a);
    }
    wait_for(30, "the slow polecat at work", || {
        (s.agent_view(&busy)["session"] == "working").then_some(())
    });
    s.ok(&["agent", "stop", &p2]);

    // The rig: every agent of shop, each with its outcome; the stopped one skipped, the busy
    // one's message queued (no background deliverer: it stays visibly queued).
    let r = s.gt(&[
        "--batch",
        "--json",
        "nudge",
        "shop/",
        "hello shop",
        "--wait",
        "3",
        "--no-background",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    let mut want = vec![
        pair(max, "delivered"),
        pair(&p1, "delivered"),
        pair(&p2, "skipped"),
        pair(&busy, "queued"),
    ];
    want.sort();
    assert_eq!(outcomes(&v), want, "{v}");
    assert_eq!(v["summary"]["delivered"], 2);
    assert_eq!(v["summary"]["queued"], 1);
    assert_eq!(v["summary"]["failed"], 0);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(got(&s, max, "hello shop"), 1);
    assert_eq!(got(&s, &p1, "hello shop"), 1);
    assert_eq!(got(&s, &p2, "hello shop"), 0);
    assert_eq!(got(&s, ann, "hello shop"), 0, "another rig's agent");
    assert_eq!(s.agent_view(&busy)["queued_messages"], 1);

    // The same in text: a line per agent and the counts.
    wait_idle(&s, max);
    wait_idle(&s, &p1);
    let out = s.ok(&["nudge", "shop/crew/*", "crew of shop"]).stdout;
    assert!(out.contains(&format!("{max}: delivered")), "{out}");
    assert!(out.contains("1 delivered, 0 queued, 0 failed"), "{out}");
    assert!(!out.contains(ann), "{out}");

    // A pattern matches only what it names: shop's polecats, not its crew, not yard.
    wait_idle(&s, max);
    let v = s.json(&[
        "nudge",
        "shop/polecats/*",
        "polecats of shop",
        "--wait",
        "3",
        "--no-background",
    ]);
    let mut want = vec![
        pair(&p1, "delivered"),
        pair(&p2, "skipped"),
        pair(&busy, "queued"),
    ];
    want.sort();
    assert_eq!(outcomes(&v), want, "{v}");
    assert_eq!(got(&s, max, "polecats of shop"), 0);

    // @crew: every crew member of the town.
    wait_idle(&s, &p1);
    let v = s.json(&["nudge", "@crew", "crew everywhere"]);
    assert_eq!(
        outcomes(&v),
        vec![pair(max, "delivered"), pair(ann, "delivered")],
        "{v}"
    );
    assert_eq!(got(&s, ann, "crew everywhere"), 1);

    // A broadcast: every agent with a running session (not the stopped one), a rig's only.
    wait_idle(&s, max);
    wait_idle(&s, ann);
    let v = s.json(&["broadcast", "--rig", "yard", "yard only"]);
    assert_eq!(outcomes(&v), vec![pair(ann, "delivered")], "{v}");
    wait_idle(&s, ann);
    let r = s.gt(&[
        "--batch",
        "--json",
        "broadcast",
        "to everyone",
        "--wait",
        "3",
        "--no-background",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    let mut want = vec![
        pair(max, "delivered"),
        pair(&p1, "delivered"),
        pair(&busy, "queued"),
        pair(ann, "delivered"),
    ];
    want.sort();
    assert_eq!(outcomes(&v), want, "{v}");
    assert_eq!(v["summary"]["delivered"], 3);
    for a in [max, p1.as_str(), ann] {
        assert_eq!(got(&s, a, "to everyone"), 1, "{a}");
    }
    assert_eq!(got(&s, &p2, "to everyone"), 0);

    // Nobody to reach is bad input, and nothing is queued for anyone.
    let before = deliveries(&s);
    for target in [
        "nope/polecats/*",
        "@nosuch",
        "ghost/",
        "yard/polecats/*",
        "shop/*",
    ] {
        let r = s.gt(&["nudge", target, "anyone?"]);
        assert_eq!(r.code, 2, "{target}: {}{}", r.stdout, r.stderr);
    }
    let r = s.gt(&["broadcast", "--rig", "ghost", "anyone?"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(deliveries(&s), before);
}

#[test]
fn a_failed_delivery_in_a_group_fails_the_command_after_every_line() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("chat", "--busy 0.2", &[]);
    s.sim_runtime("hung", "--hang", &[]);
    s.ok(&["crew", "add", "ann", "--rig", "shop", "--agent", "chat"]);
    s.ok(&["crew", "add", "bob", "--rig", "shop", "--agent", "hung"]);
    wait_idle(&s, "shop/crew/ann");
    let r = s.gt(&["--batch", "nudge", "shop/", "are you there?"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("shop/crew/ann: delivered"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("shop/crew/bob: failed")
            && r.stdout.contains("did not show the pasted text"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("1 delivered, 0 queued, 1 failed"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("not delivered"), "{}", r.stderr);
    assert_eq!(got(&s, "shop/crew/ann", "are you there?"), 1);
}
