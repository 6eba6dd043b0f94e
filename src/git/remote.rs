//! Git between the town and a host: branches pushed to the host's copy of a rig and fetched
//! back, over the host's ssh connection (`GIT_SSH_COMMAND`), and the command lines that run
//! git there (the caller sends them over ssh).

use super::GitError;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(300);

fn git_via(ssh_command: &str, args: &[&str], cwd: &Path) -> Result<String, GitError> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(cwd)
        .env("GIT_SSH_COMMAND", ssh_command)
        .env("GIT_TERMINAL_PROMPT", "0");
    let out =
        crate::process::run_within(&mut cmd, None, LIMIT, crate::process::Kill::Group, |_| {})
            .map_err(GitError::Spawn)?;
    match out.status {
        Some(s) if s.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        s => Err(GitError::Command {
            command: format!("git {}", args.join(" ")),
            code: s.and_then(|s| s.code()),
            stderr: if s.is_none() {
                format!("no answer within {} s", LIMIT.as_secs())
            } else {
                String::from_utf8_lossy(&out.stderr).trim().to_string()
            },
        }),
    }
}

/// Pushes `branches` of the town's bare `repo` to the same names at `url` (forced: the
/// host's copy follows the town's).
pub fn push_branches(
    repo: &Path,
    url: &str,
    ssh_command: &str,
    branches: &[&str],
) -> Result<(), GitError> {
    let specs: Vec<String> = branches
        .iter()
        .map(|b| format!("+refs/heads/{b}:refs/heads/{b}"))
        .collect();
    let mut args = vec!["push", "--quiet", url];
    args.extend(specs.iter().map(String::as_str));
    git_via(ssh_command, &args, repo).map(|_| ())
}

/// Fetches `branch` from `url` into the town's bare `repo` (forced: the agent's branch is
/// the agent's, and it may have rewritten it).
pub fn fetch_branch(
    repo: &Path,
    url: &str,
    ssh_command: &str,
    branch: &str,
) -> Result<(), GitError> {
    let spec = format!("+refs/heads/{branch}:refs/heads/{branch}");
    git_via(ssh_command, &["fetch", "--quiet", url, &spec], repo).map(|_| ())
}

/// A shell line for the host: a bare repository at `bare` (made when missing).
pub fn init_bare_line(bare: &str) -> String {
    let b = crate::ssh::quote(bare);
    format!("test -d {b} || git init --quiet --bare {b}")
}

/// A shell line for the host: `worktree` checked out on `branch` from `bare` — added when
/// missing, switched when there (it must be clean: a reused worktree's work was landed).
pub fn worktree_line(bare: &str, worktree: &str, branch: &str) -> String {
    let (b, w, br) = (
        crate::ssh::quote(bare),
        crate::ssh::quote(worktree),
        crate::ssh::quote(branch),
    );
    format!(
        "if test -d {w}; then git -C {w} checkout --quiet {br}; \
         else git -C {b} worktree add --quiet {w} {br}; fi"
    )
}

/// A shell line for the host: everything left in `worktree` committed as `author`
/// (nothing lost), printing `committed` when there was something.
pub fn commit_all_line(worktree: &str, message: &str, author: (&str, &str)) -> String {
    let w = crate::ssh::quote(worktree);
    format!(
        "if test -n \"$(git -C {w} status --porcelain)\"; then \
         git -C {w} add -A && git -C {w} -c user.name={n} -c user.email={e} commit --quiet -m {m} && echo committed; fi",
        n = crate::ssh::quote(author.0),
        e = crate::ssh::quote(author.1),
        m = crate::ssh::quote(message),
    )
}

/// A shell line for the host: the worktree removed and its branch deleted (an undone sling).
pub fn remove_worktree_line(bare: &str, worktree: &str, branch: &str) -> String {
    let (b, w, br) = (
        crate::ssh::quote(bare),
        crate::ssh::quote(worktree),
        crate::ssh::quote(branch),
    );
    format!(
        "git -C {b} worktree remove --force {w} 2>/dev/null; rm -rf {w}; \
         git -C {b} worktree prune; git -C {b} branch -D {br} 2>/dev/null; true"
    )
}
