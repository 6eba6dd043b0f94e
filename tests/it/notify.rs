//! Being told when not looking: the open workspace rings the bell and sends desktop
//! notifications (OSC 9 / OSC 777) when something enters Attention; the supervisor runs
//! `notify.command`; a mass event is one notice; nothing in a notice can run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::terminal::Terminal;
use crate::common::*;
use std::process::Command;

/// Freezes the agent's program and its children (SIGSTOP): a real stall.
fn freeze(pid: &str, sig: &str) {
    let _ = Command::new("pkill").args([sig, "-P", pid]).status();
    let _ = Command::new("kill").args([sig, pid]).status();
}

#[test]
fn the_workspace_rings_and_notifies_the_desktop_when_a_stall_appears() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    for (k, v) in [
        ("witness.stall_after_secs", "3"),
        ("ui.supervise", "false"),
        ("notify.min_gap_secs", "0"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
    let script = format!("{} ; sleep 600", gt_bin().display());
    let t = Terminal::start(&s, &s.town(), &script, 160, 45);
    // Every byte the workspace writes to the terminal, escapes and all.
    let raw = s.path().join("terminal.raw");
    let ok = Command::new("tmux")
        .args(["-L", &t.socket, "pipe-pane", "-o", "-t", "0"])
        .arg(format!("cat >> {}", raw.display()))
        .status()
        .expect("pipe-pane");
    assert!(ok.success());
    t.wait(20, "the workspace", |scr| scr.contains("1 Agents"));
    let b = s.create(&["A long job", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "slow"]);
    t.wait(20, "the agent at work", |scr| scr.contains("working"));
    let read = || String::from_utf8_lossy(&std::fs::read(&raw).unwrap_or_default()).into_owned();
    assert!(
        !read().contains("\x1b]9;"),
        "no notice before anything needs you"
    );
    let pid = s
        .agent_pane(&agent, "#{pane_pid}")
        .expect("the agent's pane");
    freeze(&pid, "-STOP");
    let got = std::panic::catch_unwind(|| {
        wait_for(30, "a desktop notification of the stall", || {
            let r = read();
            (r.contains("\x1b]9;gt: stalled") && r.contains("\x1b]777;notify;gt: stalled;"))
                .then_some(r)
        })
    });
    freeze(&pid, "-CONT");
    let r = got.expect("notified");
    assert!(r.contains('\x07'), "the bell rang");
    assert!(r.contains(&agent), "the notice names the agent");
}

#[test]
fn the_supervisor_runs_notify_command_with_the_notice_kept_inert() {
    let s = Sandbox::with_sim_rig("shop");
    let notices = s.path().join("notices.txt");
    let marker = s.path().join("pwned");
    s.ok(&[
        "--batch",
        "config",
        "set",
        "notify.command",
        &format!(
            "printf '%s|%s|%s\\n' \"$GT_NOTIFY_TITLE\" \"$GT_NOTIFY_KINDS\" \"$(cat)\" >> {}",
            notices.display()
        ),
    ]);
    s.ok(&["--batch", "config", "set", "notify.min_gap_secs", "0"]);
    s.ok(&["--batch", "up"]);
    // What was already there is not news; give the notifier a first look.
    wait_for(20, "the notifier's first round", || {
        s.json(&["daemon", "status"])["daemon"]["status"]["duties"]
            .as_array()?
            .iter()
            .find(|d| d["name"] == "notifier" && d["last_tick_at"].is_number())
            .map(|_| ())
    });
    // Three escalations at once, one with a title that would run if anything evaluated it.
    let evil = format!(
        "Broken $(touch {}) `touch {}`",
        marker.display(),
        marker.display()
    );
    for title in ["Tests are red", "Disk is full", evil.as_str()] {
        s.ok(&["--batch", "escalate", "-s", "high", title]);
    }
    let text = wait_for(30, "notify.command to run", || {
        std::fs::read_to_string(&notices)
            .ok()
            .filter(|t| t.contains("escalation"))
    });
    s.ok(&["--batch", "down"]);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("gt:")).collect();
    assert_eq!(lines.len(), 1, "one notice for the three: {text}");
    assert!(
        lines[0].starts_with("gt: 3 things need you|escalation|"),
        "{text}"
    );
    assert!(text.contains("Tests are red"), "{text}");
    assert!(
        text.contains("$(touch"),
        "the title is shown as written: {text}"
    );
    assert!(!marker.exists(), "text in a notice ran as a command");
}

#[test]
fn notify_settings_take_known_kinds_only() {
    let s = Sandbox::with_town();
    s.ok(&[
        "--batch",
        "config",
        "set",
        "notify.on",
        "stalled, review-waiting",
    ]);
    assert_eq!(
        s.ok(&["config", "get", "notify.on"]).stdout.trim(),
        "stalled,review-waiting"
    );
    let before = std::fs::read_to_string(s.town().join("town.toml")).expect("town.toml");
    let r = s.gt(&["config", "set", "notify.on", "stalled,sometimes"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("\"sometimes\" is not one"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(s.town().join("town.toml")).expect("town.toml"),
        before,
        "nothing written"
    );
}
