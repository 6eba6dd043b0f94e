//! The tmux layer against a real, private tmux server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::PrivateServer;
use gt::tmux::{Server, WindowSpec};
use std::time::Duration;

fn spec(session: &str, name: &str, argv: &[&str]) -> WindowSpec {
    WindowSpec {
        session: session.into(),
        name: name.into(),
        cwd: "/".into(),
        env: vec![("GT_TEST_VAR".into(), "hello world".into())],
        unset: Vec::new(),
        argv: argv.iter().map(|s| s.to_string()).collect(),
        agent: format!("rig/polecats/{name}"),
        bead: Some("gt-abcd".into()),
        daemon: false,
    }
}

fn wait_for(server: &Server, pane: &str, needle: &str) -> String {
    for _ in 0..100 {
        let screen = server.capture(pane, 50).expect("capture");
        if screen.contains(needle) {
            return screen;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{needle:?} never appeared in {pane}");
}

#[test]
fn windows_are_created_tagged_listed_captured_and_killed() {
    let p = PrivateServer::new();
    let s = &p.server;
    assert!(s.panes().expect("panes of no server").is_empty());
    let a = s
        .create_window(&spec(
            "rig",
            "ash",
            &["sh", "-c", "echo \"var=$GT_TEST_VAR\"; exec cat"],
        ))
        .expect("first window creates the session");
    let b = s
        .create_window(&spec("rig", "birch", &["cat"]))
        .expect("second window");
    assert_ne!(a.window_id, b.window_id);
    let panes = s.panes().expect("panes");
    assert_eq!(panes.len(), 2);
    let ash = panes
        .iter()
        .find(|x| x.pane_id == a.pane_id)
        .expect("ash listed");
    assert_eq!(ash.agent.as_deref(), Some("rig/polecats/ash"));
    assert_eq!(ash.bead.as_deref(), Some("gt-abcd"));
    assert_eq!(ash.session, "rig");
    wait_for(s, &a.pane_id, "var=hello world");

    let many = s
        .capture_many(&[a.pane_id.clone(), b.pane_id.clone()], 20)
        .expect("batched capture");
    assert!(many[&a.pane_id].contains("var=hello world"), "{many:?}");
    assert!(!many[&b.pane_id].contains("var="), "{many:?}");

    assert!(s.kill_agent_window(&b.window_id).expect("kill"));
    assert!(!s.kill_agent_window("@999").expect("unknown window"));
    assert_eq!(s.panes().expect("panes").len(), 1);
}

/// A window whose `cat`, in raw mode, writes to `out` exactly the bytes tmux delivers;
/// returned once raw mode is on.
fn raw_cat_window(s: &gt::tmux::Server, out: &std::path::Path) -> gt::tmux::Created {
    let w = s
        .create_window(&spec(
            "rig",
            "cat",
            &[
                "sh",
                "-c",
                &format!("stty raw -echo; echo ready; cat > {}", out.display()),
            ],
        ))
        .expect("window");
    wait_for(s, &w.pane_id, "ready");
    w
}

#[test]
fn pasted_text_is_never_read_as_keys_or_commands() {
    let p = PrivateServer::new();
    let s = &p.server;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("got.txt");
    // `cat` writes exactly what the terminal delivers to it.
    let w = raw_cat_window(s, &out);
    let text = "C-c Enter ; kill-server $(touch /tmp/gt-pwned) \\; send-keys q";
    s.paste(&w.pane_id, text).expect("paste");
    s.press_enter(&w.pane_id).expect("enter");
    std::thread::sleep(Duration::from_millis(300));
    let got = std::fs::read_to_string(&out).expect("read");
    assert_eq!(
        got,
        format!("{text}\r"),
        "the pane received exactly the text, then Enter"
    );
    assert!(!std::path::Path::new("/tmp/gt-pwned").exists());
    assert_eq!(s.panes().expect("server still up").len(), 1);
}

#[test]
fn errors_carry_the_command_and_stderr() {
    let p = PrivateServer::new();
    let s = &p.server;
    s.create_window(&spec("rig", "x", &["cat"]))
        .expect("window");
    let err = s.capture("%9999", 10).expect_err("no such pane");
    let msg = err.to_string();
    assert!(msg.contains("capture-pane") && msg.contains("-L"), "{msg}");
    assert!(err.is_missing_target(), "{msg}");
}

/// Runs tmux on the test's server directly, as a user would (not through gt).
fn raw_tmux(server: &Server, args: &[&str]) -> String {
    let o = std::process::Command::new("tmux")
        .args(["-f", "/dev/null", "-L", server.socket()])
        .args(args)
        .output()
        .expect("run tmux");
    assert!(
        o.status.success(),
        "tmux {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn tags_go_on_the_new_window_not_a_same_named_one() {
    let p = PrivateServer::new();
    let s = &p.server;
    // The user's own window, untagged, already called `kite`.
    raw_tmux(
        s,
        &[
            "new-session",
            "-d",
            "-s",
            "rig",
            "-n",
            "kite",
            "sleep",
            "600",
        ],
    );
    let users = raw_tmux(
        s,
        &["display-message", "-p", "-t", "=rig:=kite", "#{window_id}"],
    )
    .trim()
    .to_string();
    let ours = s
        .create_window(&spec("rig", "kite", &["cat"]))
        .expect("agent window beside the user's");
    assert_ne!(ours.window_id, users);
    let panes = s.panes().expect("panes");
    assert_eq!(panes.len(), 2, "no stray window left: {panes:?}");
    let agent = panes
        .iter()
        .find(|x| x.window_id == ours.window_id)
        .expect("agent window listed");
    assert_eq!(agent.agent.as_deref(), Some("rig/polecats/kite"));
    assert_eq!(agent.bead.as_deref(), Some("gt-abcd"));
    let user = panes
        .iter()
        .find(|x| x.window_id == users)
        .expect("user window listed");
    assert_eq!((user.agent.as_deref(), user.bead.as_deref()), (None, None));
    assert_eq!(user.current_command, "sleep", "the user's window runs on");
}

#[test]
fn pasted_line_feeds_stay_line_feeds() {
    let p = PrivateServer::new();
    let s = &p.server;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("got.txt");
    // No bracketed paste asked for, raw mode: the bytes tmux delivers land in the file.
    let w = raw_cat_window(s, &out);
    s.paste(&w.pane_id, "first line\nsecond line\n\nlast")
        .expect("paste");
    let mut got = String::new();
    for _ in 0..200 {
        got = std::fs::read_to_string(&out).unwrap_or_default();
        if got.ends_with("last") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        got, "first line\nsecond line\n\nlast",
        "no LF turned into CR"
    );
}

#[test]
fn a_bracketed_paste_arrives_byte_for_byte() {
    let p = PrivateServer::new();
    let s = &p.server;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("got.txt");
    // The program asks for bracketed paste, as agent CLIs do.
    let w = s
        .create_window(&spec(
            "rig",
            "cat",
            &[
                "sh",
                "-c",
                &format!(
                    "stty raw -echo; printf '\\033[?2004h'; echo ready; cat > {}",
                    out.display()
                ),
            ],
        ))
        .expect("window");
    // Raw mode (and bracketed paste, when asked) is on once `ready` shows.
    wait_for(s, &w.pane_id, "ready");
    s.paste(&w.pane_id, "one\ntwo\n\tthree").expect("paste");
    let want = "\x1b[200~one\ntwo\n\tthree\x1b[201~";
    let mut got = String::new();
    for _ in 0..200 {
        got = std::fs::read_to_string(&out).unwrap_or_default();
        if got.len() >= want.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(got, want);
}

#[test]
fn capture_many_keys_every_screen_by_its_own_pane_id() {
    let p = PrivateServer::new();
    let s = &p.server;
    // Twelve panes: ids run past %9, and `%1x` is what strftime would have eaten.
    let mut ids = Vec::new();
    for i in 0..12 {
        let script = format!("echo screen-of-{i}-end; exec cat");
        let w = s
            .create_window(&spec("rig", &format!("w{i}"), &["sh", "-c", &script]))
            .expect("window");
        ids.push(w.pane_id);
    }
    assert!(ids.iter().any(|id| id.len() > 2), "two-digit ids: {ids:?}");
    for (i, id) in ids.iter().enumerate() {
        wait_for(s, id, &format!("screen-of-{i}-end"));
    }
    let many = s.capture_many(&ids, 20).expect("batched capture");
    assert_eq!(many.len(), ids.len(), "{:?}", many.keys());
    for (i, id) in ids.iter().enumerate() {
        let screen = &many[id];
        assert!(
            screen.contains(&format!("screen-of-{i}-end")),
            "{id}: {screen:?}"
        );
        assert_eq!(screen.matches("screen-of-").count(), 1, "{id}: {screen:?}");
    }
}

#[test]
fn capture_many_skips_a_pane_that_is_gone() {
    let p = PrivateServer::new();
    let s = &p.server;
    let a = s
        .create_window(&spec("rig", "a", &["sh", "-c", "echo alpha; exec cat"]))
        .expect("window a");
    let b = s
        .create_window(&spec("rig", "b", &["sh", "-c", "echo beta; exec cat"]))
        .expect("window b");
    wait_for(s, &a.pane_id, "alpha");
    wait_for(s, &b.pane_id, "beta");
    let gone = s
        .create_window(&spec("rig", "gone", &["cat"]))
        .expect("window gone");
    assert!(s.kill_agent_window(&gone.window_id).expect("kill"));
    // The list was taken before the window died, as `gt agents` may have.
    let panes = [a.pane_id.clone(), gone.pane_id.clone(), b.pane_id.clone()];
    let many = s.capture_many(&panes, 20).expect("the others still read");
    assert_eq!(many.len(), 2, "{many:?}");
    assert!(many[&a.pane_id].contains("alpha"), "{many:?}");
    assert!(many[&b.pane_id].contains("beta"), "{many:?}");
}

#[test]
fn a_call_that_does_not_finish_times_out_with_its_command() {
    let p = PrivateServer::new();
    let s = p.server.clone().with_timeout(Duration::from_millis(300));
    s.create_window(&spec("rig", "x", &["cat"]))
        .expect("window");
    // `wait-for` on a channel nobody signals blocks until killed.
    let wait = || {
        vec![
            tmux_interface::WaitFor::new()
                .channel("gt-test-never-signalled")
                .build(),
        ]
    };
    // Plain, then with more stdin than a pipe holds (the client never reads it): both the
    // write and the wait are under the timeout. The outer bound turns a hang into a failure.
    let big = vec![b'x'; 4 << 20];
    for stdin in [None, Some(big)] {
        let started = std::time::Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        let (s2, cmds) = (s.clone(), wait());
        std::thread::spawn(move || {
            let _ = tx.send(s2.run(cmds, stdin.as_deref()));
        });
        let res = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the call returned instead of hanging");
        match res {
            Err(gt::tmux::TmuxError::Timeout { command, after }) => {
                assert!(command.contains("wait-for"), "{command}");
                assert_eq!(after, Duration::from_millis(300));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // The timed-out clients were killed; the server still answers.
    assert_eq!(p.server.panes().expect("panes").len(), 1);
}

#[test]
fn the_server_name_does_not_depend_on_how_the_path_is_spelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let town = dir.path().join("town");
    std::fs::create_dir(&town).expect("mkdir");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&town, &link).expect("symlink");
    let plain = gt::tmux::socket_name_for(&town);
    let spellings = [
        dir.path().join("town/"),
        link.clone(),
        link.join(""),
        dir.path().join("town/../town"),
        dir.path().join("./town"),
    ];
    for p in spellings {
        assert_eq!(gt::tmux::socket_name_for(&p), plain, "{}", p.display());
    }
    assert!(gt::tmux::is_valid_socket_name(&plain), "{plain}");
    for bad in ["", "../x", "a/b", "-L", ".hidden", "two words", "x\n"] {
        assert!(!gt::tmux::is_valid_socket_name(bad), "{bad:?}");
    }
}

/// tmux 3.3a gives a new window the PATH of the client that made it, whatever `-e PATH=…`
/// says; the window must get the PATH gt chose (so an agent finds this gt), also when the
/// caller's own PATH lacks it — and a respawned pane the same. A variable the window is to
/// lose (a CI marker in the server's environment) is gone from both.
#[test]
fn the_path_gt_gives_a_window_reaches_its_program() {
    let p = PrivateServer::new();
    let s = &p.server;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("path.txt");
    let script = format!(
        "echo \"$PATH\" > {}; echo \"ci=${{CI-unset}}\" >> {}; exec cat",
        out.display(),
        out.display()
    );
    let mut w = spec("rig", "ash", &["sh", "-c", "exec cat"]);
    s.create_window(&w).expect("first window");
    let set = std::process::Command::new("tmux")
        .args(["-L", s.socket(), "set-environment", "-g", "CI", "true"])
        .status()
        .expect("tmux");
    assert!(set.success());
    w.name = "oak".into();
    w.argv = vec!["sh".into(), "-c".into(), script.clone()];
    w.env
        .push(("PATH".into(), "/opt/gt-marker/bin:/usr/bin:/bin".into()));
    w.unset = vec!["CI".into()];
    let made = s.create_window(&w).expect("window");
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    for _ in 0..100 {
        if read().contains("ci=") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(read().trim(), "/opt/gt-marker/bin:/usr/bin:/bin\nci=unset");
    let pane = s
        .panes()
        .expect("panes")
        .into_iter()
        .find(|x| x.pane_id == made.pane_id)
        .expect("listed");
    assert!(pane.started.is_some() && !pane.ready, "{pane:?}");
    s.mark_ready(&made.pane_id).expect("mark ready");
    std::fs::remove_file(&out).expect("rm");
    s.respawn(
        &made.pane_id,
        "/",
        &[("PATH".into(), "/opt/other/bin:/usr/bin:/bin".into())],
        &["CI".into()],
        &["sh".into(), "-c".into(), script.clone()],
    )
    .expect("respawn");
    for _ in 0..100 {
        if read().contains("ci=") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(read().trim(), "/opt/other/bin:/usr/bin:/bin\nci=unset");
    let pane = s
        .panes()
        .expect("panes")
        .into_iter()
        .find(|x| x.pane_id == made.pane_id)
        .expect("listed");
    assert!(
        !pane.ready,
        "a respawned pane has not reached its prompt yet"
    );
}

/// Issue 18: a batch larger than tmux takes in one command line ("command too long") is cut
/// into as few tmux processes as fit — every screen read, none lost, none mixed up; the
/// visible screens of 500 panes take two (the budget is 3 per refresh with the pane list).
#[test]
fn capture_of_hundreds_of_panes_is_split_to_fit_tmuxs_command_line() {
    let p = PrivateServer::new();
    let s = &p.server;
    let mut ids = Vec::new();
    for i in 0..500 {
        let script = format!("echo screen-of-{i}-end; exec cat");
        let w = s
            .create_window(&spec("rig", &format!("w{i}"), &["sh", "-c", &script]))
            .expect("window");
        ids.push(w.pane_id);
    }
    for (i, id) in ids.iter().enumerate() {
        wait_for(s, id, &format!("screen-of-{i}-end"));
    }
    // Counted on this thread: other tests of this binary run tmux at the same time.
    let before = gt::tmux::spawned_here();
    let many = s
        .capture_many(&ids, 0)
        .expect("batched capture of 500 panes");
    let processes = gt::tmux::spawned_here() - before;
    assert_eq!(many.len(), ids.len());
    for (i, id) in ids.iter().enumerate() {
        assert!(
            many[id].contains(&format!("screen-of-{i}-end")),
            "{id}: {:?}",
            many[id]
        );
        assert_eq!(
            many[id].matches("screen-of-").count(),
            1,
            "{id}: {:?}",
            many[id]
        );
    }
    assert!(
        (1..=2).contains(&processes),
        "{processes} tmux processes for 500 screens"
    );
    // Deeper captures are longer command lines, still a few processes, still right.
    let deep = s
        .capture_many(&ids[..300], 20)
        .expect("300 panes, 20 lines back");
    assert_eq!(deep.len(), 300);
    assert!(deep[&ids[299]].contains("screen-of-299-end"));
}

/// Issue 18: an agent window's scrollback stays bounded even when the person's tmux config
/// asks for a huge one (hundreds of agents would multiply the server's memory by it).
#[test]
fn agent_windows_keep_a_bounded_history_whatever_the_config_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("tmux.conf");
    std::fs::write(&conf, "set -g history-limit 250000\n").expect("conf");
    let p = PrivateServer::new();
    let s = p
        .server
        .clone()
        .with_config(Some(conf.to_str().expect("utf8")));
    let w = s
        .create_window(&spec("rig", "h", &["cat"]))
        .expect("window");
    let limit = raw_tmux(
        &s,
        &[
            "display-message",
            "-p",
            "-t",
            &w.pane_id,
            "#{history_limit}",
        ],
    );
    assert_eq!(
        limit.trim(),
        gt::tmux::AGENT_HISTORY_LINES.to_string(),
        "the config asked for 250000"
    );
}
