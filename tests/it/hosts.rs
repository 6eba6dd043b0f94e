//! Remote hosts over ssh: a second "host" is an OpenSSH server on 127.0.0.1 logging in as
//! another local user (`common::sshd`).

use crate::common::Sandbox;
use crate::common::sshd::Sshd;

fn town_with_host_access(sshd: &Sshd) -> Sandbox {
    let s = Sandbox::with_town();
    s.ok(&[
        "--batch",
        "config",
        "set",
        "ssh.config",
        sshd.ssh_config.to_str().expect("utf8"),
    ]);
    s
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
    let sessions = sshd.as_user(&format!(
        "tmux -L {} list-sessions -F '#{{session_name}}'",
        std::fs::read_to_string(s.town().join(".gt/tmux-socket"))
            .expect("sock")
            .trim()
    ));
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

    // Its `gt done` ran there and reached the town; the refinery lands the work.
    crate::common::wait_for(90, "the remote polecat's work landed", || {
        (s.json(&["show", &bead])["bead"]["status"] == "closed").then_some(())
    });
    s.ok(&["--batch", "down", "--force"]);
}
