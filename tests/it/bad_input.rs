//! Bad input, across the commands: every case gets a clear error naming the problem, exit
//! code 2, no panic, and nothing written (ledger, issues.jsonl, town and rig config).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

/// The state a refused command must leave as it was.
fn state(s: &Sandbox) -> (String, Vec<u8>, Vec<u8>, Vec<u8>) {
    // Settled first: the export follower of earlier writes must not count as a change.
    s.flush();
    let read = |p: std::path::PathBuf| std::fs::read(p).unwrap_or_default();
    (
        s.ledger_state(),
        read(s.town().join(".beads/issues.jsonl")),
        read(s.town().join("town.toml")),
        read(s.town().join("shop/rig.toml")),
    )
}

fn cases(bead: &str, long: &str) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<&str>> = vec![
        // Beads.
        vec!["bead", "create", ""],
        vec!["bead", "create", "   "],
        vec!["bead", "create", long],
        vec!["bead", "create", "x", "-p", "5"],
        vec!["bead", "create", "x", "-p", "-1"],
        vec!["bead", "create", "x", "-p", "high"],
        vec!["bead", "create", "x", "--type", "nosuch"],
        vec!["bead", "create", "x", "--rig", "nosuch"],
        vec!["bead", "update", "sh-nope", "--title", "x"],
        vec!["bead", "update", bead, "--status", "bogus"],
        vec!["bead", "update", bead, "--priority", "9"],
        vec!["bead", "update", bead, "--title", ""],
        vec!["bead", "update", bead],
        vec!["bead", "comment", bead, ""],
        vec!["bead", "comment", "sh-nope", "hi"],
        vec!["bead", "dep", "add", bead, bead],
        vec!["bead", "dep", "add", bead, "sh-nope"],
        vec!["bead", "list", "--limit", "18446744073709551615"],
        vec!["bead", "list", "--limit", "-1"],
        vec!["bead", "list", "--status", "bogus"],
        vec!["bead", "reopen", bead],
        vec!["bead", "import", "/nonexistent/issues.jsonl"],
        vec!["bead", "import", "/dev/null"],
        vec!["bead", "export", ".gt/ledger.db"],
        vec!["bead", "export", "town.toml", "--force"],
        vec!["bead", "export", "/dev/null"],
        vec!["show", "sh-nope"],
        vec!["show", ""],
        vec!["show", "../../etc/passwd"],
        vec!["show", "x\u{1b}]0;t\u{7}"],
        vec!["close", "sh-nope"],
        vec!["ready", "--limit", "x"],
        vec!["ready", "--rig", "nosuch"],
        // Rigs.
        vec!["rig", "add", "", "/tmp"],
        vec!["rig", "add", "-x", "/tmp"],
        vec!["rig", "add", "a/b", "/tmp"],
        vec!["rig", "add", "..", "/tmp"],
        vec!["rig", "add", "shop", "/tmp"],
        vec!["rig", "add", "r6", ""],
        vec!["rig", "add", "r7", "."],
        vec!["rig", "add", "r8", "/nonexistent/repo"],
        vec!["rig", "add", "r9", "https://user:secret@example.com/x.git"],
        vec!["rig", "add", "r10", "--upload-pack=touch /tmp/x"],
        vec!["rig", "show", "nosuch"],
        vec!["rig", "remove", "nosuch"],
        // Settings.
        vec!["config", "set", "no.such.key", "1"],
        vec!["config", "set", "ui.theme", "nosuch"],
        vec!["config", "set", "ui.supervise", "maybe"],
        vec!["config", "set", "ledger.busy_timeout_ms", "1"],
        vec![
            "config",
            "set",
            "ledger.busy_timeout_ms",
            "99999999999999999999",
        ],
        vec!["config", "set", "rig.clone_timeout_secs", "0"],
        vec!["config", "get", "no.such.key"],
        vec!["-c", "no.such.key=1", "ready"],
        vec!["-c", "ledger.busy_timeout_ms=x", "ready"],
        vec!["-c", "novalue", "ready"],
        vec!["config", "agent", "set", "claude", "--env", "GT_AGENT=x"],
        vec!["config", "agent", "set", "claude", "--field", "not toml ["],
        vec!["config", "agent", "check", "nosuch"],
        vec!["config", "default-agent", "nosuch"],
        vec!["config", "dump", "nosuch"],
        vec!["config", "dump", "theme", "--name", "nosuch"],
        // Agents and delivery.
        vec!["sling", "sh-nope", "shop"],
        vec!["sling", bead, "nosuch"],
        vec!["sling", bead, "shop", "--agent", "nosuch"],
        vec!["nudge", "shop/polecats/nobody", "hello"],
        vec!["nudge", "x", "hello", "--wait", "18446744073709551615"],
        vec!["nudge", "x", "hello", "--wait", "-1"],
        vec!["agent", "flush", "x", "--wait", "18446744073709551615"],
        vec!["peek", "nobody"],
        vec!["peek", "nobody", "-n", "18446744073709551615"],
        vec!["unsling", "sh-nope"],
        vec!["hook", "sh-nope"],
        vec!["handoff", "nobody"],
        vec!["agent", "sim", "--busy", "NaN"],
        vec!["agent", "sim", "--busy", "-1"],
        vec!["agent", "sim", "--busy", "1e300"],
        vec!["agent", "sim", "--slow-start", "inf"],
        // Mail, convoys, escalations, formulas, molecules.
        vec!["mail", "send", "overseer", "-s", ""],
        vec!["mail", "read", "sh-nope"],
        vec!["convoy", "create", "", bead],
        vec!["convoy", "create", "Trip", "sh-nope"],
        vec!["convoy", "show", "sh-nope"],
        vec!["escalate", "-s", "apocalyptic", "help"],
        vec!["escalate", "-s", "high", ""],
        vec!["formula", "show", "nosuch"],
        vec!["mol", "pour", "nosuch"],
        vec!["mol", "status", "sh-nope"],
        vec!["mq", "show", "sh-nope"],
        vec!["mq", "reject", "sh-nope"],
        // Time and numbers.
        vec!["feed", "--since", "x"],
        vec!["feed", "--since", "-5m"],
        vec!["feed", "--since", "1y"],
        vec!["feed", "--since", "99999999999h"],
        vec!["feed", "--since", "18446744073709551616"],
        vec!["feed", "--since", "NaN"],
        vec!["feed", "-n", "18446744073709551615"],
        vec!["scheduler", "set", "-1"],
        // Unknown commands and flags.
        vec!["frobnicate"],
        vec!["bead", "frobnicate"],
        vec!["ready", "--no-such-flag"],
    ];
    // Every id-taking command with ids that are not ids.
    for id in ["", " ", "sh-", "-rf", "a b", "x\u{0}y"] {
        v.push(vec!["show", id]);
        v.push(vec!["bead", "comment", id, "hi"]);
    }
    v.into_iter()
        .map(|c| c.into_iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_bad_input_is_refused_with_exit_2_and_nothing_written() {
    let s = Sandbox::with_town();
    s.add_rig("shop");
    let bead = s.create(&["A bead to aim at", "--rig", "shop"]);
    let long = "x".repeat(600);
    let before = state(&s);
    let all = cases(&bead, &long);
    let mut wrong = Vec::new();
    for args in &all {
        if args.iter().any(|a| a.contains('\0')) {
            continue; // not passable through exec at all
        }
        let mut full: Vec<&str> = vec!["--batch"];
        full.extend(args.iter().map(String::as_str));
        let r = s.gt(&full);
        let bad = r.code != 2
            || r.stderr.trim().is_empty()
            || r.stderr.contains("panicked")
            || r.stderr.contains('\u{1b}');
        if bad {
            wrong.push(format!("{args:?}: exit {} {}", r.code, r.stderr.trim()));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases were not a clean refusal:\n{}",
        wrong.len(),
        all.len(),
        wrong.join("\n")
    );
    assert_eq!(before, state(&s), "a refused command wrote something");
    eprintln!(
        "{} bad inputs refused with exit 2, nothing written",
        all.len()
    );
}
