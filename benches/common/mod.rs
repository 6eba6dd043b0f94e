//! Helpers the benchmark programs share: running the real `gt`, a throwaway source
//! repository, and stopping a town's tmux server however a run ends.
#![allow(dead_code)]

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
