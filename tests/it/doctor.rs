//! `gt doctor [--fix]`: a healthy town passes; each kind of damage, made for real, is found
//! with the right status; `--fix` repairs the safe ones, keeps anything holding work, and a
//! second `--fix` changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `gt --batch --json doctor [--fix]`: exit code and document.
fn doctor(s: &Sandbox, fix: bool) -> (i32, Value) {
    let mut args = vec!["--batch", "--json", "doctor"];
    if fix {
        args.push("--fix");
    }
    let r = s.gt(&args);
    assert!(
        r.code == 0 || r.code == 1,
        "doctor exit {}: {}",
        r.code,
        r.stderr
    );
    let v = r.json();
    assert_eq!(v["schema"], 1, "{v}");
    assert_eq!(v["ok"], r.code == 0, "ok must match the exit code: {v}");
    (r.code, v)
}

fn checks(v: &Value) -> &Vec<Value> {
    v["checks"].as_array().expect("checks")
}

/// The one check of area `name` whose detail mentions `text`.
/// The finding of `area` mentioning `needle`, checked for its status and whether `--fix` can
/// repair it.
fn expect_finding<'a>(
    v: &'a Value,
    area: &str,
    needle: &str,
    status: &str,
    fixable: bool,
) -> &'a Value {
    let c = finding(v, area, needle);
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some(status), Some(fixable)),
        "{c}"
    );
    c
}

fn assert_detail(c: &Value, text: &str) {
    assert!(c["detail"].as_str().unwrap_or("").contains(text), "{c}");
}

fn finding<'a>(v: &'a Value, name: &str, text: &str) -> &'a Value {
    let found: Vec<&Value> = checks(v)
        .iter()
        .filter(|c| c["name"] == name && c["detail"].as_str().unwrap_or("").contains(text))
        .collect();
    assert_eq!(found.len(), 1, "one {name} check about {text:?} in {v:#}");
    found[0]
}

fn has_finding(v: &Value, name: &str, text: &str) -> bool {
    checks(v)
        .iter()
        .any(|c| c["name"] == name && c["detail"].as_str().unwrap_or("").contains(text))
}

fn tmux(s: &Sandbox, args: &[&str]) -> String {
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let o = Command::new("tmux")
        .args(["-f", "/dev/null", "-L", socket.trim()])
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `window_id window_name @gt_agent` of every window of the town's server.
fn windows(s: &Sandbox) -> String {
    tmux(
        s,
        &[
            "list-windows",
            "-a",
            "-F",
            "#{window_id} #{window_name} #{@gt_agent}",
        ],
    )
}

/// A window on the town's tmux server tagged as the window of `agent`; returns its id.
fn tagged_window(s: &Sandbox, session: &str, name: &str, agent: &str) -> String {
    let id = tmux(
        s,
        &[
            "new-window",
            "-d",
            "-P",
            "-F",
            "#{window_id}",
            "-t",
            session,
            "-n",
            name,
            "sleep 600",
        ],
    )
    .trim()
    .to_string();
    assert!(id.starts_with('@'), "new-window printed {id:?}");
    tmux(s, &["set-option", "-w", "-t", &id, "@gt_agent", agent]);
    id
}

/// A worktree of the rig's repository on a new branch from main, made two hours ago (older
/// than the grace period for worktrees being set up).
fn stray_worktree(s: &Sandbox, rel: &str, branch: &str) -> PathBuf {
    let repo = s.town().join("gastown/.repo.git");
    let path = s.town().join(rel);
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            branch,
            path.to_str().expect("utf8"),
            "main",
        ],
    );
    path
}

fn backdate(path: &Path) {
    for p in [path.to_path_buf(), path.join(".git")] {
        let ok = Command::new("touch")
            .args(["-h", "-d", "2 hours ago"])
            .arg(&p)
            .status()
            .expect("touch");
        assert!(ok.success());
    }
}

/// The pid of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

/// Slings one bead to a sim polecat and waits until it is done (idle, merge request queued).
fn idle_polecat(s: &Sandbox) -> String {
    let bead = s.create(&["Real work", "--rig", "gastown"]);
    let agent = s.sling_agent(&[&bead, "gastown"]);
    wait_for(60, "the polecat to finish", || {
        let v = s.agent_view(&agent);
        (v["state"] == "idle" && v["hook"].is_null()).then_some(())
    });
    agent
}

