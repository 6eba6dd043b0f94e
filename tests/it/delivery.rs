//! Confirmed delivery against the simulator in each of its difficult modes: every message ends
//! delivered exactly once, or failed with a reason — never silent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

/// A town with a rig and one polecat running `sim <switches>`, slung a bead to get started.
fn agent_with(switches: &str, extra: &[&str]) -> (Sandbox, String) {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("thesim", switches, extra);
    let b = s.create(&["Something to do", "--rig", "rig"]);
    let agent = s.sling_agent(&[&b, "rig", "--agent", "thesim"]);
    (s, agent)
}

fn wait_idle(s: &Sandbox, agent: &str) {
    wait_for(30, "the agent to be idle at its prompt", || {
        let v = s.agent_view(agent);
        (v["session"] == "idle" && v["state"] == "idle").then_some(())
    });
}

fn nudge(s: &Sandbox, agent: &str, text: &str, wait: &str) -> Run {
    s.gt(&["--batch", "--json", "nudge", agent, text, "--wait", wait])
}

#[test]
fn a_busy_agent_gets_the_message_at_its_next_prompt() {
    let (s, agent) = agent_with("--busy 3", &[]);
    wait_for(10, "the agent to be busy", || {
        (s.agent_view(&agent)["session"] == "working").then_some(())
    });
    let r = nudge(&s, &agent, "while you were busy", "0");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = r.json();
    assert_eq!(d["delivery"]["state"], "queued", "{d}");
    let id = d["delivery"]["id"].as_i64().expect("id").to_string();
    assert_eq!(s.agent_view(&agent)["queued_messages"], 1);
    // The background deliverer hands it over once the agent is idle again.
    wait_for(30, "the queued message to be delivered", || {
        let st = s.json(&["nudge", "--status", &id]);
        (st["delivery"]["state"] == "delivered").then_some(())
    });
    let got = s.sim_received(&agent);
    assert_eq!(
        got.iter().filter(|t| *t == "while you were busy").count(),
        1,
        "{got:?}"
    );
    assert_eq!(s.agent_view(&agent)["queued_messages"], 0);
}

#[test]
fn a_swallowed_enter_is_pressed_again_and_the_text_arrives_once() {
    let (s, agent) = agent_with("--busy 0.2 --ignore-first-enter", &[]);
    wait_idle(&s, &agent);
    let r = nudge(&s, &agent, "press enter twice", "10");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["delivery"]["state"], "delivered");
    let got = s.sim_received(&agent);
    assert_eq!(
        got.iter().filter(|t| *t == "press enter twice").count(),
        1,
        "{got:?}"
    );
    assert_eq!(got.len(), 2, "beacon + message: {got:?}");
}

#[test]
fn a_slow_starting_agent_is_waited_for() {
    let (s, agent) = agent_with("--slow-start 2 --busy 0.2", &[]);
    let r = nudge(&s, &agent, "hello slowpoke", "30");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["delivery"]["state"], "delivered");
    let got = s.sim_received(&agent);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("[GAS TOWN]"),
        "the beacon first: {got:?}"
    );
    assert_eq!(got[1], "hello slowpoke");
}

#[test]
fn a_hung_agent_is_reported_not_silently_skipped() {
    let (s, agent) = agent_with("--hang", &[]);
    wait_for(10, "the prompt", || {
        (s.agent_view(&agent)["session"] == "idle").then_some(())
    });
    let r = nudge(&s, &agent, "are you there?", "5");
    assert_eq!(
        r.code, 1,
        "a failed delivery fails the command: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains("did not show the pasted text"),
        "{}",
        r.stderr
    );
    let d = r.json();
    assert_eq!(d["delivery"]["state"], "failed");
    let id = d["delivery"]["id"].as_i64().expect("id").to_string();
    let st = s.ok(&["nudge", "--status", &id]).stdout;
    assert!(st.contains("failed") && st.contains("hung"), "{st}");
    assert!(
        s.sim_received(&agent).is_empty(),
        "a hung agent read nothing"
    );
    // The failure is in the event log too.
    assert_eq!(
        s.sql("SELECT count(*) FROM events WHERE event_type = 'delivery_failed'"),
        "1"
    );
}

