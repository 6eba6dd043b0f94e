//! Agent figures (DESIGN.md §12), whole processes on this machine:
//! - sling → agent running, against a shell doing only `git worktree add` + `tmux new-window`
//!   (budget: ≤ 1.5× that baseline);
//! - a confirmed 10,000-character nudge (budget ≤ 250 ms);
//! - `gt prime` in a polecat of a 10,000-bead town (budget ≤ 20 ms).
//!
//! `cargo bench --bench agents`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{gt, gt_cmd, town_with_rigs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sh(cwd: &Path, script: &str) {
    let st = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .status()
        .expect("sh");
    assert!(st.success(), "{script}");
}

fn tmux_capture(socket: &str, target: &str) -> String {
    let o = Command::new("tmux")
        .args(["-L", socket, "capture-pane", "-p", "-t", target])
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Polls a pane until `needle` shows; returns when it did.
fn wait_screen(socket: &str, target: &str, needle: &str) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if tmux_capture(socket, target).contains(needle) {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} never showed in {target}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn report(name: &str, mut samples: Vec<Duration>, budget: Option<f64>) -> f64 {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(samples[samples.len() / 2]);
    let verdict = match budget {
        Some(b) if median <= b => format!("(budget {b} ms: ok)"),
        Some(b) => format!("(budget {b} ms: OVER BUDGET)"),
        None => String::new(),
    };
    println!(
        "{name:<52} median {median:>8.1} ms   min {:>8.1} ms   max {:>8.1} ms   n={} {verdict}",
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
    median
}

fn main() {
    let bt = town_with_rigs("gt-bench-agents-", &["bench"]);
    let root = bt.tmp.path();
    let town = bt.town.clone();
    gt(&town, &["--batch", "config", "default-agent", "sim"]);

    // 10,000 beads for prime.
    let data = root.join("beads.jsonl");
    let mut lines = String::new();
    for i in 0..10_000 {
        lines.push_str(&format!(
            "{{\"id\":\"bn-{i:06x}\",\"title\":\"Generated bead {i}\",\"description\":\"words words words\",\"status\":\"{}\",\"priority\":{},\"issue_type\":\"task\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"{}}}\n",
            if i % 3 == 0 { "open" } else { "closed" },
            i % 5,
            if i % 3 == 0 { "" } else { ",\"closed_at\":\"2026-01-02T00:00:00Z\"" }
        ));
    }
    std::fs::write(&data, lines).expect("write");
    gt(
        &town,
        &["--batch", "bead", "import", data.to_str().expect("utf8")],
    );

    const N: usize = 10;
    // sling → agent running (its banner on screen)
    let mut sling_samples = Vec::new();
    for i in 0..N {
        let bead = gt(
            &town,
            &[
                "--batch",
                "bead",
                "create",
                &format!("Sling bench {i}"),
                "--rig",
                "bench",
            ],
        )
        .trim()
        .to_string();
        let start = Instant::now();
        let out = gt(
            &town,
            &["--batch", "--json", "sling", &bead, "bench", "--no-convoy"],
        );
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        let window = v["slung"][0]["window"]
            .as_str()
            .expect("window")
            .to_string();
        let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("socket");
        let seen = wait_screen(socket.trim(), &window, "gt sim —");
        sling_samples.push(seen - start);
    }
    let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("socket");
    // The baseline: only `git worktree add` and `tmux new-window`, same readiness test.
    let repo = town.join("bench/.repo.git");
    let gt_exe = env!("CARGO_BIN_EXE_gt");
    let mut base_samples = Vec::new();
    for i in 0..N {
        let path = root.join(format!("baseline-{i}"));
        let start = Instant::now();
        sh(
            &repo,
            &format!(
                "git worktree add -q -b base/{i} {} main && tmux -f /dev/null -L {} new-window -d -t bench: -n base{i} -c {} '{} agent sim'",
                path.display(),
                socket.trim(),
                path.display(),
                gt_exe
            ),
        );
        let seen = wait_screen(socket.trim(), &format!("bench:base{i}"), "gt sim —");
        base_samples.push(seen - start);
    }
    println!("sling: {N} slings into a 10,000-bead town, each to a new polecat");
    let ours = report("gt sling → agent running", sling_samples, None);
    let base = report(
        "baseline: git worktree add + tmux new-window",
        base_samples,
        None,
    );
    println!(
        "{:<52} {:.2}× the baseline (budget ≤ 1.5×: {})\n",
        "ratio",
        ours / base,
        if ours / base <= 1.5 {
            "ok"
        } else {
            "OVER BUDGET"
        }
    );

    // A confirmed 10,000-character nudge into an idle simulator.
    let agent = "bench/polecats/ash";
    let text: String = (0..10_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let wait_idle = || {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v: serde_json::Value =
                serde_json::from_str(gt(&town, &["--batch", "--json", "agents"]).trim())
                    .expect("json");
            let idle = v["agents"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["address"] == agent).cloned())
                .is_some_and(|a| a["session"] == "idle");
            if idle {
                return;
            }
            assert!(Instant::now() < deadline, "agent never idle");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mut nudge_samples = Vec::new();
    for _ in 0..N {
        wait_idle();
        let start = Instant::now();
        let mut child = gt_cmd(
            &town,
            &["--batch", "nudge", agent, "--stdin", "--wait", "5"],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write");
        }
        let o = child.wait_with_output().expect("wait");
        let took = start.elapsed();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Delivered"),
            "not confirmed"
        );
        nudge_samples.push(took);
    }
    report(
        "gt nudge, 10,000 characters, confirmed",
        nudge_samples,
        Some(250.0),
    );

    // gt prime as the polecat, from its worktree.
    let worktree: PathBuf = town.join("bench/polecats/ash");
    let mut prime_samples = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let o = gt_cmd(&worktree, &["prime"]).output().expect("prime");
        prime_samples.push(start.elapsed());
        assert!(o.status.success());
    }
    report(
        "gt prime (polecat, 10,000-bead town)",
        prime_samples,
        Some(20.0),
    );
}
