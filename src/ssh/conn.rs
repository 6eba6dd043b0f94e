//! The connection to one host: a ControlMaster started once (in the background, shared by
//! every gt process of the town) and commands run through it. Nothing ever asks on a
//! terminal: BatchMode, so a missing key or an unknown host key is an error, not a prompt.

use super::{SshError, Target, command_line};
use crate::process::Kill;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How a town reaches its hosts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `ssh -F`: an ssh config file of the town's (`ssh.config`); None: the user's own.
    pub config: Option<PathBuf>,
    /// Where ssh's own complaints go (a file in `.gt/logs/`).
    pub log: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Conn {
    pub name: String,
    pub target: Target,
    control: PathBuf,
    opts: Options,
}

/// How long a host has to answer a connection.
const CONNECT_SECS: u64 = 8;

impl Conn {
    /// The connection to `target`, known to the town as `name`; `control_dir` holds its
    /// control socket (short: a socket path has at most 107 bytes).
    pub fn new(name: &str, target: Target, control_dir: &Path, opts: Options) -> Conn {
        Conn {
            name: name.to_string(),
            target,
            control: control_dir.join(name),
            opts,
        }
    }

    pub fn control_path(&self) -> &Path {
        &self.control
    }

    /// `ssh` with the town's config, the control socket and the host's port: every call's
    /// start. The destination comes last, after the caller's own options.
    fn ssh(&self) -> Command {
        let mut c = Command::new("ssh");
        c.args(self.options());
        c
    }

    /// The options every ssh call to this host takes (also for `ssh -t` in a pane and for
    /// git's transport).
    pub fn options(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(f) = &self.opts.config {
            v.push("-F".into());
            v.push(f.display().to_string());
        }
        v.extend(["-o", "BatchMode=yes", "-o", "ControlMaster=no", "-S"].map(String::from));
        v.push(self.control.display().to_string());
        if let Some(p) = self.target.port {
            v.push("-p".into());
            v.push(p.to_string());
        }
        v
    }

    /// Whether the connection is up (no network traffic: asks the local master).
    pub fn is_up(&self) -> bool {
        self.master_pid().is_some()
    }

    /// The master's process id while the connection is up (a new id: a new connection,
    /// whose forwards are still to be made).
    pub fn master_pid(&self) -> Option<u32> {
        let mut c = self.ssh();
        c.args(["-O", "check", &self.target.destination()]);
        let f = run(&mut c, None, Duration::from_secs(3)).ok()?;
        if !f.status.is_some_and(|s| s.success()) {
            return None;
        }
        // "Master running (pid=1234)"
        let text = String::from_utf8_lossy(&f.stderr);
        let pid = text.split("pid=").nth(1)?;
        pid.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .ok()
            .or(Some(0))
    }

    /// Starts the connection unless it is up. The master lives on in the background
    /// (ControlPersist) until `close`, shared by every gt process; keepalives end it within
    /// about 15 s of the host going silent, so a dead host is noticed.
    pub fn connect(&self) -> Result<(), SshError> {
        if self.is_up() {
            return Ok(());
        }
        if let Some(dir) = self.control.parent() {
            // Its parent too, unless that is the system's temp folder itself: a folder
            // another user made could have the socket swapped under it.
            if let Some(up) = dir.parent().filter(|u| *u != std::env::temp_dir()) {
                crate::fsutil::private_dir(up).map_err(SshError::Spawn)?;
            }
            crate::fsutil::private_dir(dir).map_err(SshError::Spawn)?;
        }
        // One starter at a time: two masters racing would leave the loser running unused.
        let _turn = crate::fsutil::LockGuard::acquire(&self.control.with_extension("lock"))
            .map_err(|e| SshError::Spawn(std::io::Error::other(e.to_string())))?;
        if self.is_up() {
            return Ok(());
        }
        let mut c = Command::new("ssh");
        if let Some(f) = &self.opts.config {
            c.arg("-F").arg(f);
        }
        c.args([
            "-o",
            "BatchMode=yes",
            "-o",
            &format!("ConnectTimeout={CONNECT_SECS}"),
            "-o",
            "ServerAliveInterval=5",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            "ControlMaster=yes",
            "-o",
            "ControlPersist=yes",
            // A forward that cannot be made (the socket exists) must not end the master.
            "-o",
            "ExitOnForwardFailure=no",
            "-S",
        ])
        .arg(&self.control);
        if let Some(p) = self.target.port {
            c.arg("-p").arg(p.to_string());
        }
        // -f: into the background once authenticated; -N: no command, only the connection.
        c.args(["-f", "-N", &self.target.destination()]);
        // The master keeps whatever it is given open: never our pipes, or a caller waiting
        // for their end would wait for the master's.
        let log = self.opts.log.as_ref().and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        c.stdin(Stdio::null()).stdout(Stdio::null());
        match log {
            Some(f) => c.stderr(f),
            None => c.stderr(Stdio::null()),
        };
        let status = run_status(&mut c, Duration::from_secs(CONNECT_SECS + 4))?;
        if status.is_some_and(|s| s.success()) && self.is_up() {
            return Ok(());
        }
        Err(SshError::Unreachable {
            host: self.name.clone(),
            why: self.last_complaint().unwrap_or_else(|| {
                if status.is_none() {
                    format!("no answer within {} s", CONNECT_SECS + 4)
                } else {
                    "ssh could not connect".into()
                }
            }),
        })
    }

