//! Mail: durable messages, addresses (lists, groups, queues, patterns), notifications into
//! running agents, threads, and the prompt-hook block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

fn ids(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A rig with one idle `sim` polecat that did a first job.
fn town_with_agent(switches: &str) -> (Sandbox, String) {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("thesim", switches, &[]);
    let b = s.create(&["First job", "--rig", "rig"]);
    let agent = s.sling_agent(&[&b, "rig", "--agent", "thesim"]);
    (s, agent)
}

#[test]
fn mail_to_an_idle_agent_shows_up_in_its_pane() {
    let (s, agent) = town_with_agent("--busy 0.1");
    wait_for(30, "idle", || {
        (s.agent_view(&agent)["session"] == "idle" && s.agent_view(&agent)["state"] == "idle")
            .then_some(())
    });
    let sent = s.json(&[
        "mail",
        "send",
        &agent,
        "-s",
        "Check the docs",
        "-m",
        "Please look at README",
    ]);
    assert_eq!(
        sent["sent"]["notifications"].as_array().map(|a| a.len()),
        Some(1)
    );
    wait_for(15, "the notification on screen", || {
        s.ok(&["peek", &agent])
            .stdout
            .contains("You have new mail from overseer: Check the docs")
            .then_some(())
    });
    let got = s.sim_received(&agent);
    assert_eq!(
        got.iter().filter(|t| t.contains("Check the docs")).count(),
        1,
        "{got:?}"
    );
    // The agent reads its mail (as itself) and it is marked read.
    let inbox = s
        .cmd(&s.town(), &["--batch", "--json", "mail", "inbox"])
        .env("GT_AGENT", &agent)
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&inbox.stdout).expect("json");
    assert_eq!(v["messages"][0]["subject"], "Check the docs");
    assert_eq!(v["messages"][0]["read"], false);
    let id = v["messages"][0]["id"].as_str().expect("id").to_string();
    let read = s.json(&["mail", "read", &id]);
    assert_eq!(read["message"]["body"], "Please look at README");
    let again = s.json(&["mail", "inbox", &agent]);
    assert_eq!(again["messages"][0]["read"], true);
}

