//! Confirmed delivery against the simulator in each of its difficult modes: every message ends
//! delivered exactly once, or failed with a reason — never silent.

mod common;
use common::*;

/// A town with a rig and one polecat running `sim <switches>`, slung a bead to get started.
fn agent_with(switches: &str, extra: &[&str]) -> (Sandbox, String) {
    let s = Sandbox::with_sim_rig("rig");
    s.sim_runtime("thesim", switches, extra);
    let b = s.create(&["Something to do", "--rig", "rig"]);
    let out = s.json(&["sling", &b, "rig", "--agent", "thesim"]);
    let agent = out["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
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
    let out = s.json(&["sling", &b, "rig", "--agent", "pastesim"]);
    let agent = out["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
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
