//! The CLI contract: `--batch -`, `--json` schema, exit codes, usage, completion, config layers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

#[test]
fn batch_stdin_runs_every_line_in_one_process() {
    let s = Sandbox::with_town();
    let r = s.batch_stdin(
        "# comments and blank lines are skipped\n\n\
         bead create \"First one\" -p 1\n\
         gt bead create 'Second one'\n\
         --json ready\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("hq-") && lines[1].starts_with("hq-"));
    let v: serde_json::Value = serde_json::from_str(lines[2]).expect("json");
    assert_eq!(v["count"], 2);
    assert_eq!(v["beads"][0]["title"], "First one");
}

#[test]
fn batch_stdin_stops_at_the_first_failure_with_its_line_number() {
    let s = Sandbox::with_town();
    let r = s.batch_stdin("bead create one\nbead create two\nshow hq-nope\nbead create three\n");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("line 3: exit 2")
            && r.stderr
                .contains("2 earlier commands ran (the last at line 2)")
            && r.stderr.contains("nothing from line 3 on ran"),
        "{}",
        r.stderr
    );
    assert_eq!(
        s.sql("SELECT group_concat(title) FROM (SELECT title FROM beads ORDER BY title)"),
        "one,two"
    );
    let r = s.batch_stdin("bead create four\nbead frobnicate\n");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("line 2") && r.stderr.contains("1 earlier command ran (line 1)"),
        "a parse error after a line that ran says so: {}",
        r.stderr
    );
    // Under --json the stop is a JSON document too.
    let mut c = s.cmd(&s.town(), &["--batch", "--json", "-"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut i = child.stdin.take().expect("stdin");
        i.write_all(b"ready\nbead frobnicate\n").expect("write");
    }
    let r = Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(r.code, 2);
    let last: serde_json::Value =
        serde_json::from_str(r.stdout.lines().last().unwrap_or("")).expect("a JSON document");
    assert_eq!(last["error"]["line"], 2, "{}", r.stdout);
    assert_eq!(last["error"]["lines_ran"], 1, "{}", r.stdout);
    // A command reading stdin inside the batch would wait for ever: refused.
    let r = s.batch_stdin("mail send overseer -s hi --stdin\n");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--stdin cannot be used"), "{}", r.stderr);
    let r = s.batch_stdin("bead create 'unbalanced\n");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("line 1: unbalanced quotes"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_reading_command_speaks_schema_1() {
    let s = Sandbox::with_town();
    s.add_rig("gastown");
    let a = s.create(&["A", "--rig", "gastown"]);
    let cv = s
        .ok(&["--batch", "convoy", "create", "C", &a])
        .stdout
        .trim()
        .to_string();
    for args in [
        vec!["show", a.as_str()],
        vec!["bead", "show", a.as_str()],
        vec!["bead", "list"],
        vec!["bead", "dep", "list", a.as_str()],
        vec!["ready"],
        vec!["blocked"],
        vec!["convoy", "list"],
        vec!["convoy", "show", cv.as_str()],
        vec!["rig", "list"],
        vec!["rig", "show", "gastown"],
        vec!["config", "list"],
        vec!["config", "get", "default_agent"],
    ] {
        // Both flag positions work.
        let v = s.json(&args);
        assert_eq!(v["schema"], 1, "{args:?}");
        let mut after = args.clone();
        after.push("--json");
        let v2 = s.ok(&after).json();
        assert_eq!(v, v2, "{args:?}");
    }
}

#[test]
fn usage_errors_and_exit_codes() {
    let s = Sandbox::with_town();
    // Bare `gt` opens the workspace, which needs a terminal: from a pipe it says so.
    let r = s.gt(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("needs a terminal"), "{}", r.stderr);
    // Outside a town it shows where to start.
    let r = s.gt_in(s.path(), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("gt demo") && r.stdout.contains("gt install"),
        "{}",
        r.stdout
    );
    assert_eq!(s.gt(&["--batch"]).code, 2);
    assert_eq!(s.gt(&["frobnicate"]).code, 2);
    assert_eq!(s.gt(&["bead", "create"]).code, 2);
    assert_eq!(s.gt(&["--help"]).code, 0);
    let c = s.ok(&["completion", "bash"]);
    assert!(
        c.stdout.contains("_gt()") || c.stdout.contains("complete"),
        "{}",
        &c.stdout[..200.min(c.stdout.len())]
    );
    assert_eq!(s.gt(&["completion", "tcsh"]).code, 2);
}

#[test]
fn config_layers_resolve_in_order() {
    let s = Sandbox::with_town();
    s.add_rig("r1");
    let get = |extra: &[&str]| {
        let mut args = vec!["config", "get", "default_agent"];
        args.extend_from_slice(extra);
        s.json(&args)
    };
    // town.toml has default_agent = "claude" from install.
    let v = get(&["--rig", "r1"]);
    assert_eq!(
        (v["value"].as_str(), v["layer"].as_str()),
        (Some("claude"), Some("town"))
    );
    s.ok(&["config", "unset", "default_agent"]);
    assert_eq!(get(&[])["layer"], "default");
    s.ok(&["config", "set", "default_agent", "codex", "--user"]);
    let v = get(&[]);
    assert_eq!(
        (v["value"].as_str(), v["layer"].as_str()),
        (Some("codex"), Some("user"))
    );
    s.ok(&["config", "set", "default_agent", "gemini"]);
    assert_eq!(get(&[])["value"], "gemini");
    s.ok(&["config", "set", "default_agent", "sim", "--rig", "r1"]);
    let v = get(&["--rig", "r1"]);
    assert_eq!(
        (v["value"].as_str(), v["layer"].as_str()),
        (Some("sim"), Some("rig"))
    );
    assert_eq!(
        get(&[])["value"],
        "gemini",
        "the rig layer only applies to its rig"
    );
    let env = s
        .cmd(
            &s.town(),
            &[
                "--batch",
                "--json",
                "config",
                "get",
                "default_agent",
                "--rig",
                "r1",
            ],
        )
        .env("GT_DEFAULT_AGENT", "amp")
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&env.stdout).expect("json");
    assert_eq!(
        (v["value"].as_str(), v["layer"].as_str()),
        (Some("amp"), Some("env"))
    );

    // Typed values and scopes are checked; nothing is written on refusal.
    let toml_before = std::fs::read_to_string(s.town().join("town.toml")).expect("read");
    for (args, msg) in [
        (
            vec!["config", "set", "scheduler.max_polecats", "lots"],
            "whole number",
        ),
        (
            vec!["config", "set", "ledger.export_jsonl", "maybe"],
            "true or false",
        ),
        (
            vec!["config", "set", "merge.strategy", "squash"],
            "one of rebase, merge",
        ),
        (vec!["config", "set", "no.such.key", "1"], "known settings"),
        (
            vec![
                "config",
                "set",
                "scheduler.max_polecats",
                "4",
                "--rig",
                "r1",
            ],
            "can be set in: town",
        ),
        (vec!["config", "get", "nope"], "known settings"),
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    assert_eq!(
        toml_before,
        std::fs::read_to_string(s.town().join("town.toml")).expect("read")
    );
    s.ok(&["config", "set", "scheduler.max_polecats", "12"]);
    let toml = std::fs::read_to_string(s.town().join("town.toml")).expect("read");
    assert!(
        toml.contains("[scheduler]") && toml.contains("max_polecats = 12"),
        "{toml}"
    );
    assert!(
        toml.starts_with("# Gas Town configuration"),
        "comments are kept: {toml}"
    );
}

#[test]
fn export_can_be_turned_off() {
    let s = Sandbox::with_town();
    s.ok(&["config", "set", "ledger.export_jsonl", "false"]);
    let id = s.create(&["Not exported yet"]);
    let r = s.gt(&["--batch", "bead", "flush"]);
    assert_eq!(r.code, 1, "a flush says the export is off: {}", r.stderr);
    assert!(r.stderr.contains("ledger.export_jsonl"), "{}", r.stderr);
    let text = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("read");
    assert!(!text.contains(&id));
    s.ok(&["config", "set", "ledger.export_jsonl", "true"]);
    let skipped = s
        .ok(&[
            "--batch",
            "-c",
            "ledger.export_jsonl=false",
            "bead",
            "create",
            "Skipped by flag",
        ])
        .stdout;
    let text = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("read");
    assert!(!text.contains(skipped.trim()));
    // The changes stayed marked and the next write catches up.
    s.create(&["Another"]);
    let text = s.jsonl();
    assert!(text.contains(&id), "{text}");
}

#[test]
fn demo_builds_a_town_once_and_reuses_it() {
    let s = Sandbox::new();
    let dir = s.path().join("demo");
    let r = s.gt_in(
        s.path(),
        &["--batch", "--json", "demo", dir.to_str().expect("utf8")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["demo"]["created"], true);
    assert_eq!(v["demo"]["beads"], 14, "12 beads and 2 convoys");
    let town = dir.clone();
    let rigs = s.gt_in(&town, &["--batch", "--json", "rig", "list"]).json();
    assert_eq!(rigs["count"], 2);
    let ready = s.gt_in(&town, &["--batch", "--json", "ready"]).json();
    assert_eq!(ready["count"], 8, "{ready}");
    let blocked = s.gt_in(&town, &["--batch", "--json", "blocked"]).json();
    assert_eq!(blocked["count"], 3, "{blocked}");
    let again = s
        .gt_in(
            s.path(),
            &["--batch", "--json", "demo", dir.to_str().expect("utf8")],
        )
        .json();
    assert_eq!(again["demo"]["created"], false);
    // A demo town made before the simulated runtimes existed gets them back on reuse.
    for name in ["demo-quick", "demo-steady", "demo-slow"] {
        let r = s.gt_in(&town, &["--batch", "config", "agent", "remove", name]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = s.gt_in(
        s.path(),
        &["--batch", "--json", "demo", dir.to_str().expect("utf8")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let agents = s
        .gt_in(&town, &["--batch", "--json", "config", "agent", "list"])
        .stdout;
    for name in ["demo-quick", "demo-steady", "demo-slow"] {
        assert!(agents.contains(name), "{name} missing: {agents}");
    }
    // Someone's real town is never taken for a demo (the demo starts agents on its work).
    let real = Sandbox::with_town();
    let before = std::fs::read_to_string(real.town().join("town.toml")).expect("read");
    let r = real.gt_in(
        real.path(),
        &["--batch", "demo", real.town().to_str().expect("utf8")],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("not a demo town"), "{}", r.stderr);
    let after = std::fs::read_to_string(real.town().join("town.toml")).expect("read");
    assert_eq!(before, after, "nothing written");
    // A non-empty directory that is not a town is left alone.
    let busy = s.path().join("busy");
    std::fs::create_dir_all(busy.join("x")).expect("mkdir");
    let r = s.gt_in(s.path(), &["demo", busy.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
}

#[test]
fn batch_stdin_takes_global_flags_and_sees_its_own_config_changes() {
    let s = Sandbox::with_town();
    let mut child = s
        .cmd(
            &s.town(),
            &["--json", "-c", "default_agent=amp", "--batch", "-"],
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"config get default_agent\nconfig set ledger.export_jsonl false\nbead create 'not exported'\nconfig get ledger.export_jsonl\n")
            .expect("write");
    }
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let docs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON document"))
        .collect();
    assert_eq!(docs.len(), 4);
    assert_eq!(
        (docs[0]["value"].as_str(), docs[0]["layer"].as_str()),
        (Some("amp"), Some("flag"))
    );
    let id = docs[2]["bead"]["id"].as_str().expect("id").to_string();
    assert_eq!(docs[3]["value"], false);
    let text = std::fs::read_to_string(s.town().join(".beads/issues.jsonl")).expect("read");
    assert!(
        !text.contains(&id),
        "the config change applied to the next line"
    );
    let r = s.gt(&["--batch", "ready", "-"]);
    assert_eq!(r.code, 2);
}

#[test]
fn json_mode_reports_failures_as_json_too() {
    let s = Sandbox::with_town();
    let r = s.gt(&["--batch", "--json", "show", "hq-nope"]);
    assert_eq!(r.code, 2);
    let v = r.json();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["error"]["code"], 2);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("hq-nope")
    );
    assert!(r.stderr.contains("hq-nope"));
    let export = s.json(&["bead", "export"]);
    assert_eq!(export["count"], 0);
    s.create(&["One"]);
    assert_eq!(s.json(&["bead", "export"])["issues"][0]["title"], "One");
}

/// Every setting `gt config set` writes into town.toml reads back as the value given (a type
/// written in a form its reader refuses would break every command of the town).
#[test]
fn every_town_setting_set_reads_back() {
    use gt::town::settings::{Kind, SETTINGS, Scope};
    let s = Sandbox::with_town();
    for setting in SETTINGS.iter().filter(|x| x.scopes.contains(&Scope::Town)) {
        let value = match setting.kind {
            Kind::Dollars => "7.5",
            _ if setting.default.is_empty() => continue,
            _ => setting.default,
        };
        s.ok(&["--batch", "config", "set", setting.key, value]);
        let got = s.json(&["config", "get", setting.key]);
        assert_eq!(
            got["value"].to_string().trim_matches('"'),
            value,
            "{}: {got}",
            setting.key
        );
        s.ok(&["--batch", "status"]);
    }
}

/// Issue 17: every operator control is in `gt --help` with an example, and its own help
/// carries one too.
#[test]
fn help_shows_every_operator_control_with_an_example() {
    let s = Sandbox::with_town();
    let top = s.gt(&["--help"]);
    assert_eq!(top.code, 0);
    for path in [
        "estop",
        "thaw",
        "rig park",
        "rig unpark",
        "rig dock",
        "rig undock",
        "rig status",
        "agent stop",
        "agent start",
        "agent restart",
        "polecat stale",
        "polecat gc",
        "assign",
        "convoy stage",
        "convoy launch",
        "convoy check",
        "mq integration create",
        "mq integration land",
        "mq integration status",
        "daemon logs",
        "daemon enable",
        "daemon disable",
        "broadcast",
        "compact",
    ] {
        assert!(
            top.stdout.contains(&format!("  gt {path}")),
            "`gt --help` shows `gt {path}`:\n{}",
            top.stdout
        );
        let mut args: Vec<&str> = path.split(' ').collect();
        args.push("--help");
        let own = s.gt(&args);
        assert_eq!(own.code, 0, "gt {path} --help: {}", own.stderr);
        assert!(
            own.stdout.contains("Example"),
            "gt {path} --help has an example:\n{}",
            own.stdout
        );
    }
    for flag in [
        "--message",
        "--stdin",
        "--args",
        "--base-branch",
        "--merge",
        "--dry-run",
    ] {
        assert!(
            s.gt(&["sling", "--help"]).stdout.contains(flag),
            "sling {flag}"
        );
    }
}
