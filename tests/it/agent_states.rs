//! What agents show and receive through tmux: `gt agents` reads every agent's state off its
//! own screen, whatever its pane id, and finds the town's tmux server however the town's path
//! is spelled; pasted text reaches an agent with its line feeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// Kills a tmux server the sandbox would not find (its name is not in `.gt/tmux-socket`).
struct KillServer(String);

impl Drop for KillServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

/// Slings one bead per runtime in `runtimes` (in order) and returns the agents' addresses.
fn sling_each(s: &Sandbox, rig: &str, runtimes: &[&str]) -> Vec<String> {
    runtimes
        .iter()
        .enumerate()
        .map(|(i, rt)| {
            let b = s.create(&[&format!("Job {i}"), "--rig", rig]);
            let out = s.json(&["sling", &b, rig, "--agent", rt]);
            out["slung"][0]["agent"]
                .as_str()
                .expect("agent")
                .to_string()
        })
        .collect()
}

/// address → session state, from one `gt --json agents`.
fn sessions(v: &Value) -> BTreeMap<String, String> {
    v["agents"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["address"].as_str().unwrap_or("").to_string(),
                        x["session"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_agent_shows_its_own_idle_or_busy_state() {
    let s = Sandbox::with_sim_rig("rig");
    // Busy for the whole test, or done within a second and back at an empty prompt.
    s.sim_runtime("busysim", "--busy 600", &[]);
    s.sim_runtime("quicksim", "--busy 0.2", &[]);
    // Five panes (%0…%4 on a fresh server), states alternating, so a state read off the
    // wrong screen — or no screen — shows.
    let kinds = ["busysim", "quicksim", "busysim", "quicksim", "busysim"];
    let agents = sling_each(&s, "rig", &kinds);
    let want: BTreeMap<String, String> = agents
        .iter()
        .zip(kinds)
        .map(|(a, k)| {
            let state = if k == "busysim" { "working" } else { "idle" };
            (a.clone(), state.to_string())
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let v = loop {
        let v = s.json(&["agents"]);
        let seen = sessions(&v);
        if want.iter().all(|(a, st)| seen.get(a) == Some(st)) {
            break v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "wanted {want:?}\nlast seen {seen:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let ids: Vec<u32> = v["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter_map(|x| x["pane"].as_str()?.strip_prefix('%')?.parse().ok())
        .collect();
    assert!(
        ids.iter().any(|&id| id >= 3),
        "the test needs panes past %2: {ids:?}"
    );
}

/// The town reached as `$GT_TOWN` through a symlink with a trailing slash, from outside it.
fn gt_via_link(s: &Sandbox, args: &[&str]) -> Value {
    let link = s.path().join("link-to-town");
    if !link.exists() {
        std::os::unix::fs::symlink(s.town(), &link).expect("symlink");
    }
    let o = s
        .cmd(s.path(), args)
        .env("GT_TOWN", format!("{}/", link.display()))
        .output()
        .expect("run gt");
    assert!(
        o.status.success(),
        "gt {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json")
}

#[test]
fn the_town_has_one_server_however_its_path_is_spelled() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("busysim", "--busy 600", &[]);
    let agent = sling_each(&s, "rig", &["busysim"]).remove(0);
    wait_for(30, "the agent working", || {
        (s.agent_view(&agent)["session"] == "working").then_some(())
    });
    let recorded = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("recorded");
    let seen = gt_via_link(&s, &["--batch", "--json", "agents"]);
    assert_eq!(
        sessions(&seen).get(&agent).map(String::as_str),
        Some("working"),
        "the same agent, seen through the other spelling: {seen}"
    );
    // A second sling through that spelling lands on the same server, not a new one.
    let b = s.create(&["Another job", "--rig", "rig"]);
    gt_via_link(
        &s,
        &[
            "--batch", "--json", "sling", &b, "rig", "--agent", "busysim",
        ],
    );
    let all = s.json(&["agents"]);
    assert_eq!(all["count"], 2, "{all}");
    assert_eq!(
        std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("recorded"),
        recorded,
        "the record is unchanged"
    );
}

#[test]
fn the_recorded_server_name_is_used_and_a_bad_record_replaced() {
    let s = Sandbox::with_sim_rig("rig");
    let file = s.town().join(".gt/tmux-socket");
    // The recorded name wins over the path's hash when it was recorded for this town.
    let name = format!("gt-test-moved-{}", std::process::id());
    let _server = KillServer(name.clone());
    std::fs::write(&file, format!("{name}\n")).expect("write");
    let root = std::fs::canonicalize(s.town()).expect("canonical");
    std::fs::write(s.town().join(".gt/tmux-town"), root.display().to_string()).expect("write");
    s.sim_runtime("busysim", "--busy 600", &[]);
    let agent = sling_each(&s, "rig", &["busysim"]).remove(0);
    let panes = std::process::Command::new("tmux")
        .args(["-L", &name, "list-panes", "-a", "-F", "#{@gt_agent}"])
        .output()
        .expect("tmux");
    let listed = String::from_utf8_lossy(&panes.stdout).into_owned();
    assert!(listed.contains(&agent), "agent on {name}: {listed:?}");

    // Not a socket name: ignored and replaced with the town's own.
    std::fs::write(&file, "../../elsewhere -L x").expect("write");
    let v = s.json(&["agents"]);
    assert_eq!(
        sessions(&v).get(&agent).map(String::as_str),
        Some("no session"),
        "the agent's server is not the one named by garbage: {v}"
    );
    let now = std::fs::read_to_string(&file).expect("rewritten");
    assert!(
        now.starts_with("gt-") && gt::tmux::is_valid_socket_name(&now),
        "{now:?}"
    );
}

#[test]
fn a_multi_line_nudge_arrives_with_its_line_feeds() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("quicksim", "--busy 0.2", &[]);
    let agent = sling_each(&s, "rig", &["quicksim"]).remove(0);
    wait_for(30, "the agent idle", || {
        let v = s.agent_view(&agent);
        (v["session"] == "idle" && v["state"] == "idle").then_some(())
    });
    let text = "first line\nsecond line\n\n  indented fourth";
    let r = s.gt(&["--batch", "nudge", &agent, text, "--wait", "10"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let got = wait_for(10, "the nudge received", || {
        let got = s.sim_received(&agent);
        (got.len() >= 2).then_some(got)
    });
    assert_eq!(got[1], text, "byte for byte, no LF turned into CR");
}

#[test]
fn a_copy_of_a_town_does_not_drive_the_originals_agents() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("busysim", "--busy 600", &[]);
    let agent = sling_each(&s, "rig", &["busysim"]).remove(0);
    let copy = s.path().join("copy");
    let o = std::process::Command::new("cp")
        .args(["-a"])
        .arg(s.town())
        .arg(&copy)
        .output()
        .expect("cp");
    assert!(o.status.success());
    // The copy's record names the original's server, but not for the copy's path.
    let v = s.json_in(&copy, &["agents"]);
    assert_eq!(
        sessions(&v).get(&agent).map(String::as_str),
        Some("no session"),
        "the copy sees its own (empty) server: {v}"
    );
    let mine = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let theirs = std::fs::read_to_string(copy.join(".gt/tmux-socket")).expect("socket");
    assert_ne!(mine.trim(), theirs.trim());
    // And the original still sees its agent.
    assert_ne!(
        sessions(&s.json(&["agents"]))
            .get(&agent)
            .map(String::as_str),
        Some("no session")
    );
}

/// What a runtime reports through its hooks decides the verdict ahead of its screen: the
/// agent's own `gt agent event` (as its runtime's hook runs it) changes what `gt agents`
/// says at once.
#[test]
fn a_runtime_event_changes_the_verdict_at_once() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("idlesim", "--hang", &[]);
    let b = s.create(&["Sit at the prompt", "--rig", "r"]);
    let agent = s.sling_agent(&[&b, "r", "--agent", "idlesim"]);
    let hook = |kind: &str| {
        let payload = serde_json::json!({"session_id": "s-1234-abcd", "hook_event_name": "x"});
        s.runtime_event(&agent, kind, &payload);
    };
    let before = s.agent_view(&agent);
    assert_ne!(before["verdict"], "waiting", "{before}");
    hook("needs-input");
    let v = s.agent_view(&agent);
    assert_eq!(v["verdict"], "waiting", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("waits for a person"),
        "{v}"
    );
    assert_eq!(v["last_event"]["event"], "needs-input", "{v}");
    assert_eq!(v["last_event"]["session_id"], "s-1234-abcd", "{v}");
    // The session is recorded with the bead it works on.
    let on_bead = s.sql(&format!(
        "SELECT count(*) FROM events WHERE event_type = 'runtime_event' \
         AND new_value LIKE '%\"bead\":\"{b}\"%' AND new_value LIKE '%s-1234-abcd%'"
    ));
    assert_eq!(on_bead.trim(), "1", "one event so far, with its bead");
    hook("prompt-submit");
    let v = s.agent_view(&agent);
    assert_ne!(
        v["verdict"], "waiting",
        "a new prompt: no longer waiting: {v}"
    );
    hook("turn-end");
    let v = s.agent_view(&agent);
    assert_eq!(v["verdict"], "waiting", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("finished its turn"),
        "{v}"
    );
    // Only a known event is taken: anything else is bad input and changes nothing.
    let bad = s.gt(&["agent", "event", "SessionStart"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// Usage is read from a session's transcript a little at a time, through the same hook a
/// runtime runs: a chunk without answers, a line still being written, a streamed answer
/// written as several lines, an answer repeated by a resumed transcript — each counted once,
/// when whole. Answers of Claude Code's own notices (`<synthetic>`) cost nothing.
#[test]
fn transcript_usage_is_read_incrementally_and_counted_once() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("idlesim", "--hang", &[]);
    let b = s.create(&["Sit at the prompt", "--rig", "r"]);
    let agent = s.sling_agent(&[&b, "r", "--agent", "idlesim"]);
    let transcript = s.path().join("t.jsonl");
    let hook = |kind: &str, session: &str| {
        let payload = serde_json::json!({
            "session_id": session,
            "transcript_path": transcript.display().to_string(),
        });
        s.runtime_event(&agent, kind, &payload);
    };
    let answer = |id: &str, model: &str, out: u64| {
        format!(
            "{}\n",
            serde_json::json!({"type": "assistant", "timestamp": "2026-12-04T10:00:00Z",
                "message": {"id": id, "model": model, "content": [],
                    "usage": {"input_tokens": 100, "output_tokens": out,
                              "cache_creation_input_tokens": 10, "cache_read_input_tokens": 1000}}})
        )
    };
    let append = |text: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&transcript)
            .expect("open");
        f.write_all(text.as_bytes()).expect("append");
    };
    let totals = || {
        let r = s.json(&["costs", "--by", "bead"]);
        let l = r["lines"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["key"] == b.as_str()).cloned())
            .unwrap_or_default();
        (
            l["turns"].as_i64().unwrap_or(0),
            l["output"].as_i64().unwrap_or(0),
            l["cache_read"].as_i64().unwrap_or(0),
        )
    };
    append("{\"type\":\"user\",\"message\":{\"content\":\"hi\"}}\n");
    hook("session-start", "sess-1");
    assert_eq!(totals(), (0, 0, 0), "no answer yet");
    // A streamed answer: two lines, the last with the final usage; then a line half written.
    append(&answer("m1", "claude-x", 1));
    append(&answer("m1", "claude-x", 40));
    let whole = answer("m2", "claude-x", 5);
    append(&whole[..30]);
    hook("turn-end", "sess-1");
    assert_eq!(totals(), (1, 40, 1000));
    append(&whole[30..]);
    append(&answer("n1", "<synthetic>", 0));
    hook("turn-end", "sess-1");
    assert_eq!(totals(), (2, 45, 2000));
    // A resumed conversation under a new id whose transcript repeats m1 and m2.
    append(&answer("m1", "claude-x", 40));
    append(&answer("m2", "claude-x", 5));
    append(&answer("m3", "claude-x", 7));
    hook("session-start", "sess-2");
    hook("turn-end", "sess-2");
    assert_eq!(totals(), (3, 52, 3000));
    let sessions = s.json(&["seance", &b, "--list"]);
    assert_eq!(sessions["count"], 2, "{sessions}");
    assert_eq!(sessions["sessions"][1]["end_reason"], "superseded");
}

/// What a hook hands the agent (unread mail, `gt prime`, a reminder) passes the one seam:
/// a subject or title with control characters reaches it as visible text, never raw.
#[test]
fn hook_answers_carry_no_control_characters() {
    let s = Sandbox::with_sim_rig("r");
    s.sim_runtime("idlesim", "--hang", &[]);
    let b = s.create(&["Title \u{1b}[2J with escapes", "--rig", "r"]);
    let agent = s.sling_agent(&[&b, "r", "--agent", "idlesim"]);
    s.ok(&[
        "mail",
        "send",
        &agent,
        "-s",
        "Bell \u{7} and \u{1b}]0;title\u{7}",
        "-m",
        "x",
    ]);
    let payload = serde_json::json!({"session_id": "s-seam"});
    for (kind, dialect) in [
        ("prompt-submit", "claude-settings"),
        ("session-start", "gemini-settings"),
        ("turn-end", "codex-args"),
        ("prompt-submit", "opencode-plugin"),
    ] {
        let said = s.runtime_event_for(&agent, kind, Some(dialect), &payload);
        assert!(!said.trim().is_empty(), "{kind}/{dialect}: gt said nothing");
        assert!(
            !said.contains('\u{1b}') && !said.contains('\u{7}'),
            "{kind}/{dialect}: raw control characters: {said:?}"
        );
        // JSON answers must not carry them escaped either.
        assert!(
            !said.contains("\\u001b") && !said.contains("\\u0007"),
            "{kind}/{dialect}: escaped control characters: {said}"
        );
    }
}
