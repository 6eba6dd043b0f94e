//! The `--json` contract (schema 1): the shape of every reading command's document, pinned
//! with snapshots. Ids, timestamps and paths are replaced by stable placeholders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;
use std::collections::HashMap;

/// Replaces run-specific values so the snapshot holds only the shape and the stable values.
struct Normalizer {
    ids: HashMap<String, String>,
}

impl Normalizer {
    fn new() -> Self {
        Normalizer {
            ids: HashMap::new(),
        }
    }

    fn value(&mut self, v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| {
                        // What a live agent shows changes from moment to moment: its kind of
                        // value is the contract, not the value.
                        let v = if VOLATILE.contains(&k.as_str()) && !v.is_null() {
                            Value::String(format!("[{}]", kind_of(v)))
                        } else {
                            self.value(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.value(v)).collect()),
            Value::String(s) => Value::String(self.string(s)),
            other => other.clone(),
        }
    }

    fn string(&mut self, s: &str) -> String {
        if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
            return "[time]".into();
        }
        if s.starts_with('/') {
            return "[path]".into();
        }
        let is_id = ["hq-", "sh-"].iter().any(|p| s.starts_with(p))
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if is_id {
            let n = self.ids.len() + 1;
            return self
                .ids
                .entry(s.to_string())
                .or_insert_with(|| format!("[id{n}]"))
                .clone();
        }
        // Ids inside other values (a branch named after its bead).
        let mut out = s.to_string();
        for (id, placeholder) in &self.ids {
            out = out.replace(id.as_str(), placeholder);
        }
        out
    }
}

/// Keys whose values depend on timing (a live agent's screen, tmux ids, clocks).
const VOLATILE: &[&str] = &[
    "window",
    "pane",
    "session",
    "verdict",
    "reason",
    "last_activity",
    "age_secs",
    "state",
    "human_attached",
    "queued_messages",
    "answerable_dialog",
    "exit_status",
    "at",
    "nudged_at",
    "restarted_at",
];

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

#[test]
fn reading_commands_keep_their_shape() {
    let s = Sandbox::with_town();
    s.add_rig("shop");
    let a = s.create(&[
        "Cart",
        "-t",
        "feature",
        "-p",
        "1",
        "-l",
        "ui",
        "--rig",
        "shop",
        "-d",
        "Show the cart",
    ]);
    let b = s.create(&["Pay", "--rig", "shop", "--assignee", "shop/polecats/nux"]);
    s.ok(&["bead", "dep", "add", &b, &a]);
    s.ok(&["bead", "comment", &a, "first"]);
    let cv = s
        .ok(&["--batch", "convoy", "create", "Checkout", &a, &b])
        .stdout
        .trim()
        .to_string();
    let mut norm = Normalizer::new();
    // Register the ids in a fixed order so placeholders do not depend on output order.
    for id in [&a, &b, &cv] {
        norm.string(id);
    }
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("show", vec!["show", &a]),
        ("bead_list", vec!["bead", "list"]),
        ("ready", vec!["ready"]),
        ("blocked", vec!["blocked"]),
        ("dep_list", vec!["bead", "dep", "list", &b]),
        ("convoy_list", vec!["convoy", "list"]),
        ("convoy_show", vec!["convoy", "show", &cv]),
        ("rig_list", vec!["rig", "list"]),
        ("rig_show", vec!["rig", "show", "shop"]),
        (
            "config_get",
            vec!["config", "get", "merge.strategy", "--rig", "shop"],
        ),
    ];
    for (name, args) in commands {
        let v = s.json(&args);
        insta::assert_json_snapshot!(name, norm.value(&v));
    }
}

#[test]
fn agent_mail_and_queue_commands_keep_their_shape() {
    let s = Sandbox::with_sim_rig("shop");
    let bead = s.create(&["Tidy the docs", "--rig", "shop"]);
    let agent = s.sling_agent(&[&bead, "shop"]);
    s.ok(&["mail", "send", "overseer", "-s", "Status", "-m", "All fine"]);
    s.ok(&["escalate", "-s", "low", "Docs build is slow"]);
    let mut norm = Normalizer::new();
    norm.string(&bead);
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("agents", vec!["agents"]),
        ("polecat_list", vec!["polecat", "list"]),
        ("polecat_show", vec!["polecat", "show", &agent]),
        ("crew_list", vec!["crew", "list"]),
        ("mail_inbox", vec!["mail", "inbox"]),
        ("mail_check", vec!["mail", "check", "overseer"]),
        ("escalate_list", vec!["escalate", "list"]),
        ("scheduler_status", vec!["scheduler", "status"]),
        ("mq_list", vec!["mq", "list"]),
        ("mayor_status", vec!["mayor", "status"]),
        ("formula_list", vec!["formula", "list"]),
        ("witness_status", vec!["witness", "status"]),
    ];
    for (name, args) in commands {
        let v = s.json(&args);
        insta::assert_json_snapshot!(name, norm.value(&v));
    }
}

#[test]
fn session_cost_and_account_commands_keep_their_shape() {
    let s = Sandbox::with_sim_rig("shop");
    let bead = s.create(&["Tidy the docs", "--rig", "shop"]);
    let cv = s
        .ok(&["--batch", "convoy", "create", "Docs", &bead])
        .stdout
        .trim()
        .to_string();
    let agent = s.sling_agent(&[&bead, "shop"]);
    let toml = s.town().join("town.toml");
    let mut text = std::fs::read_to_string(&toml).expect("town.toml");
    text.push_str(
        "\n[accounts.claude.work]\nenv = { ANTHROPIC_API_KEY = \"k\" }\n\
         [prices.\"model-a\"]\ninput = 1.0\noutput = 2.0\n",
    );
    std::fs::write(&toml, text).expect("write");
    let transcript = s.path().join("t.jsonl");
    let lines = [
        serde_json::json!({"type": "user", "timestamp": "2026-12-04T10:00:00Z", "sessionId": "s-1",
            "cwd": "/w", "message": {"content": "Tidy the docs"}}),
        serde_json::json!({"type": "assistant", "timestamp": "2026-12-04T10:00:01Z",
            "message": {"id": "m-1", "model": "model-a",
                "content": [{"type": "tool_use", "name": "Edit", "input": {"file_path": "/w/README.md"}}],
                "usage": {"input_tokens": 1000, "output_tokens": 50}}}),
        serde_json::json!({"type": "assistant", "timestamp": "2026-12-04T10:00:02Z",
            "message": {"id": "m-2", "model": "model-b", "content": [{"type": "text", "text": "Tidied."}],
                "usage": {"input_tokens": 10, "output_tokens": 5}}}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&transcript, body).expect("transcript");
    s.runtime_event(
        &agent,
        "session-start",
        &serde_json::json!({"session_id": "s-1", "transcript_path": transcript.display().to_string()}),
    );
    let mut norm = Normalizer::new();
    norm.string(&bead);
    norm.string(&cv);
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("costs_by_agent", vec!["costs"]),
        ("costs_by_convoy", vec!["costs", "--by", "convoy"]),
        ("seance_list", vec!["seance", &bead, "--list"]),
        ("seance", vec!["seance", &agent]),
        ("account_list", vec!["account", "list"]),
    ];
    for (name, args) in commands {
        let v = s.json(&args);
        insta::assert_json_snapshot!(name, norm.value(&v));
    }
}
