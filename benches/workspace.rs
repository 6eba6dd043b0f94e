//! Workspace figures (DESIGN.md §12) with 100 `sim` agents in the town:
//! - tmux processes per refresh (budget ≤ 3), from the workspace's own count;
//! - keystroke → frame latency (budget ≤ 16 ms), measured inside the workspace from the key
//!   event's arrival to the flushed frame;
//! - idle CPU of the workspace process over 10 s (budget ≤ 2% of a core), its own time and,
//!   separately, that of the tmux clients it ran;
//! - frame render time, live and for a 100-agent fixture drawn to an off-screen buffer;
//! - the diff view opened on a 5,000-line patch (budget 50 ms to the first frame): the
//!   diff read from a real repository, then the view drawn (`BENCH_ONLY=diff` for this alone).
//!
//! `cargo bench --bench workspace`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{
    cpu_ticks, create_beads, gt, sim_runtime, sling_spread, ticks_per_sec, town_with_rigs,
};
use std::process::Command;
use std::time::{Duration, Instant};

const AGENTS: usize = 100;

fn tmux(socket: &str, args: &[&str]) -> String {
    let o = Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .env_remove("TMUX")
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Kills a tmux server on drop (the town's with its 100 agents; the terminal's).
struct Server(String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

fn summary(name: &str, mut us: Vec<u64>, budget_ms: Option<f64>) {
    if us.is_empty() {
        println!("{name:<48} no samples");
        return;
    }
    us.sort_unstable();
    let ms = |v: u64| v as f64 / 1000.0;
    let median = ms(us[us.len() / 2]);
    let p95 = ms(us[(us.len() * 95 / 100).min(us.len() - 1)]);
    let verdict = match budget_ms {
        Some(b) if p95 <= b => format!("(budget {b} ms: ok)"),
        Some(b) => format!("(budget {b} ms: OVER BUDGET at p95)"),
        None => String::new(),
    };
    println!(
        "{name:<48} median {median:>7.2} ms   p95 {p95:>7.2} ms   max {:>7.2} ms   n={} {verdict}",
        ms(us[us.len() - 1]),
        us.len()
    );
}

fn offscreen_render() {
    use gt::tui::{fixtures, view};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let state = fixtures::state(fixtures::town_with_agents(AGENTS), (160, 45));
    let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    let mut us = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        term.draw(|f| view::draw(f, &state)).expect("draw");
        us.push(t.elapsed().as_micros() as u64);
    }
    summary("frame render, 100 agents, off-screen 160×45", us, None);
}

/// A repository whose branch `feature` adds a 5,000-line file and changes another.
fn repo_with_big_change(dir: &std::path::Path) {
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=b",
                "-c",
                "user.email=b@b",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .output()
            .expect("git");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    std::fs::write(dir.join("a.txt"), "one\ntwo\nthree\n").expect("write");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    git(&["checkout", "-q", "-b", "feature"]);
    let big: String = (0..5000)
        .map(|i| format!("let value_{i} = compute({i}) * factor({i}) + offset;\n"))
        .collect();
    std::fs::write(dir.join("big.rs"), big).expect("write");
    std::fs::write(dir.join("a.txt"), "one\n2\nthree\n").expect("write");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "big change"]);
}

fn diff_view_open() {
    use gt::tui::msg::Msg;
    use gt::tui::update::update;
    use gt::tui::{fixtures, view};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let tmp = tempfile::tempdir().expect("tmp");
    repo_with_big_change(tmp.path());
    let mut read = Vec::new();
    let mut drawn = Vec::new();
    let mut total = Vec::new();
    let mut term = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
    for _ in 0..30 {
        let t = Instant::now();
        let change = gt::git::change(tmp.path(), "main", "feature", true).expect("diff");
        let t_read = t.elapsed();
        assert!(change.patch.lines().count() > 5000);
        let view = gt::work::refinery::diff::DiffView {
            target: "bench".into(),
            what: "bench branch".into(),
            rig: "bench".into(),
            base: "main".into(),
            head: "feature".into(),
            merge_request: None,
            review: None,
            uncommitted: None,
            change,
        };
        let mut state = fixtures::state(fixtures::busy_town(), (160, 45));
        let t2 = Instant::now();
        update(
            &mut state,
            Msg::DiffLoaded {
                id: 1,
                result: Ok(Box::new(view)),
            },
        );
        term.draw(|f| view::draw(f, &state)).expect("draw");
        let t_draw = t2.elapsed();
        read.push(t_read.as_micros() as u64);
        drawn.push(t_draw.as_micros() as u64);
        total.push((t_read + t_draw).as_micros() as u64);
    }
    // The floor: git's own command printing the same patch.
    let mut floor = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let o = Command::new("git")
            .current_dir(tmp.path())
            .args(["--no-pager", "diff", "main...feature"])
            .output()
            .expect("git diff");
        assert!(o.status.success());
        floor.push(t.elapsed().as_micros() as u64);
    }
    summary("floor: `git diff main...feature` (the CLI)", floor, None);
    summary("diff of a 5,000-line patch read (git)", read, None);
    summary("diff view drawn, 5,000-line patch", drawn, None);
    summary(
        "diff view open → first frame, 5,000 lines",
        total,
        Some(50.0),
    );
}

