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
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), self.value(v))).collect())
            }
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
        s.to_string()
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
