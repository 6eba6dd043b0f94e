//! Supervisor figures with 100 `sim` agents working at once (DESIGN.md §12, issue 7):
//! - the supervisor's memory (VmRSS and its peak; budget ≤ 100 MB) and CPU while it watches;
//! - how long a witness round over 50 agents takes;
//! - time from an agent's crash (its process killed) to the witness's verdict (budget ≤ 10 s).
//!
//! `cargo bench --bench supervisor`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    Down, cpu_ticks, create_beads, gt, proc_kb, sim_runtime, sling_spread, ticks_per_sec,
    town_with_rigs, witness_report,
};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const AGENTS: usize = 100;

fn json(town: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&gt(town, &a)).expect("json")
}

fn main() {
    let bt = town_with_rigs("gt-bench-sup-", &["bench", "bench2"]);
    let town = bt.town.clone();
    sim_runtime(&town, "benchsim", "--busy 3600");
    let ids = create_beads(&town, AGENTS, &["bench", "bench2"], "Bench work");
    sling_spread(&town, &ids, &["bench", "bench2"], "benchsim");
    println!("town: {AGENTS} sim agents working (busy for an hour each), 2 rigs");

    let _down = Down(town.clone());
    gt(&town, &["--batch", "up"]);
    let pid = json(&town, &["daemon", "status"])["daemon"]["status"]["pid"]
        .as_u64()
        .expect("supervisor pid");
    // Let every duty make several rounds over the 100 agents.
    std::thread::sleep(Duration::from_secs(15));
    let ticks0 = cpu_ticks(pid as u32).0;
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(20));
    let cpu =
        (cpu_ticks(pid as u32).0 - ticks0) as f64 / ticks_per_sec() / t0.elapsed().as_secs_f64()
            * 100.0;
    let rss = proc_kb(pid, "status", "VmRSS:") as f64 / 1024.0;
    let hwm = proc_kb(pid, "status", "VmHWM:") as f64 / 1024.0;
    let verdict = if hwm <= 100.0 { "ok" } else { "OVER BUDGET" };
    println!(
        "supervisor memory, {AGENTS} agents: VmRSS {rss:.1} MB, peak {hwm:.1} MB (budget 100 MB: {verdict})"
    );
    println!("supervisor CPU while watching {AGENTS} agents: {cpu:.1}% of a core");
    let rounds: Vec<u64> = ["bench", "bench2"]
        .iter()
        .map(|r| witness_report(&town, r)["took_ms"].as_u64().unwrap_or(0))
        .collect();
    println!(
        "witness round over {} agents: {} ms and {} ms (one per rig, interval 3 s)",
        AGENTS / 2,
        rounds[0],
        rounds[1]
    );

    // Crashes: kill an agent's process and time the witness's verdict.
    let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("socket");
    let panes = Command::new("tmux")
        .args([
            "-L",
            socket.trim(),
            "list-panes",
            "-a",
            "-F",
            "#{pane_pid} #{@gt_agent}",
        ])
        .output()
        .expect("tmux");
    let victims: Vec<(String, String)> = String::from_utf8_lossy(&panes.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, a)| a.starts_with("bench/polecats/"))
        .take(5)
        .map(|(p, a)| (p.to_string(), a.to_string()))
        .collect();
    let mut notice = Vec::new();
    for (p, agent) in victims {
        let t = Instant::now();
        let _ = Command::new("kill").args(["-KILL", &p]).status();
        loop {
            let rep = witness_report(&town, "bench");
            let seen = rep["agents"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["address"] == agent.as_str() && x["verdict"] == "zombie")
            });
            if seen || t.elapsed() > Duration::from_secs(30) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        notice.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(700));
    }
    common::report_timings("crash → witness verdict (zombie)", notice, Some(10_000.0));
}
