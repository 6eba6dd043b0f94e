//! Whole-process timings of the ledger commands on a generated town (DESIGN.md §12).
//!
//! `cargo bench --bench ledger` — prints median / p90 / min per command. Budgets: reads
//! ≤ 10 ms, a single update ≤ 15 ms, importing 100,000 beads ≤ 3 s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::report_timings;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BEADS: usize = 10_000;
const BIG_IMPORT: usize = 100_000;
const RUNS: usize = 50;

fn gt(town: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gt"))
        .args(args)
        .current_dir(town)
        .env_remove("GT_TOWN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run gt");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "gt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn gt_out(town: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gt"))
        .args(args)
        .current_dir(town)
        .env_remove("GT_TOWN")
        .output()
        .expect("run gt");
    assert!(
        out.status.success(),
        "gt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A deterministic pseudo-random sequence (no extra dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` beads in bd's issue-per-line dialect: a realistic mix of statuses, types, labels,
/// blocking and parent-child edges, plus convoys tracking some of them.
fn generate(path: &Path, prefix: &str, n: usize, convoys: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let statuses = [
        "open",
        "open",
        "open",
        "closed",
        "closed",
        "closed",
        "closed",
        "in_progress",
        "hooked",
        "blocked",
    ];
    let types = ["task", "task", "task", "bug", "feature", "chore", "epic"];
    for i in 0..n {
        let id = format!("{prefix}-{i:06x}");
        let status = statuses[rng.below(statuses.len() as u64) as usize];
        let closed = if status == "closed" {
            r#","closed_at":"2026-02-01T00:00:00Z""#
        } else {
            ""
        };
        let mut deps = Vec::new();
        if i > 10 && rng.below(4) == 0 {
            let target = format!("{prefix}-{:06x}", rng.below(i as u64));
            deps.push(format!(r#"{{"issue_id":"{id}","depends_on_id":"{target}","type":"blocks","created_at":"2026-01-01T00:00:00Z","created_by":"bench"}}"#));
        }
        if i > 10 && rng.below(8) == 0 {
            let parent = format!("{prefix}-{:06x}", rng.below(i as u64));
            deps.push(format!(r#"{{"issue_id":"{id}","depends_on_id":"{parent}","type":"parent-child","created_at":"2026-01-01T00:00:00Z","created_by":"bench"}}"#));
        }
        let deps = if deps.is_empty() {
            String::new()
        } else {
            format!(r#","dependencies":[{}]"#, deps.join(","))
        };
        let labels = match rng.below(3) {
            0 => String::new(),
            1 => r#","labels":["backend"]"#.to_string(),
            _ => r#","labels":["frontend","ux"]"#.to_string(),
        };
        writeln!(
            f,
            r#"{{"id":"{id}","title":"Generated work item number {i} with a realistic title","description":"Some words about what to do and why, long enough to look like a real description of a task that an agent would pick up and finish.","status":"{status}","priority":{p},"issue_type":"{t}","assignee":"rig/polecats/p{a}","created_at":"2026-01-01T00:00:00Z","created_by":"bench","updated_at":"2026-01-02T00:00:00Z"{closed}{labels}{deps}}}"#,
            p = rng.below(5),
            t = types[rng.below(types.len() as u64) as usize],
            a = rng.below(40),
        )
        .expect("write");
    }
    for c in 0..convoys {
        let id = format!("hq-cv-b{c:04}");
        let tracks: Vec<String> = (0..20)
            .map(|_| {
                let t = format!("{prefix}-{:06x}", rng.below(n as u64));
                format!(r#"{{"issue_id":"{id}","depends_on_id":"{t}","type":"tracks"}}"#)
            })
            .collect();
        writeln!(
            f,
            r#"{{"id":"{id}","title":"Convoy {c}","status":"open","priority":2,"issue_type":"convoy","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","dependencies":[{}]}}"#,
            tracks.join(",")
        )
        .expect("write");
    }
}

fn install(root: &Path) -> PathBuf {
    let town = root.join("town");
    gt(root, &["--batch", "install", "town"]);
    town
}

fn main() {
    let tmp = tempfile::Builder::new()
        .prefix("gt-bench-")
        .tempdir()
        .expect("tempdir");
    let town = install(tmp.path());
    std::fs::create_dir_all(tmp.path().join("src")).expect("mkdir");
    let data = tmp.path().join("beads.jsonl");
    generate(&data, "bn", BEADS, 100);
    gt(
        &town,
        &["--batch", "bead", "import", data.to_str().expect("utf8")],
    );
    let ready_count = gt_out(&town, &["--batch", "ready"]).lines().count() - 1;
    let jsonl_size = std::fs::metadata(town.join(".beads/issues.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "town: {BEADS} beads + 100 convoys ({ready_count} ready); .beads/issues.jsonl {:.1} MB; {RUNS} runs each\n",
        jsonl_size as f64 / 1e6
    );

    let id = "bn-0003e8";
    // Only `ready` has a budget in DESIGN.md §12; the others are held to the same 10 ms as a
    // target of ours, except the full listing of every open bead, which has none.
    let cmds: [(&str, Vec<&str>, Option<f64>); 4] = [
        (
            "gt --batch ready --json",
            vec!["--batch", "ready", "--json"],
            Some(10.0),
        ),
        (
            "gt --batch bead show <id> --json",
            vec!["--batch", "bead", "show", id, "--json"],
            Some(10.0),
        ),
        (
            "gt --batch convoy list --json",
            vec!["--batch", "convoy", "list", "--json"],
            Some(10.0),
        ),
        (
            "gt --batch bead list --json (every open bead)",
            vec!["--batch", "bead", "list", "--json"],
            None,
        ),
    ];
    for (name, args, budget) in &cmds {
        gt(&town, args); // warm the page cache
        let samples: Vec<Duration> = (0..RUNS).map(|_| gt(&town, args)).collect();
        report_timings(name, samples, *budget);
    }

    let samples: Vec<Duration> = (0..RUNS)
        .map(|i| {
            let title = format!("Renamed by the benchmark, round {i}");
            gt(&town, &["--batch", "bead", "update", id, "--title", &title])
        })
        .collect();
    report_timings(
        "gt --batch bead update <id> (+ jsonl sync)",
        samples,
        Some(15.0),
    );
    let samples: Vec<Duration> = (0..RUNS)
        .map(|i| {
            gt(
                &town,
                &[
                    "--batch",
                    "bead",
                    "comment",
                    id,
                    &format!("benchmark comment {i}"),
                ],
            )
        })
        .collect();
    report_timings(
        "gt --batch bead comment <id> (+ jsonl sync)",
        samples,
        Some(15.0),
    );
    let text = std::fs::read_to_string(town.join(".beads/issues.jsonl")).expect("read");
    assert!(
        text.contains("round 49"),
        "the export did not follow the updates"
    );

    let big = tmp.path().join("big.jsonl");
    generate(&big, "bg", BIG_IMPORT, 0);
    let samples: Vec<Duration> = (0..3)
        .map(|i| {
            let root = tmp.path().join(format!("import{i}"));
            std::fs::create_dir_all(&root).expect("mkdir");
            let t = install(&root);
            gt(
                &t,
                &["--batch", "bead", "import", big.to_str().expect("utf8")],
            )
        })
        .collect();
    report_timings(
        "gt --batch bead import (100,000 beads)",
        samples,
        Some(3000.0),
    );
    if std::env::var_os("GT_BENCH_KEEP").is_some() {
        let kept = tmp.keep();
        println!("\nkept the generated towns in {}", kept.display());
    }
}