    /// The last line ssh wrote to the log (why a connection failed).
    fn last_complaint(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.opts.log.as_ref()?).ok()?;
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| crate::inert::for_terminal(l.trim()))
    }

    /// Runs `words` on the host (each word quoted for its shell) and returns stdout.
    pub fn run<S: AsRef<str>>(
        &self,
        words: &[S],
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> Result<String, SshError> {
        self.run_line(&command_line(words), stdin, limit)
    }

    /// Runs a shell command line on the host, connecting first if needed. The caller builds
    /// `line` with `quote` around everything that is not its own.
    pub fn run_line(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> Result<String, SshError> {
        self.connect()?;
        let mut c = self.ssh();
        c.args(["-T", &self.target.destination(), "--", line]);
        let f = run(&mut c, stdin, limit)?;
        let Some(status) = f.status else {
            return Err(SshError::Timeout {
                host: self.name.clone(),
                command: line.to_string(),
                secs: limit.as_secs(),
            });
        };
        if status.success() {
            return Ok(String::from_utf8_lossy(&f.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&f.stderr).trim().to_string();
        // 255 is ssh's own failure (the connection), not the command's.
        if status.code() == Some(255) {
            return Err(SshError::Unreachable {
                host: self.name.clone(),
                why: if stderr.is_empty() {
                    "the connection failed".into()
                } else {
                    stderr
                },
            });
        }
        Err(SshError::Failed {
            host: self.name.clone(),
            command: line.to_string(),
            code: status.code(),
            stderr,
        })
    }

    /// Copies a local file to `remote_path` on the host (through a temporary name, then
    /// renamed: a half-copied file is never in place), mode 0755.
    pub fn install_file(&self, local: &Path, remote_path: &str) -> Result<(), SshError> {
        self.connect()?;
        let file = std::fs::File::open(local).map_err(SshError::Spawn)?;
        let tmp = format!("{remote_path}.part");
        let line = format!(
            "mkdir -p \"$(dirname {p})\" && cat > {t} && chmod 755 {t} && mv -f {t} {p}",
            p = super::quote(remote_path),
            t = super::quote(&tmp),
        );
        let mut c = self.ssh();
        c.args(["-T", &self.target.destination(), "--", &line]);
        c.stdin(Stdio::from(file))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = c.output().map_err(SshError::Spawn)?;
        if out.status.success() {
            return Ok(());
        }
        Err(SshError::Failed {
            host: self.name.clone(),
            command: line,
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }

    /// Forwards the Unix socket `remote` on the host to `local` here, over the master: a
    /// process there that connects to `remote` talks to whoever listens on `local`. Nothing
    /// listens on a network port.
    pub fn forward_socket(&self, remote: &str, local: &Path) -> Result<(), SshError> {
        self.connect()?;
        let spec = format!("{remote}:{}", local.display());
        let mut c = self.ssh();
        c.args(["-O", "forward", "-R", &spec, &self.target.destination()]);
        let f = run(&mut c, None, Duration::from_secs(10))?;
        match f.status {
            Some(s) if s.success() => Ok(()),
            _ => Err(SshError::Failed {
                host: self.name.clone(),
                command: format!("ssh -O forward -R {spec}"),
                code: f.status.and_then(|s| s.code()),
                stderr: String::from_utf8_lossy(&f.stderr).trim().to_string(),
            }),
        }
    }

    /// The argv of an interactive `ssh -t` running `words` on the host (a pane's program).
    pub fn tty_argv<S: AsRef<str>>(&self, words: &[S]) -> Vec<String> {
        let mut v = vec!["ssh".to_string()];
        v.extend(self.options());
        v.extend(["-t".to_string(), "-q".to_string()]);
        v.push(self.target.destination());
        v.push("--".into());
        v.push(command_line(words));
        v
    }

    /// `GIT_SSH_COMMAND` for git talking to this host through the connection.
    pub fn git_ssh_command(&self) -> String {
        let mut words = vec!["ssh".to_string()];
        words.extend(self.options());
        command_line(&words)
    }

    /// A git URL of `path` on the host (git's ssh transport; the port is in the URL).
    pub fn git_url(&self, path: &str) -> String {
        let port = self
            .target
            .port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!("ssh://{}{port}{path}", self.target.destination())
    }

    /// Ends the connection (and with it every forward and session over it).
    pub fn close(&self) {
        let mut c = self.ssh();
        c.args(["-O", "exit", &self.target.destination()]);
        let _ = run(&mut c, None, Duration::from_secs(3));
    }
}

fn run(
    c: &mut Command,
    stdin: Option<&[u8]>,
    limit: Duration,
) -> Result<crate::process::Finished, SshError> {
    crate::process::run_within(c, stdin, limit, Kill::Child, |_| {}).map_err(SshError::Spawn)
}

/// Waits for a command whose output goes elsewhere, killing it after `limit` (None then).
fn run_status(
    c: &mut Command,
    limit: Duration,
) -> Result<Option<std::process::ExitStatus>, SshError> {
    let mut child = c.spawn().map_err(SshError::Spawn)?;
    let end = std::time::Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().map_err(SshError::Spawn)? {
            return Ok(Some(s));
        }
        if std::time::Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
