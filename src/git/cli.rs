//! Network operations through the git CLI (credentials, proxies and protocols just work).

use super::GitError;
use std::path::Path;
use std::process::Command;

pub(super) fn run(args: &[&str], cwd: Option<&Path>) -> Result<String, GitError> {
    run_within(args, cwd, None)
}

/// A local git command with extra environment (a temporary index, say).
pub(super) fn run_env(
    args: &[&str],
    cwd: &Path,
    env: &[(&str, &Path)],
) -> Result<String, GitError> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(GitError::Spawn)?;
    finished(args, out)
}

/// stdout of a git that succeeded; its own words when it did not.
fn finished(args: &[&str], out: std::process::Output) -> Result<String, GitError> {
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(GitError::Command {
            command: format!("git {}", args.join(" ")),
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Like `run`, killed after `limit` (a network operation must not hold the caller forever:
/// a stalled remote would keep the refinery's lock).
pub(super) fn run_within(
    args: &[&str],
    cwd: Option<&Path>,
    limit: Option<std::time::Duration>,
) -> Result<String, GitError> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        // Never stop to ask for a password: gt runs headless.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .stdin(std::process::Stdio::null());
    if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
        // ssh asks for host keys and passphrases on the tty, which GIT_TERMINAL_PROMPT does
        // not cover; BatchMode makes it fail instead.
        cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = match limit {
        None => cmd.output().map_err(GitError::Spawn)?,
        Some(limit) => output_within(cmd, limit, args)?,
    };
    finished(args, out)
}

fn output_within(
    mut cmd: Command,
    limit: std::time::Duration,
    args: &[&str],
) -> Result<std::process::Output, GitError> {
    // Its own process group, so the time limit stops what git started too (ssh, helpers).
    let out =
        crate::process::run_within(&mut cmd, None, limit, crate::process::Kill::Group, |_| {})
            .map_err(GitError::Spawn)?;
    let Some(status) = out.status else {
        return Err(GitError::Command {
            command: format!("git {}", args.join(" ")),
            code: None,
            stderr: format!("no answer within {} s; stopped", limit.as_secs()),
        });
    };
    Ok(std::process::Output {
        status,
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// `git clone --bare <url> <dest>`, then a fetch refspec so `origin/*` tracks the remote.
/// The clone is killed after `limit` (a remote that stalls must not hold `gt rig add` and the
/// rigs lock for ever).
pub fn clone_bare(url: &str, dest: &Path, limit: std::time::Duration) -> Result<(), GitError> {
    let dest_s = dest.to_string_lossy();
    run_within(
        &["clone", "--bare", "--quiet", "--", url, &dest_s],
        None,
        Some(limit),
    )?;
    run(
        &[
            "config",
            "remote.origin.fetch",
            "+refs/heads/*:refs/remotes/origin/*",
        ],
        Some(dest),
    )?;
    fetch_origin(dest)
}

/// Updates `refs/remotes/origin/*` from the remote.
pub fn fetch_origin(repo: &Path) -> Result<(), GitError> {
    run(&["fetch", "--quiet", "--prune", "origin"], Some(repo)).map(|_| ())
}