#[test]
fn mail_to_a_busy_agent_arrives_once_it_is_idle() {
    let (s, agent) = town_with_agent("--busy 3");
    wait_for(10, "busy", || {
        (s.agent_view(&agent)["session"] == "working").then_some(())
    });
    let start = std::time::Instant::now();
    s.ok(&["mail", "send", &agent, "-s", "While you work"]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "sending does not wait for the agent"
    );
    assert!(
        s.sim_received(&agent)
            .iter()
            .all(|t| !t.contains("While you work")),
        "not while busy"
    );
    wait_for(30, "delivery after the busy spell", || {
        s.sim_received(&agent)
            .iter()
            .any(|t| t.contains("While you work"))
            .then_some(())
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let n = s
        .sim_received(&agent)
        .iter()
        .filter(|t| t.contains("While you work"))
        .count();
    assert_eq!(n, 1);
}

#[test]
fn urgent_mail_interrupts_only_a_runtime_that_allows_it() {
    let s = Sandbox::with_sim_rig("rig");
    // Same simulator, busy for a long time; only one runtime allows urgent interruptions.
    s.sim_runtime("patient", "--busy 40", &[]);
    s.sim_runtime("interruptible", "--busy 40", &["--urgent-interrupts"]);
    let mut agents = Vec::new();
    for rt in ["patient", "interruptible"] {
        let b = s.create(&[&format!("Long job for {rt}"), "--rig", "rig"]);
        let out = s.json(&["sling", &b, "rig", "--agent", rt]);
        agents.push((
            out["slung"][0]["agent"]
                .as_str()
                .expect("agent")
                .to_string(),
            b,
        ));
    }
    let [(patient, _), (interruptible, job)] = &agents[..] else {
        panic!("two agents");
    };
    for (a, _) in &agents {
        wait_for(10, "busy", || {
            (s.agent_view(a)["session"] == "working").then_some(())
        });
    }
    // A plain message first: its deliverer is already waiting when the urgent one comes.
    s.ok(&["mail", "send", interruptible, "-s", "Just so you know"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.ok(&[
        "mail",
        "send",
        patient,
        interruptible,
        "-s",
        "Stop the line",
        "--priority",
        "urgent",
    ]);
    wait_for(15, "the urgent notice on the interruptible agent", || {
        s.sim_received(interruptible)
            .iter()
            .any(|t| t.contains("URGENT mail from overseer: Stop the line"))
            .then_some(())
    });
    assert_eq!(
        s.sql("SELECT count(*) FROM events WHERE event_type = 'agent_interrupted'"),
        "1",
        "one interruption, on record"
    );
    // The patient one is still at work and its notice still waits, visibly queued.
    assert_eq!(s.agent_view(patient)["session"], "working");
    assert_eq!(s.agent_view(patient)["queued_messages"], 1);
    assert!(s.sim_received(patient).len() == 1, "only its beacon");
    // The interrupted agent reads its mail, then goes back to its work and finishes it.
    wait_for(30, "the interrupted job to be done", || {
        (s.json(&["show", job])["bead"]["status"] == "in_progress").then_some(())
    });
    wait_for(30, "the plain notice too", || {
        s.sim_received(interruptible)
            .iter()
            .any(|t| t.contains("Just so you know"))
            .then_some(())
    });
    let got = s.sim_received(interruptible);
    let at = |needle: &str| got.iter().position(|t| t.contains(needle));
    assert!(
        at("Stop the line") < at("Just so you know"),
        "the urgent one jumps the queue: {got:?}"
    );
}

#[test]
fn check_inject_lists_urgent_first_and_exit_codes_tell_unread() {
    let s = Sandbox::with_town();
    assert_eq!(s.gt(&["mail", "check"]).code, 1, "no mail yet");
    for (subject, p) in [
        ("low one", "low"),
        ("normal one", "normal"),
        ("urgent one", "urgent"),
        ("high one", "high"),
    ] {
        s.ok(&["mail", "send", "overseer", "-s", subject, "--priority", p]);
    }
    let r = s.ok(&["mail", "check", "--inject"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].contains("4 unread"), "{}", r.stdout);
    assert!(
        lines[1].starts_with("[urgent] hq-") && lines[1].ends_with("overseer: urgent one"),
        "{}",
        r.stdout
    );
    assert!(
        lines[2].starts_with("[high] ") && lines[2].ends_with("high one"),
        "{}",
        r.stdout
    );
    assert!(
        lines[3].ends_with("overseer: normal one") && !lines[3].starts_with('['),
        "{}",
        r.stdout
    );
    assert!(lines[4].starts_with("[low] "), "{}", r.stdout);
    let all = s.json(&["mail", "inbox"]);
    s.ok(&["mail", "mark-read"]
        .iter()
        .copied()
        .chain(ids(&all).iter().map(String::as_str))
        .collect::<Vec<_>>());
    assert_eq!(s.gt(&["mail", "check"]).code, 1);
    assert_eq!(s.gt(&["mail", "check", "--inject"]).stdout, "");
    s.ok(&["mail", "mark-unread", &ids(&all)[0]]);
    assert_eq!(s.gt(&["mail", "check"]).code, 0);
    let archived = s.json(&["mail", "archive", &ids(&all)[0]]);
    assert_eq!(archived["archived"], 1);
    assert_eq!(s.json(&["mail", "inbox"])["count"], 3);
    assert_eq!(s.json(&["mail", "inbox", "--all"])["count"], 4);
    let found = s.json(&["mail", "search", "URGENT"]);
    assert_eq!(found["count"], 1);
    assert_eq!(s.json(&["mail", "search", "one", "--subject"])["count"], 4);
}

#[test]
fn a_queue_message_is_claimed_by_exactly_one_worker() {
    let s = Sandbox::with_town();
    s.ok(&["mail", "queue", "add", "cleanup"]);
    s.ok(&["mail", "send", "queue:cleanup", "-s", "Tidy the logs"]);
    assert_eq!(s.json(&["mail", "inbox", "queue:cleanup"])["count"], 1);
    let claimers: Vec<_> = ["rig/crew/a", "rig/crew/b"]
        .iter()
        .map(|who| {
            s.cmd(
                &s.town(),
                &["--batch", "--json", "mail", "claim", "cleanup"],
            )
            .env("GT_AGENT", who)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
        })
        .collect();
    let results: Vec<(i32, Value)> = claimers
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().expect("wait");
            (
                o.status.code().unwrap_or(-1),
                serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
            )
        })
        .collect();
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(c, _)| *c == 0)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .any(|(c, v)| *c == 1 && v["claimed"].is_null()),
        "{results:?}"
    );
    let id = winners[0]["claimed"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(s.json(&["mail", "inbox", "queue:cleanup"])["count"], 0);
    s.ok(&["mail", "release", &id]);
    assert_eq!(s.json(&["mail", "inbox", "queue:cleanup"])["count"], 1);
    // Workers can be restricted.
    s.ok(&["mail", "queue", "add", "reviews", "*/crew/*"]);
    s.ok(&["mail", "send", "queue:reviews", "-s", "Review PR"]);
    let r = s
        .cmd(&s.town(), &["mail", "claim", "reviews"])
        .env("GT_AGENT", "rig/polecats/x")
        .output()
        .expect("run");
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn groups_lists_and_patterns_fan_out_one_copy_each() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("quiet", "--busy 0.1", &[]);
    for name in ["anna", "bo"] {
        s.ok(&[
            "crew",
            "add",
            name,
            "--rig",
            "rig",
            "--agent",
            "quiet",
            "--no-start",
        ]);
    }
    let b = s.create(&["Job", "--rig", "rig"]);
    s.ok(&["sling", &b, "rig", "--agent", "quiet"]);
    let count = |to: &str| {
        s.json(&["mail", "send", to, "-s", &format!("to {to}")])["sent"]["ids"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0)
    };
    assert_eq!(count("@crew"), 2);
    assert_eq!(count("rig/crew/*"), 2);
    assert_eq!(count("rig/polecats/*"), 1);
    assert_eq!(count("rig/"), 5, "2 crew + 1 polecat + witness + refinery");
    s.ok(&["mail", "list", "add", "pair", "rig/crew/anna", "mayor"]);
    assert_eq!(count("list:pair"), 2);
    s.ok(&["mail", "group", "add", "leads", "*/crew/anna", "overseer"]);
    assert_eq!(count("@leads"), 2);
    // The same person reached twice gets one copy.
    let both = s.json(&["mail", "send", "rig/crew/anna", "@crew", "-s", "dup"]);
    assert_eq!(both["sent"]["ids"].as_array().map(|a| a.len()), Some(2));
    // cc adds copies marked as cc.
    let cc = s.json(&[
        "mail",
        "send",
        "mayor",
        "--cc",
        "rig/crew/bo",
        "-s",
        "with cc",
    ]);
    assert_eq!(
        cc["sent"]["recipients"],
        serde_json::json!(["mayor", "rig/crew/bo"])
    );
    let bo = s.json(&["mail", "inbox", "rig/crew/bo"]);
    let copy = bo["messages"]
        .as_array()
        .expect("msgs")
        .iter()
        .find(|m| m["subject"] == "with cc")
        .cloned()
        .expect("copy");
    assert_eq!(copy["cc"], serde_json::json!(["rig/crew/bo"]));
}

#[test]
fn unknown_addresses_are_refused_and_nothing_is_written() {
    let s = Sandbox::with_town();
    s.add_rig("rig");
    let before = s.ledger_state();
    for (to, msg) in [
        ("rig/polecats/nobody", "unknown address"),
        ("nosuch", "unknown address"),
        ("list:none", "unknown list"),
        ("queue:none", "unknown queue"),
        ("@nobody", "unknown group"),
        ("ghost/", "no rig named"),
        ("rig/crew/*", "reaches nobody"),
    ] {
        let r = s.gt(&["mail", "send", to, "-s", "hello"]);
        assert_eq!(r.code, 2, "{to}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{to}: {}", r.stderr);
    }
    // One bad recipient among good ones sends nothing at all.
    let r = s.gt(&[
        "mail",
        "send",
        "mayor",
        "rig/polecats/nobody",
        "-s",
        "hello",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(s.gt(&["mail", "send", "mayor", "-s", "  "]).code, 2);
    assert_eq!(
        s.gt(&["mail", "send", "mayor", "-s", "x", "--priority", "meh"])
            .code,
        2
    );
    assert_eq!(s.gt(&["mail", "read", "hq-nope"]).code, 2);
    assert_eq!(before, s.ledger_state());
}

#[test]
fn replies_thread_together() {
    let s = Sandbox::with_town();
    let first = s.json(&[
        "mail",
        "send",
        "mayor",
        "-s",
        "Plan for today",
        "-m",
        "What first?",
    ]);
    let id = first["sent"]["ids"][0].as_str().expect("id").to_string();
    // The mayor answers (as itself), then the overseer answers that.
    let r = s
        .cmd(
            &s.town(),
            &[
                "--batch",
                "--json",
                "mail",
                "reply",
                &id,
                "-m",
                "The login bug.",
            ],
        )
        .env("GT_AGENT", "mayor")
        .output()
        .expect("run");
    let reply: Value = serde_json::from_slice(&r.stdout).expect("json");
    let reply_id = reply["sent"]["ids"][0].as_str().expect("id").to_string();
    assert_eq!(reply["sent"]["recipients"], serde_json::json!(["overseer"]));
    let third = s.json(&["mail", "reply", &reply_id, "-m", "Go."]);
    let thread = s.json(&["mail", "thread", &id]);
    let subjects: Vec<&str> = thread["messages"]
        .as_array()
        .expect("msgs")
        .iter()
        .filter_map(|m| m["subject"].as_str())
        .collect();
    assert_eq!(
        subjects,
        vec!["Plan for today", "Re: Plan for today", "Re: Plan for today"]
    );
    let froms: Vec<&str> = thread["messages"]
        .as_array()
        .expect("msgs")
        .iter()
        .filter_map(|m| m["from"].as_str())
        .collect();
    assert_eq!(froms, vec!["overseer", "mayor", "overseer"]);
    assert_eq!(third["sent"]["thread"], id.as_str());
    assert_eq!(s.json(&["mail", "thread", &reply_id])["count"], 3);
}

/// The overseer's message whose subject starts with `prefix`, as listed.
fn overseer_message(s: &Sandbox, prefix: &str) -> Option<Value> {
    s.json(&["mail", "inbox"])["messages"]
        .as_array()?
        .iter()
        .find(|m| m["subject"].as_str().is_some_and(|t| t.starts_with(prefix)))
        .cloned()
}

#[test]
fn what_is_meant_for_a_finished_polecat_goes_where_someone_reads_it() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("reporter", "--busy 0.1 --report-to overseer", &[]);
    let b = s.create(&["Fix the thing", "--rig", "rig"]);
    let agent = s.sling_agent(&[&b, "rig", "--agent", "reporter"]);
    let done = wait_for(60, "the polecat's Done mail", || {
        overseer_message(&s, "Done:")
    });
    wait_for(30, "the finished polecat at its prompt", || {
        (s.agent_view(&agent)["session"] == "idle").then_some(())
    });

    // A nudge to a polecat that ran `gt done` reaches its live session…
    let r = s.gt(&["nudge", &agent, "one more thing"]);
    assert_eq!(r.code, 0, "{r:?}");
    wait_for(10, "the nudge in the polecat's session", || {
        s.sim_received(&agent)
            .iter()
            .any(|t| t.contains("one more thing"))
            .then_some(())
    });
    // Mail sent while it waits to land stays in its mailbox for now.
    s.ok(&[
        "mail",
        "send",
        &agent,
        "-s",
        "Unread at removal",
        "-m",
        "the body",
    ]);

    // …so when its work lands it is kept (removed, the ✓ would be a message no one reads).
    let landed = crate::common::mq::run_refinery(&s, "rig");
    assert_eq!(
        crate::common::mq::of_kind(&landed, "merged").len(),
        1,
        "{landed:?}"
    );
    let cleaned = crate::common::mq::of_kind(&landed, "cleaned");
    assert!(
        cleaned[0]["kept"][0]["reason"]
            .as_str()
            .is_some_and(|w| w.contains("was sent a message after it finished")),
        "{landed:?}"
    );
    assert!(
        s.json(&["agents"])["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .any(|a| a["address"] == agent.as_str()),
        "kept"
    );
    // Removed by hand once it is done.
    s.ok(&["--batch", "polecat", "remove", &agent]);

    // Its unread mail was kept for the overseer, saying why.
    let kept = overseer_message(&s, "Unread at removal").expect("kept for the overseer");
    assert_eq!(kept["redirected_from"], agent.as_str(), "{kept}");
    assert!(
        kept["note"]
            .as_str()
            .is_some_and(|n| n.contains("was removed")),
        "{kept}"
    );
    let read = s.ok(&["mail", "read", kept["id"].as_str().expect("id")]);
    assert!(read.stdout.contains("Note: "), "{}", read.stdout);
    assert!(read.stdout.contains("the body"), "{}", read.stdout);

    // A reply to its Done mail is kept too (it used to fail: unknown address), and the
    // sender is told where it went.
    let id = done["id"].as_str().expect("id");
    let r = s.ok(&["mail", "reply", id, "-m", "Thanks, looks good"]);
    assert!(r.stdout.contains("note: "), "{}", r.stdout);
    assert!(r.stdout.contains(&agent), "{}", r.stdout);
    let re = overseer_message(&s, "Re: Done:").expect("the reply kept");
    assert_eq!(re["redirected_from"], agent.as_str(), "{re}");
    let sent = s.json(&["mail", "send", &agent, "-s", "Late word"]);
    assert_eq!(sent["sent"]["recipients"], serde_json::json!(["overseer"]));
    assert!(
        sent["sent"]["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains(&agent))
    );

    // An address that never was is still refused, and nothing is written.
    let before = s.sql("SELECT count(*) FROM beads WHERE issue_type = 'message'");
    let r = s.gt(&["mail", "send", "rig/polecats/nobody", "-s", "Hello"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("unknown address"), "{r:?}");
    assert_eq!(
        s.sql("SELECT count(*) FROM beads WHERE issue_type = 'message'"),
        before
    );
}
