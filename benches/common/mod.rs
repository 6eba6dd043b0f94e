//! Helpers the benchmark programs share: running the real `gt`, a throwaway source
//! repository, and stopping a town's tmux server however a run ends.
#![allow(dead_code)]

pub mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn gt_cmd(town: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gt"));
    c.args(args)
        .current_dir(town)
        .env_remove("GT_TOWN")
        .env_remove("GT_AGENT")
        .env("GT_TMUX_CONFIG", "/dev/null");
    c
}

/// Runs gt and returns its stdout; a failure stops the benchmark with gt's message.
pub fn gt(town: &Path, args: &[&str]) -> String {
    let out = gt_cmd(town, args).output().expect("run gt");
    assert!(
        out.status.success(),
        "gt {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository with one commit on `main`, at `dir`.
pub fn source_repo(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let st = Command::new("sh")
        .arg("-c")
        .arg("git init -q -b main && echo hi > README && git add . && git -c user.name=b -c user.email=b@b commit -qm init")
        .current_dir(dir)
        .status()
        .expect("git");
    assert!(st.success());
}

/// Kills the town's tmux server (and every agent on it) when the benchmark ends, also when
/// an assertion fails midway. The name is read at drop time: the server starts with the
/// first agent, and the record names whichever server the town uses.
pub struct ServerGuard {
    pub town: PathBuf,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Ok(name) = std::fs::read_to_string(self.town.join(".gt/tmux-socket")) {
            let _ = Command::new("tmux")
                .args(["-L", name.trim(), "kill-server"])
                .output();
        }
    }
}

/// Prints median, p90 and min of `samples` and the verdict against `budget_ms` (None: a
/// command DESIGN.md §12 sets no budget for).
pub fn report_timings(name: &str, mut samples: Vec<std::time::Duration>, budget_ms: Option<f64>) {
    samples.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let median = ms(samples[samples.len() / 2]);
    let p90 = ms(samples[(samples.len() * 9 / 10).min(samples.len() - 1)]);
    let min = ms(samples[0]);
    let verdict = match budget_ms {
        Some(b) if median <= b => format!("budget {b} ms: ok"),
        Some(b) => format!("budget {b} ms: OVER BUDGET"),
        None => "no budget".to_string(),
    };
    println!(
        "{name:<52} median {median:>8.2} ms   p90 {p90:>8.2} ms   min {min:>8.2} ms   ({verdict}, n={})",
        samples.len()
    );
}

/// A scratch town for a benchmark: a source repository and the town with `rigs` added from
/// it. The town's tmux server is killed before the directory goes (field order).
pub struct BenchTown {
    _server: ServerGuard,
    pub tmp: tempfile::TempDir,
    pub town: PathBuf,
    pub src: PathBuf,
}

pub fn town_with_rigs(prefix: &str, rigs: &[&str]) -> BenchTown {
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("tempdir");
    let root = tmp.path().to_path_buf();
    let src = root.join("src");
    source_repo(&src);
    gt(&root, &["--batch", "install", "town"]);
    let town = root.join("town");
    for rig in rigs {
        gt(
            &town,
            &["--batch", "rig", "add", rig, src.to_str().expect("utf8")],
        );
    }
    BenchTown {
        _server: ServerGuard { town: town.clone() },
        tmp,
        town,
        src,
    }
}

/// `n` beads, spread over `rigs` in turn, made by one `gt --batch -` process; their ids.
pub fn create_beads(town: &Path, n: usize, rigs: &[&str], title: &str) -> Vec<String> {
    use std::io::Write;
    let script: String = (0..n)
        .map(|i| {
            let rig = rigs[i % rigs.len()];
            format!("bead create \"{title} {i}\" --rig {rig}\n")
        })
        .collect();
    let mut c = gt_cmd(town, &["--batch", "-"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().expect("batch");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("batch");
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), n, "bead creation");
    ids
}

/// Slings beads made by `create_beads` to their rigs (one sling per rig) with runtime `agent`.
pub fn sling_spread(town: &Path, ids: &[String], rigs: &[&str], agent: &str) {
    for (k, rig) in rigs.iter().enumerate() {
        let mut args = vec!["--batch", "sling"];
        args.extend(ids.iter().skip(k).step_by(rigs.len()).map(String::as_str));
        args.extend([*rig, "--agent", agent, "--no-convoy"]);
        gt(town, &args);
    }
}

/// Defines runtime `name`: the simulator with these switches and its markers.
pub fn sim_runtime(town: &Path, name: &str, switches: &str) {
    let line = format!("{{gt}} agent sim {switches}");
    gt(
        town,
        &[
            "--batch",
            "config",
            "agent",
            "set",
            name,
            &line,
            "--ready-marker",
            "sim❯",
            "--busy-marker",
            "(esc to interrupt)",
        ],
    );
}

/// (utime + stime, cutime + cstime) of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').expect("stat") + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // rest[0] is field 3 (state); utime is field 14 → index 11.
    (f[11] + f[12], f[13] + f[14])
}

pub fn ticks_per_sec() -> f64 {
    let o = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}

/// The witness's last round report for `rig` (`.gt/daemon/witness-<rig>.json`).
pub fn witness_report(town: &Path, rig: &str) -> serde_json::Value {
    std::fs::read_to_string(town.join(format!(".gt/daemon/witness-{rig}.json")))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Stops the supervisor however the benchmark ends.
pub struct Down(pub PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = gt_cmd(&self.0, &["--batch", "down", "--force"]).output();
    }
}

