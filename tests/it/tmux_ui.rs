//! The town's tmux server as a person meets it (keys, agent menu, status line), and the
//! tmux layer's batched reads — all against real, private tmux servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{PrivateServer, Sandbox, gt_bin, wait_for};
use gt::tmux::{CaptureReq, Server, WindowSpec};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The tmux layer, in this process: the spawn counter and capture_set.

fn spec(name: &str, script: &str) -> WindowSpec {
    WindowSpec {
        session: "rig".into(),
        name: name.into(),
        cwd: "/".into(),
        env: Vec::new(),
        unset: Vec::new(),
        argv: vec!["sh".into(), "-c".into(), script.into()],
        agent: format!("rig/polecats/{name}"),
        bead: None,
        daemon: false,
    }
}

fn wait_screen(server: &Server, pane: &str, needle: &str) {
    for _ in 0..100 {
        if server.capture(pane, 200).expect("capture").contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{needle:?} never appeared in {pane}");
}

#[test]
fn one_panes_call_spawns_exactly_one_tmux_process() {
    let p = PrivateServer::alone();
    let s = &p.server;
    s.create_window(&spec("a", "exec cat")).expect("window");
    let before = gt::tmux::spawned();
    assert_eq!(s.panes().expect("panes").len(), 1);
    assert_eq!(
        gt::tmux::spawned() - before,
        1,
        "panes() is one tmux process"
    );

    let before = gt::tmux::spawned();
    let none = s.capture_set(&[]).expect("empty set");
    assert!(none.is_empty());
    assert_eq!(gt::tmux::spawned(), before, "nothing to read, no process");
}

#[test]
fn capture_set_gives_each_pane_its_own_depth_and_colours() {
    // Counts tmux processes: no other in-process tmux test runs meanwhile.
    let p = PrivateServer::alone();
    let s = &p.server;
    // 120 numbered rows: more than the 50-row screen, so depth reaches into history.
    let rows = "for i in $(seq -w 1 120); do echo row-$i; done";
    let red = r"printf '\033[31mred\033[0m plain\n'";
    let script = format!("{rows}; {red}; echo drawn; exec cat");
    let shallow = s.create_window(&spec("shallow", &script)).expect("a");
    let deep = s.create_window(&spec("deep", &script)).expect("b");
    for w in [&shallow, &deep] {
        wait_screen(s, &w.pane_id, "drawn");
    }
    let before = gt::tmux::spawned();
    let got = s
        .capture_set(&[
            CaptureReq {
                pane: shallow.pane_id.clone(),
                lines: 5,
                escapes: true,
            },
            CaptureReq {
                pane: deep.pane_id.clone(),
                lines: 200,
                escapes: false,
            },
        ])
        .expect("capture_set");
    let after = gt::tmux::spawned();
    assert_eq!(got.len(), 2, "{got:?}");
    let (a, b) = (&got[&shallow.pane_id], &got[&deep.pane_id]);
    assert!(a.contains("row-120") && !a.contains("row-001"), "{a}");
    assert!(b.contains("row-001") && b.contains("row-120"), "{b}");
    // Colours only where asked for.
    assert!(a.contains("\x1b[31mred"), "{a:?}");
    assert!(b.contains("red plain") && !b.contains('\x1b'), "{b:?}");
    // Other tests may run tmux meanwhile; at least this call was not one per pane.
    assert!(after - before >= 1);
}

#[test]
fn capture_set_skips_a_vanished_pane() {
    let p = PrivateServer::new();
    let s = &p.server;
    let a = s
        .create_window(&spec("a", "echo alpha; exec cat"))
        .expect("a");
    let gone = s.create_window(&spec("gone", "exec cat")).expect("gone");
    wait_screen(s, &a.pane_id, "alpha");
    assert!(s.kill_agent_window(&gone.window_id).expect("kill"));
    let got = s
        .capture_set(&[
            CaptureReq {
                pane: gone.pane_id.clone(),
                lines: 10,
                escapes: true,
            },
            CaptureReq::plain(&a.pane_id, 10),
        ])
        .expect("the others still read");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[&a.pane_id].contains("alpha"));
}

// ---------------------------------------------------------------------------------------
// The town's server through the gt binary: keys, status line, menu.

fn socket(s: &Sandbox) -> String {
    std::fs::read_to_string(s.town().join(".gt/tmux-socket"))
        .expect("socket file")
        .trim()
        .to_string()
}

