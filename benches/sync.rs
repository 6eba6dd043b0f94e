//! `gt sync` between two towns sharing 10,000 beads through a bare git remote (issue 20):
//! each town changes 100 beads (50 of them the same beads on both sides), then each syncs;
//! the figure is the time of each sync and of the merge driver on the whole file, beside
//! the floor of the git work alone (a fetch, merge and push of the same files by hand).
//!
//! `cargo bench --bench sync`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{gt, gt_cmd};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const BEADS: usize = 10_000;
const CHANGED: usize = 100;

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success(), "git {args:?}");
}

/// Changes `n` beads of `ids` from `from` on, one batch process (titles and priorities).
fn change(town: &Path, ids: &[String], from: usize, n: usize, who: &str) {
    use std::io::Write;
    let script: String = ids[from..from + n]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            format!(
                "bead update {id} --title \"changed in {who} {i}\" --priority {}\n",
                i % 4
            )
        })
        .collect();
    let mut c = gt_cmd(town, &["--batch", "-"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn timed(town: &Path, args: &[&str]) -> f64 {
    let t = Instant::now();
    gt(town, args);
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let tmp = tempfile::Builder::new()
        .prefix("gt-bench-sync-")
        .tempdir()
        .unwrap();
    let root = tmp.path();
    for t in ["a", "b"] {
        gt(root, &["--batch", "install", t]);
    }
    let (a, b) = (root.join("a"), root.join("b"));
    let bare = root.join("shared.git");
    git(root, &["init", "-q", "--bare", bare.to_str().unwrap()]);
    for t in [&a, &b] {
        git(t, &["remote", "add", "origin", bare.to_str().unwrap()]);
    }
    let t0 = Instant::now();
    let ids = {
        // Beads without a rig (town beads): create_beads wants rigs; one batch of creates.
        use std::io::Write;
        let script: String = (0..BEADS)
            .map(|i| format!("bead create \"Bench bead {i}\"\n"))
            .collect();
        let mut c = gt_cmd(&a, &["--batch", "-"]);
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        // Fed from a thread: gt's answers fill its stdout pipe while it still reads.
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || stdin.write_all(script.as_bytes()).unwrap());
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(ids.len(), BEADS);
        ids
    };
    println!("== gt sync: two towns, {BEADS} beads, {CHANGED} changed on each side ==");
    println!(
        "setup: {BEADS} beads made in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let first_a = timed(&a, &["--batch", "sync"]);
    let first_b = timed(&b, &["--batch", "sync"]);
    println!(
        "first sync: town A (publishes {BEADS}) {first_a:.0} ms; town B (takes {BEADS}) {first_b:.0} ms"
    );

    // 100 changed on each side; the first 50 of each are the same beads (both sides).
    change(&a, &ids, 0, CHANGED, "A");
    change(&b, &ids, CHANGED / 2, CHANGED, "B");
    let sync_a = timed(&a, &["--batch", "sync"]);
    let sync_b = timed(&b, &["--batch", "sync"]);
    let back_a = timed(&a, &["--batch", "sync"]);
    println!("sync with {CHANGED} changed here (A, nothing new there): {sync_a:.0} ms");
    println!(
        "sync with {CHANGED} changed here and {CHANGED} there, {} on the same beads (B: the merge): {sync_b:.0} ms",
        CHANGED / 2
    );
    println!("A takes B's changes: {back_a:.0} ms");
    // Both ledgers agree: one more sync each (nothing new) writes each ledger's export.
    gt(&b, &["--batch", "sync"]);
    gt(&a, &["--batch", "sync"]);
    let export = |t: &Path| std::fs::read_to_string(t.join(".beads/issues.jsonl")).unwrap();
    let (ea, eb) = (export(&a), export(&b));
    println!(
        "ledgers agree after the round: {} ({} bytes of export)",
        if ea == eb { "yes" } else { "NO" },
        ea.len()
    );

    // The merge driver alone on the whole file (three 10k-bead versions).
    let dir = root.join("merge");
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("base.jsonl");
    std::fs::write(&base, &ea).unwrap();
    std::fs::write(dir.join("ours.jsonl"), &ea).unwrap();
    std::fs::write(dir.join("theirs.jsonl"), &eb).unwrap();
    let t = Instant::now();
    let st = gt_cmd(&a, &["merge-jsonl"])
        .arg(&base)
        .arg(dir.join("ours.jsonl"))
        .arg(dir.join("theirs.jsonl"))
        .status()
        .unwrap();
    assert!(st.success());
    println!(
        "merge driver on three {BEADS}-bead files: {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );

    // Floor: the same git work by hand (clone, change one file, commit, push).
    let work = root.join("floor");
    let t = Instant::now();
    git(
        root,
        &[
            "clone",
            "-q",
            "-b",
            "gt-beads",
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    let f = work.join(".beads/issues.jsonl");
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push('\n');
    std::fs::write(&f, text).unwrap();
    git(
        &work,
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "commit",
            "-qam",
            "floor",
        ],
    );
    git(&work, &["push", "-q", "origin", "gt-beads"]);
    println!(
        "floor (git alone: clone, commit, push of the file): {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
}