#[test]
fn text_is_delivered_verbatim_and_never_as_keys() {
    let (s, agent) = agent_with("--busy 0.2", &[]);
    wait_idle(&s, &agent);
    let marker = s.path().join("pwned");
    let tricky = format!(
        "C-c Enter ; kill-server $(touch {}) `touch {}` \\\\; send-keys C-d",
        marker.display(),
        marker.display()
    );
    let r = nudge(&s, &agent, &tricky, "10");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Escape sequences reach the agent as visible text, not as keys it would act on.
    let escapes = "colours \x1b[31mred\x1b[0m and an early paste end \x1b[201~ and ctrl-c \x03";
    let r = nudge(&s, &agent, escapes, "10");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let long: String = (0..10_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    wait_idle(&s, &agent);
    let r = s.gt_stdin(
        &["--batch", "nudge", &agent, "--stdin", "--wait", "10"],
        &long,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    wait_idle(&s, &agent);
    let got = s.sim_received(&agent);
    assert_eq!(got.len(), 4, "beacon + 3 messages: {got:?}");
    assert_eq!(got[1], tricky, "exactly the text");
    assert_eq!(
        got[2],
        "colours ^[[31mred^[[0m and an early paste end ^[[201~ and ctrl-c ^C"
    );
    assert_eq!(got[3], long, "all 10,000 characters, once");
    assert!(!marker.exists(), "nothing in the text was executed");
    assert_eq!(
        s.agent_view(&agent)["session"],
        "idle",
        "the agent is still running"
    );
}

#[test]
fn crashed_and_missing_sessions_fail_with_a_reason() {
    let (s, agent) = agent_with("--crash-after 1 --busy 30", &[]);
    wait_for(15, "the crash", || {
        (s.agent_view(&agent)["session"] == "exited").then_some(())
    });
    // tmux 3.3a sometimes leaves a crashed program unreaped and reports no status; when it
    // has one, it is the simulator's 3.
    let status = s.agent_view(&agent)["exit_status"].clone();
    assert!(status.is_null() || status == 3, "{status}");
    let r = nudge(&s, &agent, "anyone?", "2");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("program has exited"), "{}", r.stderr);
    // A window that is gone altogether.
    let window = s.agent_view(&agent)["window"]
        .as_str()
        .expect("window")
        .to_string();
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let _ = std::process::Command::new("tmux")
        .args(["-L", socket.trim(), "kill-window", "-t", &window])
        .output();
    let r = nudge(&s, &agent, "anyone at all?", "2");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no running session"), "{}", r.stderr);
    for (args, code) in [
        (vec!["nudge", "rig/polecats/nobody", "x"], 2),
        (vec!["nudge", &agent, "   "], 2),
        (vec!["nudge", "--status", "999"], 2),
    ] {
        assert_eq!(s.gt(&args).code, code, "{args:?}");
    }
}

#[test]
fn a_paste_prompt_runtime_gets_its_beacon_confirmed() {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("pastesim", "--busy 0.2", &["--prompt", "paste"]);
    let b = s.create(&["Pasted beacon", "--rig", "rig"]);
    let agent = s.sling_agent(&[&b, "rig", "--agent", "pastesim"]);
    wait_idle(&s, &agent);
    let got = s.sim_received(&agent);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("[GAS TOWN]"), "{got:?}");
    assert_eq!(
        s.json(&["show", &b])["bead"]["status"],
        "in_progress",
        "it worked and finished"
    );
}