/// A town with agents that stay busy (their hooks stay on), slung one per bead.
fn town_with_busy_agents(rig: &str, n: usize) -> (Sandbox, Vec<(String, String)>) {
    let s = Sandbox::with_sim_rig(rig);
    s.sim_runtime("busysim", "--busy 600", &[]);
    let mut agents = Vec::new();
    for i in 0..n {
        let b = s.create(&[&format!("Work {i}"), "--rig", rig]);
        let agent = s.sling_agent(&[&b, rig, "--agent", "busysim"]);
        agents.push((agent, b));
    }
    (s, agents)
}

#[test]
fn a_sling_installs_the_keys_and_status_line_on_the_towns_server() {
    let (s, _) = town_with_busy_agents("k1", 1);
    let keys = s.town_tmux(&["list-keys"]);
    let bound = |table: &str, key: &str, what: &str| {
        keys.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.windows(3).any(|x| x == ["-T", table, key]) && l.contains(what)
        })
    };
    assert!(bound("root", "M-Right", "next-window"), "{keys}");
    assert!(bound("root", "M-Left", "previous-window"), "{keys}");
    assert!(bound("root", "M-g", "tmux menu --client"), "{keys}");
    assert!(bound("prefix", "g", "tmux menu --client"), "{keys}");
    // tmux's own keys still work: the prefix keeps d (detach), n and p.
    assert!(bound("prefix", "d", "detach-client"), "{keys}");
    assert!(bound("prefix", "n", "next-window"), "{keys}");

    let opt = |name: &str| s.town_tmux(&["show", "-gv", name]).trim().to_string();
    assert!(opt("status-right").contains("tmux status #{q:@gt_agent}"));
    assert!(opt("status-left").contains("#{session_name}"));
    assert_eq!(opt("status-interval"), "5");
    assert_eq!(opt("mouse"), "on");
    assert_eq!(opt("set-titles"), "off");
    // A prefix that cannot be the person's own tmux's: C-b reaches the agent's program.
    assert_eq!(opt("prefix"), "C-]");
    assert!(!bound("prefix", "C-b", ""), "{keys}");
    assert!(!keys.lines().any(|l| l.contains("-T root C-b")), "{keys}");
    assert!(opt("status-left").contains("ctrl-] d detach"));
    let env = s.town_tmux(&["show-environment", "-g", "GT_TOWN"]);
    let town = std::fs::canonicalize(s.town()).expect("canonical");
    let recorded = env.trim().trim_start_matches("GT_TOWN=");
    assert_eq!(
        std::fs::canonicalize(recorded).expect("recorded town"),
        town
    );
}

#[test]
fn tmux_status_names_the_agent_its_bead_and_unread_mail() {
    let (s, agents) = town_with_busy_agents("k2", 1);
    let (agent, bead) = &agents[0];
    let line = s.ok(&["tmux", "status", agent]).stdout;
    assert_eq!(line.trim(), format!("{agent} · {bead} · ✉ 0"));

    s.ok(&["--batch", "mail", "send", agent, "-s", "hi"]);
    let line = s.ok(&["tmux", "status", agent]).stdout;
    assert_eq!(line.trim(), format!("{agent} · {bead} · ✉ 1"));

    // The shorthand and the pane id name the same agent.
    let short = agent.replace("/polecats/", "/");
    assert_eq!(s.ok(&["tmux", "status", &short]).stdout, line);
    let pane = s
        .town_tmux(&["list-panes", "-a", "-F", "#{pane_id} #{@gt_agent}"])
        .lines()
        .find_map(|l| l.strip_suffix(&format!(" {agent}")).map(str::to_string))
        .expect("the agent's pane");
    assert_eq!(s.ok(&["tmux", "status", &pane]).stdout, line);
    let v = s.json(&["tmux", "status", agent]);
    assert_eq!(v["status"]["unread_mail"], 1);
    assert_eq!(v["status"]["bead"], bead.as_str());

    // Bad input: exit 2, with what was wrong.
    for bad in ["", "k2/polecats/nobody", "not an address", "%999"] {
        let r = s.gt(&["tmux", "status", bad]);
        assert_eq!(r.code, 2, "{bad:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty() && !r.stderr.is_empty(), "{r:?}");
    }
}

/// A person's terminal: a pane of a separate tmux server, attached to the town's server.
struct Person {
    outer: String,
}

impl Person {
    fn attach(s: &Sandbox, session: &str) -> Person {
        let outer = format!("gt-test-ui-{}-{session}", std::process::id());
        // Inside the outer server $TMUX is set, and tmux refuses to nest without unsetting it.
        let script = format!(
            "unset TMUX; tmux -L {} attach -t ={session}; sleep 30",
            socket(s)
        );
        let ok = Command::new("tmux")
            .args(["-f", "/dev/null", "-L", &outer, "new-session", "-d"])
            .args(["-x", "140", "-y", "35", "sh", "-c", &script])
            .env_remove("TMUX")
            .status()
            .expect("outer tmux");
        assert!(ok.success());
        let p = Person { outer };
        wait_for(10, "the client to attach", || p.client(s));
        p
    }

    /// The client the person's terminal is, on the town's server.
    fn client(&self, s: &Sandbox) -> Option<String> {
        let o = Command::new("tmux")
            .args(["-L", &socket(s), "list-clients", "-F", "#{client_name}"])
            .output()
            .ok()?;
        let out = String::from_utf8_lossy(&o.stdout);
        out.lines().next().map(str::to_string)
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.outer, "capture-pane", "-p"])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn press(&self, key: &str) {
        let ok = Command::new("tmux")
            .args(["-L", &self.outer, "send-keys", key])
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }
}

