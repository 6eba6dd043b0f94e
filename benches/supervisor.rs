//! Supervisor figures with 100 `sim` agents working at once (DESIGN.md §12, issue 7):
//! - the supervisor's memory (VmRSS and its peak; budget ≤ 100 MB) and CPU while it watches;
//! - how long a witness round over 50 agents takes;
//! - time from an agent's crash (its process killed) to the witness's verdict (budget ≤ 10 s).
//!
//! `cargo bench --bench supervisor`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    Down, create_beads, gt, sim_runtime, sling_spread, supervisor_pid, town_with_rigs, usage_over,
    verdict, witness_report,
};
use std::time::Duration;

const AGENTS: usize = 100;

fn main() {
    let bt = town_with_rigs("gt-bench-sup-", &["bench", "bench2"]);
    let town = bt.town.clone();
    sim_runtime(&town, "benchsim", "--busy 3600");
    let ids = create_beads(&town, AGENTS, &["bench", "bench2"], "Bench work");
    sling_spread(&town, &ids, &["bench", "bench2"], "benchsim");
    println!("town: {AGENTS} sim agents working (busy for an hour each), 2 rigs");

    let _down = Down(town.clone());
    gt(&town, &["--batch", "up"]);
    let pid = supervisor_pid(&town);
    // Let every duty make several rounds over the 100 agents.
    std::thread::sleep(Duration::from_secs(15));
    let u = usage_over(pid, Duration::from_secs(20));
    println!(
        "supervisor memory, {AGENTS} agents: VmRSS {:.1} MB, peak {:.1} MB (budget 100 MB: {})",
        u.rss_mb,
        u.hwm_mb,
        verdict(u.hwm_mb <= 100.0)
    );
    println!(
        "supervisor CPU while watching {AGENTS} agents: {:.1}% of a core",
        u.cpu_pct
    );
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
    let notice = common::crash_to_verdict(&town, "bench", 5);
    common::report_timings("crash → witness verdict (zombie)", notice, Some(10_000.0));
}