/// A town whose default agent runs here (the simulator): the runtime check is clean.
fn town() -> Sandbox {
    let s = Sandbox::with_town();
    s.ok(&["--batch", "config", "default-agent", "sim"]);
    s
}

#[test]
fn a_healthy_town_passes_every_check() {
    let s = Sandbox::with_sim_rig("gastown");
    let agent = idle_polecat(&s);
    let (code, v) = doctor(&s, false);
    assert_eq!(code, 0, "{v:#}");
    for c in checks(&v) {
        assert_eq!(c["status"], "ok", "{c}");
        for key in ["name", "status", "detail", "fixable", "fixed"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    let names: Vec<&str> = checks(&v)
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for area in [
        "tmux",
        "git",
        "town.toml",
        "rig gastown",
        "settings",
        "ledger",
        "hooks",
        "worktrees",
        "windows",
        "daemon",
    ] {
        assert!(names.contains(&area), "no {area} check: {names:?}");
    }
    assert!(
        finding(&v, "windows", "agent window")
            .to_string()
            .contains("1 agent window"),
        "{v:#}"
    );
    // The agent's window and worktree were seen and left alone.
    assert!(windows(&s).contains(&agent), "{}", windows(&s));

    // People get one line per check and a summary; scripts get a table.
    let human = s.ok(&["doctor"]).stdout;
    assert!(
        human
            .lines()
            .any(|l| l.starts_with("ok") && l.contains("tmux 3.")),
        "{human}"
    );
    assert!(human.contains("0 error(s), 0 warning(s)"), "{human}");
    let batch = s.ok(&["--batch", "doctor"]).stdout;
    assert!(
        batch.starts_with("STATUS\tCHECK\tDETAIL\tACTION\n"),
        "{batch}"
    );
    assert_eq!(batch.lines().count(), checks(&v).len() + 1, "{batch}");
}

#[test]
fn damage_is_found_fix_repairs_the_safe_part_and_a_second_fix_changes_nothing() {
    let s = Sandbox::with_sim_rig("gastown");
    let agent = idle_polecat(&s);
    let agent_bead = s.agent_view(&agent)["bead_id"]
        .as_str()
        .expect("bead id")
        .to_string();

    // A bead hooked to an agent that does not exist, and an agent whose hook names a bead
    // that does not exist.
    let lost = s.create(&["Lost work", "--rig", "gastown"]);
    s.sql(&format!(
        "UPDATE beads SET status = 'hooked', assignee = 'gastown/polecats/ghost' WHERE id = '{lost}'"
    ));
    s.sql(&format!(
        "UPDATE beads SET hook_bead = 'gt-nope', agent_state = 'working' WHERE id = '{agent_bead}'"
    ));
    // Worktrees nobody owns: clean and merged; with uncommitted work; with an unmerged commit;
    // and a registration whose directory is gone.
    let clean = stray_worktree(&s, "gastown/polecats/old", "polecat/old/gt-x");
    let dirty = stray_worktree(&s, "gastown/polecats/dirty", "polecat/dirty/gt-y");
    std::fs::write(dirty.join("notes.txt"), "not committed\n").expect("write");
    let ahead = stray_worktree(&s, "gastown/crew/ahead", "crew/ahead");
    std::fs::write(ahead.join("new.txt"), "committed\n").expect("write");
    git(&ahead, &["add", "new.txt"]);
    git(&ahead, &["commit", "-q", "-m", "work nobody merged"]);
    let gone = stray_worktree(&s, "gastown/polecats/gone", "polecat/gone/gt-z");
    std::fs::remove_dir_all(&gone).expect("rm");
    for p in [&clean, &dirty, &ahead] {
        backdate(p);
    }
    // A window tagged for an agent the ledger does not know, next to one that is not ours.
    let ghost = tagged_window(&s, "gastown", "ghost", "gastown/polecats/ghost");
    tmux(
        &s,
        &[
            "new-window",
            "-d",
            "-t",
            "gastown",
            "-n",
            "mine",
            "sleep 600",
        ],
    );
    // A supervisor status left by a process that is gone.
    let status = s.town().join(".gt/daemon/status.json");
    std::fs::create_dir_all(status.parent().expect("dir")).expect("mkdir");
    std::fs::write(&status, format!("{{\"pid\": {}}}", dead_pid())).expect("write");

    // Looking changes nothing (the export follower of the writes above settled first).
    s.flush();
    let files = snapshot(&s.town());
    let ledger = s.ledger_state();
    let (code, v) = doctor(&s, false);
    assert_eq!(code, 1, "errors remain: {v:#}");
    assert_eq!(
        snapshot(&s.town()),
        files,
        "doctor without --fix wrote something"
    );
    assert_eq!(s.ledger_state(), ledger);

    let c = expect_finding(&v, "hooks", &lost, "error", true);
    assert_detail(c, "gastown/polecats/ghost");
    expect_finding(&v, "hooks", "gt-nope", "error", true);
    expect_finding(&v, "worktrees", "polecats/old", "warn", true);
    let c = expect_finding(&v, "worktrees", "polecats/dirty", "warn", false);
    assert_detail(c, "1 uncommitted file");
    assert!(
        c["action"].as_str().unwrap_or("").contains("git status"),
        "{c}"
    );
    let c = expect_finding(&v, "worktrees", "crew/ahead", "warn", false);
    assert!(
        c["detail"]
            .as_str()
            .unwrap_or("")
            .contains("1 commit(s) not on main"),
        "{c}"
    );
    expect_finding(&v, "worktrees", "polecats/gone", "warn", true);
    expect_finding(&v, "windows", "gastown/polecats/ghost", "warn", true);
    assert!(
        !has_finding(&v, "windows", &agent),
        "a known agent's window is fine: {v:#}"
    );
    assert!(
        !has_finding(&v, "windows", "mine"),
        "untagged windows are not ours: {v:#}"
    );
    expect_finding(&v, "daemon", "stale", "warn", true);

    // --fix: the safe repairs, in the ledger, in git, in tmux and on disk.
    let (code, v) = doctor(&s, true);
    assert_eq!(code, 0, "only warnings may remain: {v:#}");
    for (name, text) in [
        ("hooks", lost.as_str()),
        ("hooks", "gt-nope"),
        ("worktrees", "polecats/old"),
        ("worktrees", "polecats/gone"),
        ("windows", "gastown/polecats/ghost"),
        ("daemon", "stale"),
    ] {
        assert_eq!(
            finding(&v, name, text)["fixed"],
            true,
            "{name} {text}: {v:#}"
        );
    }
    for text in ["polecats/dirty", "crew/ahead"] {
        let c = finding(&v, "worktrees", text);
        assert_eq!(
            (c["fixed"].as_bool(), c["status"].as_str()),
            (Some(false), Some("warn"))
        );
    }
    let b = &s.json(&["show", &lost])["bead"];
    assert_eq!(b["status"], "open", "{b}");
    assert!(b["assignee"].is_null(), "{b}");
    let comments = b["comments"].to_string();
    assert!(
        comments.contains("gt doctor released this bead"),
        "{comments}"
    );
    let a = s.agent_view(&agent);
    assert_eq!(
        (a["state"].as_str(), a["hook"].is_null()),
        (Some("idle"), true),
        "{a}"
    );
    let repo = s.town().join("gastown/.repo.git");
    assert!(!clean.exists());
    let branches = git(&repo, &["branch", "--list"]);
    assert!(!branches.contains("polecat/old/gt-x"), "{branches}");
    assert!(branches.contains("crew/ahead"), "{branches}");
    assert_eq!(
        std::fs::read_to_string(dirty.join("notes.txt")).expect("kept"),
        "not committed\n"
    );
    assert!(ahead.join("new.txt").is_file());
    let list = git(&repo, &["worktree", "list", "--porcelain"]);
    assert!(!list.contains("polecats/gone"), "{list}");
    assert!(
        list.contains("polecats/dirty") && list.contains("crew/ahead"),
        "{list}"
    );
    let wins = windows(&s);
    assert!(!wins.contains(&ghost), "{wins}");
    assert!(wins.contains(" mine "), "{wins}");
    assert!(wins.contains(&agent), "{wins}");
    assert!(!status.exists());

    // A second --fix finds only what it must leave, and changes nothing.
    let files = snapshot(&s.town());
    let ledger = s.ledger_state();
    let (code, again) = doctor(&s, true);
    assert_eq!(code, 0, "{again:#}");
    assert!(
        checks(&again).iter().all(|c| c["fixed"] == false),
        "{again:#}"
    );
    let left: Vec<&Value> = checks(&again)
        .iter()
        .filter(|c| c["status"] != "ok")
        .collect();
    assert_eq!(left.len(), 2, "only the two worktrees with work: {again:#}");
    assert_eq!(snapshot(&s.town()), files, "the second --fix changed files");
    assert_eq!(
        s.ledger_state(),
        ledger,
        "the second --fix changed the ledger"
    );
    assert_eq!(windows(&s), wins);
}

#[test]
fn a_window_someone_is_attached_to_is_never_killed() {
    let s = Sandbox::with_sim_rig("gastown");
    idle_polecat(&s);
    let ghost = tagged_window(&s, "gastown", "ghost", "gastown/polecats/ghost");
    // Not an agent address gt records: never killed either.
    let other = tagged_window(&s, "gastown", "machinery", "daemon");
    // A person's terminal (a pane of another tmux server) looking at the window.
    let person = crate::common::terminal::Terminal::attach(&s, &ghost);
    wait_for(10, "the person to be attached", || {
        let attached = tmux(
            &s,
            &[
                "list-panes",
                "-a",
                "-F",
                "#{window_id} #{session_attached} #{window_active}",
            ],
        );
        attached.contains(&format!("{ghost} 1 1")).then_some(())
    });

    let (_, v) = doctor(&s, true);
    let c = finding(&v, "windows", "gastown/polecats/ghost");
    assert_eq!(
        (c["fixable"].as_bool(), c["fixed"].as_bool()),
        (Some(false), Some(false)),
        "{c}"
    );
    assert!(
        c["detail"].as_str().unwrap_or("").contains("attached"),
        "{c}"
    );
    let c = finding(&v, "windows", "\"daemon\"");
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some("warn"), Some(false)),
        "{c}"
    );
    assert!(windows(&s).contains(&ghost));

    // Once the person has gone, --fix kills it (and still not the other one).
    drop(person);
    wait_for(10, "the person to detach", || {
        let attached = tmux(
            &s,
            &["list-panes", "-a", "-F", "#{window_id} #{session_attached}"],
        );
        attached.contains(&format!("{ghost} 0")).then_some(())
    });
    let (_, v) = doctor(&s, true);
    assert_eq!(
        finding(&v, "windows", "gastown/polecats/ghost")["fixed"],
        true,
        "{v:#}"
    );
    let wins = windows(&s);
    assert!(!wins.contains(&ghost) && wins.contains(&other), "{wins}");
}