impl Drop for Person {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.outer, "kill-server"])
            .output();
    }
}

fn window_of(s: &Sandbox, client: &str) -> String {
    s.town_tmux(&["display", "-p", "-c", client, "#{window_id}"])
        .trim()
        .to_string()
}

#[test]
fn an_attached_person_steps_through_agents_menus_and_sees_the_status_line() {
    let (s, agents) = town_with_busy_agents("k3", 2);
    assert_ne!(agents[0].0, agents[1].0, "two agents, two windows");
    let person = Person::attach(&s, "k3");
    let client = person.client(&s).expect("client");
    let first = window_of(&s, &client);

    // The status line asks gt about the agent in view.
    wait_for(15, "gt's status text in the status line", || {
        person.screen().contains("· ✉ 0").then_some(())
    });

    // Next / previous agent window of the rig, without the prefix.
    person.press("M-Right");
    wait_for(5, "the next agent window", || {
        (window_of(&s, &client) != first).then_some(())
    });
    person.press("M-Left");
    wait_for(5, "the previous agent window", || {
        (window_of(&s, &client) == first).then_some(())
    });

    // The menu, from the command line, on that client: choosing an agent switches to it.
    let v = s.json(&["tmux", "menu", "--client", &client]);
    wait_for(5, "the menu on the person's screen", || {
        person.screen().contains("agents of").then_some(())
    });
    let items = v["items"].as_array().expect("items");
    let other: &Value = items
        .iter()
        .find(|i| i["kind"] == "switch" && i["target"] != format!("=k3:{first}").as_str())
        .expect("an item for the other agent");
    let target = other["target"].as_str().expect("target");
    person.press(other["key"].as_str().expect("key"));
    wait_for(5, "the chosen agent's window", || {
        (target == format!("=k3:{}", window_of(&s, &client))).then_some(())
    });
    assert!(!person.screen().contains("agents of"), "the menu closed");

    // The key opens the same menu.
    person.press("M-g");
    wait_for(10, "the menu from M-g", || {
        let screen = person.screen();
        (screen.contains("agents of")
            && agents.iter().all(|(a, _)| {
                let name = a.rsplit('/').next().unwrap_or(a);
                screen.contains(name)
            }))
        .then_some(())
    });
    person.press("Escape");
    wait_for(5, "the menu to close", || {
        (!person.screen().contains("agents of")).then_some(())
    });
}

#[test]
fn tmux_menu_refuses_a_client_that_is_not_there() {
    let (s, _) = town_with_busy_agents("k4", 1);
    for bad in ["/dev/pts/nope", ""] {
        let r = s.gt(&["tmux", "menu", "--client", bad]);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
        assert!(r.stderr.contains("client"), "{r:?}");
    }
    // The binary the keys call is this one.
    let keys = s.town_tmux(&["show-environment", "-g", "GT_BIN"]);
    assert_eq!(keys.trim(), format!("GT_BIN={}", gt_bin().display()));
}
