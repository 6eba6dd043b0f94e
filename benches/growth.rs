//! How gt's costs grow with the ledger (issue 18), at 1k, 10k, 100k and 1M beads (99% closed,
//! as a town of long standing is): one table, each figure beside its budget and its floor.
//! - import of the bd file (time and the process's peak memory), and the export back
//!   (byte-identical to the file imported);
//! - reads: `ready --json`, `convoy list --json`, `bead show`, `prime` (a polecat with work on
//!   its hook), `mail inbox` — budget 3× the sqlite3 CLI's own start on the same file;
//! - writes: `bead create`, `update`, `close`, `comment`, `mail send` — budget: the same cost
//!   at every size (floor: the sqlite3 CLI committing one row to the same file);
//! - the background rewrite of `.beads/issues.jsonl` that follows writes (how current the
//!   file is), and its peak memory;
//! - the workspace's first frame, started in a terminal (tmux) on the town (budget 200 ms).
//!
//! `cargo bench --bench growth` (`BENCH_SIZES=1000,10000` for fewer sizes; `BENCH_RUNS`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::generate::generate;
use common::gt_cmd;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a command to its end; its wall time and peak memory (KB), from `wait4`.
fn measured(mut cmd: Command) -> (Duration, u64) {
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let t = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    // Reaped by wait4 below (which also gives its peak memory); std must not wait again.
    std::mem::forget(child);
    let mut status = 0;
    // SAFETY: rusage is plain data, filled by the kernel for the child we started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = t.elapsed();
    assert_eq!(r, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    (took, usage.ru_maxrss as u64)
}

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn timed(mut cmd: impl FnMut() -> Command, runs: usize) -> f64 {
    let _ = measured(cmd()); // warm the page cache
    median_ms((0..runs).map(|_| measured(cmd()).0).collect())
}

fn sqlite(db: &Path, sql: &str) -> Command {
    let mut c = Command::new("sqlite3");
    c.arg(db).arg(sql);
    c
}

/// The arguments of the next write of a kind.
type WriteArgs = Box<dyn FnMut() -> Vec<String>>;

/// One row of the table: a figure per size, with its budget and floor.
#[derive(Default)]
struct Row {
    values: BTreeMap<usize, String>,
    budget: String,
    floor: String,
}

struct Table {
    sizes: Vec<usize>,
    rows: Vec<(String, Row)>,
}

impl Table {
    fn set(&mut self, name: &str, n: usize, value: String, budget: &str, floor: &str) {
        if !self.rows.iter().any(|(k, _)| k == name) {
            self.rows.push((name.to_string(), Row::default()));
        }
        let (_, row) = self.rows.iter_mut().find(|(k, _)| k == name).expect("row");
        row.values.insert(n, value);
        row.budget = budget.to_string();
        row.floor = floor.to_string();
    }

    fn print(&self) {
        let label = |n: usize| match n {
            n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
            n if n >= 1000 => format!("{}k", n / 1000),
            n => n.to_string(),
        };
        print!("\n{:<44}", "figure (beads →)");
        for n in &self.sizes {
            print!("{:>12}", label(*n));
        }
        println!("   {:<22} floor", "budget");
        for (name, row) in &self.rows {
            print!("{name:<44}");
            for n in &self.sizes {
                print!("{:>12}", row.values.get(n).map_or("-", String::as_str));
            }
            println!("   {:<22} {}", row.budget, row.floor);
        }
    }
}

fn install(root: &Path) -> PathBuf {
    std::fs::create_dir_all(root).expect("mkdir");
    let st = Command::new(env!("CARGO_BIN_EXE_gt"))
        .args(["--batch", "install", "town"])
        .current_dir(root)
        .stdout(Stdio::null())
        .status()
        .expect("install");
    assert!(st.success());
    root.join("town")
}

/// Time from starting the workspace in a terminal until its first frame is on the screen.
fn first_frame(town: &Path, runs: usize) -> f64 {
    let socket = format!("gt-bench-growth-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux")
    };
    tmux(&["new-session", "-d", "-x", "160", "-y", "45", "sh"]);
    let mut samples = Vec::new();
    for _ in 0..runs {
        let cmd = format!(
            "cd {} && exec {} -c ui.supervise=false",
            town.display(),
            env!("CARGO_BIN_EXE_gt")
        );
        let t = Instant::now();
        tmux(&["respawn-pane", "-k", "-t", "0", &cmd]);
        loop {
            let screen =
                String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
            if screen.contains("1 Agents") {
                samples.push(t.elapsed());
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "no frame: {screen}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    tmux(&["kill-server"]);
    median_ms(samples)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let tmp = tempfile::Builder::new()
        .prefix("gt-bench-growth-")
        .tempdir()
        .expect("tempdir");
    let mut table = Table {
        sizes: sizes.clone(),
        rows: Vec::new(),
    };
    for &n in &sizes {
        println!("— {n} beads —");
        let root = tmp.path().join(format!("n{n}"));
        let town = install(&root);
        let db = town.join(".gt/ledger.db");
        let data = root.join("beads.jsonl");
        // The same 20 open convoys at every size: their cost is not the ledger's.
        generate(&data, "bn", n, 20, Some(99));
        let data_s = data.to_str().expect("utf8").to_string();

        let (took, peak) = measured(gt_cmd(&town, &["--batch", "bead", "import", &data_s]));
        let (budget_t, budget_m) = match n {
            n if n >= 1_000_000 => ("15000 ms", "300 MB"),
            n if n >= 100_000 => ("1500 ms", "300 MB"),
            _ => ("-", "300 MB"),
        };
        table.set(
            "import: time (ms)",
            n,
            format!("{:.0}", took.as_secs_f64() * 1000.0),
            budget_t,
            "",
        );
        table.set(
            "import: peak memory (MB)",
            n,
            format!("{:.0}", peak as f64 / 1024.0),
            budget_m,
            "",
        );
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        table.set(
            "ledger file (MB)",
            n,
            format!("{:.1}", size(&db) as f64 / 1e6),
            "",
            "bd file: see next row",
        );
        table.set(
            "bd file imported (MB)",
            n,
            format!("{:.1}", size(&data) as f64 / 1e6),
            "",
            "",
        );

        // The follower's rewrite of the whole file after the import, then the export back.
        let (took, peak) = measured(gt_cmd(&town, &["--batch", "bead", "flush"]));
        table.set(
            "issues.jsonl rewrite, whole (ms)",
            n,
            format!("{:.0}", took.as_secs_f64() * 1000.0),
            "background",
            "",
        );
        table.set(
            "issues.jsonl rewrite, peak memory (MB)",
            n,
            format!("{:.0}", peak as f64 / 1024.0),
            "",
            "",
        );
        let back = root.join("back.jsonl");
        let (took, _) = measured(gt_cmd(
            &town,
            &["--batch", "bead", "export", back.to_str().expect("utf8")],
        ));
        let same = std::fs::read(&back).expect("read") == std::fs::read(&data).expect("read");
        table.set(
            "export to a file (ms)",
            n,
            format!("{:.0}", took.as_secs_f64() * 1000.0),
            "",
            "",
        );
        table.set(
            "export byte-identical to the import",
            n,
            if same { "yes" } else { "NO" }.into(),
            "yes",
            "",
        );
        assert!(
            same,
            "the export differs from the file imported at {n} beads"
        );

        // Floors: the sqlite3 CLI's start, and with one query (which reads the schema).
        let floor_start = timed(|| sqlite(&db, "SELECT 1"), runs);
        let floor_query = timed(
            || sqlite(&db, "SELECT id FROM beads WHERE id = 'bn-000001'"),
            runs,
        );
        table.set(
            "floor: sqlite3 CLI start (ms)",
            n,
            format!("{floor_start:.1}"),
            "",
            "",
        );
        table.set(
            "floor: sqlite3 CLI, one query (ms)",
            n,
            format!("{floor_query:.1}"),
            "",
            "",
        );
        let read_budget = "≤ 3× start".to_string();
        let hooked = String::from_utf8_lossy(
            &sqlite(
                &db,
                "SELECT assignee FROM beads WHERE status = 'hooked' LIMIT 1",
            )
            .output()
            .expect("sqlite3")
            .stdout,
        )
        .trim()
        .to_string();
        let reads: Vec<(&str, Vec<&str>, Option<&str>)> = vec![
            ("ready --json", vec!["--batch", "ready", "--json"], None),
            (
                "ready --json --limit 10",
                vec!["--batch", "ready", "--json", "--limit", "10"],
                None,
            ),
            (
                "convoy list --json",
                vec!["--batch", "convoy", "list", "--json"],
                None,
            ),
            (
                "bead show <id> --json",
                vec!["--batch", "bead", "show", "bn-000101", "--json"],
                None,
            ),
            (
                "prime (a polecat with a hooked bead)",
                vec!["--batch", "prime"],
                Some(hooked.as_str()),
            ),
            (
                "mail inbox --json",
                vec!["--batch", "mail", "inbox", "--json"],
                None,
            ),
        ];
        for (name, args, agent) in &reads {
            let ms = timed(
                || {
                    let mut c = gt_cmd(&town, args);
                    if let Some(a) = agent {
                        c.env("GT_AGENT", a);
                    }
                    c
                },
                runs,
            );
            let verdict = if ms <= 3.0 * floor_start { "" } else { " !" };
            table.set(
                &format!("read: {name} (ms)"),
                n,
                format!("{ms:.1}{verdict}"),
                &read_budget,
                "sqlite3 start",
            );
        }

        // Writes, each on a bead of its own where it changes one.
        let ids: Vec<String> = (0..runs + 1)
            .map(|i| format!("bn-{:06x}", 200 + i * 7))
            .collect();
        // Closes need beads still open (99% are closed already): made for them, in one go.
        let script: String = (0..=runs)
            .map(|i| format!("bead create 'To be closed {i}'\n"))
            .collect();
        let made = {
            use std::io::Write;
            let mut c = gt_cmd(&town, &["--batch", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("gt --batch -");
            c.stdin
                .take()
                .expect("stdin")
                .write_all(script.as_bytes())
                .expect("write");
            c.wait_with_output().expect("wait")
        };
        let open: Vec<String> = String::from_utf8_lossy(&made.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        assert!(open.len() > runs, "not enough beads to close: {open:?}");
        let floor_write = timed(
            || {
                sqlite(
                    &db,
                    "INSERT INTO config (key, value) VALUES ('bench.write', datetime('now')) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )
            },
            runs,
        );
        table.set(
            "floor: sqlite3 CLI, one committed row (ms)",
            n,
            format!("{floor_write:.1}"),
            "",
            "",
        );
        let mut writes: Vec<(&str, WriteArgs)> = Vec::new();
        writes.push((
            "bead create",
            Box::new(|| vec!["bead".into(), "create".into(), "A new bead".into()]),
        ));
        writes.push((
            "bead update --notes",
            Box::new({
                let ids = ids.clone();
                let mut i = 0;
                move || {
                    i += 1;
                    vec![
                        "bead".into(),
                        "update".into(),
                        ids[i % ids.len()].clone(),
                        "--notes".into(),
                        format!("round {i}"),
                    ]
                }
            }),
        ));
        writes.push((
            "bead comment",
            Box::new({
                let ids = ids.clone();
                let mut i = 0;
                move || {
                    i += 1;
                    vec![
                        "bead".into(),
                        "comment".into(),
                        ids[i % ids.len()].clone(),
                        format!("comment {i}"),
                    ]
                }
            }),
        ));
        writes.push((
            "bead close",
            Box::new({
                let mut i = 0;
                move || {
                    i += 1;
                    vec![
                        "bead".into(),
                        "close".into(),
                        open[i % open.len()].clone(),
                        "--force".into(),
                    ]
                }
            }),
        ));
        writes.push((
            "mail send",
            Box::new(|| {
                vec![
                    "mail".into(),
                    "send".into(),
                    "mayor".into(),
                    "-s".into(),
                    "hello".into(),
                    "-m".into(),
                    "a body".into(),
                ]
            }),
        ));
        for (name, args) in writes.iter_mut() {
            let mut samples = Vec::new();
            for _ in 0..runs {
                let a = args();
                let mut full = vec!["--batch"];
                full.extend(a.iter().map(String::as_str));
                samples.push(measured(gt_cmd(&town, &full)).0);
            }
            table.set(
                &format!("write: {name} (ms)"),
                n,
                format!("{:.1}", median_ms(samples)),
                "same at every size",
                "one committed row",
            );
        }
        // How current the file is: the follower's rewrite of the lines one write changed.
        gt_cmd(
            &town,
            &[
                "--batch",
                "bead",
                "update",
                "bn-000101",
                "--notes",
                "followed",
            ],
        )
        .output()
        .expect("gt");
        let (took, _) = measured(gt_cmd(&town, &["--batch", "bead", "flush"]));
        table.set(
            "issues.jsonl rewrite after one write (ms)",
            n,
            format!("{:.0}", took.as_secs_f64() * 1000.0),
            "background",
            "",
        );

        let ff = first_frame(&town, runs.min(7));
        table.set(
            "workspace first frame (ms)",
            n,
            format!("{ff:.0}"),
            "200 ms",
            "",
        );
        // Nothing left running in the town before the next size.
        let _ = gt_cmd(&town, &["--batch", "down"]).output();
        table.print();
    }
    println!("\n(! marks a read over its budget)");
}
