//! A remote agent's `gt`: on a host, `gt` finds `GT_TOWN_SOCKET` (a Unix socket forwarded
//! over the host's ssh connection to the town) and has the town run the command instead —
//! `gt prime`, `gt done`, `gt mail …` act on the town's ledger as if run there. One JSON line
//! each way; nothing listens on a network port.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

pub const SOCKET_ENV: &str = "GT_TOWN_SOCKET";

/// The variables of the agent's session that go with its command: who it says it is (the
/// town checks it against its ledger and sets the rest of its identity itself) and how to
/// print.
const PASSED: &[&str] = &["GT_AGENT", "NO_COLOR"];

/// What an agent on a host may have the town run: an agent's own commands (its hook, its
/// work, its mail, the ledger), never the town's configuration, hosts, rigs or brakes.
const ALLOWED: &[&str] = &[
    "prime", "done", "hook", "unsling", "whoami", "mail", "nudge", "escalate", "bead", "show",
    "ready", "blocked", "close", "mol", "handoff", "convoy", "agents", "status", "peek", "feed",
    "costs", "diff",
];

/// A request is at most this big (a mail body read from stdin included).
const MAX_REQUEST: u64 = 16 << 20;

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    #[serde(default)]
    pub stdin: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Whether a command line runs where it is typed even on a host: the simulator (a
/// runtime, not a town command) and asking gt about itself.
pub fn runs_here(args: &[String]) -> bool {
    let about = |a: &str| matches!(a, "--version" | "-V" | "--help" | "-h" | "help");
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-') || about(a))
        .collect();
    words.first().is_some_and(|w| about(w)) || words.windows(2).any(|w| w == ["agent", "sim"])
}

/// Why the town will not run this for a host's agent, if it will not: a command outside
/// `ALLOWED`, or a setting given on the command line (`-c`, `--set`).
fn refused(args: &[String]) -> Option<String> {
    let setting = |a: &String| {
        a == "--set" || a.starts_with("--set=") || (a.starts_with("-c") && !a.starts_with("--"))
    };
    if args.iter().any(setting) {
        return Some("settings cannot be given to the town from a host (-c/--set)".into());
    }
    let Some(cmd) = args.iter().find(|a| !a.starts_with('-')) else {
        return Some("no command".into());
    };
    if !ALLOWED.contains(&cmd.as_str()) {
        return Some(format!(
            "`gt {}` is not run for an agent on a host (its own commands are: {})",
            crate::inert::for_terminal(cmd),
            ALLOWED.join(", ")
        ));
    }
    None
}

/// The commands that read a body from stdin (`--stdin`, or `-` for a file name).
fn reads_stdin(args: &[String]) -> bool {
    args.iter().any(|a| a == "--stdin" || a == "-")
}

/// The client: sends the command to the town and gives back what it printed and its exit
/// code. A town that is not reachable yet (the host's connection is down) is waited for up
/// to `wait`, said once on stderr.
pub fn call(socket: &Path, args: Vec<String>, wait: Duration) -> Reply {
    let env = PASSED
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    // SAFETY: isatty only inspects a file descriptor.
    let stdin = if !reads_stdin(&args) || unsafe { libc::isatty(0) } == 1 {
        None
    } else {
        let mut s = String::new();
        let _ = std::io::stdin()
            .take(MAX_REQUEST / 2)
            .read_to_string(&mut s);
        Some(s)
    };
    let req = Request { args, env, stdin };
    let end = Instant::now() + wait;
    let mut said = false;
    let mut stream = loop {
        match UnixStream::connect(socket) {
            Ok(s) => break s,
            Err(e) if Instant::now() < end => {
                if !said {
                    eprintln!(
                        "gt: the town cannot be reached from this host yet ({e}); waiting up to {} s",
                        wait.as_secs()
                    );
                    said = true;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => {
                return failed(format!(
                    "gt: the town could not be reached from this host ({e}); nothing was done"
                ));
            }
        }
    };
    let Ok(line) = serde_json::to_string(&req) else {
        return failed("gt: the command could not be sent".into());
    };
    if writeln!(stream, "{line}").is_err() {
        return failed(
            "gt: the town's connection closed before the command was sent; nothing was done".into(),
        );
    }
    let mut answer = String::new();
    let _ = BufReader::new(stream).read_line(&mut answer);
    serde_json::from_str(&answer).unwrap_or_else(|_| {
        failed(format!(
            "gt: the connection to the town broke while `gt {}` ran; whether it was done is not known (look with `gt hook` or `gt mail inbox`)",
            req.args.join(" ")
        ))
    })
}

fn failed(stderr: String) -> Reply {
    Reply {
        code: 1,
        stdout: String::new(),
        stderr: format!("{stderr}\n"),
    }
}

/// The server side of one connection from host `host`: runs the command with this gt in
/// the town at `root`, as the agent it says it is — only an agent placed on that host.
pub fn serve(root: &Path, host: &str, stream: UnixStream) {
    let reply = match read_request(&stream) {
        Ok(req) => run(root, host, req),
        Err(why) => Reply {
            code: 2,
            stdout: String::new(),
            stderr: format!("gt: {why}\n"),
        },
    };
    if let Ok(line) = serde_json::to_string(&reply) {
        let mut s = &stream;
        let _ = writeln!(s, "{line}");
    }
}

fn read_request(stream: &UnixStream) -> Result<Request, String> {
    let mut line = String::new();
    BufReader::new(stream.take(MAX_REQUEST))
        .read_line(&mut line)
        .map_err(|e| format!("the request could not be read: {e}"))?;
    serde_json::from_str(&line).map_err(|e| format!("not a gt request: {e}"))
}

fn run(root: &Path, host: &str, req: Request) -> Reply {
    let refuse = |why: String| Reply {
        code: 2,
        stdout: String::new(),
        stderr: format!("gt: {why}; nothing was done\n"),
    };
    let Some(agent) = req
        .env
        .iter()
        .find(|(k, _)| k == "GT_AGENT")
        .map(|(_, v)| v.clone())
    else {
        return refuse(format!(
            "only an agent placed on host {host} may ask the town (no GT_AGENT)"
        ));
    };
    let info = match placed_on(root, host, &agent) {
        Ok(i) => i,
        Err(why) => return refuse(why),
    };
    if let Some(why) = refused(&req.args) {
        return refuse(why);
    }
    let mut cmd = std::process::Command::new(crate::fsutil::gt_exe());
    cmd.args(&req.args).current_dir(root);
    // Nothing of the supervisor's own identity leaks into the agent's command.
    for (k, _) in std::env::vars() {
        if k.starts_with("GT_") || k == "BD_ACTOR" || k.starts_with("GIT_") {
            cmd.env_remove(&k);
        }
    }
    if req.env.iter().any(|(k, _)| k == "NO_COLOR") {
        cmd.env("NO_COLOR", "1");
    }
    // Its identity is the ledger's, not what the host sent.
    cmd.env("GT_AGENT", &info.address)
        .env("BD_ACTOR", &info.address)
        .env("GT_ROLE", info.role.to_string())
        .env("GT_RIG", info.rig.as_deref().unwrap_or_default())
        .env("GT_TOWN", root)
        .env("GT_HOST", host);
    if let Ok(conf) = std::env::var("GT_TMUX_CONFIG") {
        cmd.env("GT_TMUX_CONFIG", conf);
    }
    let out = crate::process::run_within(
        &mut cmd,
        Some(req.stdin.as_deref().unwrap_or("").as_bytes()),
        Duration::from_secs(3600),
        crate::process::Kill::Group,
        |_| {},
    );
    match out {
        Ok(f) => Reply {
            code: f.status.and_then(|s| s.code()).unwrap_or(1),
            stdout: String::from_utf8_lossy(&f.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&f.stderr).into_owned(),
        },
        Err(e) => Reply {
            code: 1,
            stdout: String::new(),
            stderr: format!("gt: the town could not run the command: {e}\n"),
        },
    }
}

/// A host speaks only for the agents placed on it.
fn placed_on(
    root: &Path,
    host: &str,
    agent: &str,
) -> Result<crate::work::agents::AgentInfo, String> {
    let ctx = crate::work::Ctx::open(root).map_err(|e| e.to_string())?;
    let info = crate::work::agents::find(&ctx.reader(), agent).map_err(|e| e.to_string())?;
    match info {
        Some(i) if i.host.as_deref() == Some(host) => Ok(i),
        _ => Err(format!(
            "{} does not run on host {host}; refused",
            crate::inert::for_terminal(agent)
        )),
    }
}
