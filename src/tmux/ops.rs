//! The operations gt needs from tmux, each one tmux process (or a fixed few).

use super::escape::format_literal;
use super::topology::{self, PANE_FORMAT, Pane};
use super::{Server, TmuxError};
use std::collections::HashMap;
use tmux_interface::{
    CapturePane, HasSession, KillServer, KillWindow, ListPanes, LoadBuffer, NewSession, NewWindow,
    PasteBuffer, RenameWindow, SendKeys, SetOption, StartServer, SwitchClient, TmuxCommand,
};

/// What a new agent window runs, where, and how it is tagged.
/// Lines of scrollback each agent window keeps (see `create_cmds`).
pub const AGENT_HISTORY_LINES: usize = 2000;

#[derive(Debug, Clone)]
pub struct WindowSpec {
    pub session: String,
    pub name: String,
    pub cwd: String,
    pub env: Vec<(String, String)>,
    /// Variables taken out of the environment the window inherits from the server.
    pub unset: Vec<String>,
    /// The program and its arguments, run directly (no shell, no quoting).
    pub argv: Vec<String>,
    pub agent: String,
    pub bead: Option<String>,
    /// The town's supervisor (`gt daemon run`), not an agent: tagged `@gt_daemon`, so agent
    /// listings and clean-ups never take it for one.
    pub daemon: bool,
}

/// One pane to read in a `capture_set`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureReq {
    pub pane: String,
    /// Lines of history above the visible screen (`-S -<lines>`); the screen comes whole.
    pub lines: usize,
    /// Keep colours and attributes as escape sequences (`capture-pane -e`).
    pub escapes: bool,
}

/// A window's size, set in the same tmux call as a capture (so sizing costs no process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sizing {
    /// Size the pane's window to what a viewer shows of it; tmux keeps that size until it is
    /// released.
    Fit {
        pane: String,
        width: u16,
        height: u16,
    },
    /// The window takes the size of whoever looks at it again.
    Release { pane: String },
}

impl Sizing {
    fn command(&self) -> TmuxCommand<'static> {
        match self {
            Sizing::Fit {
                pane,
                width,
                height,
            } => tmux_interface::ResizeWindow::new()
                .target_window(pane.clone())
                .width(*width as usize)
                .height(*height as usize)
                .build(),
            Sizing::Release { pane } => release(pane),
        }
    }
}

/// Unsets the window's `window-size`: it follows the clients attached to it again.
fn release(pane: &str) -> TmuxCommand<'static> {
    SetOption::new()
        .window()
        .unset()
        .target_pane(pane.to_string())
        .option("window-size")
        .build()
}

impl CaptureReq {
    /// Plain text, the screen and `lines` lines of history.
    pub fn plain(pane: &str, lines: usize) -> CaptureReq {
        CaptureReq {
            pane: pane.to_string(),
            lines,
            escapes: false,
        }
    }
}

/// `capture-pane -p -J [-e] -S -<lines> -t <pane>`: wrapped lines joined.
fn capture_cmd(req: &CaptureReq) -> TmuxCommand<'static> {
    let mut c = CapturePane::new()
        .stdout()
        .join()
        .start_line(format!("-{}", req.lines))
        .target_pane(req.pane.clone());
    if req.escapes {
        c = c.escape_sequences();
    }
    c.build()
}

/// `capture_cmd` in the fewest bytes, for batches of hundreds of panes (tmux's short alias,
/// no start line when only the visible screen is wanted): the same capture.
fn compact_capture_cmd(req: &CaptureReq) -> TmuxCommand<'static> {
    let mut c = TmuxCommand::with_name("capturep");
    c.push_flag("-p");
    c.push_flag("-J");
    if req.escapes {
        c.push_flag("-e");
    }
    if req.lines > 0 {
        c.push_option("-S", format!("-{}", req.lines));
    }
    c.push_option("-t", req.pane.clone());
    c
}

/// Ids of a window gt just created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub window_id: String,
    pub pane_id: String,
}

