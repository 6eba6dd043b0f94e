//! The deacon, one pass at a time (`gt deacon run --once`): landing mail, feeding convoys,
//! escalations, the ledger snapshot commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

fn tick(s: &Sandbox) -> Value {
    let v = s.json(&["deacon", "run", "--once"]);
    assert_eq!(v["deacon"]["errors"], serde_json::json!([]), "{v}");
    v["deacon"].clone()
}

fn inbox(s: &Sandbox, who: &str) -> Vec<Value> {
    s.json(&["mail", "inbox", who, "--all"])["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn landing_mail(s: &Sandbox, who: &str, title: &str) -> Vec<Value> {
    inbox(s, who)
        .into_iter()
        .filter(|m| m["subject"] == format!("Convoy landed: {title}"))
        .collect()
}

#[test]
fn a_landing_is_announced_once_to_the_owner_and_the_watchers() {
    let s = Sandbox::with_town();
    let a = s.create(&["Write the parser"]);
    let b = s.create(&["Write the printer"]);
    // A watcher that reaches nobody is refused up front.
    let r = s.gt(&["convoy", "create", "Nope", &a, "--watch", "nobody/here"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let cv = s.json(&["convoy", "create", "Parser", &a, &b, "--watch", "mayor"])["convoy"]["id"]
        .as_str()
        .expect("convoy")
        .to_string();
    s.ok(&["convoy", "watch", &cv, "deacon"]);
    assert_eq!(
        s.json(&["convoy", "show", &cv])["convoy"]["watchers"],
        serde_json::json!(["mayor", "deacon"])
    );

    // Not landed yet: nothing to announce.
    assert_eq!(tick(&s)["notified"], serde_json::json!([]));
    s.ok(&["close", &a, "--reason", "parses everything"]);
    s.ok(&["close", &b, "--reason", "prints it back"]);
    assert_eq!(
        s.json(&["convoy", "show", &cv])["convoy"]["status"],
        "closed"
    );

    let t = tick(&s);
    let notified = t["notified"].as_array().expect("notified");
    assert_eq!(notified.len(), 1, "{t}");
    assert_eq!(notified[0]["convoy"], cv.as_str());
    // The town's owner is a person (gt install writes $USER): the human's mailbox.
    let to = notified[0]["recipients"].to_string();
    for who in ["overseer", "mayor", "deacon"] {
        assert!(to.contains(who), "{who} in {to}");
    }
    let mail = landing_mail(&s, "overseer", "Parser");
    assert_eq!(mail.len(), 1);
    let shown = s.json(&["mail", "read", mail[0]["id"].as_str().expect("id")]);
    let body = shown["message"]["body"].as_str().unwrap_or("").to_string();
    for want in [
        a.as_str(),
        b.as_str(),
        "parses everything",
        "prints it back",
    ] {
        assert!(body.contains(want), "{want} in {body}");
    }
    assert_eq!(shown["message"]["from"], "deacon");
    assert_eq!(landing_mail(&s, "mayor", "Parser").len(), 1);
    assert_eq!(landing_mail(&s, "deacon", "Parser").len(), 1);

    // A second pass (another process: the deacon restarted) sends nothing more.
    assert_eq!(tick(&s)["notified"], serde_json::json!([]));
    assert_eq!(landing_mail(&s, "overseer", "Parser").len(), 1);
    assert_eq!(landing_mail(&s, "mayor", "Parser").len(), 1);

    // Reopened and landed again: announced again, once.
    s.ok(&["bead", "reopen", &a]);
    assert_eq!(s.json(&["convoy", "show", &cv])["convoy"]["status"], "open");
    s.ok(&["close", &a, "--reason", "parses even more"]);
    assert_eq!(tick(&s)["notified"].as_array().map(Vec::len), Some(1));
    assert_eq!(tick(&s)["notified"], serde_json::json!([]));
    assert_eq!(landing_mail(&s, "overseer", "Parser").len(), 2);

    // A convoy closed by hand did not land: no announcement.
    let c = s.create(&["Something else"]);
    let cv2 = s.json(&["convoy", "create", "Manual", &c])["convoy"]["id"]
        .as_str()
        .expect("convoy")
        .to_string();
    s.ok(&["convoy", "close", &cv2]);
    assert_eq!(tick(&s)["notified"], serde_json::json!([]));
}

#[test]
fn the_owner_setting_names_the_mailbox_when_it_is_an_address() {
    let s = Sandbox::with_town();
    s.ok(&["config", "set", "owner", "mayor"]);
    let a = s.create(&["Only bead"]);
    s.ok(&["convoy", "create", "Solo", &a]);
    s.ok(&["close", &a]);
    let t = tick(&s);
    assert_eq!(
        t["notified"][0]["recipients"],
        serde_json::json!(["mayor"]),
        "{t}"
    );
    assert_eq!(landing_mail(&s, "mayor", "Solo").len(), 1);
    assert!(landing_mail(&s, "overseer", "Solo").is_empty());
}

#[test]
fn the_ledger_is_committed_when_it_changed_and_only_then() {
    let s = Sandbox::with_town();
    let town = s.town();
    let a = s.create(&["First bead"]);
    let sha = tick(&s)["ledger_commit"]
        .as_str()
        .expect("a commit")
        .to_string();
    let log = git(&town, &["log", "--format=%H|%an|%cn|%s"]);
    let ours: Vec<&str> = log.lines().filter(|l| l.contains("|gt deacon|")).collect();
    assert_eq!(ours.len(), 1, "{log}");
    assert!(ours[0].starts_with(&sha), "{log}");
    assert!(
        ours[0].ends_with("|gt deacon|gt deacon: ledger snapshot (1 beads)"),
        "{log}"
    );
    let committed = git(&town, &["show", "HEAD:.beads/issues.jsonl"]);
    assert!(committed.contains(&a), "{committed}");
    let status = git(&town, &["status", "--porcelain", ".beads", "town.toml"]);
    assert!(status.trim().is_empty(), "{status}");

    // Nothing changed: no commit (not an empty one either).
    assert_eq!(tick(&s)["ledger_commit"], Value::Null);
    let log = git(&town, &["log", "--format=%an"]);
    assert_eq!(log.lines().filter(|l| *l == "gt deacon").count(), 1);

    // Config counts too.
    s.ok(&["config", "set", "deacon.commit_secs", "60"]);
    let sha2 = tick(&s)["ledger_commit"]
        .as_str()
        .expect("a second commit")
        .to_string();
    let files = git(&town, &["show", "--name-only", "--format=", &sha2]);
    assert_eq!(files.trim(), "town.toml", "{files}");
    // Below the minimum cadence is bad input.
    assert_eq!(s.gt(&["config", "set", "deacon.commit_secs", "3"]).code, 2);
}

#[test]
fn an_overdue_escalation_is_raised_by_a_pass() {
    let s = Sandbox::with_town();
    let path = s.town().join("town.toml");
    let mut text = std::fs::read_to_string(&path).expect("town.toml");
    text.push_str("\n[escalation]\nreescalate_after = \"1h\"\n");
    std::fs::write(&path, text).expect("write");
    let e = s.json(&["escalate", "-s", "low", "The docs build is slow"]);
    let id = e["escalation"]["id"].as_str().expect("id").to_string();
    s.backdate_escalation(&id, 7200);
    let t = tick(&s);
    assert_eq!(t["escalations"], serde_json::json!([id.clone()]), "{t}");
    // Read without `escalate list`, which sweeps too.
    let shown = s.json(&["show", &id]);
    assert_eq!(shown["bead"]["metadata"]["severity"], "medium", "{shown}");
}

#[test]
fn a_fed_convoy_is_worked_one_bead_after_another() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("quick", "--busy 0", &[]);
    s.ok(&["config", "default-agent", "quick"]);
    s.ok(&["config", "set", "scheduler.max_polecats", "1"]);
    let beads: Vec<String> = ["One", "Two", "Three"]
        .iter()
        .map(|t| s.create(&[*t, "--rig", "gastown"]))
        .collect();
    let mut args = vec!["convoy", "create", "Fed", "--feed"];
    args.extend(beads.iter().map(String::as_str));
    let cv = s.json(&args)["convoy"]["id"]
        .as_str()
        .expect("convoy")
        .to_string();
    assert_eq!(s.json(&["convoy", "show", &cv])["convoy"]["feed"], true);

    for (i, bead) in beads.iter().enumerate() {
        let t = tick(&s);
        let fed = t["fed"].as_array().cloned().unwrap_or_default();
        assert_eq!(fed.len(), 1, "one at a time: {t}");
        assert_eq!(fed[0]["bead"], bead.as_str(), "in order: {t}");
        assert_eq!(fed[0]["convoy"], cv.as_str());
        wait_for(60, "the polecat's gt done", || {
            (s.json(&["mq", "list"])["count"] == 1).then_some(())
        });
        let r = s.json(&["refinery", "run", "--rig", "gastown"]);
        assert_eq!(r["processed"][0]["outcome"], "merged", "{r}");
        assert_eq!(s.json(&["show", bead])["bead"]["status"], "closed");
        let done = s.json(&["convoy", "show", &cv])["convoy"]["closed"].clone();
        assert_eq!(done, i + 1);
    }
    let t = tick(&s);
    assert_eq!(t["fed"], serde_json::json!([]));
    assert_eq!(t["notified"][0]["convoy"], cv.as_str(), "{t}");
    let files = git(
        &s.town().join("gastown/.repo.git"),
        &["ls-tree", "-r", "--name-only", "main"],
    );
    for bead in &beads {
        assert!(files.contains(&format!("sim-work/{bead}.md")), "{files}");
    }
}