fn main() {
    if std::env::var("BENCH_ONLY").as_deref() == Ok("diff") {
        diff_view_open();
        return;
    }
    offscreen_render();
    diff_view_open();

    let bt = town_with_rigs("gt-bench-ws-", &["bench", "bench2"]);
    let root = bt.tmp.path();
    if std::env::var_os("GT_BENCH_SHOW").is_some() {
        println!("bench town under {}", root.display());
    }
    let town = bt.town.clone();
    // Busy for the whole run, like a town of agents at work.
    sim_runtime(&town, "benchsim", "--busy 3600");
    // The workspace alone: the supervisor's duties are measured by `--bench supervisor`.
    gt(
        &town,
        &["--batch", "config", "set", "ui.supervise", "false"],
    );
    let ids = create_beads(&town, AGENTS, &["bench", "bench2"], "Bench work");
    let t0 = Instant::now();
    sling_spread(&town, &ids, &["bench", "bench2"], "benchsim");
    println!(
        "town: {AGENTS} sim agents slung in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // The person's terminal: 160×45, running the workspace directly (its pid is the pane's).
    let term = Server(format!("gt-bench-term-{}", std::process::id()));
    let stats = root.join("stats.json");
    let exe = env!("CARGO_BIN_EXE_gt");
    let cmd = format!(
        "GT_TMUX_CONFIG=/dev/null GT_TUI_STATS={} {} exec {exe}",
        stats.display(),
        std::env::var("GT_BENCH_ENV").unwrap_or_default()
    );
    tmux(
        &term.0,
        &[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "45",
            "-c",
            town.to_str().expect("utf8"),
            &cmd,
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = tmux(&term.0, &["capture-pane", "-p"]);
        if s.contains(&format!("{AGENTS} agents: {AGENTS} working")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the workspace never showed the town:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let pid: u32 = tmux(&term.0, &["display", "-p", "#{pane_pid}"])
        .trim()
        .parse()
        .expect("pid");

    // Idle: nothing typed for 10 s (the agents are busy; the town is looked at every second).
    std::thread::sleep(Duration::from_secs(2));
    let (own0, kids0) = cpu_ticks(pid);
    let idle = Duration::from_secs(10);
    match std::env::var("GT_BENCH_PERF") {
        // Where the idle time goes: `GT_BENCH_PERF=out.data cargo bench --bench workspace`.
        Ok(out) => {
            let _ = Command::new("perf")
                .args([
                    "record",
                    "-g",
                    "-o",
                    &out,
                    "-p",
                    &pid.to_string(),
                    "--",
                    "sleep",
                    "10",
                ])
                .output();
        }
        Err(_) => std::thread::sleep(idle),
    }
    let (own1, kids1) = cpu_ticks(pid);
    let hz = ticks_per_sec();
    let pct = |t: u64| t as f64 / hz / idle.as_secs_f64() * 100.0;
    let own = pct(own1 - own0);
    println!(
        "idle CPU of the workspace process (10 s)          {own:>5.2}% of a core (budget 2%: {})",
        if own <= 2.0 { "ok" } else { "OVER BUDGET" }
    );
    println!(
        "  …and of the tmux clients it ran meanwhile        {:>5.2}% of a core",
        pct(kids1 - kids0)
    );

    // Keystrokes: down and up through the 100 agents, as a person would.
    for i in 0..60 {
        let key = if (i / 15) % 2 == 0 { "j" } else { "k" };
        tmux(&term.0, &["send-keys", key]);
        std::thread::sleep(Duration::from_millis(120));
    }
    std::thread::sleep(Duration::from_millis(500));
    tmux(&term.0, &["send-keys", "q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stats.exists() {
        assert!(Instant::now() < deadline, "no stats written");
        std::thread::sleep(Duration::from_millis(100));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&stats).expect("stats")).expect("json");
    let list = |k: &str| -> Vec<u64> {
        v[k].as_array()
            .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
            .unwrap_or_default()
    };
    let per_refresh = list("tmux_per_refresh");
    let max = per_refresh.iter().copied().max().unwrap_or(0);
    println!(
        "tmux processes per refresh, {AGENTS} agents          max {max}  ({} refreshes; budget 3: {})",
        per_refresh.len(),
        if max <= 3 { "ok" } else { "OVER BUDGET" }
    );
    summary(
        "keystroke → frame, 100 agents",
        list("key_to_frame_us"),
        Some(16.0),
    );
    summary("frame render (live, 160×45)", list("render_us"), None);
}
