//! Agents on a remote host (issue 20), over a real OpenSSH server on 127.0.0.1 logging in as
//! another local user (the tests' `common::sshd`; needs root and openssh-server):
//! - a nudge confirmed on a remote agent, beside the same on a local one;
//! - the cost of a refresh (`gt agents`, the workspace's read) with agents on a host: ssh
//!   and tmux processes per refresh, and its time, beside a town of local agents only;
//! - the supervisor's look at a host: ssh processes per round;
//! - a command's round trip over the host's multiplexed connection.
//!
//! `cargo bench --bench hosts`. ssh and tmux are counted by wrappers first on PATH that log
//! each start and run the real program.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/common/browser.rs"]
mod browser;
mod common;
#[path = "../tests/it/common/sshd.rs"]
mod sshd;

use common::{create_beads, gt, gt_cmd, report_timings, sim_runtime, town_with_rigs};
use std::path::Path;
use std::time::{Duration, Instant};

const EACH: usize = 5;
const RUNS: usize = 15;

/// Wrappers for `ssh` and `tmux` that append a line to `log` per start.
fn counting_path(dir: &Path, log: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for (name, real) in [("ssh", "/usr/bin/ssh"), ("tmux", "/usr/bin/tmux")] {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\necho {name} >> '{}'\nexec {real} \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn count(log: &Path, name: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == name)
        .count()
}

fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn main() {
    let Some(sshd) = sshd::Sshd::start("bench hosts") else {
        eprintln!("the hosts bench needs root and openssh-server");
        std::process::exit(1);
    };
    let bt = town_with_rigs("gt-bench-hosts-", &["here", "there"]);
    let town = bt.town.clone();
    let log = bt.tmp.path().join("spawns.log");
    let path = counting_path(&bt.tmp.path().join("wrap"), &log);
    // SAFETY: set before any thread of this program starts.
    unsafe { std::env::set_var("PATH", &path) };
    gt(
        &town,
        &[
            "--batch",
            "config",
            "set",
            "ssh.config",
            sshd.ssh_config.to_str().unwrap(),
        ],
    );
    gt(&town, &["--batch", "host", "add", "box1", &sshd.url()]);
    gt(
        &town,
        &[
            "--batch",
            "config",
            "set",
            "polecats.hosts",
            "box1",
            "--rig",
            "there",
        ],
    );
    sim_runtime(&town, "benchsim", "--busy 0");
    // Work waits for a person's review: the polecats stay, idle at their prompts.
    gt(
        &town,
        &["--batch", "config", "set", "merge.review", "human"],
    );
    gt(&town, &["--batch", "up"]);
    let ids = create_beads(&town, 2 * EACH, &["here", "there"], "Bench");
    for rig in ["here", "there"] {
        let mut args = vec!["--batch", "sling"];
        let mine: Vec<&str> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| (*i % 2 == 0) == (rig == "here"))
            .map(|(_, b)| b.as_str())
            .collect();
        args.extend(mine);
        args.extend([rig, "--agent", "benchsim", "--no-convoy"]);
        gt(&town, &args);
    }
    let agents: serde_json::Value =
        serde_json::from_str(&gt(&town, &["--json", "agents"])).unwrap();
    let list = agents["agents"].as_array().unwrap().clone();
    let pick = |host: bool| {
        list.iter()
            .find(|a| a["role"] == "polecat" && a["host"].is_string() == host)
            .map(|a| a["address"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (local, remote) = (pick(false), pick(true));
    // Each finishes its bead (`gt done`, through the host's socket for the remote ones) and
    // waits at its prompt.
    wait_for(120, "every polecat idle", || {
        let v: serde_json::Value = serde_json::from_str(&gt(&town, &["--json", "agents"])).unwrap();
        v["agents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["role"] == "polecat")
            .all(|a| a["state"] == "idle" && a["session"] == "idle")
    });

    println!("== gt on a remote host ({EACH} sim agents on box1 over ssh, {EACH} local) ==");
    for (name, agent) in [("local", &local), ("remote", &remote)] {
        let mut samples = Vec::new();
        for i in 0..RUNS {
            let t = Instant::now();
            let out = gt_cmd(
                &town,
                &[
                    "--json",
                    "nudge",
                    agent,
                    &format!("ping {i}"),
                    "--wait",
                    "30",
                ],
            )
            .output()
            .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["delivery"]["state"], "delivered", "{v}");
            samples.push(t.elapsed());
        }
        report_timings(
            &format!("nudge confirmed, {name} agent"),
            samples,
            Some(1000.0),
        );
    }

    // A refresh: what the workspace reads every second.
    let mut times = Vec::new();
    let (ssh0, tmux0) = (count(&log, "ssh"), count(&log, "tmux"));
    for _ in 0..RUNS {
        let t = Instant::now();
        gt(&town, &["--json", "agents"]);
        times.push(t.elapsed());
    }
    // The supervisor's own ssh calls run meanwhile; they are counted below and taken out here.
    let ssh_refresh = count(&log, "ssh") - ssh0;
    let tmux_refresh = count(&log, "tmux") - tmux0;
    report_timings("refresh (gt agents) with agents on box1", times, None);
    println!(
        "per refresh: {:.2} tmux processes, {:.2} ssh processes (all sources, incl. the supervisor's look) — budget: no ssh round trip beyond one per host",
        tmux_refresh as f64 / RUNS as f64,
        ssh_refresh as f64 / RUNS as f64
    );

    // The supervisor's look at the host, alone.
    let s0 = count(&log, "ssh");
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(20));
    let rounds = t.elapsed().as_secs_f64() / 2.0;
    println!(
        "supervisor: {:.2} ssh processes per 2-s round for 1 host (local `ssh -O check`: no network round trip while the connection is up)",
        (count(&log, "ssh") - s0) as f64 / rounds
    );

    let c: serde_json::Value =
        serde_json::from_str(&gt(&town, &["--json", "host", "check", "box1"])).unwrap();
    println!(
        "one command over the multiplexed connection: {:.1} ms",
        c["checks"][0]["round_trip_ms"].as_f64().unwrap_or(f64::NAN)
    );
    let _ = gt_cmd(&town, &["--batch", "down", "--force"]).output();
}
