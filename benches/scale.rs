//! Many `sim` agents at once (issue 18; `BENCH_AGENTS`, default 200, the target 500):
//! - sling time for all of them;
//! - one workspace refresh: tmux processes (budget ≤ 3) and its time;
//! - `gt agents --json`: succeeds, and its time;
//! - memory: each simulator's PSS and private memory (its binary's pages are shared), and the
//!   town tmux server's memory per agent (agent windows keep 2000 lines of scrollback);
//! - a witness round over one rig (rigs hold up to 250 agents), in-process: budget ≤ 100 ms;
//! - the workspace in a terminal: keystroke → frame (budget ≤ 2 ms) and tmux processes per
//!   refresh (budget ≤ 3);
//! - the supervisor (`gt up`) while they all work: VmRSS/VmHWM (budget ≤ 100 MB) and CPU over
//!   30 s (budget ≤ 5% of a core);
//! - crash → verdict: an agent's program killed until its witness says zombie (budget ≤ 1 s).
//!
//! `cargo bench --bench scale` (`BENCH_AGENTS=500 cargo bench --bench scale`)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    Down, Workspace, create_beads, gt, gt_cmd, proc_kb, report_timings, sling_spread, summary_us,
    supervisor_pid, town_tmux, town_with_rigs, usage_over, verdict,
};
use std::path::Path;
use std::time::{Duration, Instant};

/// The most agents one rig gets (the witness round is over a rig of 250).
const PER_RIG: usize = 250;

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
    let names: Vec<String> = (1..=agents.div_ceil(PER_RIG).max(1))
        .map(|i| format!("r{i}"))
        .collect();
    let rigs: Vec<&str> = names.iter().map(String::as_str).collect();
    let rigs = rigs.as_slice();
    let bt = town_with_rigs("gt-bench-scale-", rigs);
    let town = bt.town.clone();
    common::sim_runtime(&town, "benchsim", "--busy 3600");
    // The workspace only looks: the supervisor is `gt up`'s, measured on its own.
    gt(
        &town,
        &["--batch", "config", "set", "ui.supervise", "false"],
    );
    let ids = create_beads(&town, agents, rigs, "Scale work");
    let _down = Down(town.clone());

    // One polecat first: the tmux server's memory before the rest.
    sling_spread(&town, &ids[..1], &rigs[..1], "benchsim");
    std::thread::sleep(Duration::from_secs(1));
    let server = tmux_server_pid(&town);
    let base_rss = proc_kb(server, "status", "VmRSS:");
    let t = Instant::now();
    // Bead i is rig i % n's: the rest start at bead 1, so the rigs turn by one.
    let turned: Vec<&str> = rigs[1..].iter().chain(&rigs[..1]).copied().collect();
    sling_spread(&town, &ids[1..], &turned, "benchsim");
    let slung = t.elapsed();
    println!(
        "{agents} sim agents in {} rigs: slung in {:.1} s",
        rigs.len(),
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
        screens: Vec::new(),
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

    witness_round(&town, rigs[0]);
    // `BENCH_ONLY=witness`: the rounds alone (with BENCH_WITNESS_ROUNDS, for a profiler).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("witness") {
        return;
    }
    workspace(&bt, agents);
    supervisor(&town, agents, rigs);

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

/// Rounds of the witness of `rig`, in this process, as the supervisor's duty runs them.
fn witness_round(town: &Path, rig: &str) {
    let mut ctx = gt::work::Ctx::open(town).expect("town");
    ctx.actor = "witness".into();
    let cfg = ctx.town.rig(rig).expect("rig");
    let mut st = gt::work::witness::WitnessState::default();
    let mut samples = Vec::new();
    let mut size = 0;
    // More rounds for a profiler to look at: `BENCH_WITNESS_ROUNDS=200`.
    let rounds = std::env::var("BENCH_WITNESS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8usize);
    for _ in 0..rounds.max(2) {
        let t = Instant::now();
        let rep = gt::work::witness::tick(&mut ctx, &cfg, &mut st).expect("witness round");
        samples.push(t.elapsed());
        size = rep.agents.len();
    }
    // The first round records every agent's verdict (a ledger event each): shown apart.
    let first = samples.remove(0);
    println!(
        "witness round, first (records {size} verdicts):          {:.1} ms",
        first.as_secs_f64() * 1000.0
    );
    report_timings(
        &format!("witness round over a rig of {size} agents"),
        samples,
        Some(100.0),
    );
}

/// The workspace in a terminal: keystroke → frame while browsing the agents, and the tmux
/// processes each of its refreshes ran.
fn workspace(bt: &common::BenchTown, agents: usize) {
    let ws = Workspace::open(
        &bt.town,
        bt.tmp.path(),
        &format!("{agents} agents: {agents} working"),
        Duration::from_secs(120),
    );
    if let Ok(out) = std::env::var("GT_BENCH_SCREEN") {
        let _ = std::fs::write(out, ws.screen());
    }
    ws.browse(60);
    let stats = ws.quit();
    let max = stats.tmux_per_refresh.iter().copied().max().unwrap_or(0);
    println!(
        "workspace, {agents} agents: tmux processes per refresh max {max} ({} refreshes; budget 3: {})",
        stats.tmux_per_refresh.len(),
        verdict(max <= 3)
    );
    summary_us(
        &format!("keystroke → frame, {agents} agents"),
        stats.key_to_frame_us,
        Some(2.0),
    );
    summary_us(
        &format!("frame render (live, 160×45), {agents} agents"),
        stats.render_us,
        None,
    );
}

/// `gt up` with every agent working: the supervisor's memory and CPU, then crashes.
fn supervisor(town: &Path, agents: usize, rigs: &[&str]) {
    gt(town, &["--batch", "up"]);
    let pid = supervisor_pid(town);
    // Every duty makes a few rounds over the agents first.
    std::thread::sleep(Duration::from_secs(15));
    let u = usage_over(pid, Duration::from_secs(30));
    println!(
        "supervisor, {agents} agents working: VmRSS {:.1} MB, VmHWM {:.1} MB (budget 100 MB: {}); CPU {:.2}% of a core over 30 s (budget 5%: {})",
        u.rss_mb,
        u.hwm_mb,
        verdict(u.hwm_mb <= 100.0),
        u.cpu_pct,
        verdict(u.cpu_pct <= 5.0)
    );
    for r in rigs {
        let rep = common::witness_report(town, r);
        println!(
            "  its witness of {r}: last round {} ms over {} agents",
            rep["took_ms"].as_u64().unwrap_or(0),
            rep["agents"].as_array().map_or(0, Vec::len)
        );
    }
    let notice = common::crash_to_verdict(town, rigs[0], 6);
    let each: Vec<u128> = notice.iter().map(|d| d.as_millis()).collect();
    println!("  each crash → verdict, in order (ms): {each:?}");
    report_timings(
        &format!("crash → witness verdict, {agents} agents"),
        notice,
        Some(1000.0),
    );
}