impl Server {
    /// Every pane of the server; empty when the server is not running.
    pub fn panes(&self) -> Result<Vec<Pane>, TmuxError> {
        let cmd = ListPanes::new().all().format(PANE_FORMAT).build();
        match self.run(vec![cmd], None) {
            Ok(out) => Ok(topology::parse(&out)),
            // No server, or one with no session yet (just starting, or exiting empty): no panes.
            Err(e) if e.is_no_server() || e.is_server_exiting() || e.is_empty_server() => {
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    pub fn has_session(&self, session: &str) -> Result<bool, TmuxError> {
        let cmd = HasSession::new()
            .target_session(format!("={session}"))
            .build();
        match self.run(vec![cmd], None) {
            Ok(_) => Ok(true),
            Err(e) if e.is_missing_target() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates the agent's window (and its session and the server, when missing), tagged
    /// `@gt_agent`/`@gt_bead`. Windows keep their pane when the program exits
    /// (remain-on-exit), so a crash leaves evidence.
    ///
    /// Tags never go on a window found by its real name: the session may hold another window
    /// of that name (the user's), which must not be tagged. When the tags cannot be set, the
    /// new window is killed: an untagged agent would run unseen.
    pub fn create_window(&self, spec: &WindowSpec) -> Result<Created, TmuxError> {
        // The window is born under a name nobody else can have, tagged and renamed by that
        // name in the same tmux process: one call in the common case (the session exists).
        let temp = format!("gt-new-{}", uuid::Uuid::new_v4().simple());
        let first = self.run(self.create_cmds(spec, &temp, false), None);
        let out = match first {
            Ok(out) => out,
            // Most likely no such session (or no server) yet: make the session instead.
            Err(first) => {
                self.kill_named(&spec.session, &temp);
                self.create_session(spec, &temp, first)?
            }
        };
        match parse_created(&out) {
            Ok(c) => Ok(c),
            Err((window, e)) => {
                if let Some(w) = window {
                    let _ = self.kill_window(&w);
                }
                Err(e)
            }
        }
    }

    /// The window as the first of a new session. A server that the failed first attempt
    /// started is exiting again (it had no sessions), so a client may catch it going: that is
    /// retried. A duplicate session means the first attempt's error was the real one.
    fn create_session(
        &self,
        spec: &WindowSpec,
        temp: &str,
        first: TmuxError,
    ) -> Result<String, TmuxError> {
        let mut tries = 0;
        loop {
            match self.run(self.create_cmds(spec, temp, true), None) {
                Ok(out) => return Ok(out),
                // Several starters at once can each leave a server going away; on a loaded
                // machine that takes a while, so keep trying for about two seconds.
                Err(e) if e.is_server_exiting() && tries < 20 => {
                    tries += 1;
                    let ms = (20 * tries).min(150);
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                }
                Err(e) => {
                    self.kill_named(&spec.session, temp);
                    let duplicate = matches!(&e, TmuxError::Failed { stderr, .. } if stderr.contains("duplicate session"));
                    if !duplicate {
                        return Err(e);
                    }
                    // Another process made the session meanwhile: a window in it, then.
                    return match self.run(self.create_cmds(spec, temp, false), None) {
                        Ok(out) => Ok(out),
                        Err(again) => {
                            self.kill_named(&spec.session, temp);
                            tracing::debug!(first = %first, "window creation failed twice");
                            Err(again)
                        }
                    };
                }
            }
        }
    }

    /// start-server, remain-on-exit, the server's keys and status line, the new window (or
    /// session) named `temp`, its tags, and its real name.
    fn create_cmds(
        &self,
        spec: &WindowSpec,
        temp: &str,
        new_session: bool,
    ) -> Vec<TmuxCommand<'static>> {
        let mut cmds: Vec<TmuxCommand<'static>> = vec![
            StartServer::new().build(),
            SetOption::new()
                .global()
                .window()
                .option("remain-on-exit")
                .value("on")
                .build(),
            // Each agent window's scrollback is bounded (tmux's own default, stated so that
            // a person's tmux.conf asking for 100k lines does not multiply the server's
            // memory by hundreds of agents); gt reads at most a few hundred lines back.
            SetOption::new()
                .global()
                .option("history-limit")
                .value(AGENT_HISTORY_LINES.to_string())
                .build(),
        ];
        // Installed with every window (idempotent, and in this same process): whichever gt
        // call starts the server, the person who attaches finds the keys and status line.
        let gt = Some(crate::fsutil::gt_exe());
        let town = spec
            .env
            .iter()
            .find(|(k, _)| k == "GT_TOWN")
            .map(|(_, v)| std::path::Path::new(v));
        let host = gt
            .as_deref()
            .zip(town)
            .map(|(gt, town)| super::UiHost { gt, town });
        cmds.extend(super::ui::server_commands(host));
        let mut create = if new_session {
            NewSession::new()
                .detached()
                .print()
                .format("#{window_id} #{pane_id}")
                .session_name(format_literal(&spec.session))
                .window_name(format_literal(temp))
                .start_directory(format_literal(&spec.cwd))
                .width(200)
                .height(50)
                .build()
        } else {
            NewWindow::new()
                .detached()
                .print()
                .format("#{window_id} #{pane_id}")
                .target_window(format!("={}:", spec.session))
                .window_name(format_literal(temp))
                .start_directory(format_literal(&spec.cwd))
                .build()
        };
        for (k, v) in &spec.env {
            create.push_option("-e", format!("{k}={v}"));
        }
        for a in program(&spec.env, &spec.unset, &spec.argv) {
            create.push_param(a);
        }
        cmds.push(create);
        let target = format!("={}:={temp}", spec.session);
        let mut tags = if spec.daemon {
            vec![("@gt_daemon", "1".to_string())]
        } else {
            vec![("@gt_agent", spec.agent.clone())]
        };
        if let Some(b) = &spec.bead {
            tags.push(("@gt_bead", b.clone()));
        }
        tags.push(("@gt_started", chrono::Utc::now().timestamp().to_string()));
        for (k, v) in tags {
            cmds.push(
                SetOption::new()
                    .window()
                    .target_pane(target.clone())
                    .option(k)
                    .value(v)
                    .build(),
            );
        }
        cmds.push(
            RenameWindow::new()
                .target_window(target)
                .new_name(format_literal(&spec.name))
                .build(),
        );
        cmds
    }

    /// Kills the window still carrying the temporary name, if a failed call left one.
    fn kill_named(&self, session: &str, temp: &str) {
        let _ = self.kill_window(&format!("={session}:={temp}"));
    }

    /// Kills a window by id, whatever it runs (only for windows this process just made).
    fn kill_window(&self, window_id: &str) -> Result<(), TmuxError> {
        let cmd = KillWindow::new()
            .target_window(window_id.to_string())
            .build();
        self.run(vec![cmd], None).map(|_| ())
    }

    /// Replaces the program in a pane with a fresh one (same window, same pane id): the old
    /// process is killed. Used to hand an agent's session over to a successor.
    pub fn respawn(
        &self,
        pane: &str,
        cwd: &str,
        env: &[(String, String)],
        unset: &[String],
        argv: &[String],
    ) -> Result<(), TmuxError> {
        let mut cmd = tmux_interface::RespawnPane::new()
            .kill()
            .start_directory(format_literal(cwd))
            .target_pane(pane.to_string())
            .build();
        for (k, v) in env {
            cmd.push_option("-e", format!("{k}={v}"));
        }
        for a in program(env, unset, argv) {
            cmd.push_param(a);
        }
        let started = SetOption::new()
            .window()
            .target_pane(pane.to_string())
            .option("@gt_started")
            .value(chrono::Utc::now().timestamp().to_string())
            .build();
        let unready = SetOption::new()
            .window()
            .unset()
            .target_pane(pane.to_string())
            .option("@gt_ready")
            .build();
        self.run(vec![cmd, started, unready], None).map(|_| ())
    }

    /// Runs again, in each of these dead panes, the program it was made with (a window that
    /// attaches to a session elsewhere attaches again). Live panes are left alone: tmux
    /// refuses to respawn them without -k, which is not given. One tmux process for all.
    pub fn rerun_dead(&self, panes: &[String]) -> Result<(), TmuxError> {
        if panes.is_empty() {
            return Ok(());
        }
        let cmds = panes
            .iter()
            .map(|p| {
                tmux_interface::RespawnPane::new()
                    .target_pane(p.clone())
                    .build()
            })
            .collect();
        self.run(cmds, None).map(|_| ())
    }

    /// Records on the pane's window that its runtime reached its prompt (the witness tells a
    /// runtime that never started from one that ran and exited).
    pub fn mark_ready(&self, pane: &str) -> Result<(), TmuxError> {
        let cmd = SetOption::new()
            .window()
            .target_pane(pane.to_string())
            .option("@gt_ready")
            .value("1")
            .build();
        self.run(vec![cmd], None).map(|_| ())
    }

    /// Presses keys that answer a runtime's dialog — only navigation and confirmation keys
    /// (`dialog_key`), never text, and each key as a key name tmux will not reinterpret.
    pub fn press_dialog_keys(&self, pane: &str, keys: &[String]) -> Result<(), TmuxError> {
        let mut cmds = Vec::new();
        for k in keys {
            if !dialog_key(k) {
                return Err(TmuxError::Unexpected(format!(
                    "{k:?} is not a key gt presses to answer a dialog"
                )));
            }
            cmds.push(
                SendKeys::new()
                    .target_pane(pane.to_string())
                    .key(k.clone())
                    .build(),
            );
        }
        if cmds.is_empty() {
            return Ok(());
        }
        self.run(cmds, None).map(|_| ())
    }

    /// Kills a window, but only one gt tagged (an agent's, or the supervisor's).
    pub fn kill_agent_window(&self, window_id: &str) -> Result<bool, TmuxError> {
        let ours = self
            .panes()?
            .into_iter()
            .any(|p| p.window_id == window_id && (p.agent.is_some() || p.daemon));
        if !ours {
            return Ok(false);
        }
        match self.run(
            vec![
                KillWindow::new()
                    .target_window(window_id.to_string())
                    .build(),
            ],
            None,
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.is_missing_target() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The last `lines` lines of a pane (plain text, wrapped lines joined).
    pub fn capture(&self, pane: &str, lines: usize) -> Result<String, TmuxError> {
        self.capture_one(&CaptureReq::plain(pane, lines))
    }

    fn capture_one(&self, req: &CaptureReq) -> Result<String, TmuxError> {
        self.run(vec![capture_cmd(req)], None)
    }

    /// The visible screen of several panes in one tmux process, keyed by pane id. A pane
    /// that is gone (its window died since it was listed) has no entry; that is not an
    /// error for the others.
    pub fn capture_many(
        &self,
        panes: &[String],
        lines: usize,
    ) -> Result<HashMap<String, String>, TmuxError> {
        let reqs: Vec<CaptureReq> = panes.iter().map(|p| CaptureReq::plain(p, lines)).collect();
        self.capture_set(&reqs)
    }

    /// Several panes in one tmux process, each with its own depth and with or without
    /// colours, keyed by pane id. A pane that is gone has no entry; that is not an error for
    /// the others.
    pub fn capture_set(&self, reqs: &[CaptureReq]) -> Result<HashMap<String, String>, TmuxError> {
        self.capture_set_sizing(&[], reqs)
    }

    /// `capture_set`, with windows sized (or released) first in the same tmux call.
    pub fn capture_set_sizing(
        &self,
        sizing: &[Sizing],
        reqs: &[CaptureReq],
    ) -> Result<HashMap<String, String>, TmuxError> {
        if reqs.is_empty() && sizing.is_empty() {
            return Ok(HashMap::new());
        }
        // A fresh marker per call, so no pane's content can pass for one.
        // Short: it is repeated once per pane, and the whole batch must fit tmux's command
        // line (64 random bits are plenty for one call).
        let mark = format!("<<gt:{:016x}>>", uuid::Uuid::new_v4().as_u64_pair().0);
        let mut cmds: Vec<TmuxCommand<'static>> = sizing.iter().map(Sizing::command).collect();
        for r in reqs {
            // A marker line before each screen; the screens come back in the order asked
            // (a missing pane stops the chain, handled below), so the marker names no pane
            // and costs few bytes: 500 panes fit two tmux command lines.
            let mut m = TmuxCommand::with_name("display");
            m.push_flag("-p");
            m.push_param(mark.clone());
            cmds.push(m);
            cmds.push(compact_capture_cmd(r));
        }
        match self.run(cmds, None) {
            Ok(out) => split_captures(&out, &mark, reqs),
            // One missing pane stops the whole chained batch: capture the panes one by one.
            Err(e) if e.is_missing_target() => {
                let mut map = HashMap::new();
                for r in reqs {
                    match self.capture_one(r) {
                        Ok(screen) => {
                            map.insert(r.pane.clone(), screen);
                        }
                        Err(e) if e.is_missing_target() => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(map)
            }
            Err(e) => Err(e),
        }
    }

    /// Loads `text` into a fresh buffer through stdin (so nothing in it is ever read as a
    /// tmux key or command) and pastes it with bracketed-paste codes when the program asked
    /// for them. Line feeds stay line feeds (`-r`): tmux would otherwise turn them into
    /// carriage returns, which a program without bracketed paste reads as Enter after every
    /// line. The buffer is deleted after the paste.
    pub fn paste(&self, pane: &str, text: &str) -> Result<(), TmuxError> {
        let buffer = format!("gt-{}", uuid::Uuid::new_v4().simple());
        let cmds = vec![
            LoadBuffer::new()
                .buffer_name(buffer.clone())
                .path("-")
                .build(),
            PasteBuffer::new()
                .delete()
                .bracket_codes()
                .no_replacement()
                .buffer_name(buffer)
                .target_pane(pane.to_string())
                .build(),
        ];
        self.run(cmds, Some(text.as_bytes())).map(|_| ())
    }

    /// Presses Enter in a pane (submits pasted text).
    pub fn press_enter(&self, pane: &str) -> Result<(), TmuxError> {
        let cmd = SendKeys::new()
            .target_pane(pane.to_string())
            .key("Enter")
            .build();
        self.run(vec![cmd], None).map(|_| ())
    }

    /// Presses Escape in a pane: an urgent interruption, for runtimes that allow it. The
    /// only other key gt ever sends.
    pub fn press_escape(&self, pane: &str) -> Result<(), TmuxError> {
        let cmd = SendKeys::new()
            .target_pane(pane.to_string())
            .key("Escape")
            .build();
        self.run(vec![cmd], None).map(|_| ())
    }

    /// The panes' windows take the size of the clients that look at them again (undoes a
    /// `Sizing::Fit`), in one call.
    pub fn follow_clients(&self, panes: &[&str]) -> Result<(), TmuxError> {
        if panes.is_empty() {
            return Ok(());
        }
        self.run(panes.iter().map(|p| release(p)).collect(), None)
            .map(|_| ())
    }

    /// Moves the tmux client the caller sits in to `target` (caller inside our server).
    pub fn switch_client(&self, target: &str) -> Result<(), TmuxError> {
        self.run_interactive(vec![
            SwitchClient::new()
                .target_session(target.to_string())
                .build(),
        ])
    }

    /// Attaches this terminal to `target` and returns when the person detaches.
    pub fn attach(&self, target: &str) -> Result<(), TmuxError> {
        self.run_interactive(vec![
            tmux_interface::AttachSession::new()
                .target_session(target.to_string())
                .build(),
        ])
    }

    /// Stops the whole server (tests, and `gt down` later).
    pub fn kill_server(&self) -> Result<(), TmuxError> {
        match self.run(vec![KillServer::new().build()], None) {
            Ok(_) => Ok(()),
            Err(e) if e.is_no_server() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Keys a dialog answer may press: navigation and confirmation, one letter or digit.
pub fn dialog_key(key: &str) -> bool {
    matches!(
        key,
        "Enter" | "Escape" | "Up" | "Down" | "Left" | "Right" | "Tab" | "BTab" | "Space"
    ) || (key.len() == 1 && key.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The command a window runs. tmux 3.3a replaces a `-e PATH=…` with the PATH of the tmux
/// client that made the window, so the program is started through `env` with the PATH gt
/// chose for it and without the `unset` variables (the other variables go by `-e`: they stay
/// out of the command line, which tmux shows).
fn program(env: &[(String, String)], unset: &[String], argv: &[String]) -> Vec<String> {
    let path = env.iter().rev().find(|(k, _)| k == "PATH");
    if argv.is_empty() || (path.is_none() && unset.is_empty()) {
        return argv.to_vec();
    }
    let mut v = vec!["/usr/bin/env".to_string()];
    for k in unset {
        v.push("-u".to_string());
        v.push(k.clone());
    }
    v.push("--".to_string());
    if let Some((_, path)) = path {
        v.push(format!("PATH={path}"));
    }
    v.extend(argv.iter().cloned());
    v
}

/// The ids `new-window -P -F '#{window_id} #{pane_id}'` printed; on failure, the window id
/// if there is one (so the caller can remove the window) and the error.
fn parse_created(out: &str) -> Result<Created, (Option<String>, TmuxError)> {
    let mut it = out.split_whitespace();
    match (it.next(), it.next()) {
        (Some(w), Some(p)) if w.starts_with('@') && p.starts_with('%') => Ok(Created {
            window_id: w.to_string(),
            pane_id: p.to_string(),
        }),
        (w, _) => Err((
            w.filter(|w| w.starts_with('@')).map(str::to_string),
            TmuxError::Unexpected(format!("tmux did not report the new window's ids: {out:?}")),
        )),
    }
}

/// Splits `<mark><pane id>` + capture blocks into screens keyed by pane id.
/// The screens of one batch, each after its marker line, in the order of `reqs`. A count
/// that does not match is an error, never a screen given to the wrong pane.
fn split_captures(
    out: &str,
    mark: &str,
    reqs: &[CaptureReq],
) -> Result<HashMap<String, String>, TmuxError> {
    let mut screens: Vec<String> = Vec::with_capacity(reqs.len());
    let mut current: Option<String> = None;
    for line in out.split_inclusive('\n') {
        if line.trim_end() == mark {
            screens.extend(current.take());
            current = Some(String::new());
        } else if let Some(buf) = current.as_mut() {
            buf.push_str(line);
        }
    }
    screens.extend(current);
    if screens.len() != reqs.len() {
        return Err(TmuxError::Failed {
            command: "capture batch".into(),
            code: None,
            stderr: format!(
                "{} screens came back for {} panes; none is used",
                screens.len(),
                reqs.len()
            ),
        });
    }
    Ok(reqs.iter().map(|r| r.pane.clone()).zip(screens).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_split_by_marker_in_the_order_asked() {
        let reqs: Vec<CaptureReq> = ["%3", "%12", "%100"]
            .iter()
            .map(|p| CaptureReq::plain(p, 0))
            .collect();
        let out = "M\nsim❯\n\nM\n⠿ busy\nM\n";
        let map = split_captures(out, "M", &reqs).expect("three screens");
        assert_eq!(map.len(), 3);
        assert_eq!(map["%3"], "sim❯\n\n");
        assert_eq!(map["%12"], "⠿ busy\n");
        assert_eq!(map["%100"], "");
        // A marker-like line inside a screen is not a marker; a short batch is an error.
        let map = split_captures("M\nMM\nM\n\nM\nx\n", "M", &reqs).expect("three");
        assert_eq!(map["%3"], "MM\n");
        assert!(split_captures("M\na\nM\nb\n", "M", &reqs).is_err());
    }

    #[test]
    fn created_ids_are_parsed_or_the_window_is_named_for_cleanup() {
        assert_eq!(
            parse_created("@4 %7\n").ok(),
            Some(Created {
                window_id: "@4".into(),
                pane_id: "%7".into()
            })
        );
        assert_eq!(
            parse_created("@4\n").err().map(|e| e.0),
            Some(Some("@4".into()))
        );
        assert_eq!(parse_created("").err().map(|e| e.0), Some(None));
    }
}
