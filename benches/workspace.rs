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
    Workspace, cpu_ticks, create_beads, gt, sim_runtime, sling_spread, summary_us, ticks_per_sec,
    town_with_rigs,
};
use std::process::Command;
use std::time::{Duration, Instant};

const AGENTS: usize = 100;

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
    summary_us("frame render, 100 agents, off-screen 160×45", us, None);
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
    summary_us("floor: `git diff main...feature` (the CLI)", floor, None);
    summary_us("diff of a 5,000-line patch read (git)", read, None);
    summary_us("diff view drawn, 5,000-line patch", drawn, None);
    summary_us(
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
    let ws = Workspace::open(
        &town,
        root,
        &format!("{AGENTS} agents: {AGENTS} working"),
        Duration::from_secs(60),
    );
    let pid = ws.pid();

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
    ws.browse(60);
    let stats = ws.quit();
    let max = stats.tmux_per_refresh.iter().copied().max().unwrap_or(0);
    println!(
        "tmux processes per refresh, {AGENTS} agents          max {max}  ({} refreshes; budget 3: {})",
        stats.tmux_per_refresh.len(),
        if max <= 3 { "ok" } else { "OVER BUDGET" }
    );
    summary_us(
        "keystroke → frame, 100 agents",
        stats.key_to_frame_us,
        Some(16.0),
    );
    summary_us("frame render (live, 160×45)", stats.render_us, None);
}
