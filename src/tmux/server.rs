//! The town's own tmux server: `tmux -L gt-<hash6>`, never the user's default server.
//! Every call runs with a timeout and fails with the command line and tmux's stderr.

use super::TmuxError;
use crate::process::Kill;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tmux_interface::{Tmux, TmuxCommand, TmuxCommands};

/// Every tmux process this process started: the workspace benchmark reports tmux processes
/// per refresh from it (DESIGN.md §12 budgets them).
static SPAWNED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The same, for the current thread only (what one caller's work cost, whatever other
    /// threads of the process run meanwhile).
    static SPAWNED_HERE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// tmux processes this thread has started.
pub fn spawned_here() -> u64 {
    SPAWNED_HERE.with(|c| c.get())
}

fn count_spawn() {
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    SPAWNED_HERE.with(|c| c.set(c.get() + 1));
}

/// How many tmux processes gt has started in this process so far.
pub fn spawned() -> u64 {
    SPAWNED.load(Ordering::Relaxed)
}

#[derive(Debug, Clone)]
pub struct Server {
    socket: String,
    /// `-f <file>`: the config the server starts with (None: tmux's default lookup).
    config: Option<String>,
    timeout: Duration,
}

/// `gt-` and six hex digits of the hash of the town's canonical path, so every spelling of
/// the same directory (symlinks, `..`, a trailing slash) names the same server.
pub fn socket_name_for(town_root: &Path) -> String {
    // A root that cannot be resolved (removed meanwhile) still gets a stable name: its
    // components, which at least drop a trailing slash and `.`.
    let canonical = std::fs::canonicalize(town_root)
        .unwrap_or_else(|_| town_root.components().collect::<PathBuf>());
    let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
    let hex: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
    format!("gt-{hex}")
}

/// A name usable as `tmux -L <name>`: a plain file name of safe characters (it becomes a
/// file in tmux's socket directory, and is read back from `.gt/tmux-socket`).
pub fn is_valid_socket_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Server {
    /// The server of the town at `root` (named from its path's hash). `$GT_TMUX_CONFIG` picks
    /// its config file (tests use /dev/null); `$GT_TMUX_TIMEOUT_MS` the per-call timeout
    /// (default 5 s).
    pub fn for_town(root: &Path) -> Server {
        Server::named(socket_name_for(root))
    }

    /// The server called `socket` (a name recorded earlier), configured like `for_town`.
    /// Callers check the name with `is_valid_socket_name` first.
    pub fn named(socket: String) -> Server {
        let timeout = std::env::var("GT_TMUX_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(5_000);
        Server {
            socket,
            config: std::env::var("GT_TMUX_CONFIG")
                .ok()
                .filter(|v| !v.is_empty()),
            timeout: Duration::from_millis(timeout),
        }
    }

    /// The same server with another per-call timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Server {
        self.timeout = timeout;
        self
    }

    /// The same server with an explicit config file (tests pass /dev/null).
    pub fn with_config(mut self, config: Option<&str>) -> Server {
        self.config = config.map(str::to_string);
        self
    }

    pub fn socket(&self) -> &str {
        &self.socket
    }

    /// The argv prefix of every call: `tmux [-f conf] -L <socket>`.
    pub fn base_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(c) = &self.config {
            v.push("-f".into());
            v.push(c.clone());
        }
        v.push("-L".into());
        v.push(self.socket.clone());
        v
    }

    fn tmux(&self) -> Tmux<'static> {
        let mut t = Tmux::new().socket_name(self.socket.clone());
        if let Some(c) = &self.config {
            t = t.file(c.clone());
        }
        t
    }

    /// `tmux [-f conf] -L <socket> <commands chained with ;>`.
    fn command(&self, commands: Vec<TmuxCommand<'static>>) -> std::process::Command {
        let mut cmds = TmuxCommands::new();
        cmds.separator(";");
        for c in commands {
            let words = c.to_vec();
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            let mut safe = TmuxCommand::with_name(name.to_string());
            for a in args {
                safe.push_param(super::escape::argument(a));
            }
            cmds.push(safe);
        }
        self.tmux().commands(cmds).into_command()
    }

    /// Runs one tmux process with these commands (chained with `;`), optionally feeding
    /// `stdin`; returns stdout. A tmux that does not answer within the server's time limit
    /// (hung server, a command that never reads its stdin) is killed and reported.
    ///
    /// tmux takes a command line of at most 16 KiB (one message to its server: "command too
    /// long" past it), so a longer chain is split at command boundaries into as few tmux
    /// processes as fit, run in order, their outputs joined (a batch that reads stdin is one
    /// process: it is never that long).
    pub fn run(
        &self,
        commands: Vec<TmuxCommand<'static>>,
        stdin: Option<&[u8]>,
    ) -> Result<String, TmuxError> {
        let mut chunks = fit_command_line(commands);
        if chunks.len() == 1 || stdin.is_some() {
            let all = chunks.into_iter().flatten().collect();
            return self.run_one(all, stdin);
        }
        let mut out = String::new();
        for c in chunks.drain(..) {
            out.push_str(&self.run_one(c, None)?);
        }
        Ok(out)
    }

    fn run_one(
        &self,
        commands: Vec<TmuxCommand<'static>>,
        stdin: Option<&[u8]>,
    ) -> Result<String, TmuxError> {
        let mut cmd = self.command(commands);
        let line = describe(&cmd);
        let out = crate::process::run_within(&mut cmd, stdin, self.timeout, Kill::Child, |_| {
            count_spawn();
        })
        .map_err(|source| TmuxError::Spawn {
            command: line.clone(),
            source,
        })?;
        let Some(status) = out.status else {
            return Err(TmuxError::Timeout {
                command: line,
                after: self.timeout,
            });
        };
        if status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            // tmux's own failure explains more than the broken pipe it may have caused.
            Err(TmuxError::Failed {
                command: line,
                code: status.code(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// A blocking `tmux … <commands>` with the terminal handed over (attach / switch-client).
    pub fn run_interactive(&self, commands: Vec<TmuxCommand<'static>>) -> Result<(), TmuxError> {
        let mut std_cmd = self.command(commands);
        let line = describe(&std_cmd);
        let mut child = std_cmd.spawn().map_err(|source| TmuxError::Spawn {
            command: line.clone(),
            source,
        })?;
        count_spawn();
        let status = child.wait().map_err(|source| TmuxError::Spawn {
            command: line.clone(),
            source,
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(TmuxError::Failed {
                command: line,
                code: status.code(),
                stderr: "see the terminal output above".into(),
            })
        }
    }
}

impl Server {
    /// Starts a tmux process that may rightly outlive this call — `display-menu` waits until
    /// the person closes the menu, then runs the chosen item itself — and returns once it
    /// failed, finished, or is still running after `settle` (then it is left to finish on
    /// its own: killing it would orphan the menu's choice).
    pub fn run_detached(
        &self,
        commands: Vec<TmuxCommand<'static>>,
        settle: Duration,
    ) -> Result<(), TmuxError> {
        let mut cmd = self.command(commands);
        let line = describe(&cmd);
        let ended =
            crate::process::start_settled(&mut cmd, settle).map_err(|source| TmuxError::Spawn {
                command: line.clone(),
                source,
            })?;
        count_spawn();
        match ended {
            Some((status, stderr)) if !status.success() => Err(TmuxError::Failed {
                command: line,
                code: status.code(),
                stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
            }),
            _ => Ok(()),
        }
    }
}

fn describe(cmd: &std::process::Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        s.push(' ');
        if a.contains(' ') || a.is_empty() {
            s.push_str(&format!("{a:?}"));
        } else {
            s.push_str(&a);
        }
    }
    // Pasted text never appears here (it goes through stdin), but keep errors readable.
    if s.len() > 400 {
        s.truncate(400);
        s.push('…');
    }
    s
}

/// Bytes of tmux arguments one client process may send: its command travels in one 16 KiB
/// message to the server (measured with tmux 3.3a: a 16,351-byte argument passes, 16,360
/// does not), less a margin.
const MAX_COMMAND_LINE: usize = 16_000;

/// Splits a chain of commands into runs whose arguments fit one tmux process, in order.
fn fit_command_line(commands: Vec<TmuxCommand<'static>>) -> Vec<Vec<TmuxCommand<'static>>> {
    let mut out: Vec<Vec<TmuxCommand<'static>>> = vec![Vec::new()];
    let mut used = 0usize;
    for c in commands {
        // Each argument travels escaped, NUL-terminated; `;` separates the commands.
        let size: usize = c
            .to_vec()
            .iter()
            .map(|w| super::escape::argument(w).len() + 1)
            .sum::<usize>()
            + 2;
        if used + size > MAX_COMMAND_LINE && out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
            used = 0;
        }
        used += size;
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

#[cfg(test)]
mod fit_tests {
    use super::*;
    use tmux_interface::DisplayMessage;

    #[test]
    fn a_long_chain_is_split_at_command_boundaries_in_order() {
        let cmds: Vec<TmuxCommand<'static>> = (0..600)
            .map(|i| {
                DisplayMessage::new()
                    .print()
                    .message(format!("message number {i:04} with some length to it"))
                    .build()
            })
            .collect();
        let chunks = fit_command_line(cmds.clone());
        assert!(chunks.len() >= 2, "{}", chunks.len());
        let flat: Vec<TmuxCommand<'static>> = chunks.iter().flatten().cloned().collect();
        assert_eq!(flat, cmds, "every command, in order");
        for c in &chunks {
            let bytes: usize = c.iter().flat_map(|c| c.to_vec()).map(|w| w.len() + 1).sum();
            assert!(bytes <= MAX_COMMAND_LINE, "{bytes}");
        }
        assert_eq!(
            fit_command_line(cmds[..3].to_vec()).len(),
            1,
            "a short chain is one"
        );
    }
}
