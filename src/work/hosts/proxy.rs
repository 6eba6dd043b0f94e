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

/// A request is at most this big (a mail body read from stdin included).
pub const MAX_REQUEST: u64 = 16 << 20;

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
