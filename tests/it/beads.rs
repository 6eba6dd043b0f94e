//! Bead commands: create/show/list/update/close/reopen/comment/dep, ready, blocked, and the
//! ledger side effects (events, issues.jsonl).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

fn jsonl_line(s: &Sandbox, id: &str) -> Option<Value> {
    let text = s.jsonl();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["id"] == id)
}

#[test]
fn create_show_and_list_with_every_option() {
    let s = Sandbox::with_town();
    s.add_rig("gastown");
    let id = s.create(&[
        "Fix the login",
        "-d",
        "It breaks on Tuesdays",
        "-t",
        "bug",
        "-p",
        "1",
        "-l",
        "auth,ui",
        "--rig",
        "gastown",
        "--assignee",
        "gastown/polecats/nux",
    ]);
    assert!(id.starts_with("gt-"), "{id}");
    assert_eq!(
        id.len(),
        "gt-".len() + 4,
        "small ledgers get 4-char hashes: {id}"
    );
    let b = &s.json(&["bead", "show", &id])["bead"];
    assert_eq!(b["title"], "Fix the login");
    assert_eq!(b["description"], "It breaks on Tuesdays");
    assert_eq!(b["issue_type"], "bug");
    assert_eq!(b["priority"], 1);
    assert_eq!(b["status"], "open");
    assert_eq!(b["assignee"], "gastown/polecats/nux");
    assert_eq!(b["labels"], serde_json::json!(["auth", "ui"]));
    assert_eq!(b["rig"], "gastown");
    assert_eq!(b["created_by"], "overseer");

    let child = s.create(&["Child", "--parent", &id]);
    assert_eq!(child, format!("{id}.1"));
    let child2 = s.create(&["Child 2", "--parent", &id]);
    assert_eq!(child2, format!("{id}.2"));
    assert_eq!(
        s.json(&["show", &child])["bead"]["dependencies"][0]["type"],
        "parent-child"
    );

    let town_bead = s.create(&["Town level"]);
    assert!(town_bead.starts_with("hq-"), "{town_bead}");
    // Created inside a rig directory → that rig's prefix.
    let r = s.gt_in(
        &s.town().join("gastown/refinery"),
        &["--batch", "bead", "create", "From inside"],
    );
    assert!(r.stdout.trim().starts_with("gt-"), "{}", r.stdout);

    let list = s.json(&["bead", "list", "--rig", "gastown"]);
    assert_eq!(list["count"], 4);
    let by_label = s.json(&["bead", "list", "--label", "auth"]);
    assert_eq!(by_label["beads"][0]["id"], id.as_str());
    assert_eq!(by_label["count"], 1);
    let by_type = s.json(&["bead", "list", "-t", "bug"]);
    assert_eq!(by_type["count"], 1);
    let by_assignee = s.json(&["bead", "list", "--assignee", "gastown/polecats/nux"]);
    assert_eq!(by_assignee["count"], 1);
    let human = s.ok(&["bead", "list"]).stdout;
    assert!(
        human.contains("Fix the login") && human.contains("ASSIGNEE"),
        "{human}"
    );
}

#[test]
fn invalid_input_is_refused_with_exit_2_and_nothing_written() {
    let s = Sandbox::with_town();
    let id = s.create(&["Existing"]);
    let before = s.ledger_state();
    let cases: &[(&[&str], &str)] = &[
        (&["bead", "create", ""], "needs a title"),
        (&["bead", "create", "x", "-p", "7"], "priority must be 0"),
        (&["bead", "create", "x", "-t", "nonsense"], "unknown type"),
        (&["bead", "create", "x", "--rig", "nope"], "no rig named"),
        (
            &["bead", "create", "x", "--parent", "hq-zzzz"],
            "no bead \"hq-zzzz\"",
        ),
        (&["bead", "show", "gt-nope"], "no bead \"gt-nope\""),
        (&["show", "hq-nope"], "no bead"),
        (
            &["bead", "update", &id, "--status", "sideways"],
            "unknown status",
        ),
        (&["bead", "update", &id], "nothing to change"),
        (&["bead", "update", "hq-nope", "--title", "x"], "no bead"),
        (&["close", "hq-nope"], "no bead"),
        (&["bead", "reopen", &id], "is not closed"),
        (&["bead", "comment", &id, "  "], "needs text"),
        (
            &["bead", "dep", "add", &id, "hq-nope"],
            "no bead \"hq-nope\"",
        ),
        (&["bead", "dep", "add", &id, &id], "cannot depend on itself"),
        (
            &["bead", "dep", "add", &id, "hq-x", "--type", "bad type"],
            "invalid dependency type",
        ),
        (
            &["bead", "dep", "remove", &id, "hq-other"],
            "has no dependency",
        ),
        (&["bead", "list", "--status", "weird"], "unknown status"),
        (&["bead", "list", "--rig", "nope"], "no rig named"),
        (&["ready", "--rig", "nope"], "no rig named"),
    ];
    for (args, msg) in cases {
        let r = s.gt(args);
        assert_eq!(r.code, 2, "{args:?}: exit {} ({})", r.code, r.stderr);
        assert!(
            r.stderr.contains(msg),
            "{args:?}: expected {msg:?} in {}",
            r.stderr
        );
    }
    assert_eq!(
        before,
        s.ledger_state(),
        "a refused command changed the ledger"
    );
}

