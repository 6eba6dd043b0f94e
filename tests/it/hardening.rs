//! Nothing a user, a bead or a mail writes can run, repaint or destroy anything: values reach
//! tmux literally, text reaches the terminal inert, output files never replace what they must
//! not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use std::path::Path;

/// The control sequences a title or a mail might carry: window title (OSC 0), clipboard write
/// (OSC 52), clear screen, a carriage return overwriting the row, a bell.
const NASTY: &str =
    "Fix \x1b]0;pwned\x07 \x1b]52;c;ZWNobyBoaQ==\x07 \x1b[2J\x1b[H row\roverwritten \x07end";

fn assert_inert(what: &str, out: &str) {
    for (c, name) in [('\x1b', "ESC"), ('\x07', "BEL"), ('\r', "CR")] {
        assert!(!out.contains(c), "{what} printed a raw {name}: {out:?}");
    }
    assert!(
        out.contains("^[]0;pwned^G") && out.contains("^M"),
        "{what} shows the sequences visibly: {out:?}"
    );
}

#[test]
fn titles_and_mail_reach_the_terminal_inert_and_json_keeps_them_exact() {
    let s = Sandbox::with_town();
    // A ledger can hold such text (an import, an agent, a teammate's issues.jsonl).
    let file = s.path().join("nasty.jsonl");
    let line = serde_json::json!({
        "id": "tn-0001", "title": NASTY, "description": NASTY, "status": "open",
        "priority": 2, "issue_type": "task",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    });
    std::fs::write(&file, format!("{line}\n")).expect("write");
    s.ok(&["--batch", "bead", "import", file.to_str().expect("utf8")]);
    s.ok(&[
        "--batch", "mail", "send", "overseer", "-s", NASTY, "-m", NASTY,
    ]);
    let quoted = serde_json::to_string(NASTY).expect("json");
    s.town_formula(
        "nasty",
        &format!(
            "formula = \"nasty\"\ndescription = {quoted}\nversion = 1\n[[steps]]\nid = \"one\"\ntitle = {quoted}\n"
        ),
    );
    let mail_id = s.json(&["mail", "inbox", "overseer"])["messages"][0]["id"]
        .as_str()
        .expect("mail id")
        .to_string();
    for args in [
        vec!["show", "tn-0001"],
        vec!["bead", "list"],
        vec!["--batch", "bead", "list"],
        vec!["feed", "--plain"],
        vec!["ready"],
        vec!["mail", "inbox", "overseer"],
        vec!["mail", "read", mail_id.as_str()],
        vec!["formula", "show", "nasty"],
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_inert(&format!("gt {}", args.join(" ")), &r.stdout);
    }
    let v = s.json(&["show", "tn-0001"]);
    assert_eq!(v["bead"]["title"], NASTY, "--json keeps the exact text");
}

