//! Mail figures (DESIGN.md §12 and the mail issue), whole processes on this machine:
//! - `gt --batch mail inbox --json` with 10,000 messages in the town (budget ≤ 10 ms);
//! - `gt mail send` to an idle `sim` agent until the notification shows in its pane
//!   (budget ≤ 250 ms).
//!
//! `cargo bench --bench mail`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{gt, sim_runtime, source_repo};
use std::process::Command;
use std::time::{Duration, Instant};

fn median(name: &str, mut v: Vec<Duration>, budget: f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let m = ms(v[v.len() / 2]);
    println!(
        "{name:<58} median {m:>7.2} ms   min {:>7.2} ms   max {:>7.2} ms   n={} (budget {budget} ms: {})",
        ms(v[0]),
        ms(v[v.len() - 1]),
        v.len(),
        if m <= budget { "ok" } else { "OVER BUDGET" }
    );
}

fn main() {
    let tmp = tempfile::Builder::new()
        .prefix("gt-bench-mail-")
        .tempdir()
        .expect("tempdir");
    let root = tmp.path();
    let src = root.join("src");
    source_repo(&src);
    gt(root, &["--batch", "install", "town"]);
    let town = root.join("town");
    gt(
        &town,
        &["--batch", "rig", "add", "rig", src.to_str().expect("utf8")],
    );
    sim_runtime(&town, "quiet", "--busy 0");
    gt(&town, &["--batch", "config", "default-agent", "quiet"]);

    // 10,000 messages: 1,000 for the overseer, 9,000 spread over 90 other mailboxes.
    let mut lines = String::new();
    for i in 0..10_000 {
        let to = if i % 10 == 0 {
            "overseer".to_string()
        } else {
            format!("rig/crew/m{}", i % 90)
        };
        let read = if i % 3 == 0 {
            ",\"labels\":[\"read\"]"
        } else {
            ""
        };
        lines.push_str(&format!(
            "{{\"id\":\"hq-m{i:05}\",\"title\":\"Message number {i}\",\"description\":\"Body of message {i}\",\"status\":\"open\",\"priority\":{},\"issue_type\":\"message\",\"assignee\":\"{to}\",\"sender\":\"mayor\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\",\"metadata\":{{\"msg\":\"hq-m{i:05}\",\"thread\":\"hq-m{i:05}\"}}{read}}}\n",
            i % 4
        ));
    }
    let data = root.join("mail.jsonl");
    std::fs::write(&data, lines).expect("write");
    gt(
        &town,
        &["--batch", "bead", "import", data.to_str().expect("utf8")],
    );
    let count: serde_json::Value =
        serde_json::from_str(gt(&town, &["--batch", "--json", "mail", "inbox"]).trim())
            .expect("json");
    println!(
        "town: 10,000 messages; the overseer's inbox holds {}\n",
        count["count"]
    );

    let run = |args: &[&str]| {
        let start = Instant::now();
        gt(&town, args);
        start.elapsed()
    };
    run(&["--batch", "mail", "inbox", "--json"]);
    median(
        "gt --batch mail inbox --json (1,000 of 10,000 messages)",
        (0..30)
            .map(|_| run(&["--batch", "mail", "inbox", "--json"]))
            .collect(),
        10.0,
    );
    median(
        "gt --batch mail check --inject (667 unread)",
        (0..30)
            .map(|_| run(&["--batch", "mail", "check", "--inject", "overseer"]))
            .collect::<Vec<_>>(),
        10.0,
    );

    // An idle sim polecat; each sample sends one mail and waits for the line in its pane.
    let bead = gt(
        &town,
        &["--batch", "bead", "create", "Warm-up job", "--rig", "rig"],
    )
    .trim()
    .to_string();
    gt(&town, &["--batch", "sling", &bead, "rig"]);
    let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("socket");
    let capture = || {
        let o = Command::new("tmux")
            .args(["-L", socket.trim(), "capture-pane", "-p", "-t", "rig:ash"])
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !capture().contains("is free for the next bead") {
        assert!(Instant::now() < deadline, "the warm-up job never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut samples = Vec::new();
    for i in 0..10 {
        let subject = format!("Bench note {i}");
        let start = Instant::now();
        gt(
            &town,
            &[
                "--batch",
                "mail",
                "send",
                "rig/polecats/ash",
                "-s",
                &subject,
            ],
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if capture().contains(&format!("mail from overseer: {subject} ")) {
                break;
            }
            assert!(Instant::now() < deadline, "notification {i} never showed");
            std::thread::sleep(Duration::from_millis(2));
        }
        samples.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
    median(
        "gt mail send → notification on the idle agent's screen",
        samples,
        250.0,
    );
    let _ = Command::new("tmux")
        .args(["-L", socket.trim(), "kill-server"])
        .status();
}