#[test]
fn update_close_reopen_and_comment_leave_events_and_reach_the_jsonl() {
    let s = Sandbox::with_town();
    let id = s.create(&["Task"]);
    assert_eq!(jsonl_line(&s, &id).expect("in jsonl")["title"], "Task");

    s.ok(&[
        "bead",
        "update",
        &id,
        "--title",
        "Renamed",
        "-p",
        "P0",
        "--assignee",
        "mayor",
        "--add-label",
        "x,y",
        "--notes",
        "n1",
    ]);
    let b = &s.json(&["show", &id])["bead"];
    assert_eq!(b["title"], "Renamed");
    assert_eq!(b["priority"], 0);
    assert_eq!(b["assignee"], "mayor");
    assert_eq!(b["notes"], "n1");
    assert_eq!(b["labels"], serde_json::json!(["x", "y"]));
    let line = jsonl_line(&s, &id).expect("in jsonl");
    assert_eq!(line["title"], "Renamed");
    assert_eq!(line["labels"], serde_json::json!(["x", "y"]));

    s.ok(&[
        "bead",
        "update",
        &id,
        "--remove-label",
        "x",
        "--assignee",
        "",
    ]);
    let b = &s.json(&["show", &id])["bead"];
    assert_eq!(b["labels"], serde_json::json!(["y"]));
    assert_eq!(b["assignee"], Value::Null);

    s.ok(&["bead", "update", &id, "--status", "in_progress"]);
    s.ok(&["bead", "comment", &id, "Looking at it"]);
    let b = &s.json(&["show", &id])["bead"];
    assert_eq!(b["comments"][0]["text"], "Looking at it");
    assert_eq!(b["comments"][0]["author"], "overseer");

    s.ok(&["close", &id, "--reason", "done"]);
    let b = &s.json(&["show", &id])["bead"];
    assert_eq!(b["status"], "closed");
    assert_eq!(b["close_reason"], "done");
    assert!(b["closed_at"].is_string());
    assert_eq!(jsonl_line(&s, &id).expect("in jsonl")["status"], "closed");
    // Closing again is not an error and changes nothing.
    let r = s.ok(&["close", &id]);
    assert!(r.stdout.contains("already closed"), "{}", r.stdout);

    s.ok(&["bead", "reopen", &id]);
    let b = &s.json(&["show", &id])["bead"];
    assert_eq!(b["status"], "open");
    assert_eq!(b["closed_at"], Value::Null);

    let events = s.sql(&format!("SELECT group_concat(event_type, ',') FROM (SELECT event_type FROM events WHERE issue_id = '{id}' ORDER BY id)"));
    assert_eq!(
        events,
        "created,updated,label_added,label_added,updated,label_removed,status_changed,commented,closed,reopened"
    );
    let actor = s.sql(&format!(
        "SELECT DISTINCT actor FROM events WHERE issue_id = '{id}'"
    ));
    assert_eq!(actor, "overseer");
}

