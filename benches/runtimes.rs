//! Real agent CLIs under gt (DESIGN.md §12), per CLI, against the scripted model server:
//! - sling → the first model request (the beacon reached the model);
//! - nudge → the server receives it, at a prompt quiet for 3 s (budget 300 ms) and right
//!   after a turn (no budget: some runtimes need a moment), beside its floor:
//!   the same text pasted and submitted straight through tmux, no gt;
//! - a 6-line nudge confirmed (`gt nudge` returns Delivered) and received;
//! - the CLI versions used.
//!
//! `cargo bench --bench runtimes` (the pinned CLIs are installed by `runtimes/install`;
//! a CLI that is missing is reported and skipped). `GT_BENCH_RUNTIMES=claude,codex` picks some.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/common/cli_setup.rs"]
mod cli_setup;
mod common;
#[path = "../tests/it/common/model/mod.rs"]
mod model;
#[path = "../tests/it/common/runtimes.rs"]
mod runtimes;

use common::{ServerGuard, report_timings, source_repo};
use model::ModelServer;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CLIS: &[&str] = &["claude", "codex", "gemini", "opencode", "copilot"];
const NUDGES: usize = 12;
const MULTILINE: usize = 6;

/// One town per CLI, with a home of its own and the CLIs on its PATH.
struct Bench {
    town: PathBuf,
    home: PathBuf,
    path: String,
    socket: Option<String>,
}

impl Bench {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gt"));
        c.args(args)
            .current_dir(&self.town)
            .env_remove("GT_TOWN")
            .env_remove("GT_AGENT")
            .env("HOME", &self.home)
            .env("PATH", &self.path)
            .env("IS_SANDBOX", "")
            .env("GT_TMUX_CONFIG", "/dev/null")
            .stdin(Stdio::null());
        c
    }

    fn gt(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().expect("run gt");
        assert!(
            out.status.success(),
            "gt {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn stdout(&self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.gt(args).stdout).into_owned()
    }

    fn tmux(&mut self, args: &[&str]) -> Output {
        let socket = self.socket.get_or_insert_with(|| {
            std::fs::read_to_string(self.town.join(".gt/tmux-socket"))
                .expect("socket")
                .trim()
                .to_string()
        });
        Command::new("tmux")
            .args(["-L", socket])
            .args(args)
            .output()
            .expect("tmux")
    }
}

fn main() {
    let only: Option<Vec<String>> = std::env::var("GT_BENCH_RUNTIMES")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let root = gt::agent::procs::running_as_root();
    println!("real runtimes under gt (the scripted model server answers at once)");
    for cli in CLIS {
        if only.as_ref().is_some_and(|o| !o.iter().any(|c| c == cli)) {
            continue;
        }
        let Some(bin) = runtimes::bin_dir(cli, &format!("bench of {cli}")) else {
            continue;
        };
        one(cli, &bin, root);
    }
}

