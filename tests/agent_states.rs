//! What agents show and receive through tmux: `gt agents` reads every agent's state off its
//! own screen, whatever its pane id; pasted text reaches an agent with its line feeds.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

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
