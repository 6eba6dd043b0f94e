//! Network operations through the git CLI (credentials, proxies and protocols just work).

use super::GitError;
use std::path::Path;
use std::process::Command;

pub(super) fn run(args: &[&str], cwd: Option<&Path>) -> Result<String, GitError> {
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
    let out = cmd.output().map_err(GitError::Spawn)?;
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

/// `git clone --bare <url> <dest>`, then a fetch refspec so `origin/*` tracks the remote.
pub fn clone_bare(url: &str, dest: &Path) -> Result<(), GitError> {
    let dest_s = dest.to_string_lossy();
    run(&["clone", "--bare", "--quiet", "--", url, &dest_s], None)?;
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