/// `tmux <args>` on the town's own server; its stdout.
pub fn town_tmux(town: &Path, args: &[&str]) -> String {
    let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("socket");
    let o = Command::new("tmux")
        .args(["-L", socket.trim()])
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A field of `/proc/<pid>/<file>` (`status`, `smaps_rollup`) in kB; 0 when absent.
pub fn proc_kb(pid: u64, file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The pid of the town's supervisor (`gt up` started it), from `gt daemon status`.
pub fn supervisor_pid(town: &Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&gt(town, &["--json", "daemon", "status"])).expect("json");
    v["daemon"]["status"]["pid"]
        .as_u64()
        .expect("supervisor pid")
}

/// What a process cost over a window: its CPU share (utime + stime / wall, % of one core),
/// and its memory at the end (VmRSS, VmHWM; MB).
pub struct Usage {
    pub cpu_pct: f64,
    pub rss_mb: f64,
    pub hwm_mb: f64,
}

/// Watches process `pid` for `window`.
pub fn usage_over(pid: u64, window: std::time::Duration) -> Usage {
    let ticks0 = cpu_ticks(pid as u32).0;
    let t0 = std::time::Instant::now();
    std::thread::sleep(window);
    let cpu_pct =
        (cpu_ticks(pid as u32).0 - ticks0) as f64 / ticks_per_sec() / t0.elapsed().as_secs_f64()
            * 100.0;
    Usage {
        cpu_pct,
        rss_mb: proc_kb(pid, "status", "VmRSS:") as f64 / 1024.0,
        hwm_mb: proc_kb(pid, "status", "VmHWM:") as f64 / 1024.0,
    }
}

/// "ok" or "OVER BUDGET".
pub fn verdict(within: bool) -> &'static str {
    if within { "ok" } else { "OVER BUDGET" }
}

/// Crash → verdict: kills the programs of `count` working agents of `rig` (SIGKILL to the
/// pane's process) one after another, and times until the rig's witness report says
/// `zombie` for each. Needs the supervisor running.
pub fn crash_to_verdict(town: &Path, rig: &str, count: usize) -> Vec<std::time::Duration> {
    use std::time::{Duration, Instant};
    let prefix = format!("{rig}/polecats/");
    let victims: Vec<(String, String)> = town_tmux(
        town,
        &[
            "list-panes",
            "-a",
            "-F",
            "#{pane_pid} #{pane_dead} #{@gt_agent}",
        ],
    )
    .lines()
    .filter_map(|l| {
        let mut it = l.split(' ');
        let (pid, dead, agent) = (it.next()?, it.next()?, it.next()?);
        (dead == "0" && agent.starts_with(&prefix)).then(|| (pid.to_string(), agent.to_string()))
    })
    .take(count)
    .collect();
    let mut notice = Vec::new();
    for (pid, agent) in victims {
        let t = Instant::now();
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        loop {
            let rep = witness_report(town, rig);
            let seen = rep["agents"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["address"] == agent.as_str() && x["verdict"] == "zombie")
            });
            if seen || t.elapsed() > Duration::from_secs(30) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        notice.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(700));
    }
    notice
}

/// The workspace (`gt`) running in a terminal of its own (a private tmux server, 160×45),
/// writing its figures (`GT_TUI_STATS`) when it quits. The terminal's server is killed on drop.
pub struct Workspace {
    socket: String,
    stats: PathBuf,
}

impl Workspace {
    /// Starts the workspace on `town` and waits (up to `wait`) until its screen shows `expect`.
    /// `scratch` holds the stats file.
    pub fn open(town: &Path, scratch: &Path, expect: &str, wait: std::time::Duration) -> Workspace {
        let ws = Workspace {
            socket: format!("gt-bench-term-{}", std::process::id()),
            stats: scratch.join("stats.json"),
        };
        let _ = std::fs::remove_file(&ws.stats);
        let exe = env!("CARGO_BIN_EXE_gt");
        let cmd = format!(
            "GT_TMUX_CONFIG=/dev/null GT_TUI_STATS={} {} exec {exe}",
            ws.stats.display(),
            std::env::var("GT_BENCH_ENV").unwrap_or_default()
        );
        ws.tmux(&[
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
        ]);
        let deadline = std::time::Instant::now() + wait;
        loop {
            let s = ws.screen();
            if s.contains(expect) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the workspace never showed {expect:?}:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        ws
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// The workspace's own process (the terminal's pane runs it directly).
    pub fn pid(&self) -> u32 {
        self.tmux(&["display", "-p", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("pid")
    }

    /// Down and up through the agents, as a person would: `n` keys, 120 ms apart.
    pub fn browse(&self, n: usize) {
        for i in 0..n {
            let key = if (i / 15) % 2 == 0 { "j" } else { "k" };
            self.tmux(&["send-keys", key]);
            std::thread::sleep(std::time::Duration::from_millis(120));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }

    /// Quits the workspace and returns the figures it wrote.
    pub fn quit(self) -> WorkspaceStats {
        self.tmux(&["send-keys", "q"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.stats.exists() {
            assert!(std::time::Instant::now() < deadline, "no stats written");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&self.stats).expect("stats")).expect("json");
        let list = |k: &str| -> Vec<u64> {
            v[k].as_array()
                .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
                .unwrap_or_default()
        };
        WorkspaceStats {
            tmux_per_refresh: list("tmux_per_refresh"),
            key_to_frame_us: list("key_to_frame_us"),
            render_us: list("render_us"),
        }
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// What the workspace measured of itself (`src/tui/stats.rs`).
pub struct WorkspaceStats {
    pub tmux_per_refresh: Vec<u64>,
    pub key_to_frame_us: Vec<u64>,
    pub render_us: Vec<u64>,
}

/// Median, p95 and max of microsecond samples, and the verdict of p95 against `budget_ms`.
pub fn summary_us(name: &str, mut us: Vec<u64>, budget_ms: Option<f64>) {
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