#[test]
fn an_error_quoting_what_was_typed_is_inert_too() {
    let s = Sandbox::with_town();
    let r = s.gt(&["show", "x\x1b]0;pwned\x07"]);
    assert_ne!(r.code, 0);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    let r = s.gt(&["--json", "bead", "list", "--no-such-flag\x1b[2J"]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    assert_eq!(
        r.json()["error"]["code"],
        2,
        "a parse error under --json is a JSON document: {}",
        r.stdout
    );
}

/// A town under folders whose names are tmux syntax: `#(…)` runs a command, `#S` is the
/// session name, a trailing `;` ends a tmux command.
#[test]
fn tmux_takes_every_path_literally() {
    let s = Sandbox::new();
    let marker = s.path().join("ran");
    let weird = s
        .path()
        .join(format!("t#(touch {})", marker.display()))
        .join("C#Sharp;");
    std::fs::create_dir_all(&weird).expect("mkdir");
    let r = s.gt_in(&weird, &["--batch", "install", "town"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let town = weird.join("town");
    let src = s.source_repo("shop");
    let gt = |args: &[&str]| {
        let r = s.gt_in(&town, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r
    };
    gt(&["--batch", "rig", "add", "shop", src.to_str().expect("utf8")]);
    gt(&["--batch", "config", "default-agent", "sim"]);
    let bead = gt(&["--batch", "bead", "create", "Work in a strange place"])
        .stdout
        .trim()
        .to_string();
    let slung = gt(&["--batch", "--json", "sling", &bead, "shop"]).json();
    let agent = slung["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    let v = gt(&["--batch", "--json", "agents"]).json();
    let a = v["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["address"] == agent.as_str()))
        .expect("listed")
        .clone();
    let worktree = a["worktree"].as_str().expect("worktree").to_string();
    let pane = a["pane"].as_str().expect("pane").to_string();
    let socket = std::fs::read_to_string(town.join(".gt/tmux-socket")).expect("socket");
    let cwd = std::process::Command::new("tmux")
        .args(["-L", socket.trim(), "display", "-p", "-t", &pane])
        .arg("#{pane_current_path}")
        .output()
        .expect("tmux");
    assert_eq!(
        String::from_utf8_lossy(&cwd.stdout).trim(),
        worktree,
        "the polecat starts in its own worktree"
    );
    assert!(!marker.exists(), "a folder name ran a command");
    gt(&["--batch", "down"]);
}

#[test]
fn an_export_never_replaces_what_is_not_an_export() {
    let s = Sandbox::with_town();
    s.create(&["Something to export"]);
    let town = s.town();
    let ledger = town.join(".gt/ledger.db");
    let before = std::fs::read(&ledger).expect("ledger");
    let notes = s.path().join("notes.txt");
    std::fs::write(&notes, "my notes\n").expect("write");
    let cases: Vec<(String, bool)> = vec![
        (ledger.display().to_string(), true),
        (".gt/ledger.db".into(), true),
        ("town.toml".into(), true),
        (s.path().display().to_string(), true),
        ("/dev/null".into(), true),
        (notes.display().to_string(), false),
    ];
    for (path, even_forced) in &cases {
        let r = s.gt(&["--batch", "bead", "export", path]);
        assert_eq!(r.code, 2, "export to {path}: {}", r.stderr);
        assert!(
            r.stderr.contains("refusing") || r.stderr.contains("--force"),
            "{}",
            r.stderr
        );
        if *even_forced {
            let r = s.gt(&["--batch", "bead", "export", path, "--force"]);
            assert_eq!(r.code, 2, "export --force to {path}: {}", r.stderr);
        }
    }
    assert_eq!(
        std::fs::read(&ledger).expect("ledger"),
        before,
        "the ledger is intact"
    );
    assert_eq!(
        std::fs::read_to_string(&notes).expect("notes"),
        "my notes\n"
    );
    {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null").metadata().expect("null").file_type();
        assert!(
            null.is_char_device(),
            "/dev/null was not replaced by a file"
        );
    }
    // An earlier export is replaced; --force replaces the notes.
    let out = s.path().join("beads.jsonl");
    s.ok(&["--batch", "bead", "export", out.to_str().expect("utf8")]);
    s.create(&["One more"]);
    s.ok(&["--batch", "bead", "export", out.to_str().expect("utf8")]);
    assert_eq!(
        std::fs::read_to_string(&out).expect("read").lines().count(),
        2
    );
    s.ok(&[
        "--batch",
        "bead",
        "export",
        notes.to_str().expect("utf8"),
        "--force",
    ]);
    assert!(
        std::fs::read_to_string(&notes)
            .expect("notes")
            .contains("One more")
    );
    // The same rules for `config dump --out`.
    let toml = std::fs::read(town.join("town.toml")).expect("toml");
    let r = s.gt(&[
        "--batch",
        "config",
        "dump",
        "theme",
        "--out",
        "town.toml",
        "--force",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(std::fs::read(town.join("town.toml")).expect("toml"), toml);
}

/// A mail notice is typed into the agent through the same seam as a nudge: a subject that
/// would end the bracketed paste and submit a line of its own (`!…` runs a gt command in the
/// simulator, as a shell escape does in real runtimes) arrives as one inert message.
#[test]
fn a_mail_subject_cannot_end_the_paste_or_run_anything() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("thesim", "--busy 0.1", &[]);
    let b = s.create(&["First job", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "thesim"]);
    wait_for(30, "idle", || {
        (s.agent_view(&agent)["session"] == "idle").then_some(())
    });
    let subject = "x\x1b[201~\r!bead create PWNED --rig shop\r\x1b[200~\x1b";
    s.ok(&["mail", "send", &agent, "-s", subject]);
    let got = wait_for(30, "the notice", || {
        s.sim_received(&agent)
            .into_iter()
            .find(|t| t.contains("PWNED"))
    });
    assert!(!got.contains('\x1b'), "{got:?}");
    assert!(got.contains("^[[201~"), "shown, not obeyed: {got:?}");
    std::thread::sleep(std::time::Duration::from_secs(1));
    let beads = s.json(&["bead", "list", "--all"]);
    let made = beads["beads"]
        .as_array()
        .expect("beads")
        .iter()
        .filter(|b| b["title"] == "PWNED")
        .count();
    assert_eq!(made, 0, "a command ran: {beads}");
    s.ok(&["--batch", "down"]);
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

/// The town is its user's alone: made private, kept private by `gt doctor --fix`.
#[test]
fn the_town_is_private_and_doctor_fixes_an_open_one() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::with_town();
    s.create(&["Private work"]);
    s.ok(&["--batch", "mail", "send", "overseer", "-s", "Secret plans"]);
    let town = s.town();
    assert_eq!(mode(&town), 0o700);
    assert_eq!(mode(&town.join(".gt")), 0o700);
    assert_eq!(mode(&town.join(".gt/ledger.db")), 0o600);
    assert_eq!(mode(&town.join(".beads/issues.jsonl")) & 0o077, 0);
    for (p, m) in [
        (town.join(".gt"), 0o755),
        (town.join(".gt/ledger.db"), 0o644),
    ] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).expect("chmod");
    }
    let r = s.gt(&["--batch", "--json", "doctor"]);
    let v = r.json();
    let privacy = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "privacy"))
        .expect("a privacy check")
        .clone();
    assert_eq!(privacy["status"], "error", "{privacy}");
    assert!(
        privacy["detail"]
            .as_str()
            .unwrap_or("")
            .contains("ledger.db")
    );
    s.gt(&["--batch", "doctor", "--fix"]);
    assert_eq!(mode(&town.join(".gt")), 0o700);
    assert_eq!(mode(&town.join(".gt/ledger.db")), 0o600);
    let v = s.gt(&["--batch", "--json", "doctor"]).json();
    let privacy = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "privacy"))
        .expect("a privacy check")
        .clone();
    assert_eq!(privacy["status"], "ok", "{privacy}");
}

/// issues.jsonl is tracked by git and may be pushed: mail stays out of it unless the town
/// opts in.
#[test]
fn mail_stays_out_of_the_tracked_export_unless_the_town_opts_in() {
    let s = Sandbox::with_town();
    s.create(&["An issue for everyone"]);
    s.ok(&[
        "--batch",
        "mail",
        "send",
        "overseer",
        "-s",
        "Secret plans",
        "-m",
        "the body",
    ]);
    let text = s.jsonl();
    assert!(text.contains("An issue for everyone"));
    assert!(
        !text.contains("Secret plans") && !text.contains("the body"),
        "{text}"
    );
    let exported = s.ok(&["--batch", "bead", "export"]).stdout;
    assert!(!exported.contains("Secret plans"), "{exported}");
    s.ok(&["--batch", "config", "set", "ledger.export_mail", "true"]);
    s.ok(&["--batch", "mail", "send", "overseer", "-s", "Shared plans"]);
    let text = s.jsonl();
    assert!(text.contains("Shared plans"), "{text}");
}

/// Bad input gets a clear error and exit 2, and nothing is written.
#[test]
fn bad_values_are_refused_and_nothing_is_written() {
    let s = Sandbox::with_town();
    s.create(&["Keep me"]);
    let before = s.ledger_state();
    let cases: Vec<Vec<&str>> = vec![
        vec!["rig", "add", "r6", ""],
        vec!["rig", "add", "r7", "."],
        vec!["config", "set", "ui.theme", "nosuch"],
        vec!["feed", "--since", "99999999999h"],
        vec!["feed", "--since", "18446744073709551616"],
        vec!["nudge", "x", "hello", "--wait", "18446744073709551615"],
        vec!["agent", "flush", "x", "--wait", "18446744073709551615"],
        vec!["bead", "list", "--limit", "18446744073709551615"],
        vec!["agent", "sim", "--busy", "NaN"],
        vec!["agent", "sim", "--busy", "1e300"],
    ];
    for args in &cases {
        let mut full = vec!["--batch"];
        full.extend(args);
        let r = s.gt(&full);
        assert_eq!(r.code, 2, "{args:?}: {} {}", r.stdout, r.stderr);
        assert!(!r.stderr.trim().is_empty(), "{args:?} says why");
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
    }
    let r = s.gt(&["completion", "bash"]);
    assert_eq!(r.code, 0);
    assert_eq!(before, s.ledger_state(), "nothing written");
    s.env
        .borrow_mut()
        .push(("GT_AGENT".into(), "../../etc/x\x1b]0;".into()));
    let r = s.gt(&["--batch", "bead", "create", "From a strange agent"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("$GT_AGENT") && !r.stderr.contains('\x1b'),
        "{}",
        r.stderr
    );
    assert_eq!(before, s.ledger_state(), "nothing written");
}

/// `gt completion bash | head` stops reading early: not a panic, not an error.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read;
    let mut child = std::process::Command::new(gt_bin())
        .args(["completion", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    out.read_exact(&mut first).expect("read");
    drop(out);
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(o.status.code(), Some(101), "{err}");
}

/// The importer takes nothing the CLI would refuse, keeps a newer bead over an older line
/// (and says so), and names a device or FIFO for what it is.
#[test]
fn the_importer_refuses_what_the_cli_would_and_keeps_newer_beads() {
    let s = Sandbox::with_town();
    let line = |id: &str, title: &str, status: &str, updated: &str, extra: &str| {
        format!(
            r#"{{"id":"{id}","title":"{title}","status":"{status}","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"{updated}"{extra}}}"#
        )
    };
    let bad = [
        line("tn-0001", "Bogus", "bogus", "2026-01-01T00:00:00Z", ""),
        line(
            "tn-0002",
            "Nul \\u0000 inside",
            "open",
            "2026-01-01T00:00:00Z",
            "",
        ),
        line(
            "tn-0003",
            "Itself",
            "open",
            "2026-01-01T00:00:00Z",
            r#","dependencies":[{"issue_id":"tn-0003","depends_on_id":"tn-0003","type":"blocks"}]"#,
        ),
    ];
    let before = s.ledger_state();
    for (i, l) in bad.iter().enumerate() {
        let f = s.path().join(format!("bad{i}.jsonl"));
        std::fs::write(&f, format!("{l}\n")).expect("write");
        let r = s.gt(&["--batch", "bead", "import", f.to_str().expect("utf8")]);
        assert_eq!(r.code, 2, "{l}: {}", r.stderr);
        assert_eq!(before, s.ledger_state(), "nothing written for {l}");
    }
    let r = s.gt(&["--batch", "bead", "import", "/dev/null"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    // A newer bead is kept; the older line is reported, not applied.
    let f = s.path().join("new.jsonl");
    std::fs::write(
        &f,
        line("tn-0004", "Newer title", "open", "2026-06-01T00:00:00Z", "") + "\n",
    )
    .expect("write");
    s.ok(&["--batch", "bead", "import", f.to_str().expect("utf8")]);
    std::fs::write(
        &f,
        line(
            "tn-0004",
            "Older title",
            "open",
            "2026-03-01T00:00:00+02:00",
            "",
        ) + "\n",
    )
    .expect("write");
    let r = s.ok(&["--batch", "bead", "import", f.to_str().expect("utf8")]);
    assert!(
        r.stdout.contains("Kept 1") && r.stdout.contains("tn-0004"),
        "{}",
        r.stdout
    );
    assert_eq!(s.json(&["show", "tn-0004"])["bead"]["title"], "Newer title");
}

/// A clone that stalls is given up after `rig.clone_timeout_secs`, leaving nothing; an add
/// killed mid-clone leaves a folder that `gt doctor` names and `--fix` removes.
#[test]
fn a_stalled_or_killed_rig_add_leaves_nothing_doctor_does_not_see() {
    let s = Sandbox::with_town();
    s.ok(&["--batch", "config", "set", "rig.clone_timeout_secs", "2"]);
    // An ssh remote that never answers.
    s.env
        .borrow_mut()
        .push(("GIT_SSH_COMMAND".into(), "sleep 30; :".into()));
    let t0 = std::time::Instant::now();
    let r = s.gt(&[
        "--batch",
        "rig",
        "add",
        "slow",
        "ssh://example.invalid/slow.git",
    ]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("no answer within 2 s"), "{}", r.stderr);
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(20),
        "given up in time"
    );
    assert!(!s.town().join("slow").exists(), "nothing left behind");

    // Killed mid-clone.
    let mut child = s
        .cmd(
            &s.town(),
            &[
                "--batch",
                "rig",
                "add",
                "cut",
                "ssh://example.invalid/cut.git",
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for(10, "the clone to begin", || {
        s.town().join("cut").exists().then_some(())
    });
    child.kill().expect("kill");
    let _ = child.wait();
    let v = s.gt(&["--batch", "--json", "doctor"]).json();
    let check = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "rig cut"))
        .cloned()
        .expect("doctor names the half-made rig");
    assert_eq!(check["status"], "error", "{check}");
    s.gt(&["--batch", "doctor", "--fix"]);
    assert!(!s.town().join("cut").exists(), "--fix removed it");
    s.env.borrow_mut().retain(|(k, _)| k != "GIT_SSH_COMMAND");
    let src = s.source_repo("cut");
    s.ok(&["--batch", "rig", "add", "cut", src.to_str().expect("utf8")]);
}

/// A process that holds the ledger's write lock is named by `gt doctor`, quickly.
#[test]
fn doctor_names_a_process_holding_the_ledger() {
    use std::io::Write;
    let s = Sandbox::with_town();
    s.create(&["Something"]);
    let db = s.town().join(".gt/ledger.db");
    let mut holder = std::process::Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sqlite3");
    let mut input = holder.stdin.take().expect("stdin");
    writeln!(
        input,
        // A busy timeout: a background export finishing just then must not make BEGIN fail
        // and leave the insert to run (and release) in autocommit.
        ".timeout 5000\nBEGIN IMMEDIATE; INSERT INTO export_marks (id) VALUES ('held');"
    )
    .expect("write");
    input.flush().expect("flush");
    wait_for(20, "the lock to be taken", || {
        let r = s.gt(&[
            "--batch",
            "-c",
            "ledger.busy_timeout_ms=100",
            "bead",
            "create",
            "Blocked",
        ]);
        (r.code != 0).then_some(())
    });
    let t0 = std::time::Instant::now();
    let v = s.gt(&["--batch", "--json", "doctor", "--fix"]).json();
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(8),
        "doctor does not hang"
    );
    let check = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "ledger lock"))
        .cloned()
        .expect("a ledger lock finding");
    assert_eq!(check["status"], "error");
    assert!(
        check["detail"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("pid {}", holder.id())),
        "{check}"
    );
    drop(input);
    let _ = holder.kill();
    let _ = holder.wait();
    let v = s.gt(&["--batch", "--json", "doctor"]).json();
    assert!(
        !v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["name"] == "ledger lock"),
        "{v}"
    );
}

