//! Start failures are loud: a runtime that exits, never shows its prompt, or stops at a
//! screen only a person can answer fails the sling with its own last words and leaves
//! nothing behind; gt answers the dialogs the town's configuration already decided; the
//! witness calls such agents start-failed or blocked and never restarts them in a loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

/// Defines a runtime from a bash script (`{gt}` is this gt) that reads like the simulator.
/// The beacon, given as the last argument, is the script's `$0`.
fn script_runtime(s: &Sandbox, name: &str, script: &str, extra: &[&str]) {
    s.simlike_runtime(name, &format!("bash -c {}", shell_quote(script)), extra);
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn nothing_left(s: &Sandbox, bead: &str) {
    let b = &s.json(&["show", bead])["bead"];
    assert_eq!(b["status"], "open", "{b}");
    assert!(b["assignee"].is_null() || b["assignee"] == "", "{b}");
    let agents = s.json(&["agents"]);
    assert_eq!(
        agents["agents"].as_array().map(Vec::len),
        Some(0),
        "no half-made polecat: {agents}"
    );
    assert!(
        !s.town().join("rig/polecats/ash").exists(),
        "its worktree is gone"
    );
}

#[test]
fn a_runtime_that_exits_at_start_fails_the_sling_with_its_own_words() {
    let s = Sandbox::with_sim_rig("rig");
    script_runtime(
        &s,
        "broken",
        "echo \"fatal: cannot open ~/.broken/config\"; exit 3",
        &[],
    );
    let bead = s.create(&["Never starts", "--rig", "rig"]);
    let r = s.gt(&["--batch", "sling", &bead, "rig", "--agent", "broken"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(!r.stdout.contains("Slung"), "{}", r.stdout);
    for want in [
        "before reaching its prompt",
        "fatal: cannot open ~/.broken/config",
        "was undone",
    ] {
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
    // The status is given when tmux reaped the process. A tmux server started by gt sometimes
    // leaves the exited runtime a zombie it never reaps (seen on this machine under load; the
    // same with earlier builds), and then no status is claimed — never a wrong one.
    assert!(
        r.stderr.contains("exited with status 3 before")
            || r.stderr.contains("broken exited before"),
        "{}",
        r.stderr
    );
    nothing_left(&s, &bead);
}

#[test]
fn a_runtime_that_never_shows_its_prompt_fails_after_its_startup_time() {
    let s = Sandbox::with_sim_rig("rig");
    script_runtime(
        &s,
        "stuck",
        "echo \"Loading plugins (12 of 13)\"; sleep 300",
        &["--startup-timeout", "2"],
    );
    let bead = s.create(&["Never ready", "--rig", "rig"]);
    let r = s.gt(&["--batch", "sling", &bead, "rig", "--agent", "stuck"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did not reach its prompt within 2 s")
            && r.stderr.contains("Loading plugins (12 of 13)"),
        "{}",
        r.stderr
    );
    nothing_left(&s, &bead);
}

/// A trust dialog of the agent's own worktree is answered by gt (it made that folder for
/// this agent); the same screen marked as a person's blocks the start, with its text.
#[test]
fn gt_answers_only_the_dialogs_the_configuration_decided() {
    let s = Sandbox::with_sim_rig("rig");
    let dialog = "printf \"Do you trust this folder?\\n  1. Yes, trust it\\n  2. No, exit\\n\"; read -r -n1 k; if [ \"$k\" = 1 ]; then exec {gt} agent sim --busy 30 \"$0\"; else echo \"refused: $k\"; exit 9; fi";
    let trust = r#"dialogs=[{name="trust", screen=["Do you trust this folder?"], keys=["1"], answer="trust_worktree"}]"#;
    script_runtime(&s, "asks", dialog, &["--field", trust]);
    let bead = s.create(&["Trusted", "--rig", "rig"]);
    let out = s.json(&["sling", &bead, "rig", "--agent", "asks"]);
    assert_eq!(
        out["slung"][0]["answered_dialogs"],
        serde_json::json!(["trust"])
    );
    let agent = out["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    wait_for(20, "the simulator to take its beacon", || {
        s.sim_received(&agent)
            .iter()
            .any(|t| t.contains(&bead))
            .then_some(())
    });

    let person = trust
        .replace("trust_worktree", "person")
        .replace("keys=[\"1\"], ", "");
    script_runtime(&s, "asks-a-person", dialog, &["--field", &person]);
    let other = s.create(&["Not for gt to answer", "--rig", "rig"]);
    let r = s.gt(&[
        "--batch",
        "sling",
        &other,
        "rig",
        "--agent",
        "asks-a-person",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("stopped at its \"trust\" screen (only a person can answer it)")
            && r.stderr.contains("Do you trust this folder?"),
        "{}",
        r.stderr
    );
    let b = &s.json(&["show", &other])["bead"];
    assert_eq!(b["status"], "open", "{b}");
}

fn view(s: &Sandbox, agent: &str) -> Value {
    s.agent_view(agent)
}

/// A polecat whose runtime can no longer start: the witness restarts it once (its window
/// was gone), sees it die before its prompt, calls it start-failed with the runtime's words,
/// escalates once and never restarts it again; Attention shows it.
#[test]
fn a_runtime_that_cannot_start_is_not_restarted_in_a_loop() {
    let s = Sandbox::with_sim_rig("rig");
    for (k, v) in [
        ("witness.interval_secs", "1"),
        ("witness.grace_secs", "1"),
        ("witness.backoff_secs", "1"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
    s.sim_runtime("fragile", "--busy 600", &[]);
    let bead = s.create(&["Long job", "--rig", "rig"]);
    let agent = s.sling_agent(&[&bead, "rig", "--agent", "fragile"]);
    // Its runtime breaks (an upgrade gone wrong), then its window goes.
    s.ok(&[
        "--batch",
        "config",
        "agent",
        "set",
        "fragile",
        "bash -c 'echo \"error: libfoo.so.3 missing\"; exit 127'",
    ]);
    let window = view(&s, &agent)["window"]
        .as_str()
        .expect("window")
        .to_string();
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let st = std::process::Command::new("tmux")
        .args(["-L", socket.trim(), "kill-window", "-t", &window])
        .status()
        .expect("tmux");
    assert!(st.success());
    s.ok(&["--batch", "up"]);
    let v = wait_for(60, "the start-failed verdict", || {
        let v = view(&s, &agent);
        (v["verdict"] == "start-failed").then_some(v)
    });
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("libfoo.so.3 missing"),
        "{v}"
    );
    // Several witness rounds later: one restart, one escalation, nothing more.
    std::thread::sleep(std::time::Duration::from_secs(6));
    let count = |kind: &str| {
        s.sql(&format!(
            "SELECT count(*) FROM events WHERE event_type = '{kind}' AND new_value LIKE '%{agent}%'"
        ))
    };
    assert_eq!(
        count("witness_restart"),
        "1",
        "{}",
        s.sql("SELECT event_type || ' ' || coalesce(new_value, '') FROM events WHERE event_type LIKE 'witness%'")
    );
    assert_eq!(count("witness_escalate"), "1");
    assert_eq!(view(&s, &agent)["verdict"], "start-failed");
    let status = s.json(&["status"]);
    let attention = status.to_string();
    assert!(
        attention.contains("start-failed") && attention.contains(&agent),
        "Attention shows it: {status:#}"
    );
}

/// A crew member whose runtime reached its prompt and later stops at a screen only a person
/// can answer reads blocked, with the screen's text; Attention shows it.
#[test]
fn a_session_stuck_on_a_persons_dialog_reads_blocked() {
    let s = Sandbox::with_sim_rig("rig");
    let script = "printf \"%s\\nsim❯ \\n\" \"$0\"; sleep 2; printf \"\\nAllow this tool to read /etc/shadow?\\n  1. Allow  2. Deny\\n\"; sleep 300";
    let dialog =
        r#"dialogs=[{name="tool permission", screen=["Allow this tool"], answer="person"}]"#;
    script_runtime(&s, "asker", script, &["--field", dialog]);
    s.ok(&[
        "--batch", "crew", "add", "kim", "--rig", "rig", "--agent", "asker",
    ]);
    let v = wait_for(30, "the blocked verdict", || {
        let v = view(&s, "rig/crew/kim");
        (v["verdict"] == "blocked").then_some(v)
    });
    assert_eq!(v["session"], "blocked", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("tool permission")
            && v["reason"].as_str().unwrap_or("").contains("/etc/shadow"),
        "{v}"
    );
    let status = s.json(&["status"]).to_string();
    assert!(status.contains("blocked"), "{status}");
}
