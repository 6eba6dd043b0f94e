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