#[test]
fn a_damaged_index_is_found_and_rebuilt() {
    let s = town();
    let bead = s.create(&["Something"]);
    s.ok(&["--batch", "bead", "comment", &bead, "first"]);
    // The comments index gets out of step with its table: a row is written while the
    // schema describes the index differently, then the real description is put back.
    let db = s.town().join(".gt/ledger.db");
    let swap = |sql: &str| {
        sqlite(
            &db,
            &format!(
                "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql='{sql}' WHERE name='comments_issue';"
            ),
        )
    };
    swap("CREATE INDEX comments_issue ON comments(text, id)");
    sqlite(
        &db,
        &format!(
            "INSERT INTO comments (issue_id, author, text, created_at) VALUES ('{bead}', 'x', 'y', '2020-01-01T00:00:00Z')"
        ),
    );
    swap("CREATE INDEX comments_issue ON comments(issue_id, id)");
    assert_ne!(sqlite(&db, "PRAGMA integrity_check"), "ok");

    let (code, v) = doctor(&s, false);
    assert_eq!(code, 1);
    let c = finding(&v, "ledger", "comments_issue");
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some("error"), Some(true)),
        "{c}"
    );
    let (code, v) = doctor(&s, true);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(finding(&v, "ledger", "comments_issue")["fixed"], true);
    assert_eq!(sqlite(&db, "PRAGMA integrity_check"), "ok");
    let (code, v) = doctor(&s, true);
    assert_eq!(code, 0);
    assert_eq!(finding(&v, "ledger", "integrity_check ok")["status"], "ok");
}

