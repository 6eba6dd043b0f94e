//! A second "host" on this machine for the remote-host tests: Debian's OpenSSH server on
//! 127.0.0.1 at a free port, logging in as a local user of its own (own HOME, keys made
//! here). Needs root (to make the user and run sshd); `.ci/run` installs openssh-server.
//! Missing, a test is skipped loudly — unless `GT_REQUIRE_RUNTIMES=1` (CI), where it fails.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Sshd {
    pub user: String,
    pub port: u16,
    pub home: PathBuf,
    /// An ssh config file naming the key and known-hosts file (`gt config set ssh.config`).
    pub ssh_config: PathBuf,
    dir: tempfile::TempDir,
    sshd_config: PathBuf,
}

const SSHD: &str = "/usr/sbin/sshd";

fn skip_or_fail(test: &str, why: &str) -> Option<Sshd> {
    if std::env::var("GT_REQUIRE_RUNTIMES").is_ok_and(|v| v == "1") {
        panic!("{test}: an OpenSSH server is required (GT_REQUIRE_RUNTIMES=1) but {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Sshd {
    /// Starts one, or says why not (skipped outside CI).
    pub fn start(test: &str) -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            return skip_or_fail(
                test,
                "/usr/sbin/sshd is missing (apt-get install openssh-server)",
            );
        }
        // SAFETY: geteuid only reads this process's user id.
        if unsafe { libc::geteuid() } != 0 {
            return skip_or_fail(test, "making a second local user needs root");
        }
        let dir = tempfile::Builder::new()
            .prefix("gt-sshd-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path().to_path_buf();
        // Other users must reach the authorized keys file and sshd its config.
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let user = format!("gth{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let home = d.join("home");
        sh(Command::new("useradd")
            .args(["-m", "-d"])
            .arg(&home)
            .args(["-s", "/bin/sh", &user]));
        // An account with no password is locked for sshd; `*` is "no password, not locked".
        sh(Command::new("usermod").args(["-p", "*", &user]));
        for k in ["host_key", "client_key"] {
            sh(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(k)));
        }
        let auth = d.join("authorized_keys");
        std::fs::copy(d.join("client_key.pub"), &auth).expect("keys");
        std::fs::set_permissions(&auth, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod");
        let port = super::browser::free_port();
        let sshd_config = d.join("sshd_config");
        std::fs::write(
            &sshd_config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {auth}\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PidFile {pid}\nAllowUsers {user}\nStreamLocalBindUnlink yes\nLogLevel ERROR\n",
                hk = d.join("host_key").display(),
                auth = auth.display(),
                pid = d.join("sshd.pid").display(),
            ),
        )
        .expect("sshd_config");
        let known = d.join("known_hosts");
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).expect("pub");
        std::fs::write(&known, format!("[127.0.0.1]:{port} {host_pub}")).expect("known");
        let ssh_config = d.join("ssh_config");
        std::fs::write(
            &ssh_config,
            format!(
                "Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n  StrictHostKeyChecking yes\n",
                key = d.join("client_key").display(),
                known = known.display()
            ),
        )
        .expect("ssh_config");
        let s = Sshd {
            user,
            port,
            home,
            ssh_config,
            dir,
            sshd_config,
        };
        s.resume();
        Some(s)
    }

    pub fn url(&self) -> String {
        format!("ssh://{}@127.0.0.1:{}", self.user, self.port)
    }

    /// (Re)starts the server (after `kill_all`).
    pub fn resume(&self) {
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        sh(Command::new(SSHD)
            .arg("-f")
            .arg(&self.sshd_config)
            .arg("-E")
            .arg(self.dir.path().join("sshd.log")));
        let end = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < end, "sshd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The host "goes away": its sshd and every session it serves end (the user's own
    /// processes, tmux and agents, live on).
    pub fn kill_all(&self) {
        let _ = Command::new("pkill")
            .args(["-KILL", "-f"])
            .arg(format!("sshd: {}", self.user))
            .status();
        let _ = Command::new("pkill")
            .args(["-KILL", "-f"])
            .arg(self.sshd_config.display().to_string())
            .status();
    }

    /// Runs a shell command as the host's user (for assertions): its stdout.
    pub fn as_user(&self, script: &str) -> String {
        self.as_user_status(script).1
    }

    /// The same, with its exit code and stderr after stdout.
    pub fn as_user_status(&self, script: &str) -> (i32, String) {
        let out = Command::new("su")
            .args(["-s", "/bin/sh", "-c", script, &self.user])
            .output()
            .expect("su");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill_all();
        // Everything the user still runs (a tmux server, agents) goes with it.
        let _ = Command::new("pkill")
            .args(["-KILL", "-u", &self.user])
            .status();
        std::thread::sleep(Duration::from_millis(100));
        let _ = Command::new("userdel").arg(&self.user).status();
    }
}