/// A `polecat/…` branch nobody names (a sling killed after making it) is found; deleted by
/// `--fix` only when it holds nothing the default branch lacks.
#[test]
fn doctor_finds_orphan_polecat_branches_and_keeps_the_ones_with_work() {
    let s = Sandbox::with_sim_rig("shop");
    let repo = s.town().join("shop/.repo.git");
    git(&repo, &["branch", "polecat/ghost/sh-0001", "main"]);
    let sha = git(
        &repo,
        &["commit-tree", "main^{tree}", "-p", "main", "-m", "work"],
    );
    git(&repo, &["branch", "polecat/ghost/sh-0002", sha.trim()]);
    let findings = |v: &serde_json::Value| -> Vec<String> {
        v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["name"] == "branches")
            .map(|c| c["detail"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let v = s.gt(&["--batch", "--json", "doctor"]).json();
    let f = findings(&v);
    assert_eq!(f.len(), 2, "{f:?}");
    s.gt(&["--batch", "doctor", "--fix"]);
    let branches = git(&repo, &["branch", "--list", "polecat/*"]);
    assert!(
        !branches.contains("sh-0001"),
        "the empty one is gone: {branches}"
    );
    assert!(
        branches.contains("sh-0002"),
        "the one with work is kept: {branches}"
    );
    let f = findings(&s.gt(&["--batch", "--json", "doctor"]).json());
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].contains("sh-0002") && f[0].contains("1 commit"),
        "{f:?}"
    );
}

