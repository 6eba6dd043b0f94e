//! Many `sim` agents at once (issue 18; `BENCH_AGENTS`, default 200, the target 500):
//! - sling time for all of them;
//! - one workspace refresh: tmux processes (budget ≤ 3) and its time;
//! - `gt agents --json`: succeeds, and its time;
//! - memory: each simulator's PSS and private memory (its binary's pages are shared), and the
//!   town tmux server's memory per agent (agent windows keep 2000 lines of scrollback).
//!
//! `cargo bench --bench scale` (`BENCH_AGENTS=500 cargo bench --bench scale`)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    Down, create_beads, gt, gt_cmd, proc_kb, report_timings, sling_spread, town_tmux,
    town_with_rigs,
};
use std::path::Path;
use std::time::{Duration, Instant};

const RIGS: &[&str] = &["r1", "r2", "r3", "r4", "r5"];

fn sim_pids(town: &Path) -> Vec<u64> {
    town_tmux(
        town,
        &["list-panes", "-a", "-F", "#{@gt_agent} #{pane_pid}"],
    )
    .lines()
    .filter(|l| l.contains("/polecats/"))
    .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
    .collect()
}

fn tmux_server_pid(town: &Path) -> u64 {
    town_tmux(town, &["display-message", "-p", "#{pid}"])
        .trim()
        .parse()
        .expect("pid")
}

fn main() {
    let agents: usize = std::env::var("BENCH_AGENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let bt = town_with_rigs("gt-bench-scale-", RIGS);
    let town = bt.town.clone();
    common::sim_runtime(&town, "benchsim", "--busy 3600");
    let ids = create_beads(&town, agents, RIGS, "Scale work");
    let _down = Down(town.clone());

    // One polecat first: the tmux server's memory before the rest.
    sling_spread(&town, &ids[..1], &RIGS[..1], "benchsim");
    std::thread::sleep(Duration::from_secs(1));
    let server = tmux_server_pid(&town);
    let base_rss = proc_kb(server, "status", "VmRSS:");
    let t = Instant::now();
    sling_spread(&town, &ids[1..], RIGS, "benchsim");
    let slung = t.elapsed();
    println!(
        "{agents} sim agents in {} rigs: slung in {:.1} s",
        RIGS.len(),
        slung.as_secs_f64()
    );
    // Let every simulator draw its busy screen for a while.
    std::thread::sleep(Duration::from_secs(10));

    let ctx = gt::work::Ctx::open(&town).expect("town");
    let mut cache = gt::work::views::snapshot::Cache::new();
    let req = gt::work::views::snapshot::Request {
        identity: "overseer".into(),
        preview: None,
        preview_size: None,
        mayor_size: None,
    };
    let mut samples = Vec::new();
    let mut calls = 0;
    let mut problems = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let s = gt::work::views::snapshot::refresh(&ctx, &mut cache, &req).expect("refresh");
        samples.push(t.elapsed());
        calls = calls.max(s.tmux_calls);
        problems.extend(s.problems.clone());
    }
    let verdict = if calls <= 3 { "ok" } else { "OVER BUDGET" };
    println!(
        "workspace refresh, {agents} agents: at most {calls} tmux processes (budget 3: {verdict}); problems: {problems:?}"
    );
    report_timings(
        &format!("workspace refresh, {agents} agents"),
        samples,
        None,
    );

    let mut samples = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let out = gt_cmd(&town, &["--batch", "--json", "agents"])
            .output()
            .expect("gt");
        samples.push(t.elapsed());
        assert!(
            out.status.success(),
            "gt agents: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    report_timings(&format!("gt agents --json, {agents} agents"), samples, None);

    let pids = sim_pids(&town);
    let n = pids.len().max(1) as f64;
    let pss: u64 = pids
        .iter()
        .map(|p| proc_kb(*p, "smaps_rollup", "Pss:"))
        .sum();
    let private: u64 = pids
        .iter()
        .map(|p| {
            proc_kb(*p, "smaps_rollup", "Private_Clean:")
                + proc_kb(*p, "smaps_rollup", "Private_Dirty:")
        })
        .sum();
    let rss: u64 = pids.iter().map(|p| proc_kb(*p, "status", "VmRSS:")).sum();
    println!(
        "simulator memory, {} processes: PSS {:.2} MB each (private {:.2} MB; RSS {:.2} MB counts the shared binary)",
        pids.len(),
        pss as f64 / n / 1024.0,
        private as f64 / n / 1024.0,
        rss as f64 / n / 1024.0
    );
    let server_rss = proc_kb(server, "status", "VmRSS:");
    println!(
        "town tmux server: VmRSS {:.1} MB with {agents} agents, {:.0} kB per agent window",
        server_rss as f64 / 1024.0,
        server_rss.saturating_sub(base_rss) as f64 / (agents.saturating_sub(1).max(1)) as f64
    );
    let _ = gt(&town, &["--batch", "down", "--force"]);
}