#[test]
fn the_actor_comes_from_the_agent_environment() {
    let s = Sandbox::with_town();
    let r = s
        .cmd(&s.town(), &["--batch", "bead", "create", "By an agent"])
        .env("GT_AGENT", "gastown/polecats/nux")
        .output()
        .expect("run");
    let id = String::from_utf8_lossy(&r.stdout).trim().to_string();
    assert_eq!(
        s.json(&["show", &id])["bead"]["created_by"],
        "gastown/polecats/nux"
    );
}

#[test]
fn dependencies_gate_readiness() {
    let s = Sandbox::with_town();
    let a = s.create(&["A"]);
    let b = s.create(&["B"]);
    let c = s.create(&["C"]);
    s.ok(&["bead", "dep", "add", &b, &a]);
    s.ok(&["bead", "dep", "add", &c, &a, "--type", "related"]);
    let ready: Vec<String> = ids(&s.json(&["ready"]));
    assert!(
        ready.contains(&a) && ready.contains(&c) && !ready.contains(&b),
        "{ready:?}"
    );
    let blocked = s.json(&["blocked"]);
    assert_eq!(blocked["beads"][0]["id"], b.as_str());
    assert_eq!(blocked["beads"][0]["blocked_by"][0], a.as_str());

    // A cycle of blocking edges is refused.
    let r = s.gt(&["bead", "dep", "add", &a, &b]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cycle"), "{}", r.stderr);

    let list = s.json(&["bead", "dep", "list", &a]);
    assert_eq!(list["dependents"].as_array().map(|v| v.len()), Some(2));

    s.ok(&["close", &a]);
    assert!(ids(&s.json(&["ready"])).contains(&b));
    s.ok(&["bead", "reopen", &a]);
    assert!(!ids(&s.json(&["ready"])).contains(&b));
    s.ok(&["bead", "dep", "remove", &b, &a]);
    assert!(ids(&s.json(&["ready"])).contains(&b));
    // A dangling target is only accepted when asked for, and does not block.
    s.ok(&["bead", "dep", "add", &b, "ext-zz9", "--allow-missing"]);
    assert!(ids(&s.json(&["ready"])).contains(&b));
}

#[test]
fn ready_excludes_every_kind_of_not_ready() {
    let s = Sandbox::with_town();
    s.add_rig("r1");
    let plain = s.create(&["plain", "--rig", "r1"]);
    let blocker = s.create(&["blocker"]);
    let blocked = s.create(&["blocked"]);
    s.ok(&["bead", "dep", "add", &blocked, &blocker]);
    let parent = s.create(&["parent", "-t", "epic"]);
    s.ok(&["bead", "dep", "add", &parent, &blocker]);
    let child = s.create(&["child of blocked parent", "--parent", &parent]);
    let hooked = s.create(&["hooked"]);
    s.ok(&["bead", "update", &hooked, "--status", "hooked"]);
    let msg = s.create(&["mail", "-t", "message"]);
    let cv = s.create(&["a gate", "-t", "gate"]);
    let hi = s.create(&["urgent", "-p", "0"]);

    let ready = ids(&s.json(&["ready"]));
    for yes in [&plain, &blocker, &hi] {
        assert!(ready.contains(yes), "{yes} missing from {ready:?}");
    }
    for no in [&blocked, &parent, &child, &hooked, &msg, &cv] {
        assert!(!ready.contains(no), "{no} should not be ready: {ready:?}");
    }
    // Ordered by priority first.
    assert_eq!(ready[0], hi);
    // --rig narrows to one rig's prefix.
    assert_eq!(ids(&s.json(&["ready", "--rig", "r1"])), vec![plain.clone()]);
    assert_eq!(s.json(&["ready", "--limit", "1"])["count"], 1);
    let blocked_ids = ids(&s.json(&["blocked"]));
    assert!(
        blocked_ids.contains(&child),
        "child of a blocked parent is blocked: {blocked_ids:?}"
    );

    // Deferral and pinning come from imported data (no CLI flag sets them yet).
    let file = s.path().join("extra.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"hq-def1","title":"deferred","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","defer_until":"2999-01-01T00:00:00+02:00"}"#, "\n",
            r#"{"id":"hq-def2","title":"defer passed","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","defer_until":"2020-01-01T00:00:00.123456Z"}"#, "\n",
            r#"{"id":"hq-pin1","title":"pinned","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","pinned":true}"#, "\n",
            r#"{"id":"hq-eph1","title":"wisp","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","ephemeral":true}"#, "\n",
        ),
    )
    .expect("write");
    s.ok(&["bead", "import", file.to_str().expect("utf8")]);
    let ready = ids(&s.json(&["ready"]));
    assert!(ready.contains(&"hq-def2".to_string()), "{ready:?}");
    for no in ["hq-def1", "hq-pin1", "hq-eph1"] {
        assert!(!ready.iter().any(|r| r == no), "{no} should not be ready");
    }
}