/// A town deleted and made again at the same path while its supervisor ran: `gt doctor`
/// names the old supervisor, and `--fix` stops it.
#[test]
fn doctor_stops_the_supervisor_of_a_town_deleted_under_it() {
    let s = Sandbox::with_town();
    s.ok(&["--batch", "up"]);
    let status = s.town().join(".gt/daemon/status.json");
    wait_for(20, "the supervisor", || status.exists().then_some(()));
    let pid = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(&status).expect("status"),
    )
    .expect("json")["pid"]
        .as_i64()
        .expect("pid");
    let alive = |pid: i64| Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid));
    // The live supervisor keeps writing its status while the folder goes: as with `rm -rf`,
    // a pass can race a new file, so the deletion is repeated until the folder is gone.
    // A duty may also write a file just after a pass that emptied it (the new install then
    // finds the folder not empty): deleted and made again until the install takes.
    wait_for(10, "the town deleted and made again", || {
        match std::fs::remove_dir_all(s.town()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
        (s.gt_in(s.path(), &["--batch", "install", "town"]).code == 0).then_some(())
    });
    let v = s.gt(&["--batch", "--json", "doctor"]).json();
    let old = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "old town"))
        .cloned()
        .expect("the old town's processes are named");
    assert!(
        old["detail"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("pid {pid}")),
        "{old}"
    );
    s.gt(&["--batch", "doctor", "--fix"]);
    wait_for(10, "the old supervisor to stop", || {
        (!alive(pid)).then_some(())
    });
    s.gt(&["--batch", "down", "--force"]);
}

/// Broken keymap and theme files are a doctor finding naming what is wrong.
#[test]
fn doctor_reports_broken_keymap_and_theme_files() {
    let s = Sandbox::with_town();
    let dir = s.path().join("home/.config/gt");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let check = |s: &Sandbox| -> serde_json::Value {
        s.gt(&["--batch", "--json", "doctor"]).json()["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "keymap/theme"))
            .cloned()
            .expect("a keymap/theme check")
    };
    assert_eq!(check(&s)["status"], "ok");
    std::fs::write(
        dir.join("keymap.toml"),
        "[global]\nquit = \"not a key !!\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("theme.toml"), "this is [not toml").expect("write");
    let c = check(&s);
    assert_eq!(c["status"], "warn", "{c}");
    let detail = c["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("keymap.toml") && detail.contains("theme.toml"),
        "{c}"
    );
}
