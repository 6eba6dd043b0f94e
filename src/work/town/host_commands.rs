//! The town's side of a remote agent's `gt` (see `hosts::proxy`): the command run here,
//! with this gt, for an agent placed on the host the socket belongs to — only the agent's own
//! commands, with its identity from the ledger.

use crate::work::hosts::proxy::{MAX_REQUEST, Reply, Request};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// What an agent on a host may have the town run: an agent's own commands (its hook, its
/// work, its mail, the ledger), never the town's configuration, hosts, rigs or brakes.
const ALLOWED: &[&str] = &[
    "prime", "done", "hook", "unsling", "whoami", "mail", "nudge", "escalate", "bead", "show",
    "ready", "blocked", "close", "mol", "handoff", "convoy", "agents", "status", "peek", "feed",
    "costs", "diff",
];

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
