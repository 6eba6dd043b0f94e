//! A person's terminal for end-to-end tests: a private tmux server (not the town's) running
//! a command in a window of a given size, typed at with `send-keys`, read with
//! `capture-pane`, killed on drop.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

pub struct Terminal {
    pub socket: String,
}

impl Terminal {
    /// Runs `script` (sh) in `cwd` with the sandbox's environment in a `w`×`h` window.
    pub fn start(sandbox: &super::Sandbox, cwd: &Path, script: &str, w: u16, h: u16) -> Terminal {
        let socket = format!(
            "gt-test-term-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let home = sandbox.path().join("home");
        let env = [
            format!("HOME={}", home.display()),
            format!("XDG_CONFIG_HOME={}", home.join(".config").display()),
            "GT_TMUX_CONFIG=/dev/null".to_string(),
            format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
            "TERM=xterm-256color".to_string(),
        ];
        let mut args: Vec<String> = vec![
            "-f".into(),
            "/dev/null".into(),
            "-L".into(),
            socket.clone(),
            "new-session".into(),
            "-d".into(),
            "-x".into(),
            w.to_string(),
            "-y".into(),
            h.to_string(),
            "-c".into(),
            cwd.display().to_string(),
        ];
        for e in &env {
            args.push("-e".into());
            args.push(e.clone());
        }
        args.extend(["sh".into(), "-c".into(), script.to_string()]);
        let ok = Command::new("tmux")
            .args(&args)
            .env_remove("TMUX")
            .env_remove("GT_TOWN")
            .env_remove("GT_AGENT")
            .status()
            .expect("tmux");
        assert!(ok.success(), "could not start the test terminal");
        Terminal { socket }
    }

    /// A person attached to `window` of the sandbox town's own tmux server, 100×30.
    pub fn attach(sandbox: &super::Sandbox, window: &str) -> Terminal {
        let town = sandbox.town();
        let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("tmux-socket");
        let script = format!("tmux -L {} attach -t {window}", socket.trim());
        Terminal::start(sandbox, &town, &script, 100, 30)
    }

    pub fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Keys by tmux name (`Enter`, `Escape`, `C-s`, `j`).
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "0", k])
                .status()
                .expect("send-keys");
            assert!(ok.success());
            // A person does not type faster than a terminal can tell Escape from Alt-x.
            std::thread::sleep(std::time::Duration::from_millis(60));
        }
    }

    /// Text pasted as a terminal pastes it: a bracketed paste when the program asked for
    /// one, line breaks as carriage returns.
    pub fn paste(&self, text: &str) {
        for args in [
            vec!["set-buffer", "-b", "gt-test-paste", "--", text],
            vec![
                "paste-buffer",
                "-p",
                "-d",
                "-r",
                "-b",
                "gt-test-paste",
                "-t",
                "0",
            ],
        ] {
            let ok = Command::new("tmux")
                .args(["-L", &self.socket])
                .args(&args)
                .status()
                .expect("tmux");
            assert!(ok.success(), "{args:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(60));
    }

    /// Text, typed literally.
    pub fn type_text(&self, text: &str) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "-l", text])
            .status()
            .expect("send-keys");
        assert!(ok.success());
        std::thread::sleep(std::time::Duration::from_millis(60));
    }

    /// Waits until the screen satisfies `check`; panics with the screen after `secs`.
    pub fn wait(&self, secs: u64, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if check(&s) {
                return s;
            }
            if std::time::Instant::now() > deadline {
                panic!("timed out after {secs}s waiting for {what}; the screen:\n{s}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
