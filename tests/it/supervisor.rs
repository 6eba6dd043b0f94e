//! The supervisor end to end with real tmux, git and sim agents: `gt up` and nobody touches
//! the town again — work is merged, crashed, hung and lazy agents are recovered, a killed tmux
//! server and a killed supervisor are survived.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

/// Quick witness settings so recovery shows within seconds.
fn fast(s: &Sandbox) {
    for (k, v) in [
        ("witness.interval_secs", "1"),
        ("witness.stall_after_secs", "4"),
        ("witness.grace_secs", "3"),
        ("witness.backoff_secs", "1"),
        ("refinery.interval_secs", "1"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
}

fn main_files(s: &Sandbox, rig: &str) -> String {
    git(
        &s.town().join(rig).join(".repo.git"),
        &["ls-tree", "-r", "--name-only", "main"],
    )
}

fn on_main(s: &Sandbox, rig: &str, beads: &[&String]) -> bool {
    let files = main_files(s, rig);
    beads
        .iter()
        .all(|b| files.contains(&format!("sim-work/{b}.md")))
}

fn pid_of_supervisor(s: &Sandbox) -> u64 {
    let st = s.json(&["daemon", "status"]);
    st["daemon"]["status"]["pid"].as_u64().expect("pid")
}

fn events_of(s: &Sandbox, kind: &str) -> String {
    s.sql(&format!(
        "SELECT group_concat(coalesce(new_value,''), ' | ') FROM events WHERE event_type = '{kind}'"
    ))
}

#[test]
fn up_is_idempotent_one_supervisor_per_town_and_down_stops_it() {
    let s = Sandbox::with_sim_rig("gastown");
    let st = s.json(&["daemon", "status"]);
    assert_eq!(st["daemon"]["running"], false, "{st}");

    let up = s.json(&["up"]);
    assert_eq!(up["up"]["already"], false, "{up}");
    let pid = pid_of_supervisor(&s);
    let st = s.json(&["daemon", "status"]);
    assert_eq!(st["daemon"]["running"], true, "{st}");
    let names: Vec<String> = st["daemon"]["status"]["duties"]
        .as_array()
        .expect("duties")
        .iter()
        .map(|d| d["name"].as_str().unwrap_or("").to_string())
        .collect();
    for want in ["witness:gastown", "refinery:gastown", "watcher"] {
        assert!(names.iter().any(|n| n == want), "{names:?}");
    }

    let again = s.json(&["up"]);
    assert_eq!(again["up"]["already"], true, "{again}");
    assert_eq!(pid_of_supervisor(&s), pid, "still the same supervisor");
    // A second supervisor is refused while the lock is held.
    let second = s.gt(&["--batch", "daemon", "run"]);
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(second.stderr.contains("already runs"), "{}", second.stderr);

    // A rig added later gets its duties without a restart.
    s.add_rig("docs");
    wait_for(20, "the new rig's witness", || {
        s.json(&["daemon", "status"])["daemon"]["status"]["duties"]
            .to_string()
            .contains("witness:docs")
            .then_some(())
    });

    // A window of the person's own on the town's server: `gt down` must leave it.
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let tmux = |args: &[&str]| {
        let o = std::process::Command::new("tmux")
            .args(["-L", socket.trim()])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    tmux(&[
        "new-window",
        "-d",
        "-t",
        "hq:",
        "-n",
        "mine",
        "sleep",
        "300",
    ]);
    let down = s.json(&["down"]);
    assert_eq!(down["down"]["supervisor_stopped"], true, "{down}");
    let st = s.json(&["daemon", "status"]);
    assert_eq!(st["daemon"]["running"], false, "{st}");
    assert_eq!(st["daemon"]["down"], true, "{st}");
    // The supervisor's window is gone; nothing else was touched.
    let windows = tmux(&["list-windows", "-a", "-F", "#{window_name} #{@gt_daemon}"]);
    assert!(
        !windows.contains(" 1"),
        "the supervisor's window: {windows}"
    );
    assert!(
        windows.contains("mine"),
        "the person's window stays: {windows}"
    );
    // And it comes back.
    assert_eq!(s.json(&["up"])["up"]["already"], false);
    assert_ne!(pid_of_supervisor(&s), pid);
}

#[test]
fn a_convoy_of_six_is_merged_through_a_gate_with_nobody_touching_it() {
    // The gate is a script in the sample repo: it checks every simulated change is there.
    let s = Sandbox::with_town();
    let src = s.source_repo("gastown");
    std::fs::write(src.join("README"), "sample\n").expect("write");
    std::fs::write(
        src.join("check.sh"),
        "#!/bin/sh\nfor f in sim-work/*.md; do grep -q 'gt simulator' \"$f\" || exit 1; done\necho gate ok\n",
    )
    .expect("write gate");
    git(&src, &["add", "."]);
    git(&src, &["commit", "-q", "-m", "sample with a gate script"]);
    s.ok(&[
        "--batch",
        "rig",
        "add",
        "gastown",
        src.to_str().expect("utf8"),
    ]);
    s.ok(&["--batch", "config", "default-agent", "sim"]);
    fast(&s);
    let toml = s.town().join("gastown/rig.toml");
    let mut text = std::fs::read_to_string(&toml).expect("rig.toml");
    text.push_str("gates = [\"sh check.sh\"]\n");
    std::fs::write(&toml, text).expect("write rig.toml");

    let beads: Vec<String> = (1..=6)
        .map(|i| s.create(&[&format!("Change {i}"), "--rig", "gastown"]))
        .collect();
    let mut args = vec!["convoy", "create", "Six changes"];
    args.extend(beads.iter().map(String::as_str));
    let cv = s.json(&args)["convoy"]["id"]
        .as_str()
        .expect("convoy")
        .to_string();
    let mut sling = vec!["--batch", "sling"];
    sling.extend(beads.iter().map(String::as_str));
    sling.push("gastown");
    s.ok(&sling);
    s.ok(&["up"]);

    let refs: Vec<&String> = beads.iter().collect();
    wait_for(180, "all six on main", || {
        on_main(&s, "gastown", &refs).then_some(())
    });
    wait_for(30, "the convoy landed", || {
        (s.json(&["convoy", "show", &cv])["convoy"]["status"] == "closed").then_some(())
    });
    for b in &beads {
        assert_eq!(s.json(&["show", b])["bead"]["status"], "closed", "{b}");
    }
    assert_eq!(s.json(&["mq", "list"])["count"], 0);
    // The deacon told the owner.
    wait_for(30, "the landing mail", || {
        s.json(&["mail", "inbox", "overseer"])
            .to_string()
            .contains("Convoy landed: Six changes")
            .then_some(())
    });
    let merges = git(
        &s.town().join("gastown/.repo.git"),
        &["rev-list", "--merges", "main"],
    );
    assert!(merges.trim().is_empty(), "linear history: {merges}");
    // The watcher saw each polecat's commit land on its branch.
    // (Under load the watcher's events arrive a little after the landing.)
    let commits =
        || s.sql("SELECT count(DISTINCT issue_id) FROM events WHERE event_type = 'commit'");
    for _ in 0..100 {
        if commits() == "6" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(commits(), "6", "one commit event per bead");
}

#[test]
fn the_watcher_counts_a_quiet_edit_as_a_sign_of_life() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("slow", "--busy 120", &[]);
    let a = s.create(&["Quiet", "--rig", "gastown"]);
    s.ok(&["--batch", "sling", &a, "gastown", "--agent", "slow"]);
    s.ok(&["up"]);
    let beat = s.town().join(".gt/heartbeats/gastown--polecats--ash");
    // Let the watcher start watching, then edit a file as the agent would.
    wait_for(20, "the watcher running", || {
        s.json(&["daemon", "status"])["daemon"]["status"]["duties"]
            .to_string()
            .contains("rigs watched")
            .then_some(())
    });
    let before = std::fs::metadata(&beat).and_then(|m| m.modified()).ok();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let wt = s.town().join("gastown/polecats/ash");
    std::fs::write(wt.join("notes.txt"), "thinking\n").expect("write");
    wait_for(10, "a fresh heartbeat", || {
        let now = std::fs::metadata(&beat).and_then(|m| m.modified()).ok();
        (now.is_some() && now != before).then_some(())
    });
}

#[test]
fn crashed_hung_and_lazy_agents_are_classified_recovered_and_merged() {
    let s = Sandbox::with_sim_rig("gastown");
    fast(&s);
    s.sim_runtime("crashy", "--once --crash-after 1 --busy 3", &[]);
    s.sim_runtime("hangy", "--once --hang", &[]);
    s.sim_runtime("lazy", "--once --no-commit --busy 0.5", &[]);
    let a = s.create(&["Crashes mid-work", "--rig", "gastown"]);
    let b = s.create(&["Hangs", "--rig", "gastown"]);
    let c = s.create(&["Exits without committing", "--rig", "gastown"]);
    s.ok(&["up"]);
    // Which polecat gets which is the sling's to say (a finished one may be reused).
    let who = |bead: &str, agent: &str| -> String {
        let out = s.json(&["sling", bead, "gastown", "--agent", agent]);
        let addr = out["slung"][0]["agent"].as_str().expect("agent");
        addr.rsplit('/').next().unwrap_or_default().to_string()
    };
    let crashy = who(&a, "crashy");
    let hangy = who(&b, "hangy");
    let lazy = who(&c, "lazy");

    wait_for(120, "all three on main", || {
        on_main(&s, "gastown", &[&a, &b, &c]).then_some(())
    });
    // Each was noticed for the right reason and restarted.
    let verdicts = events_of(&s, "witness_verdict");
    for (agent, verdict, why) in [
        (crashy.as_str(), "zombie", "its runtime exited"),
        (hangy.as_str(), "stalled", "no output and no gt call"),
        (lazy.as_str(), "zombie", "its runtime exited"),
    ] {
        let said = format!(
            "\"agent\":\"gastown/polecats/{agent}\",\"verdict\":\"{verdict}\",\"reason\":\"{why}"
        );
        assert!(verdicts.contains(&said), "{agent}: {verdicts}");
    }
    let restarts = events_of(&s, "witness_restart");
    for agent in [&crashy, &hangy, &lazy] {
        assert!(
            restarts.contains(&format!("gastown/polecats/{agent}")),
            "{agent}: {restarts}"
        );
    }
    let nudges = events_of(&s, "witness_nudge");
    assert!(
        nudges.contains(&format!("polecats/{hangy}")),
        "the hung one was nudged first: {nudges}"
    );
    let st = s.json(&["witness", "status"]);
    assert_eq!(st["witnesses"][0]["witness_running"], true, "{st}");
}

#[test]
fn a_killed_tmux_server_is_recovered() {
    let s = Sandbox::with_sim_rig("gastown");
    fast(&s);
    s.sim_runtime("slow", "--busy 6", &[]);
    let beads: Vec<String> = (1..=3)
        .map(|i| s.create(&[&format!("Slow {i}"), "--rig", "gastown"]))
        .collect();
    s.ok(&["up"]);
    let mut sling = vec!["--batch", "sling"];
    sling.extend(beads.iter().map(String::as_str));
    sling.extend(["gastown", "--agent", "slow"]);
    s.ok(&sling);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let killed = std::process::Command::new("tmux")
        .args(["-L", socket.trim(), "kill-server"])
        .status()
        .expect("tmux");
    assert!(killed.success());

    let refs: Vec<&String> = beads.iter().collect();
    wait_for(120, "all three on main after the server died", || {
        on_main(&s, "gastown", &refs).then_some(())
    });
    assert!(
        events_of(&s, "witness_verdict").contains("window is gone"),
        "classified dead"
    );
    // The supervisor lived through it.
    assert_eq!(s.json(&["daemon", "status"])["daemon"]["running"], true);
}

#[test]
fn kill_9_of_the_supervisor_mid_merge_loses_nothing() {
    let s = Sandbox::with_sim_rig("gastown");
    fast(&s);
    // The gate is slow while <town>/slow exists (the refinery worktree is <town>/gastown/refinery).
    let toml = s.town().join("gastown/rig.toml");
    let mut text = std::fs::read_to_string(&toml).expect("rig.toml");
    text.push_str("gates = [\"if [ -f ../../slow ]; then sleep 60; fi\"]\n");
    std::fs::write(&toml, text).expect("write rig.toml");
    std::fs::write(s.town().join("slow"), "").expect("slow marker");
    let beads: Vec<String> = (1..=3)
        .map(|i| s.create(&[&format!("Queued {i}"), "--rig", "gastown"]))
        .collect();
    let mut sling = vec!["--batch", "sling"];
    sling.extend(beads.iter().map(String::as_str));
    sling.push("gastown");
    s.ok(&sling);
    wait_for(60, "three merge requests", || {
        (s.json(&["mq", "list"])["count"] == 3).then_some(())
    });
    s.ok(&["up"]);
    let pid = pid_of_supervisor(&s);
    let record = s.town().join(".gt/daemon/gate-gastown.pgid");
    let gate: u32 = wait_for(30, "a gate running", || {
        std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| t.trim().parse().ok())
    });
    assert!(
        s.json(&["mq", "list"])["queue"]
            .as_array()
            .is_some_and(|q| q.iter().any(|m| m["status"] == "in_progress")),
        "a merge in progress"
    );
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_for(10, "the lock released", || {
        (s.json(&["daemon", "status"])["daemon"]["running"] == false).then_some(())
    });
    let alive = |p: u32| std::path::Path::new(&format!("/proc/{p}")).exists();
    assert!(alive(gate), "the dead supervisor's gate runs on by itself");
    std::fs::remove_file(s.town().join("slow")).expect("fast gates from now on");

    let up = s.json(&["up"]);
    assert_eq!(up["up"]["already"], false, "{up}");
    wait_for(10, "the leftover gate stopped", || {
        (!alive(gate)).then_some(())
    });
    let refs: Vec<&String> = beads.iter().collect();
    wait_for(90, "all three merged after the restart", || {
        on_main(&s, "gastown", &refs).then_some(())
    });
    wait_for(20, "the queue empty", || {
        (s.json(&["mq", "list"])["count"] == 0).then_some(())
    });
    for b in &beads {
        assert_eq!(s.json(&["show", b])["bead"]["status"], "closed", "{b}");
    }
    let log = git(
        &s.town().join("gastown/.repo.git"),
        &["log", "--format=%s", "main"],
    );
    for b in &beads {
        assert_eq!(log.matches(b.as_str()).count(), 1, "landed once: {log}");
    }
}

#[test]
fn agents_json_carries_the_verdict_and_its_reason() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("crashy", "--crash-after 0.5", &[]);
    let a = s.create(&["Crashes", "--rig", "gastown"]);
    s.ok(&["--batch", "sling", &a, "gastown", "--agent", "crashy"]);
    let v: Value = wait_for(20, "the zombie verdict", || {
        let v = s.agent_view("gastown/polecats/ash");
        (v["verdict"] == "zombie").then_some(v)
    });
    assert_eq!(v["session"], "exited", "{v}");
    // tmux does not always learn the exit status; the reason says what is known.
    let reason = v["reason"].as_str().unwrap_or("");
    assert!(reason.contains("runtime exited"), "{v}");
    if let Some(code) = v["exit_status"].as_i64() {
        assert_eq!(code, 3, "{v}");
    }
    // Without a supervisor the witness status computes verdicts but acts on nothing.
    let st = s.json(&["witness", "status", "gastown"]);
    assert_eq!(st["witnesses"][0]["witness_running"], false);
    assert_eq!(st["witnesses"][0]["agents"][0]["verdict"], "zombie", "{st}");
}

#[test]
fn down_leaves_a_window_a_person_is_attached_to_unless_forced() {
    let s = Sandbox::with_sim_rig("gastown");
    s.sim_runtime("slow", "--busy 120", &[]);
    let a = s.create(&["Watched", "--rig", "gastown"]);
    s.ok(&["--batch", "sling", &a, "gastown", "--agent", "slow"]);
    s.ok(&["up"]);
    let window = s.agent_view("gastown/polecats/ash")["window"]
        .as_str()
        .expect("window")
        .to_string();
    let _person = crate::common::terminal::Terminal::attach(&s, &window);
    wait_for(10, "the person attached", || {
        (s.agent_view("gastown/polecats/ash")["human_attached"] == true).then_some(())
    });

    let r = s.gt(&["--batch", "down"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("gastown/polecats/ash"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(s.agent_view("gastown/polecats/ash")["session"], "working");
    // The supervisor stopped all the same.
    assert_eq!(s.json(&["daemon", "status"])["daemon"]["running"], false);

    s.ok(&["--batch", "down", "--force"]);
    assert_eq!(
        s.agent_view("gastown/polecats/ash")["session"],
        "no session"
    );
    // Its hook is kept for `gt up`.
    assert_eq!(s.agent_view("gastown/polecats/ash")["hook"], a.as_str());
}

/// A crash reaches the witness through tmux's pane-died hook, not its next round: with the
/// witness's period at its longest (5 minutes), a killed agent is still judged a zombie
/// within seconds, after the round that saw it working.
#[test]
fn a_crash_wakes_the_witness_between_its_rounds() {
    let s = Sandbox::with_sim_rig("gastown");
    s.ok(&["--batch", "config", "set", "witness.interval_secs", "300"]);
    s.sim_runtime("busy", "--busy 3600", &[]);
    let a = s.create(&["Long work", "--rig", "gastown"]);
    let agent = s.sling_agent(&[&a, "gastown", "--agent", "busy"]);
    wait_for(20, "the agent at work", || {
        (s.agent_view(&agent)["verdict"] == "working").then_some(())
    });
    s.ok(&["--batch", "up"]);
    let verdict_of = |s: &Sandbox| {
        let st = s.json(&["witness", "status", "gastown"]);
        let w = &st["witnesses"][0];
        (w["witness_running"] == true)
            .then(|| w["agents"][0]["verdict"].as_str().map(str::to_string))
            .flatten()
    };
    wait_for(20, "the witness's first round", || {
        (verdict_of(&s).as_deref() == Some("working")).then_some(())
    });
    // The watcher looks at `.gt/` once it has made its first round.
    wait_for(30, "the watcher at work", || {
        s.json(&["daemon", "status"])["daemon"]["status"]["duties"]
            .as_array()?
            .iter()
            // Its first round is done (it ticked): its watch on `.gt/` is set by then. A
            // "running" state alone comes before the watch, and a kill then goes unseen.
            .any(|d| d["name"] == "watcher" && d["last_tick_at"].is_number())
            .then_some(())
    });
    let pid = s.agent_pane(&agent, "#{pane_pid}").expect("its pane");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", pid.trim()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // Well inside the 5-minute period: only the watcher (tmux's hook, or the process seen
    // gone) can have woken the witness.
    wait_for_or(
        30,
        "the witness's zombie verdict",
        // The ledger's record, not the status: a zombie is restarted at once, and the new
        // pane's first round can replace the verdict before a busy machine polls it.
        || {
            let n = s.sql(
                "SELECT count(*) FROM events WHERE event_type = 'witness_verdict' \
                 AND json_extract(new_value, '$.verdict') = 'zombie'",
            );
            (n.trim() != "0").then_some(())
        },
        || {
            format!(
                "witness: {}\nlog: {}",
                s.gt(&["--json", "witness", "status", "gastown"]).stdout,
                s.gt(&["daemon", "logs", "-n", "40"]).stdout
            )
        },
    );
    s.ok(&["--batch", "down", "--force"]);
}
