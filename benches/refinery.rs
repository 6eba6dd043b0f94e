//! Merge queue throughput (issue 7): merge requests landed per minute by `gt refinery run`
//! with a trivial gate (`true`), one at a time (`merge.batch_max = 1`) and in batches of 4.
//! The work comes from real `sim` polecats (sling → commit → `gt done`); only the refinery's
//! run is timed — rebase in its worktree, gate, compare-and-swap of `main`, ledger closes,
//! and the cleanup of the finished polecats.
//!
//! `cargo bench --bench refinery`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{gt, town_with_rigs};
use std::path::Path;
use std::time::{Duration, Instant};

/// Merge requests per round.
const K: usize = 16;

fn set_batch_max(town: &Path, n: usize) {
    let path = town.join("bench/rig.toml");
    let text = std::fs::read_to_string(&path).expect("rig.toml");
    let mut kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("merge.batch_max"))
        .collect();
    let line = format!("merge.batch_max = {n}");
    kept.push(&line);
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
}

fn queued(town: &Path) -> usize {
    let v: serde_json::Value = serde_json::from_str(
        gt(town, &["--batch", "--json", "mq", "list", "--rig", "bench"]).trim(),
    )
    .expect("json");
    v["count"].as_u64().unwrap_or(0) as usize
}

/// K beads slung to K sim polecats; returns once all K merge requests wait.
fn fill_queue(town: &Path, round: usize) {
    let beads: Vec<String> = (0..K)
        .map(|i| {
            gt(
                town,
                &[
                    "--batch",
                    "bead",
                    "create",
                    &format!("Round {round} change {i}"),
                    "--rig",
                    "bench",
                ],
            )
            .trim()
            .to_string()
        })
        .collect();
    let mut args = vec!["--batch", "sling"];
    args.extend(beads.iter().map(String::as_str));
    args.push("bench");
    gt(town, &args);
    let deadline = Instant::now() + Duration::from_secs(180);
    while queued(town) < K {
        assert!(Instant::now() < deadline, "the polecats did not all finish");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn main() {
    let bt = town_with_rigs("gt-bench-refinery-", &["bench"]);
    let town = bt.town.clone();
    gt(&town, &["--batch", "config", "default-agent", "sim"]);
    let rig_toml = town.join("bench/rig.toml");
    let mut text = std::fs::read_to_string(&rig_toml).expect("rig.toml");
    text.push_str("gates = [\"true\"]\n");
    std::fs::write(&rig_toml, text).expect("write");

    println!("merge queue: {K} merge requests from sim polecats, gate `true`");
    for (round, batch_max) in [1usize, 4].into_iter().enumerate() {
        set_batch_max(&town, batch_max);
        fill_queue(&town, round);
        let start = Instant::now();
        let out = gt(
            &town,
            &["--batch", "--json", "refinery", "run", "--rig", "bench"],
        );
        let took = start.elapsed();
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        let outcomes = v["processed"].as_array().cloned().unwrap_or_default();
        let merged = outcomes.iter().filter(|o| o["outcome"] == "merged").count();
        let cleaned: usize = outcomes
            .iter()
            .filter(|o| o["outcome"] == "cleaned")
            .map(|o| o["polecats"].as_array().map(Vec::len).unwrap_or(0))
            .sum();
        assert_eq!(merged, K, "not all landed: {out}");
        let per_min = merged as f64 / took.as_secs_f64() * 60.0;
        println!(
            "{:<52} {merged} landed in {:>6.2} s   {:>7.0} MRs/min   ({:.0} ms each; {cleaned} polecats cleaned up)",
            format!("batch_max = {batch_max}"),
            took.as_secs_f64(),
            per_min,
            took.as_secs_f64() * 1000.0 / merged as f64
        );
    }
}