#[test]
fn human_and_batch_output_shapes() {
    let s = Sandbox::with_town();
    let id = s.create(&["Shape"]);
    let human = s.ok(&["show", &id]).stdout;
    assert!(
        human.contains("status: open") && human.contains(&id),
        "{human}"
    );
    let batch = s.ok(&["--batch", "bead", "list"]).stdout;
    let mut lines = batch.lines();
    assert_eq!(lines.next(), Some("ID\tPRI\tSTATUS\tTYPE\tASSIGNEE\tTITLE"));
    assert_eq!(lines.next().map(|l| l.split('\t').count()), Some(6));
    assert!(!batch.contains('\x1b'), "no colour in batch output");
    let created = s.ok(&["bead", "create", "Human create"]).stdout;
    assert!(created.starts_with("Created hq-"), "{created}");
}

fn ids(v: &Value) -> Vec<String> {
    v["beads"]
        .as_array()
        .expect("beads")
        .iter()
        .map(|b| b["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn ties_within_one_second_keep_creation_order_even_with_a_limit() {
    let s = Sandbox::with_town();
    let f = s.path().join("same-second.jsonl");
    // Ids deliberately in reverse alphabetical order of creation.
    let lines: Vec<String> = (1..=5)
        .rev()
        .map(|i| {
            format!(
                r#"{{"id":"zz-{i}","title":"t{i}","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}"#
            )
        })
        .collect();
    std::fs::write(&f, lines.join("\n")).expect("write");
    s.ok(&["bead", "import", f.to_str().expect("utf8")]);
    let first = s.create(&["urgent", "-p", "0", "-t", "bug"]);
    let all = ids(&s.json(&["ready"]));
    assert_eq!(
        all,
        vec![
            first.clone(),
            "zz-5".into(),
            "zz-4".into(),
            "zz-3".into(),
            "zz-2".into(),
            "zz-1".into()
        ]
    );
    assert_eq!(
        ids(&s.json(&["ready", "--limit", "3"])),
        vec![first, "zz-5".into(), "zz-4".into()]
    );
    assert_eq!(
        ids(&s.json(&["bead", "list", "--limit", "2", "-t", "task"])),
        vec!["zz-5".to_string(), "zz-4".into()]
    );
}

#[test]
fn a_bead_tree_shows_both_directions_a_few_levels_deep() {
    let s = Sandbox::with_town();
    let a = s.create(&["Design the API"]);
    let b = s.create(&["Build the API"]);
    let c = s.create(&["Document the API"]);
    s.ok(&["--batch", "bead", "dep", "add", &b, &a]);
    s.ok(&["--batch", "bead", "dep", "add", &c, &b]);
    let t = s.json(&["bead", "tree", &a])["tree"].clone();
    assert_eq!(t["depends_on"], serde_json::json!([]), "{t}");
    assert_eq!(t["depended_on_by"][0]["id"], b.as_str(), "{t}");
    assert_eq!(
        t["depended_on_by"][0]["children"][0]["id"],
        c.as_str(),
        "{t}"
    );
    // One level only when asked.
    let one = s.json(&["bead", "tree", &a, "--depth", "1"])["tree"].clone();
    assert_eq!(one["depended_on_by"][0]["children"], serde_json::json!([]));
    let text = s.ok(&["bead", "tree", &c]).stdout;
    assert!(text.contains("depends on:"), "{text}");
    assert!(
        text.contains(&format!("└─ blocks {b} [open] Build the API")),
        "{text}"
    );
    assert!(
        text.contains(&format!("   └─ blocks {a} [open] Design the API")),
        "{text}"
    );
    assert_eq!(s.gt(&["bead", "tree", "hq-nosuch"]).code, 2);
}