#[test]
fn config_problems_are_reported_and_the_refinery_worktree_is_made_again() {
    let s = town();
    s.add_rig("gastown");
    let refinery = s.town().join("gastown/refinery");
    std::fs::remove_dir_all(&refinery).expect("rm");
    let rig_toml = s.town().join("gastown/rig.toml");
    let mut text = std::fs::read_to_string(&rig_toml).expect("read");
    text.push_str("[merge]\nstrategy = \"squash\"\n");
    std::fs::write(&rig_toml, text).expect("write");
    std::fs::create_dir_all(s.town().join("broken")).expect("mkdir");
    std::fs::write(s.town().join("broken/rig.toml"), "name = [unclosed\n").expect("write");

    let (code, v) = doctor(&s, false);
    assert_eq!(code, 1);
    let c = finding(&v, "rig gastown", "refinery");
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some("error"), Some(true)),
        "{c}"
    );
    let c = finding(&v, "settings", "merge.strategy");
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some("error"), Some(false)),
        "{c}"
    );
    let c = finding(&v, "rig broken", "rig.toml");
    assert_eq!(c["status"], "error", "{c}");

    let (code, v) = doctor(&s, true);
    assert_eq!(
        code, 1,
        "the setting and the broken rig are left for a person: {v:#}"
    );
    assert_eq!(
        finding(&v, "rig gastown", "refinery")["fixed"],
        true,
        "{v:#}"
    );
    assert!(
        refinery.join("README.md").is_file(),
        "the refinery worktree is back"
    );
    let list = git(&s.town().join("gastown/.repo.git"), &["worktree", "list"]);
    assert!(list.contains("refinery"), "{list}");

    let files = snapshot(&s.town());
    let (code, again) = doctor(&s, true);
    assert_eq!(code, 1);
    assert!(
        checks(&again).iter().all(|c| c["fixed"] == false),
        "{again:#}"
    );
    assert_eq!(
        finding(&again, "rig gastown", "refinery worktree")["status"],
        "ok"
    );
    assert_eq!(snapshot(&s.town()), files);
}

