//! Test harness: runs the real `gt` binary against temp towns and temp git repositories.
#![allow(dead_code)]

pub mod browser;
pub mod cli_setup;
pub mod model;
pub mod mq;
pub mod runtimes;
pub mod sshd;
pub mod terminal;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

pub fn gt_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gt"))
}

/// A scratch area: a temp dir holding a town (once installed) and source repositories.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// Extra environment for every gt this sandbox runs (a PATH with the agent CLIs, say).
    pub env: std::cell::RefCell<Vec<(String, String)>>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::Builder::new()
                .prefix("gt-test-")
                // GT_TEST_KEEP=1 keeps every sandbox for reading after the run.
                .disable_cleanup(std::env::var("GT_TEST_KEEP").is_ok_and(|v| v == "1"))
                .tempdir()
                .expect("tempdir"),
            env: std::cell::RefCell::new(Vec::new()),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn town(&self) -> PathBuf {
        self.path().join("town")
    }

    /// A sandbox with an installed town.
    pub fn with_town() -> Sandbox {
        let s = Sandbox::new();
        let r = s.gt_in(s.path(), &["--batch", "install", "town"]);
        assert_eq!(r.code, 0, "install failed: {}", r.stderr);
        s
    }

    /// Runs gt in `cwd` with a clean environment (own HOME / config dir, no inherited town).
    pub fn gt_in(&self, cwd: &Path, args: &[&str]) -> Run {
        Run::from(self.cmd(cwd, args).output().expect("run gt"))
    }

    pub fn cmd(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(gt_bin());
        c.args(args)
            .current_dir(cwd)
            .env_remove("GT_TOWN")
            .env_remove("GT_AGENT")
            .env_remove("BD_ACTOR")
            .env_remove("GT_DEFAULT_AGENT")
            .env("HOME", self.path().join("home"))
            .env("XDG_CONFIG_HOME", self.path().join("home/.config"))
            .env("NO_COLOR", "1")
            // Each town gets its own tmux server (named from its path); never the user's
            // config, never the user's server.
            .env("GT_TMUX_CONFIG", "/dev/null")
            .envs(self.env.borrow().iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        c
    }

    /// Starts `gt --batch -` in the town with `script` on its stdin (not waited for).
    pub fn spawn_batch(&self, script: &str) -> std::process::Child {
        self.spawn_with_stdin(&["--batch", "-"], script)
    }

    /// Runs gt in the town with `input` on its stdin and waits for it.
    pub fn gt_stdin(&self, args: &[&str], input: &str) -> Run {
        Run::from(
            self.spawn_with_stdin(args, input)
                .wait_with_output()
                .expect("wait"),
        )
    }

    fn spawn_with_stdin(&self, args: &[&str], input: &str) -> std::process::Child {
        use std::io::Write;
        let mut child = self
            .cmd(&self.town(), args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child
    }

    /// Runs `gt --batch -` with `script` and waits for it.
    pub fn batch_stdin(&self, script: &str) -> Run {
        Run::from(self.spawn_batch(script).wait_with_output().expect("wait"))
    }

    /// Runs gt inside the town.
    pub fn gt(&self, args: &[&str]) -> Run {
        self.gt_in(&self.town(), args)
    }

    /// Runs gt inside the town and expects success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.gt(args);
        assert_eq!(
            r.code, 0,
            "gt {args:?} failed ({}):\n{}{}",
            r.code, r.stdout, r.stderr
        );
        r
    }

    /// `gt --batch --json …` parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--batch", "--json"];
        full.extend_from_slice(args);
        let v = self.ok(&full).json();
        assert_eq!(v["schema"], 1, "missing schema in {v}");
        v
    }

    /// `gt --batch --json …` run in `dir`, parsed (expects success).
    pub fn json_in(&self, dir: &Path, args: &[&str]) -> Value {
        let mut full = vec!["--batch", "--json"];
        full.extend_from_slice(args);
        let r = self.gt_in(dir, &full);
        assert_eq!(r.code, 0, "gt {full:?} in {}: {}", dir.display(), r.stderr);
        r.json()
    }

    /// Creates a bead and returns its id.
    pub fn create(&self, args: &[&str]) -> String {
        let mut full = vec!["--batch", "bead", "create"];
        full.extend_from_slice(args);
        self.ok(&full).stdout.trim().to_string()
    }

    /// A git repository with one commit on `main`, outside the town.
    pub fn source_repo(&self, name: &str) -> PathBuf {
        let dir = self.path().join("src").join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        git(&dir, &["init", "-q", "-b", "main"]);
        std::fs::write(dir.join("README.md"), format!("# {name}\n")).expect("write");
        git(&dir, &["add", "."]);
        git(&dir, &["commit", "-q", "-m", "initial"]);
        dir
    }

    /// Adds a rig from a fresh source repository.
    pub fn add_rig(&self, name: &str) -> PathBuf {
        let src = self.source_repo(name);
        self.ok(&["--batch", "rig", "add", name, src.to_str().expect("utf8")]);
        src
    }

    /// `tmux <args>` on the town's own server (its output; panics unless tmux succeeds).
    pub fn town_tmux(&self, args: &[&str]) -> String {
        let socket =
            std::fs::read_to_string(self.town().join(".gt/tmux-socket")).expect("tmux-socket");
        let o = Command::new("tmux")
            .args(["-L", socket.trim()])
            .args(args)
            .output()
            .expect("tmux");
        assert!(
            o.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// A format (`#{pane_pid}`, `#{window_width}`…) of `agent`'s pane on the town's server.
    /// None too when the server is gone (it ends with its last window).
    pub fn agent_pane(&self, agent: &str, format: &str) -> Option<String> {
        let socket =
            std::fs::read_to_string(self.town().join(".gt/tmux-socket")).expect("tmux-socket");
        let o = Command::new("tmux")
            .args(["-L", socket.trim(), "list-panes", "-a", "-F"])
            .arg(format!("#{{@gt_agent}} {format}"))
            .output()
            .expect("tmux");
        let err = String::from_utf8_lossy(&o.stderr);
        if !o.status.success()
            && (err.contains("no server running") || err.contains("error connecting"))
        {
            return None;
        }
        assert!(o.status.success(), "tmux list-panes: {err}");
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{agent} ")).map(str::to_string))
    }

    pub fn sql(&self, query: &str) -> String {
        sqlite(&self.town().join(".gt/ledger.db"), query)
    }

    /// Makes an escalation look raised `secs` ago (the state time leaves behind), so a test of
    /// what happens to an overdue one does not sleep.
    pub fn backdate_escalation(&self, id: &str, secs: u64) {
        self.sql(&format!(
            "UPDATE beads SET metadata = json_set(metadata, '$.escalated_at', \
             strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-{secs} seconds')) WHERE id = '{id}'"
        ));
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("run git");
    assert!(
        o.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Reads the ledger with the sqlite3 CLI, independently of gt.
pub fn sqlite(db: &Path, query: &str) -> String {
    let o = Command::new("sqlite3")
        .args(["-cmd", ".timeout 10000"])
        .arg(db)
        .arg(query)
        .output()
        .expect("run sqlite3");
    assert!(
        o.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// `../shared/compat` from the project root, or None (with a note on stderr) when absent.
pub fn compat_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/compat");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} not found; compatibility fixtures are unavailable",
            dir.display()
        );
        None
    }
}

/// Every file under `dir` with its contents, to prove a refused command wrote nothing. In a
/// town, `.beads/issues.jsonl` is brought up to date first: the export follower of earlier
/// writes is not the command's doing (a command that did write still shows, its marks too).
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    if dir.join("town.toml").is_file() {
        let _ = Command::new(gt_bin())
            .args(["--batch", "bead", "flush"])
            .current_dir(dir)
            .env_remove("GT_TOWN")
            .env_remove("GT_AGENT")
            .output();
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !volatile(&p) {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

/// Files that change without a logical write: logs, lock files, SQLite's WAL/shm.
fn volatile(p: &Path) -> bool {
    let s = p.to_string_lossy();
    s.contains("/.gt/logs/") || s.contains("/.gt/locks/") || s.contains("ledger.db")
}

impl Sandbox {
    /// Row counts of every ledger table (a refused command must leave them unchanged).
    /// Brings `.beads/issues.jsonl` up to date now (`gt bead flush`): a write leaves it to
    /// the town's follower, which rewrites it a moment later.
    pub fn flush(&self) {
        self.ok(&["--batch", "bead", "flush"]);
    }

    /// `.beads/issues.jsonl`, brought up to date first.
    pub fn jsonl(&self) -> String {
        self.flush();
        std::fs::read_to_string(self.town().join(".beads/issues.jsonl")).expect("read jsonl")
    }

    pub fn ledger_state(&self) -> String {
        self.sql(
            "SELECT (SELECT count(*) FROM beads), (SELECT count(*) FROM deps), (SELECT count(*) FROM labels), \
             (SELECT count(*) FROM comments), (SELECT count(*) FROM events), (SELECT group_concat(updated_at) FROM beads)",
        )
    }
}

impl Drop for Sandbox {
    /// Kills every tmux server a town of this sandbox started.
    fn drop(&mut self) {
        let mut stack = vec![self.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            // A supervisor survives its tmux server (by design): stop it by its pid.
            if let Ok(text) = std::fs::read_to_string(d.join(".gt/daemon/status.json"))
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && let Some(pid) = v["pid"].as_u64()
                && v["kind"] == "daemon"
            {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .output();
            }
            let socket = d.join(".gt/tmux-socket");
            if let Ok(name) = std::fs::read_to_string(&socket) {
                let _ = Command::new("tmux")
                    .args(["-L", name.trim(), "kill-server"])
                    .output();
            }
            if let Ok(entries) = std::fs::read_dir(&d) {
                for e in entries.flatten() {
                    let p = e.path();
                    let name = e.file_name();
                    let skip = name == ".git"
                        || name == ".repo.git"
                        || name == "polecats"
                        || name == "src";
                    if p.is_dir() && !skip && stack.len() < 64 {
                        stack.push(p);
                    }
                }
            }
        }
    }
}

/// How much longer than written a test waits: `GT_TEST_TIME_SCALE` (e.g. 3 on a slow or
/// loaded machine; default 1). Only limits scale: a test never waits longer than it must.
pub fn time_scale() -> u64 {
    std::env::var("GT_TEST_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| (1..=20).contains(n))
        .unwrap_or(1)
}

/// Polls `check` every 100 ms until it returns Some, or panics after `secs` (times
/// `time_scale()`) with `what`.
pub fn wait_for<T>(secs: u64, what: &str, check: impl FnMut() -> Option<T>) -> T {
    wait_for_or(secs, what, check, String::new)
}

/// `wait_for` whose failure also says what `explain` finds then (screens, logs).
pub fn wait_for_or<T>(
    secs: u64,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
    explain: impl FnOnce() -> String,
) -> T {
    let secs = secs * time_scale();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        if std::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}\n{}", explain());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

impl Sandbox {
    /// A town with one rig (a repository with a few commits) whose agents run the simulator.
    pub fn with_sim_rig(rig: &str) -> Sandbox {
        let s = Sandbox::with_town();
        let src = s.source_repo(rig);
        for i in 1..=3 {
            std::fs::write(src.join(format!("file{i}.txt")), format!("content {i}\n"))
                .expect("write");
            git(&src, &["add", "."]);
            git(&src, &["commit", "-q", "-m", &format!("commit {i}")]);
        }
        s.ok(&["--batch", "rig", "add", rig, src.to_str().expect("utf8")]);
        s.ok(&["--batch", "config", "default-agent", "sim"]);
        s
    }

    /// Defines a runtime running the simulator with these switches.
    pub fn sim_runtime(&self, name: &str, switches: &str, extra: &[&str]) {
        self.simlike_runtime(name, &format!("{{gt}} agent sim {switches}"), extra);
    }

    /// Defines a runtime running `line` whose screen reads like the simulator's (its prompt
    /// and busy markers).
    pub fn simlike_runtime(&self, name: &str, line: &str, extra: &[&str]) {
        let mut args = vec![
            "--batch",
            "config",
            "agent",
            "set",
            name,
            line,
            "--ready-marker",
            "sim❯",
            "--busy-marker",
            "(esc to interrupt)",
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
    }

    /// Everything the simulator of `agent` received, in order.
    pub fn sim_received(&self, agent: &str) -> Vec<String> {
        let path = self
            .town()
            .join(".gt/sim")
            .join(format!("{}.jsonl", agent.replace('/', "--")));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect()
    }

    /// `gt sling <args…>` (it must succeed); the address of the agent that took the first bead.
    pub fn sling_agent(&self, args: &[&str]) -> String {
        let mut full = vec!["sling"];
        full.extend_from_slice(args);
        self.json(&full)["slung"][0]["agent"]
            .as_str()
            .expect("the sling names its agent")
            .to_string()
    }

    /// Reports a runtime event for `agent` as its runtime's hook would: `gt agent event
    /// <kind>` with `payload` on stdin. Panics unless gt exits 0.
    pub fn runtime_event(&self, agent: &str, kind: &str, payload: &Value) {
        self.runtime_event_for(agent, kind, None, payload);
    }

    /// `runtime_event` as a hook of `dialect` runs it (`--for`); what gt answered.
    pub fn runtime_event_for(
        &self,
        agent: &str,
        kind: &str,
        dialect: Option<&str>,
        payload: &Value,
    ) -> String {
        let mut args = vec!["--batch", "agent", "event", kind];
        if let Some(d) = dialect {
            args.extend(["--for", d]);
        }
        let mut c = self.cmd(&self.town(), &args);
        c.env("GT_AGENT", agent)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("spawn gt agent event");
        if let Some(mut i) = child.stdin.take() {
            use std::io::Write;
            let _ = i.write_all(payload.to_string().as_bytes());
        }
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{kind}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The state (`gt agents --json`) of one agent.
    pub fn agent_view(&self, agent: &str) -> Value {
        let v = self.json(&["agents"]);
        v["agents"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["address"] == agent).cloned())
            .unwrap_or(Value::Null)
    }
}

impl Sandbox {
    /// Writes `<town>/formulas/<name>.formula.toml`.
    pub fn town_formula(&self, name: &str, text: &str) {
        let dir = self.town().join("formulas");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{name}.formula.toml")), text).expect("write");
    }
}

/// A private tmux server for tests that drive the tmux layer in-process: its own socket
/// (named from its own temp dir), no user config, killed on drop.
pub struct PrivateServer {
    pub server: gt::tmux::Server,
    _dir: tempfile::TempDir,
    _turn: InProcess,
}

/// Tests share one process: a test that counts the tmux processes this process started
/// (`gt::tmux::spawned`) runs alone among the tests that start tmux in-process.
static TMUX_IN_PROCESS: std::sync::RwLock<()> = std::sync::RwLock::new(());

enum InProcess {
    Shared(#[allow(dead_code)] std::sync::RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] std::sync::RwLockWriteGuard<'static, ()>),
}

impl PrivateServer {
    pub fn new() -> Self {
        Self::with_turn(InProcess::Shared(
            TMUX_IN_PROCESS.read().unwrap_or_else(|e| e.into_inner()),
        ))
    }

    /// A server for a test that counts tmux processes: no other in-process tmux user runs
    /// meanwhile.
    pub fn alone() -> Self {
        Self::with_turn(InProcess::Alone(
            TMUX_IN_PROCESS.write().unwrap_or_else(|e| e.into_inner()),
        ))
    }

    fn with_turn(turn: InProcess) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = gt::tmux::Server::for_town(dir.path()).with_config(Some("/dev/null"));
        PrivateServer {
            server,
            _dir: dir,
            _turn: turn,
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", self.server.socket(), "kill-server"])
            .output();
    }
}
