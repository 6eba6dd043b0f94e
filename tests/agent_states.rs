//! What agents receive through tmux: pasted text reaches an agent with its line feeds.

mod common;
use common::*;

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
