//! The operator's brakes and dials with 40 `sim` agents busy at once (issue 17):
//! - `gt estop` (every busy runtime interrupted and seen leaving its turn) and `gt thaw`
//!   (each told to go on), beside their floor: one tmux capture and one key per agent;
//! - `gt rig dock` (every session stopped) and `gt rig undock` (every session started again);
//! - `gt rig status`, `gt sling --dry-run`, `gt polecat stale`, `gt polecat gc --dry-run`.
//!
//! DESIGN.md §12 sets no budget for these; the budgets below are this issue's own: an
//! emergency stop of 40 agents within 1 s, `rig status` and a dry run within 50 ms.
//!
//! `cargo bench --bench brakes`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    Down, create_beads, gt, gt_cmd, report_timings, sling_spread, town_tmux, town_with_rigs,
};
use std::path::Path;
use std::time::{Duration, Instant};

const AGENTS: usize = 40;

fn panes(town: &Path) -> Vec<String> {
    town_tmux(town, &["list-panes", "-a", "-F", "#{@gt_agent} #{pane_id}"])
        .lines()
        .filter(|l| l.contains("/polecats/"))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

fn busy_count(town: &Path) -> usize {
    panes(town)
        .iter()
        .filter(|p| town_tmux(town, &["capture-pane", "-p", "-t", p]).contains("esc to interrupt"))
        .count()
}

fn wait_busy(town: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while busy_count(town) < n {
        assert!(Instant::now() < deadline, "agents never all busy");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every polecat finished its work (done, free for the next bead).
fn wait_all_idle(town: &Path) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let v: serde_json::Value =
            serde_json::from_str(&gt(town, &["--batch", "--json", "polecat", "list"]))
                .expect("json");
        let idle = v["polecats"]
            .as_array()
            .is_some_and(|a| a.iter().all(|p| p["state"] == "idle"));
        if idle {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "polecats never all done after the thaw"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn timed(town: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = gt_cmd(town, args).output().expect("gt");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "gt {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

fn main() {
    let bt = town_with_rigs("gt-bench-brakes-", &["bench"]);
    let town = bt.town.clone();
    gt(
        &town,
        &[
            "--batch",
            "config",
            "agent",
            "set",
            "benchsim",
            "{gt} agent sim --busy 3600",
            "--ready-marker",
            "sim❯",
            "--busy-marker",
            "(esc to interrupt)",
            "--escape-cancels",
            "true",
        ],
    );
    let ids = create_beads(&town, AGENTS, &["bench"], "Bench work");
    let _down = Down(town.clone());
    sling_spread(&town, &ids, &["bench"], "benchsim");
    wait_busy(&town, AGENTS);
    println!("town: {AGENTS} sim agents busy (for an hour each), 1 rig");

    // Floor: what an estop must do per agent at least — read its screen, press a key.
    let ps = panes(&town);
    let t = Instant::now();
    for p in &ps {
        town_tmux(&town, &["capture-pane", "-p", "-t", p]);
        town_tmux(&town, &["display-message", "-p", "-t", p, "#{pane_id}"]);
    }
    let floor = t.elapsed();
    println!(
        "floor: one capture and one key for each of {} agents, one tmux process each: {:.0} ms",
        ps.len(),
        floor.as_secs_f64() * 1000.0
    );

    let (mut stops, mut thaws) = (Vec::new(), Vec::new());
    for round in 0..3 {
        if round > 0 {
            // Told to go on, each simulator finished its work: new work for the same polecats.
            let ids = create_beads(&town, AGENTS, &["bench"], "More bench work");
            sling_spread(&town, &ids, &["bench"], "benchsim");
            wait_busy(&town, AGENTS);
        }
        stops.push(timed(&town, &["--batch", "estop", "-m", "bench"]));
        assert_eq!(busy_count(&town), 0, "every agent left its turn");
        thaws.push(timed(&town, &["--batch", "thaw"]));
        wait_all_idle(&town);
    }
    report_timings(
        &format!("gt estop, {AGENTS} busy agents interrupted"),
        stops,
        Some(1000.0),
    );
    report_timings(
        &format!("gt thaw, {AGENTS} agents told to go on"),
        thaws,
        None,
    );

    let dock = timed(&town, &["--batch", "rig", "dock", "bench"]);
    let undock = timed(&town, &["--batch", "rig", "undock", "bench"]);
    report_timings(
        &format!("gt rig dock, {AGENTS} sessions stopped"),
        vec![dock],
        None,
    );
    report_timings(
        &format!("gt rig undock, {AGENTS} sessions started again"),
        vec![undock],
        None,
    );

    let extra = create_beads(&town, 1, &["bench"], "Dry run");
    for (name, args) in [
        (
            "gt rig status",
            vec!["--batch", "--json", "rig", "status", "bench"],
        ),
        (
            "gt sling --dry-run",
            vec![
                "--batch",
                "--json",
                "sling",
                &extra[0],
                "bench",
                "--dry-run",
            ],
        ),
        (
            "gt polecat stale",
            vec!["--batch", "--json", "polecat", "stale"],
        ),
        (
            "gt polecat gc --dry-run",
            vec!["--batch", "--json", "polecat", "gc", "--dry-run"],
        ),
    ] {
        let samples: Vec<Duration> = (0..10).map(|_| timed(&town, &args)).collect();
        // stale and gc look into every worktree and screen: no budget is set for them here.
        let budget = (!name.starts_with("gt polecat")).then_some(50.0);
        report_timings(&format!("{name} ({AGENTS} agents)"), samples, budget);
    }
}