fn tmux_of(s: &Sandbox, args: &[&str]) -> String {
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let o = std::process::Command::new("tmux")
        .arg("-L")
        .arg(socket.trim())
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn delivery_state(s: &Sandbox, id: &str) -> serde_json::Value {
    s.json(&["nudge", "--status", id])["delivery"].clone()
}

#[test]
fn a_second_message_is_not_held_up_by_a_deliverer_waiting_for_a_busy_agent() {
    let (s, agent) = agent_with("--busy 6", &[]);
    wait_for(10, "the agent to be busy", || {
        (s.agent_view(&agent)["session"] == "working").then_some(())
    });
    // The first leaves a background deliverer waiting for the agent's prompt.
    let first = nudge(&s, &agent, "first", "0");
    assert_eq!(first.json()["delivery"]["state"], "queued");
    let started = std::time::Instant::now();
    let second = nudge(&s, &agent, "second", "1");
    let took = started.elapsed();
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.json()["delivery"]["state"], "queued");
    // It gave up after its own 1 s wait, not after the agent's 6 s busy period.
    assert!(took < std::time::Duration::from_secs(4), "took {took:?}");
    let ids: Vec<String> = [&first, &second]
        .iter()
        .map(|r| r.json()["delivery"]["id"].as_i64().expect("id").to_string())
        .collect();
    wait_for(30, "both to be delivered", || {
        ids.iter()
            .all(|id| delivery_state(&s, id)["state"] == "delivered")
            .then_some(())
    });
    let got = s.sim_received(&agent);
    assert_eq!(
        &got[1..],
        ["first", "second"],
        "in order, once each: {got:?}"
    );
}

#[test]
fn a_tmux_failure_mid_delivery_fails_the_message_with_the_reason() {
    let (s, agent) = agent_with("--busy 0.2 --exit-on-input", &[]);
    wait_idle(&s, &agent);
    // Without remain-on-exit the window vanishes the moment the program exits, so the
    // steps after the paste hit a tmux error.
    let window = s.agent_view(&agent)["window"]
        .as_str()
        .expect("window")
        .to_string();
    tmux_of(
        &s,
        &["set-option", "-w", "-t", &window, "remain-on-exit", "off"],
    );
    let r = nudge(&s, &agent, "this kills it", "5");
    assert_eq!(r.code, 1, "{}", r.stdout);
    let d = r.json()["delivery"].clone();
    assert_eq!(d["state"], "failed", "{d}");
    assert_eq!(d["attempts"], 1, "pasted once: {d}");
    let reason = d["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("not pasted again"),
        "the reason says what happened: {reason}"
    );
    // Nothing is left in an unfinished state.
    assert_eq!(
        s.sql("SELECT count(*) FROM deliveries WHERE state IN ('queued', 'pasting', 'pasted')"),
        "0"
    );
}

#[test]
fn a_delivery_left_half_done_is_failed_and_never_pasted_again() {
    let (s, agent) = agent_with("--busy 3", &[]);
    wait_for(10, "the agent to be busy", || {
        (s.agent_view(&agent)["session"] == "working").then_some(())
    });
    let r = s.gt(&[
        "--batch",
        "--json",
        "nudge",
        &agent,
        "ghost",
        "--wait",
        "0",
        "--no-background",
    ]);
    let id = r.json()["delivery"]["id"].as_i64().expect("id").to_string();
    // As if the process delivering it had died between the paste and its outcome.
    s.sql(&format!(
        "UPDATE deliveries SET state = 'pasting' WHERE id = {id}"
    ));
    let after = nudge(&s, &agent, "after", "30");
    assert_eq!(after.json()["delivery"]["state"], "delivered");
    let ghost = delivery_state(&s, &id);
    assert_eq!(ghost["state"], "failed", "{ghost}");
    assert!(
        ghost["reason"]
            .as_str()
            .unwrap_or("")
            .contains("stopped while it was pasting"),
        "{ghost}"
    );
    let got = s.sim_received(&agent);
    assert!(!got.iter().any(|t| t == "ghost"), "{got:?}");
    assert_eq!(got.last().map(String::as_str), Some("after"));
}
