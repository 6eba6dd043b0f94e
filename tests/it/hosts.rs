//! Remote hosts over ssh: a second "host" is an OpenSSH server on 127.0.0.1 logging in as
//! another local user (`common::sshd`).

use crate::common::Sandbox;
use crate::common::sshd::Sshd;

fn town_with_host_access(sshd: &Sshd) -> Sandbox {
    let s = Sandbox::with_town();
    use_host_keys(&s, sshd);
    s
}

/// The town reaches the host with the keys the test made (`ssh.config`).
fn use_host_keys(s: &Sandbox, sshd: &Sshd) {
    s.ok(&[
        "--batch",
        "config",
        "set",
        "ssh.config",
        sshd.ssh_config.to_str().expect("utf8"),
    ]);
}

/// `gt host add` reaches the host over one multiplexed connection, checks it, installs gt
/// there and records it; list, check and remove work on it; bad input is refused with
/// nothing written.
#[test]
fn a_host_is_added_checked_listed_and_removed() {
    let Some(sshd) = Sshd::start("a_host_is_added_checked_listed_and_removed") else {
        return;
    };
    let s = town_with_host_access(&sshd);
    let hosts_file = s.town().join("hosts.toml");
    for (args, why) in [
        (vec!["box1", "box1"], "bad ssh URL"),
        (vec!["box1", "ssh://-oProxyCommand=touch@x"], "bad ssh URL"),
        (vec!["Local!", &sshd.url()], "invalid host name"),
        (vec!["local", &sshd.url()], "invalid host name"),
    ] {
        let mut a = vec!["--batch", "host", "add"];
        a.extend(args.iter().copied());
        let r = s.gt(&a);
        assert_eq!(r.code, 2, "{a:?}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{a:?}: {}", r.stderr);
        assert!(!hosts_file.exists(), "nothing written for {a:?}");
    }
    // A host that does not answer: not added, and the reason is said.
    let r = s.gt(&[
        "--batch",
        "host",
        "add",
        "nobody",
        &format!(
            "ssh://{}@127.0.0.1:{}",
            sshd.user,
            crate::common::browser::free_port()
        ),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not added"), "{}", r.stderr);
    assert!(!hosts_file.exists());

    let v = s.json(&["host", "add", "box1", &sshd.url(), "--max-agents", "3"]);
    assert_eq!(v["host"]["host"]["name"], "box1");
    assert_eq!(v["host"]["host"]["max_agents"], 3);
    let check = &v["host"]["check"];
    assert!(
        check["tmux"].as_str().unwrap_or("").starts_with("tmux 3"),
        "{check}"
    );
    assert!(
        check["git"]
            .as_str()
            .unwrap_or("")
            .starts_with("git version"),
        "{check}"
    );
    assert_eq!(check["gt_current"], true, "{check}");
    // gt is really there, as the other user, and runs.
    let version = sshd.as_user("~/.gt-host/bin/gt --version");
    assert!(version.starts_with("gt "), "{version:?}");
    let owner = sshd.as_user("stat -c %U ~/.gt-host/bin/gt");
    assert_eq!(owner.trim(), sshd.user);

    let r = s.gt(&["--batch", "host", "add", "box1", &sshd.url()]);
    assert_eq!(r.code, 2, "a second box1 is refused: {}", r.stderr);

    let l = s.json(&["host", "list"]);
    assert_eq!(l["count"], 1);
    assert_eq!(l["hosts"][0]["name"], "box1");
    assert_eq!(l["hosts"][0]["connected"], true, "the master stays up: {l}");

    let c = s.json(&["host", "check", "box1"]);
    let c0 = &c["checks"][0];
    assert!(
        c0["problems"].as_array().expect("problems").is_empty(),
        "{c}"
    );
    assert!(c0["disk_free_mb"].as_u64().unwrap_or(0) > 0, "{c}");

    let host_check = |s: &Sandbox| {
        let v = s.gt(&["--batch", "--json", "doctor"]).json();
        v["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "host box1").cloned())
            .expect("the doctor looks at box1")
    };
    let d = host_check(&s);
    assert_eq!(d["status"], "ok", "{d}");
    assert!(d["detail"].as_str().unwrap_or("").contains("tmux 3"), "{d}");

    // The host goes away: check and doctor say so and fail.
    sshd.kill_all();
    let d = host_check(&s);
    assert_eq!(d["status"], "error", "{d}");
    assert!(
        d["detail"]
            .as_str()
            .unwrap_or("")
            .contains("does not answer"),
        "{d}"
    );
    let r = s.gt(&["--batch", "host", "check", "box1"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("box1") || r.stderr.contains("box1"),
        "{}",
        r.stdout
    );
    sshd.resume();
    let c = s.json(&["host", "check", "box1"]);
    assert!(
        c["checks"][0]["round_trip_ms"].as_f64().is_some(),
        "back: {c}"
    );

    s.ok(&["--batch", "host", "remove", "box1"]);
    let l = s.json(&["host", "list"]);
    assert_eq!(l["count"], 0);
    let r = s.gt(&["--batch", "host", "remove", "box1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

fn fast(s: &Sandbox) {
    for (k, v) in [
        ("witness.interval_secs", "1"),
        ("refinery.interval_secs", "1"),
        ("deacon.interval_secs", "1"),
    ] {
        s.ok(&["--batch", "config", "set", k, v]);
    }
}

/// A rig whose polecats run on the host `box1` (an sshd as another local user).
fn town_with_remote_rig(sshd: &Sshd, max: &str) -> Sandbox {
    let s = Sandbox::with_sim_rig("shop");
    s.ok(&[
        "--batch",
        "config",
        "set",
        "ssh.config",
        sshd.ssh_config.to_str().expect("utf8"),
    ]);
    s.ok(&[
        "--batch",
        "host",
        "add",
        "box1",
        &sshd.url(),
        "--max-agents",
        max,
    ]);
    s
}

/// The names of the sessions in the host's tmux server for this town, as its user sees them
/// (empty when it has none).
fn host_sessions(s: &Sandbox, sshd: &Sshd) -> String {
    let sock = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("sock");
    sshd.as_user(&format!(
        "tmux -L {} list-sessions -F '#{{session_name}}'",
        sock.trim()
    ))
}

/// The host's folder for this town (`~/.gt-host/<town's tmux name>`), as its user sees it.
fn remote_town(s: &Sandbox, sshd: &Sshd) -> String {
    let sock = std::fs::read_to_string(s.town().join(".gt/tmux-socket"))
        .unwrap_or_default()
        .trim()
        .to_string();
    format!("{}/.gt-host/{sock}", sshd.home.display())
}

/// A polecat placed on a host: its worktree is there (as that user), its runtime runs in
/// the host's tmux, the town's window shows it, a nudge is confirmed and arrives there, its
/// `gt done` (run there) reaches the town's ledger, and the work lands on the town's main.
#[test]
fn a_polecat_on_a_host_is_nudged_and_its_work_lands() {
    let Some(sshd) = Sshd::start("a_polecat_on_a_host_is_nudged_and_its_work_lands") else {
        return;
    };
    let s = town_with_remote_rig(&sshd, "3");
    fast(&s);
    s.sim_runtime("remote", "--busy 4", &[]);
    s.ok(&["--batch", "config", "default-agent", "remote"]);
    s.ok(&[
        "--batch",
        "config",
        "set",
        "polecats.hosts",
        "box1",
        "--rig",
        "shop",
    ]);
    s.ok(&["--batch", "up"]);
    let bead = s.create(&["Remote change", "--rig", "shop"]);
    // A dry run says where the worktree would be: on the host.
    let dry = s.json(&["sling", &bead, "shop", "--dry-run"]);
    let where_ = dry["dry_run"]["worktree"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(where_.starts_with("box1:~/.gt-host/"), "{dry}");
    assert_eq!(
        s.json(&["show", &bead])["bead"]["status"],
        "open",
        "dry: nothing hooked"
    );
    let agent = s.sling_agent(&[&bead, "shop"]);
    let row = s.agent_view(&agent);
    assert_eq!(row["host"], "box1", "{row}");
    let wt = row["worktree"].as_str().expect("worktree").to_string();
    assert!(wt.starts_with(&sshd.home.display().to_string()), "{wt}");
    // The worktree is the other user's, on the polecat's branch.
    let owner = sshd.as_user(&format!("stat -c %U '{wt}'"));
    assert_eq!(owner.trim(), sshd.user);
    let branch = sshd.as_user(&format!("git -C '{wt}' branch --show-current"));
    assert!(branch.trim().starts_with("polecat/"), "{branch:?}");
    // The runtime runs there, as that user, in gt's own tmux server for the town.
    let sessions = host_sessions(&s, &sshd);
    assert!(sessions.contains(&agent.replace('/', "-")), "{sessions:?}");

    // A nudge is confirmed, and the simulator there received it.
    let r = s
        .gt(&[
            "--batch",
            "--json",
            "nudge",
            &agent,
            "remote hello",
            "--wait",
            "60",
        ])
        .json();
    let screen = || {
        s.agent_pane(&agent, "#{pane_id}")
            .map(|p| s.town_tmux(&["capture-pane", "-p", "-t", p.trim()]))
            .unwrap_or_default()
    };
    assert_eq!(
        r["delivery"]["state"],
        "delivered",
        "{r}\nscreen:\n{}\nagent: {}",
        screen(),
        s.agent_view(&agent)
    );
    let got = sshd.as_user(&format!(
        "cat {}/.gt/sim/{}.jsonl",
        remote_town(&s, &sshd),
        agent.replace('/', "--")
    ));
    assert!(got.contains("remote hello"), "{got:?}");

    // A person attaches from this machine: the agent's screen on the host, through ssh.
    let script = format!(
        "cd {} && GT_TMUX_CONFIG=/dev/null {} attach {agent}; sleep 30",
        s.town().display(),
        crate::common::gt_bin().display()
    );
    let person = crate::common::terminal::Terminal::start(&s, &s.town(), &script, 120, 30);
    crate::common::wait_for(
        20,
        "the remote agent's screen in the person's terminal",
        || person.screen().contains("remote hello").then_some(()),
    );
    drop(person);

    // The town runs only an agent's own commands, for the agents placed on that host.
    let town_dir = remote_town(&s, &sshd);
    let remote_gt = |env: &str, args: &str| {
        sshd.as_user_status(&format!(
            "GT_TOWN_SOCKET={town_dir}/town.sock GT_TOWN_WAIT_SECS=5 {env} ~/.gt-host/bin/gt {args}"
        ))
    };
    let (code, out) = remote_gt(&format!("GT_AGENT={agent}"), "--batch whoami");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&agent), "{out}");
    for (env, args, why) in [
        (
            format!("GT_AGENT={agent}"),
            "--batch config set default_agent x",
            "not run for an agent on a host",
        ),
        (
            format!("GT_AGENT={agent}"),
            "--batch -c default_agent=x whoami",
            "settings cannot be given",
        ),
        (
            format!("GT_AGENT={agent}"),
            "--batch host remove box1",
            "not run for an agent on a host",
        ),
        (String::new(), "--batch whoami", "no GT_AGENT"),
        (
            "GT_AGENT=shop/polecats/nobody".to_string(),
            "--batch whoami",
            "does not run on host box1",
        ),
    ] {
        let (code, out) = remote_gt(&env, args);
        assert_eq!(code, 2, "{env} {args}: {out}");
        assert!(out.contains(why), "{env} {args}: {out}");
    }
    assert_eq!(
        s.json(&["config", "get", "default_agent"])["value"],
        "remote"
    );

    // Its `gt done` ran there and reached the town; the refinery lands the work.
    crate::common::wait_for(90, "the remote polecat's work landed", || {
        (s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    // `gt down` ends the agent there too, and the host's connection.
    s.ok(&["--batch", "down", "--force"]);
    let left = host_sessions(&s, &sshd);
    assert!(!left.contains(&agent.replace('/', "-")), "{left}");
    assert_eq!(s.json(&["host", "list"])["hosts"][0]["connected"], false);
    // Nothing of the town's is left in the shared temp folder.
    let sock = std::fs::read_to_string(s.town().join(".gt/tmux-socket")).expect("sock");
    // SAFETY: geteuid only reads this process's user id.
    let uid = unsafe { libc::geteuid() };
    let dir = std::env::temp_dir()
        .join(format!("gt-ssh-{uid}"))
        .join(sock.trim());
    assert!(!dir.exists(), "{} left behind", dir.display());
}

/// The demonstration: a convoy of 6 beads, 3 polecats on this machine and 3 on the
/// host, lands all 6 under `gt up`. The host's sshd killed mid-work is one verdict (one
/// event, one escalation; its agents read `unreachable`, none is restarted), the local work
/// goes on, and the remote work resumes and lands when the host is back.
#[test]
fn a_convoy_spread_over_two_machines_lands_through_a_host_outage() {
    let Some(sshd) = Sshd::start("a_convoy_spread_over_two_machines_lands_through_a_host_outage")
    else {
        return;
    };
    let s = town_with_remote_rig(&sshd, "3");
    fast(&s);
    s.sim_runtime("worker", "--busy 15", &[]);
    s.ok(&["--batch", "config", "default-agent", "worker"]);
    s.ok(&["--batch", "config", "set", "local.max_agents", "3"]);
    // A place that is not a host is refused when set, and nothing is written.
    let rig_toml = std::fs::read(s.town().join("shop/rig.toml")).expect("rig.toml");
    let r = s.gt(&[
        "--batch",
        "config",
        "set",
        "polecats.hosts",
        "local,bx1",
        "--rig",
        "shop",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("\"bx1\" is not a host"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(s.town().join("shop/rig.toml")).expect("rig.toml"),
        rig_toml
    );
    s.ok(&[
        "--batch",
        "config",
        "set",
        "polecats.hosts",
        "local,box1",
        "--rig",
        "shop",
    ]);
    s.ok(&["--batch", "up"]);
    let beads: Vec<String> = (1..=6)
        .map(|i| s.create(&[&format!("Part {i}"), "--rig", "shop"]))
        .collect();
    let mut create = vec!["--batch", "--json", "convoy", "create", "Six parts"];
    create.extend(beads.iter().map(String::as_str));
    let cv = s.ok(&create).json()["convoy"]["id"]
        .as_str()
        .expect("convoy id")
        .to_string();
    let mut sling = vec!["--batch", "sling"];
    sling.extend(beads.iter().map(String::as_str));
    sling.push("shop");
    s.ok(&sling);
    // Spread by room: three here, three there.
    let agents = s.json(&["agents"]);
    let polecats: Vec<serde_json::Value> = agents["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["role"] == "polecat")
        .cloned()
        .collect();
    assert_eq!(polecats.len(), 6, "{agents}");
    let remote: Vec<String> = polecats
        .iter()
        .filter(|a| a["host"] == "box1")
        .map(|a| a["address"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(remote.len(), 3, "three on box1: {agents}");
    // A seventh finds no room anywhere and says so.
    let extra = s.create(&["One too many", "--rig", "shop"]);
    let r = s.gt(&["--batch", "sling", &extra, "shop"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no room"), "{}", r.stderr);

    let screen = |a: &str| {
        s.agent_pane(a, "#{pane_id}")
            .map(|p| s.town_tmux(&["capture-pane", "-p", "-t", p.trim()]))
            .unwrap_or_default()
    };
    crate::common::wait_for(60, "the remote polecats busy", || {
        remote
            .iter()
            .all(|a| screen(a).contains("esc to interrupt"))
            .then_some(())
    });

    // The host goes away mid-work.
    sshd.kill_all();
    crate::common::wait_for(20, "the remote agents unreachable", || {
        remote
            .iter()
            .all(|a| s.agent_view(a)["verdict"] == "unreachable")
            .then_some(())
    });
    let events = |kind: &str| -> u64 {
        s.sql(&format!(
            "SELECT count(*) FROM events WHERE event_type = '{kind}'"
        ))
        .trim()
        .parse()
        .unwrap_or(0)
    };
    crate::common::wait_for(20, "the host's one verdict", || {
        (events("host_unreachable") == 1).then_some(())
    });
    // Several witness rounds go by: still one verdict, and nobody restarted.
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_eq!(events("host_unreachable"), 1, "one verdict for the host");
    assert_eq!(
        events("witness_restart"),
        0,
        "no agent of the host restarted"
    );
    let esc = s.json(&["escalate", "list"]);
    let about_box1 = esc["escalations"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x.to_string().contains("Host box1"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(about_box1, 1, "one escalation: {esc}");

    // Back: the windows attach again and the remote work lands too.
    sshd.resume();
    crate::common::wait_for(180, "all six landed", || {
        beads
            .iter()
            .all(|b| s.json(&["show", b])["bead"]["status"] == "closed")
            .then_some(())
    });
    assert_eq!(events("host_back"), 1);
    assert_eq!(
        events("witness_restart"),
        0,
        "the remote work went on where it was"
    );
    let shown = s.json(&["convoy", "show", &cv]);
    assert_eq!(shown["convoy"]["status"], "closed", "{shown}");
    // Landed, the remote polecats are taken down there too: sessions and worktrees gone.
    let town_dir = remote_town(&s, &sshd);
    crate::common::wait_for_or(
        60,
        "the landed remote polecats removed",
        || {
            let (code, left) = sshd.as_user_status(&format!("ls -A {town_dir}/shop/polecats"));
            (code == 0
                && remote.iter().all(|a| s.agent_view(a).is_null())
                && left.trim().is_empty())
            .then_some(())
        },
        || s.sql("SELECT new_value FROM events WHERE event_type = 'refinery_cleaned'"),
    );
    let sessions = host_sessions(&s, &sshd);
    for a in &remote {
        assert!(
            !sessions.contains(&a.replace('/', "-")),
            "{a}'s session ended: {sessions}"
        );
    }
    s.ok(&["--batch", "down", "--force"]);
}

/// A host's room is counted where the hook is recorded: two rigs slinging onto the last
/// place of a host at the same moment cannot both take it.
#[test]
fn two_slings_cannot_both_take_a_hosts_last_place() {
    let Some(sshd) = Sshd::start("two_slings_cannot_both_take_a_hosts_last_place") else {
        return;
    };
    let s = town_with_remote_rig(&sshd, "1");
    let src = s.source_repo("shed");
    s.ok(&["--batch", "rig", "add", "shed", src.to_str().expect("utf8")]);
    s.sim_runtime("worker", "--busy 3600", &[]);
    s.ok(&["--batch", "config", "default-agent", "worker"]);
    for rig in ["shop", "shed"] {
        s.ok(&[
            "--batch",
            "config",
            "set",
            "polecats.hosts",
            "box1",
            "--rig",
            rig,
        ]);
    }
    let a = s.create(&["In shop", "--rig", "shop"]);
    // Without the supervisor (it answers a remote agent's gt) a sling there is refused at once.
    let r = s.gt(&["--batch", "sling", &a, "shop"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("gt up"), "{}", r.stderr);
    assert_eq!(
        s.json(&["show", &a])["bead"]["status"],
        "open",
        "nothing hooked"
    );
    s.ok(&["--batch", "up"]);
    let b = s.create(&["In shed", "--rig", "shed"]);
    let mut ca = s.cmd(&s.town(), &["--batch", "sling", &a, "shop"]);
    let mut cb = s.cmd(&s.town(), &["--batch", "sling", &b, "shed"]);
    let outcomes: Vec<crate::common::Run> = std::thread::scope(|sc| {
        let ha = sc.spawn(move || crate::common::Run::from(ca.output().expect("gt")));
        let hb = sc.spawn(move || crate::common::Run::from(cb.output().expect("gt")));
        vec![ha.join().expect("a"), hb.join().expect("b")]
    });
    let won = outcomes.iter().filter(|r| r.code == 0).count();
    assert_eq!(won, 1, "one place, one polecat: {outcomes:?}");
    let lost = outcomes.iter().find(|r| r.code != 0).expect("a loser");
    assert!(lost.stderr.contains("no room"), "{}", lost.stderr);
    let on_box1 = s.json(&["agents"])["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["host"] == "box1")
        .count();
    assert_eq!(on_box1, 1);
    // Nothing of the loser is left on the host: one session there.
    let sessions = host_sessions(&s, &sshd);
    assert_eq!(sessions.lines().count(), 1, "{sessions}");
    s.ok(&["--batch", "down", "--force"]);
}