#[test]
fn the_supervisor_files_are_left_alone_while_its_lock_is_held() {
    let s = town();
    let lock = s.town().join(".gt/daemon.lock");
    let status = s.town().join(".gt/daemon/status.json");
    std::fs::create_dir_all(status.parent().expect("dir")).expect("mkdir");
    // A stand-in supervisor: a live process holding the OS lock, named in the status file.
    // (-o: the lock stays with flock itself, so killing it releases the lock.)
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(&lock)
        .args(["sleep", "60"])
        .spawn()
        .expect("flock");
    std::fs::write(&status, format!("{{\"pid\": {}}}", holder.id())).expect("write");
    wait_for(10, "the lock to be held", || {
        let (_, v) = doctor(&s, false);
        (finding(&v, "daemon", "")["status"] == "ok").then_some(())
    });
    let (_, v) = doctor(&s, true);
    assert!(finding(&v, "daemon", "running").is_object());
    assert!(status.is_file());

    // The status names a dead process while the lock is held: reported, never removed.
    std::fs::write(&status, format!("{{\"pid\": {}}}", dead_pid())).expect("write");
    let (_, v) = doctor(&s, true);
    let c = finding(&v, "daemon", "locked");
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some("warn"), Some(false)),
        "{c}"
    );
    assert!(status.is_file());

    // The holder is gone: a live pid that holds no lock is stale too.
    let _ = holder.kill();
    let _ = holder.wait();
    std::fs::write(&status, format!("{{\"pid\": {}}}", std::process::id())).expect("write");
    let (_, v) = doctor(&s, false);
    let c = finding(&v, "daemon", "does not hold");
    assert_eq!(
        (c["status"].as_str(), c["fixable"].as_bool()),
        (Some("warn"), Some(true)),
        "{c}"
    );
    let (code, v) = doctor(&s, true);
    assert_eq!(code, 0);
    assert_eq!(finding(&v, "daemon", "stale")["fixed"], true);
    assert!(!status.exists());
    assert!(lock.exists(), "the lock file itself stays");
}

#[test]
fn bad_input_and_no_town_exit_2() {
    let s = town();
    let r = s.gt(&["doctor", "--bogus"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = s.gt_in(s.path(), &["--batch", "doctor"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not inside a town"), "{}", r.stderr);
    let r = s.gt(&["--batch", "doctor", "-c", "no.such=1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_town_toml_that_does_not_parse_is_reported_not_refused() {
    let s = town();
    std::fs::write(s.town().join("town.toml"), "name = \n").expect("write");
    let (code, v) = doctor(&s, false);
    assert_eq!(code, 1);
    let c = finding(&v, "town.toml", "town.toml");
    assert_eq!(c["status"], "error", "{c}");
    assert_eq!(finding(&v, "tmux", "tmux")["status"], "ok");
}
