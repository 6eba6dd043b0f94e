//! Agents end to end: real tmux, real git, `sim` agents doing real commits and `gt done`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

fn merge_requests(s: &Sandbox) -> Vec<Value> {
    s.json(&["bead", "list", "--all", "-t", "merge-request"])["beads"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn three_beads_are_slung_worked_and_done() {
    let s = Sandbox::with_sim_rig("gastown");
    let beads: Vec<String> = ["Add a greeting", "Fix the footer", "Write the changelog"]
        .iter()
        .map(|t| s.create(&[t, "--rig", "gastown", "-d", "Details for the simulator"]))
        .collect();
    let mut args = vec!["--batch", "--json", "sling"];
    args.extend(beads.iter().map(String::as_str));
    args.push("gastown");
    let out = s.ok(&args).json();
    let slung = out["slung"].as_array().expect("slung");
    assert_eq!(slung.len(), 3, "{out}");
    let agents: Vec<String> = slung
        .iter()
        .map(|x| x["agent"].as_str().unwrap_or("").to_string())
        .collect();
    let distinct: std::collections::HashSet<&String> = agents.iter().collect();
    assert_eq!(
        distinct.len(),
        3,
        "each bead has its own polecat: {agents:?}"
    );

    wait_for(60, "three merge requests", || {
        (merge_requests(&s).len() == 3).then_some(())
    });

    let repo = s.town().join("gastown/.repo.git");
    for (bead, agent) in beads.iter().zip(&agents) {
        let name = agent.rsplit('/').next().unwrap_or("");
        let branch = format!("polecat/{name}/{bead}");
        let log = git(
            &repo,
            &["log", "--format=%an|%s|%b", &format!("main..{branch}")],
        );
        assert!(log.contains(&format!("{bead}:")), "{branch}: {log}");
        assert!(
            log.contains("simulator"),
            "the commit says it is simulated: {log}"
        );
        assert!(
            log.contains(&format!("{name} (polecat of gastown")),
            "author is the polecat: {log}"
        );
        let files = git(&repo, &["show", "--name-only", "--format=", &branch]);
        assert!(files.contains(&format!("sim-work/{bead}.md")), "{files}");
        assert!(
            !files.contains("AGENTS.md"),
            "role files never get committed: {files}"
        );

        let b = &s.json(&["show", bead])["bead"];
        assert_eq!(b["status"], "in_progress", "{b}");
        assert!(
            b["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x == "pending-merge")),
            "{b}"
        );
        assert_eq!(b["assignee"], Value::Null);

        let v = s.agent_view(agent);
        assert_eq!(v["state"], "idle", "the polecat is free: {v}");
        assert_eq!(v["hook"], Value::Null);
        let received = s.sim_received(agent);
        assert_eq!(received.len(), 1, "exactly one beacon: {received:?}");
        assert!(
            received[0].starts_with(&format!("[GAS TOWN] {agent} <- ")),
            "{received:?}"
        );
    }
    for mr in merge_requests(&s) {
        let full = s.json(&["show", mr["id"].as_str().unwrap_or("")]);
        let meta = full["bead"]["metadata"].clone();
        assert!(
            beads.iter().any(|b| meta["source_bead"] == b.as_str()),
            "{mr}"
        );
        assert_eq!(meta["target"], "main");
        assert_eq!(meta["commits"], 1);
    }
    for ev in ["slung", "hooked", "done", "agent_freed"] {
        let n: usize = s
            .sql(&format!(
                "SELECT count(*) FROM events WHERE event_type = '{ev}'"
            ))
            .parse()
            .unwrap_or(0);
        assert!(n >= 3, "{ev}: {n}");
    }
    // Each bead got its own Work convoy.
    assert_eq!(s.json(&["convoy", "list"])["count"], 3);
}

#[test]
fn twenty_parallel_slings_get_twenty_polecats() {
    let s = Sandbox::with_sim_rig("rig20");
    // Busy long enough that every bead is still on its hook when we count.
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let beads: Vec<String> = (0..20)
        .map(|i| s.create(&[&format!("Parallel {i}"), "--rig", "rig20"]))
        .collect();
    let children: Vec<_> = beads
        .iter()
        .map(|b| {
            s.cmd(
                &s.town(),
                &["--batch", "sling", b, "rig20", "--agent", "slowsim"],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
        })
        .collect();
    let mut agents = std::collections::HashSet::new();
    for c in children {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
        let agent = line.split('\t').nth(1).unwrap_or("").to_string();
        assert!(agents.insert(agent.clone()), "duplicate polecat {agent}");
    }
    assert_eq!(agents.len(), 20);
    assert_eq!(
        s.sql("SELECT count(*) FROM beads WHERE status = 'hooked'"),
        "20"
    );
    assert_eq!(
        s.sql("SELECT count(DISTINCT assignee) FROM beads WHERE status = 'hooked'"),
        "20"
    );
    let worktrees = git(&s.town().join("rig20/.repo.git"), &["worktree", "list"]);
    assert_eq!(
        worktrees
            .lines()
            .filter(|l| l.contains("/polecats/"))
            .count(),
        20,
        "{worktrees}"
    );
    let panes = s.json(&["agents"]);
    assert_eq!(panes["count"], 20);
}

#[test]
fn sling_is_idempotent_refuses_other_targets_and_closed_beads() {
    let s = Sandbox::with_sim_rig("r1");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let b = s.create(&["Only once", "--rig", "r1"]);
    let agent = s.sling_agent(&[&b, "r1", "--agent", "slowsim"]);
    let again = s.json(&["sling", &b, "r1"]);
    assert_eq!(again["slung"][0]["already"], true, "{again}");
    assert_eq!(again["slung"][0]["agent"], agent.as_str());
    let again = s.json(&["sling", &b, &agent]);
    assert_eq!(again["slung"][0]["already"], true);
    assert_eq!(s.json(&["agents"])["count"], 1, "no second polecat");

    let before = s.ledger_state();
    let r = s.gt(&["sling", &b, "r1/polecats/other"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("already on") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(before, s.ledger_state());

    let closed = s.create(&["Closed one", "--rig", "r1"]);
    s.ok(&["close", &closed]);
    let r = s.gt(&["sling", &closed, "r1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is closed"), "{}", r.stderr);
    for (args, msg) in [
        (vec!["sling", "hq-nope", "r1"], "no bead"),
        (vec!["sling", &b, "nosuchrig"], "no rig named"),
        (
            vec!["sling", &b, "r1/polecats/bad-name"],
            "not an agent address",
        ),
        (
            vec!["sling", &b, &closed, "r1/polecats/x"],
            "one bead at a time",
        ),
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    // Supervisors do not take work by sling.
    let r = s.gt(&["sling", &b, "r1/witness", "--force"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("does not take work by sling"),
        "{}",
        r.stderr
    );

    // --force moves it to a named polecat.
    let moved = s.json(&[
        "sling",
        &b,
        "r1/polecats/reed",
        "--agent",
        "slowsim",
        "--force",
    ]);
    assert_eq!(moved["slung"][0]["agent"], "r1/polecats/reed");
    assert_eq!(
        s.json(&["show", &b])["bead"]["assignee"],
        "r1/polecats/reed"
    );
    assert_eq!(s.agent_view(&agent)["state"], "idle");
}

/// A quick sim (`fastsim`) polecat of `rig` that finished one job and is idle: its address.
fn first_job_done(s: &Sandbox, rig: &str) -> String {
    s.sim_runtime("fastsim", "--busy 0.2", &[]);
    let a = s.create(&["First job", "--rig", rig]);
    let first = s.json(&["sling", &a, rig, "--agent", "fastsim"]);
    let agent = first["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    wait_for(30, "the first job done", || {
        (s.agent_view(&agent)["state"] == "idle").then_some(())
    });
    agent
}

#[test]
fn an_idle_polecat_is_reused_and_removal_protects_work() {
    let s = Sandbox::with_sim_rig("r2");
    let agent = first_job_done(&s, "r2");
    let b = s.create(&["Second job", "--rig", "r2"]);
    let second = s.json(&["sling", &b, "r2", "--agent", "fastsim"]);
    assert_eq!(
        second["slung"][0]["agent"],
        agent.as_str(),
        "the idle polecat takes it"
    );
    assert_eq!(second["slung"][0]["reused"], true);
    let name = agent.rsplit('/').next().unwrap_or("");
    assert_eq!(second["slung"][0]["branch"], format!("polecat/{name}/{b}"));
    wait_for(30, "the second job done", || {
        (merge_requests(&s).len() == 2).then_some(())
    });
    // The second branch starts from main, not from the first one.
    let repo = s.town().join("r2/.repo.git");
    let log = git(
        &repo,
        &["log", "--format=%s", &format!("main..polecat/{name}/{b}")],
    );
    assert_eq!(log.lines().count(), 1, "{log}");

    let list = s.json(&["polecat", "list"]);
    assert_eq!(list["polecats"][0]["commits_ahead"], 1);
    let r = s.gt(&["polecat", "remove", &agent]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not merged"), "{}", r.stderr);
    let removed = s.json(&["polecat", "remove", &agent, "--force"]);
    assert_eq!(
        removed["removed"]["branch_kept"],
        format!("polecat/{name}/{b}")
    );
    let worktrees = git(&repo, &["worktree", "list"]);
    assert!(
        !worktrees.contains("/polecats/"),
        "no worktree left registered: {worktrees}"
    );
    assert!(!s.town().join("r2/polecats").join(name).exists());
    let branches = git(&repo, &["branch", "--list", "polecat/*"]);
    assert!(branches.contains(&b), "unmerged work is kept: {branches}");
    assert_eq!(s.json(&["agents"])["count"], 0);
}

#[test]
fn a_polecat_slinging_to_its_own_rig_is_not_reused_for_it() {
    // A convoy formula's synthesis is slung from inside a leg's `gt done`; by then that
    // polecat is idle, but reusing it would kill the session doing the slinging.
    let s = Sandbox::with_sim_rig("r5");
    let agent = first_job_done(&s, "r5");
    let b = s.create(&["Follow-up", "--rig", "r5"]);
    let out = s
        .cmd(
            &s.town(),
            &["--json", "sling", &b, "r5", "--agent", "fastsim"],
        )
        .env("GT_AGENT", &agent)
        .output()
        .expect("run gt");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let taker = v["slung"][0]["agent"].as_str().expect("agent");
    assert_ne!(
        taker, agent,
        "the caller is not given its own follow-up: {v}"
    );
    assert_eq!(v["slung"][0]["reused"], false, "{v}");
    let windows = s.json(&["agents"]);
    let caller = windows["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["address"] == agent.as_str())
        .expect("the caller is still listed");
    assert_eq!(caller["state"], "idle", "{caller}");
    // The same sling by someone else does reuse the idle polecat.
    let c = s.create(&["Another", "--rig", "r5"]);
    let other = s.json(&["sling", &c, "r5", "--agent", "fastsim"]);
    assert_eq!(other["slung"][0]["reused"], true, "{other}");
}

#[test]
fn prime_hook_whoami_and_unsling_speak_for_the_agent() {
    let s = Sandbox::with_sim_rig("r3");
    s.sim_runtime("slowsim", "--busy 60", &[]);
    let b = s.create(&["Read me", "--rig", "r3", "-d", "The details of the job"]);
    let out = s.json(&["sling", &b, "r3", "--agent", "slowsim"]);
    let agent = out["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    let worktree = out["slung"][0]["worktree"]
        .as_str()
        .expect("worktree")
        .to_string();
    let as_agent = |args: &[&str]| {
        let o = s
            .cmd(std::path::Path::new(&worktree), args)
            .output()
            .expect("run");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    // From inside the worktree, without GT_AGENT: the directory says who it is.
    let prime = as_agent(&["prime"]);
    assert!(prime.contains(&format!("# gt prime — {agent}")), "{prime}");
    assert!(
        prime.contains("You are") && prime.contains("polecat"),
        "{prime}"
    );
    assert!(
        prime.contains(&b) && prime.contains("The details of the job"),
        "{prime}"
    );
    let hook: Value = serde_json::from_str(&as_agent(&["--json", "hook"])).expect("json");
    assert_eq!(hook["hook"]["bead"]["id"], b.as_str());
    let who = as_agent(&["whoami"]);
    assert!(who.starts_with(&agent), "{who}");
    assert!(s.ok(&["whoami"]).stdout.starts_with("overseer"));

    let un = s.json(&["unsling", "--agent", &agent]);
    assert_eq!(un["unslung"]["bead"], b.as_str());
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "open");
    assert_eq!(s.agent_view(&agent)["state"], "idle");
    let hook = s.json(&["hook", &b, &agent]);
    assert_eq!(hook["agent"], agent.as_str());
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "hooked");
}

#[test]
fn done_saves_uncommitted_work_and_refuses_empty_work() {
    let s = Sandbox::with_sim_rig("r4");
    // This simulator writes its change and exits without committing or `gt done`.
    s.sim_runtime("lazysim", "--busy 0.1 --no-commit", &[]);
    let b = s.create(&["Left uncommitted", "--rig", "r4"]);
    let out = s.json(&["sling", &b, "r4", "--agent", "lazysim"]);
    let agent = out["slung"][0]["agent"]
        .as_str()
        .expect("agent")
        .to_string();
    wait_for(30, "the simulator to exit", || {
        (s.agent_view(&agent)["session"] == "exited").then_some(())
    });
    let done = s.json(&["done", "--agent", &agent]);
    assert_eq!(done["done"]["saved_uncommitted"], true, "{done}");
    assert_eq!(done["done"]["commits_ahead"], 1);
    let name = agent.rsplit('/').next().unwrap_or("");
    let files = git(
        &s.town().join("r4/.repo.git"),
        &[
            "show",
            "--name-only",
            "--format=%s",
            &format!("polecat/{name}/{b}"),
        ],
    );
    assert!(
        files.contains(&format!("sim-work/{b}.md")) && files.contains("work left uncommitted"),
        "{files}"
    );

    // A polecat that did nothing cannot claim it is done…
    s.sim_runtime("idlesim", "--hang", &[]);
    let c = s.create(&["Nothing to do", "--rig", "r4"]);
    let idle_agent = s.sling_agent(&[&c, "r4", "--agent", "idlesim"]);
    let r = s.gt(&["done", "--agent", &idle_agent]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nothing to merge") && r.stderr.contains("--status deferred"),
        "{}",
        r.stderr
    );
    // …unless it says the bead needs no change.
    let d = s.json(&["done", "--agent", &idle_agent, "--status", "deferred"]);
    assert_eq!(d["done"]["deferred"], true);
    assert_eq!(s.json(&["show", &c])["bead"]["status"], "deferred");
    assert_eq!(s.gt(&["done"]).code, 2, "the overseer has no hook");
}

#[test]
fn runtimes_are_configured_as_data() {
    let s = Sandbox::with_town();
    s.add_rig("r5");
    let list = s.json(&["config", "agent", "list"]);
    let names: Vec<&str> = list["runtimes"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for n in [
        "claude", "codex", "gemini", "cursor", "opencode", "copilot", "amp", "auggie", "sim",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    s.ok(&[
        "config",
        "agent",
        "set",
        "mycodex",
        "codex --model o3",
        "--prompt",
        "paste",
        "--ready-marker",
        "› ",
    ]);
    let list = s.json(&["config", "agent", "list"]);
    let mine = list["runtimes"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["name"] == "mycodex")
        .cloned()
        .expect("mine");
    assert_eq!(mine["command"], "codex");
    assert_eq!(mine["args"], serde_json::json!(["--model", "o3"]));
    assert_eq!(mine["prompt"], "paste");
    for (args, msg) in [
        (
            vec!["config", "agent", "set", "bad name", "x"],
            "invalid runtime name",
        ),
        (
            vec!["config", "agent", "set", "x", "'unbalanced"],
            "cannot read the command line",
        ),
        (
            vec!["config", "agent", "set", "x", "y", "--prompt", "shout"],
            "arg, flag or paste",
        ),
        (
            vec!["config", "default-agent", "nosuch"],
            "unknown agent runtime",
        ),
        (vec!["config", "agent", "remove", "claude"], "built-in"),
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    s.ok(&["config", "default-agent", "mycodex"]);
    assert_eq!(
        s.ok(&["config", "get", "default_agent"]).stdout.trim(),
        "mycodex"
    );
    // role_agents in rig.toml beat the town default.
    let rig_toml = s.town().join("r5/rig.toml");
    let mut text = std::fs::read_to_string(&rig_toml).expect("read");
    text.push_str("\n[role_agents]\npolecat = \"sim\"\n");
    std::fs::write(&rig_toml, text).expect("write");
    let b = s.create(&["Role agents", "--rig", "r5"]);
    let out = s.json(&["sling", &b, "r5"]);
    assert_eq!(out["slung"][0]["runtime"], "sim");
    s.ok(&["config", "agent", "remove", "mycodex"]);
}

#[test]
fn peek_and_attach_show_the_agent_and_come_back() {
    let s = Sandbox::with_sim_rig("r6");
    s.sim_runtime("slowsim", "--busy 0.2", &[]);
    let b = s.create(&["Look at me", "--rig", "r6"]);
    let agent = s.sling_agent(&[&b, "r6", "--agent", "slowsim"]);
    wait_for(30, "the agent to finish", || {
        (s.agent_view(&agent)["state"] == "idle").then_some(())
    });
    let peek = s.ok(&["peek", &agent, "-n", "5"]).stdout;
    assert!(peek.contains("sim❯"), "{peek}");
    assert!(peek.lines().count() <= 5, "{peek}");
    assert_eq!(
        s.gt(&["--batch", "attach", &agent]).code,
        2,
        "attach needs a terminal"
    );

    // A person's own terminal (here: a pane of a separate tmux server) attaches…
    let gt = gt_bin();
    let script = format!(
        "cd {} && GT_TMUX_CONFIG=/dev/null {} attach {agent}; echo RETURNED-FROM-ATTACH; sleep 30",
        s.town().display(),
        gt.display()
    );
    let person = crate::common::terminal::Terminal::start(&s, &s.town(), &script, 120, 30);
    let capture = || person.screen();
    wait_for(10, "the agent's screen in the person's terminal", || {
        capture().contains("sim❯").then_some(())
    });
    // …and comes back to where it was on detach.
    let socket = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("socket");
    let _ = std::process::Command::new("tmux")
        .args(["-L", socket.trim(), "detach-client", "-a"])
        .status();
    let _ = std::process::Command::new("tmux")
        .args(["-L", socket.trim(), "detach-client"])
        .status();
    wait_for(10, "the return to the shell", || {
        capture().contains("RETURNED-FROM-ATTACH").then_some(())
    });
}

/// Every field of a runtime can be set from the command line — a preset's fields one by one
/// (the rest stay the preset's), any field as TOML — and a bad value is refused whole, with
/// nothing written.
#[test]
fn every_runtime_field_is_settable_from_the_command_line() {
    let s = Sandbox::with_town();
    let runtime = |name: &str| -> serde_json::Value {
        s.json(&["config", "agent", "list"])["runtimes"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["name"] == name).cloned())
            .unwrap_or_default()
    };
    let preset = runtime("claude");
    // A flag whose value starts with a dash is taken as the value.
    s.ok(&[
        "--batch", "config", "agent", "set", "claude", "--env", "IS_SANDBOX=1", "--env",
        "EXTRA=a b", "--prompt", "flag", "--prompt-flag", "--prompt", "--startup-timeout", "90",
        "--escape-cancels", "false", "--busy-text", "Thinking", "--placeholder", "Type here",
        "--submit-delay-ms", "120", "--field", "paste.queued=[\"waiting in line\"]",
        "--field", "dialogs=[{name=\"trust\", screen=[\"Trust?\"], keys=[\"Enter\"], answer=\"trust_worktree\"}]",
    ]);
    let rt = runtime("claude");
    assert_eq!(rt["env"]["IS_SANDBOX"], "1");
    assert_eq!(rt["env"]["EXTRA"], "a b");
    assert_eq!(rt["prompt"], "flag");
    assert_eq!(rt["prompt_flag"], "--prompt");
    assert_eq!(rt["startup_timeout_secs"], 90);
    assert_eq!(rt["escape_cancels"], false);
    assert_eq!(rt["busy_markers"], serde_json::json!(["Thinking"]));
    assert_eq!(rt["paste"]["submit_delay_ms"], 120);
    assert_eq!(
        rt["paste"]["queued"],
        serde_json::json!(["waiting in line"])
    );
    assert_eq!(rt["dialogs"][0]["name"], "trust");
    // What was not set is still the preset's.
    for k in [
        "command",
        "autonomous_args",
        "ready_marker",
        "busy_patterns",
        "verified",
    ] {
        assert_eq!(rt[k], preset[k], "{k}");
    }
    // Unset brings the preset's value back; KEY= removes a variable.
    s.ok(&[
        "--batch", "config", "agent", "set", "claude", "--unset", "dialogs", "--env", "EXTRA=",
    ]);
    let rt = runtime("claude");
    assert_eq!(rt["dialogs"], preset["dialogs"]);
    assert!(rt["env"].get("EXTRA").is_none(), "{}", rt["env"]);
    // A node CLI is found in the process table as node.
    let bin = s.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::write(bin.join("fancy-agent"), "#!/usr/bin/env node\n").expect("write");
    let cmd = format!("{}/fancy-agent --go", bin.display());
    s.ok(&["--batch", "config", "agent", "set", "fancy", &cmd]);
    assert_eq!(
        runtime("fancy")["process_names"],
        serde_json::json!(["fancy-agent", "node"])
    );
    // Bad values: exit 2, the reason named, town.toml untouched.
    let before = std::fs::read_to_string(s.town().join("town.toml")).expect("read");
    for (args, msg) in [
        (vec!["--env", "NO EQUALS"], "KEY=VALUE"),
        (vec!["--env", "1BAD=x"], "environment variable name"),
        (
            vec!["--field", "busy_patterns=[\"(\"]"],
            "regular expression",
        ),
        (
            vec![
                "--field",
                "dialogs=[{name=\"d\", screen=[\"x\"], keys=[\"rm -rf /\"], answer=\"trust_worktree\"}]",
            ],
            "not a key",
        ),
        (vec!["--field", "nonsense=1"], "nonsense"),
        (vec!["--neutralize", "hope"], "space or word_joiner"),
    ] {
        let mut full = vec!["--batch", "config", "agent", "set", "claude"];
        full.extend_from_slice(&args);
        let r = s.gt(&full);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
    }
    let r = s.gt(&["--batch", "config", "agent", "set", "newthing"]);
    assert!(
        r.code == 2 && r.stderr.contains("give its command line"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(s.town().join("town.toml")).expect("read"),
        before,
        "a refused change writes nothing"
    );
}