fn one(cli: &str, bin: &Path, root: bool) {
    let tmp = tempfile::Builder::new()
        .prefix("gt-bench-rt-")
        .tempdir()
        .expect("tempdir");
    let server = ModelServer::start(None);
    let mut b = Bench {
        town: tmp.path().join("town"),
        home: tmp.path().join("home"),
        path: format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
        socket: None,
    };
    std::fs::create_dir_all(&b.home).expect("home");
    let src = tmp.path().join("src");
    source_repo(&src);
    let mut install = b.cmd(&["--batch", "install", "town"]);
    install.current_dir(tmp.path());
    assert!(install.status().expect("install").success());
    let _guard = ServerGuard {
        town: b.town.clone(),
    };
    b.gt(&["--batch", "rig", "add", "shop", src.to_str().expect("utf8")]);
    b.gt(&["--batch", "config", "default-agent", cli]);
    let setup = cli_setup::for_cli(
        cli,
        &server.url(),
        &runtimes::target_dir().join("runtimes"),
        root,
    );
    setup.write_files(&b.home);
    b.gt(&setup.set_args(cli));
    if setup.prepare {
        b.gt(&["--batch", "config", "agent", "prepare", cli, "--yes"]);
    }
    // The beacon only (the model answers with text): the agent is then idle at its prompt.
    server.control(|k| k.steps = Vec::new());
    println!("\n{cli} {}", runtimes::version(bin, cli));

    let mut to_request = Vec::new();
    let mut agent = String::new();
    for i in 0..3 {
        let bead = b
            .stdout(&[
                "--batch",
                "bead",
                "create",
                &format!("Bench {i}"),
                "--rig",
                "shop",
            ])
            .trim()
            .to_string();
        let t0 = Instant::now();
        let out = b.stdout(&["--batch", "--json", "sling", &bead, "shop"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        agent = v["slung"][0]["agent"].as_str().expect("agent").to_string();
        let got = wait_or(
            Duration::from_secs(120),
            || server.first_with(|t| t.contains(&bead) && t.contains("[GAS TOWN]")),
            || {
                format!(
                    "{cli}: the beacon of {bead} never reached the model; {agent}'s screen:\n{}",
                    b.stdout(&["--batch", "peek", &agent, "-n", "40"])
                )
            },
        );
        to_request.push(got.at.duration_since(t0));
    }
    report_timings(
        &format!("{cli}: sling → first model request"),
        to_request,
        None,
    );

    let pane = pane_of(&b, &agent);
    // The budget is for a prompt that is idle (quiet for a few seconds); right after a turn
    // some runtimes need a moment before they take input (OpenCode's `paste.idle_settle_ms`).
    for (case, quiet, budget) in [
        (
            "at a prompt quiet for 3 s",
            Duration::from_secs(3),
            Some(300.0),
        ),
        ("right after a turn", Duration::ZERO, None),
    ] {
        let mut via_gt = Vec::new();
        let mut confirmed = Vec::new();
        for i in 0..NUDGES {
            wait_idle(&b, &agent);
            std::thread::sleep(quiet);
            let text = format!("bench nudge {i} {case} for {cli}");
            let t0 = Instant::now();
            let out = b
                .cmd(&["--batch", "nudge", &agent, &text])
                .output()
                .expect("nudge");
            let done = t0.elapsed();
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("Delivered"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got = wait_until(Duration::from_secs(30), || {
                server.first_with(|t| t.contains(&text))
            });
            via_gt.push(got.at.duration_since(t0));
            confirmed.push(done);
        }
        report_timings(
            &format!("{cli}: nudge → the model receives it, {case}"),
            via_gt,
            budget,
        );
        report_timings(
            &format!("{cli}: nudge confirmed (gt returns), {case}"),
            confirmed,
            None,
        );
    }
    wait_idle(&b, &agent);
    std::thread::sleep(Duration::from_secs(3));

    // The floor: the same paste and Enter straight through tmux, no gt — with the pause
    // the runtime needs between them (Gemini takes an Enter that comes too soon as a newline).
    let list: serde_json::Value =
        serde_json::from_str(&b.stdout(&["--batch", "--json", "config", "agent", "list"]))
            .expect("json");
    let pause = list["runtimes"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == cli))
        .and_then(|r| r["paste"]["submit_delay_ms"].as_u64())
        .unwrap_or(0);
    b.tmux(&["list-sessions"]);
    let mut floor = Vec::new();
    for i in 0..NUDGES {
        wait_idle(&b, &agent);
        std::thread::sleep(Duration::from_secs(3));
        let text = format!("bench floor {i} for {cli}");
        let t0 = Instant::now();
        let mut load = Command::new("tmux");
        let socket = b.socket.clone().unwrap_or_default();
        load.args(["-L", &socket, "load-buffer", "-b", "bench", "-"])
            .stdin(Stdio::piped());
        let mut child = load.spawn().expect("tmux");
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write");
        }
        child.wait().expect("tmux");
        b.tmux(&["paste-buffer", "-p", "-r", "-d", "-b", "bench", "-t", &pane]);
        std::thread::sleep(Duration::from_millis(pause));
        b.tmux(&["send-keys", "-t", &pane, "Enter"]);
        let got = wait_until(Duration::from_secs(30), || {
            server.first_with(|t| t.contains(&text))
        });
        floor.push(got.at.duration_since(t0));
    }
    report_timings(
        &format!("{cli}: floor: tmux paste, {pause} ms, Enter → model, quiet for 3 s"),
        floor,
        None,
    );

    let mut six = Vec::new();
    let mut six_received = Vec::new();
    for i in 0..MULTILINE {
        wait_idle(&b, &agent);
        std::thread::sleep(Duration::from_secs(3));
        let text = format!("six lines {i}\nsecond\nthird\nfourth\nfifth\nsixth for {cli}");
        let t0 = Instant::now();
        let mut c = b.cmd(&["--batch", "nudge", &agent, "--stdin"]);
        c.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = c.spawn().expect("nudge");
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write");
        }
        let out = child.wait_with_output().expect("nudge");
        six.push(t0.elapsed());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Delivered"));
        let marker = format!("six lines {i}");
        let got = wait_until(Duration::from_secs(30), || {
            server.first_with(|t| t.contains(&marker))
        });
        six_received.push(got.at.duration_since(t0));
    }
    report_timings(
        &format!("{cli}: 6-line nudge confirmed, quiet for 3 s"),
        six,
        None,
    );
    report_timings(
        &format!("{cli}: 6-line nudge → model, quiet for 3 s"),
        six_received,
        None,
    );
}

fn pane_of(b: &Bench, agent: &str) -> String {
    let out = b.stdout(&["--batch", "--json", "agents"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["address"] == agent))
        .and_then(|x| x["pane"].as_str())
        .expect("pane")
        .to_string()
}

/// Until the agent sits idle at its prompt (so the next nudge meets an idle prompt).
fn wait_idle(b: &Bench, agent: &str) {
    wait_until(Duration::from_secs(60), || {
        let out = b.stdout(&["--batch", "--json", "agents"]);
        let v: serde_json::Value = serde_json::from_str(&out).ok()?;
        v["agents"]
            .as_array()?
            .iter()
            .find(|x| x["address"] == agent && x["session"] == "idle")
            .map(|_| ())
    });
}

/// `wait_until`, saying `why()` when it times out.
fn wait_or<T>(limit: Duration, mut f: impl FnMut() -> Option<T>, why: impl Fn() -> String) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{}", why());
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(2));
    }
}
