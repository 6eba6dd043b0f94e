//! The workspace end to end: the real `gt` in a person's terminal (a private tmux server),
//! driven by keys and read from the screen, with `sim` agents doing real work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::terminal::Terminal;
use crate::common::*;

/// The workspace open on a town with one sim rig, in a 160×45 terminal, without the
/// supervisor's duties (tests that watch agents stay put turn them off).
fn open_unsupervised(s: &Sandbox) -> Terminal {
    s.ok(&["--batch", "config", "set", "ui.supervise", "false"]);
    open(s)
}

/// The workspace open on a town with one sim rig, in a 160×45 terminal.
fn open(s: &Sandbox) -> Terminal {
    let script = format!("{} ; echo \"gt exited $?\"; sleep 600", gt_bin().display());
    let t = Terminal::start(s, &s.town(), &script, 160, 45);
    t.wait(20, "the workspace", |scr| {
        scr.contains("1 Agents") && scr.contains("8 Attention")
    });
    t
}

/// `s`, a ready bead found by `filter`, the first target, confirmed.
fn sling_by_keys(t: &Terminal, filter: &str) {
    t.keys(&["s"]);
    t.wait(5, "the bead picker", |scr| {
        scr.contains("Sling: pick a ready bead")
    });
    t.type_text(filter);
    t.keys(&["Enter"]);
    t.wait(5, "the target picker", |scr| {
        scr.contains("Sling: pick a target")
    });
    t.keys(&["Enter"]);
    t.wait(5, "the confirmation", |scr| scr.contains("Sling: confirm"));
    t.keys(&["Enter"]);
}

#[test]
fn sling_by_keys_and_watch_the_agent_work() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("worker", "--busy 2", &[]);
    s.ok(&["--batch", "config", "default-agent", "worker"]);
    let b = s.create(&["Paint the fence", "--rig", "shop"]);
    let t = open(&s);
    sling_by_keys(&t, "fence");
    // The polecat appears with the bead on its hook…
    t.wait(20, "the agent at work", |scr| {
        scr.contains(&b) && scr.lines().any(|l| l.contains("● ") && l.contains(&b))
    });
    // …does real work (a commit, gt done), and the workspace — supervising, as no daemon
    // runs — merges it: the bead closes and the finished polecat is cleaned away.
    assert!(
        t.screen().contains("supervised by the workspace"),
        "{}",
        t.screen()
    );
    wait_for(60, "the bead merged", || {
        (s.json(&["show", &b])["bead"]["status"] == "closed").then_some(())
    });
    let log = git(
        &s.town().join("shop/.repo.git"),
        &["log", "--oneline", "main"],
    );
    assert!(log.contains(&b), "{log}");
    t.wait(20, "the finished polecat gone", |scr| {
        scr.contains("no agents yet")
    });
}

#[test]
fn mail_by_keys_reaches_the_agent() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("worker", "--busy 0.2", &[]);
    let b = s.create(&["First job", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "worker"]);
    wait_for(30, "the agent idle", || {
        (s.agent_view(&agent)["state"] == "idle").then_some(())
    });
    let t = open_unsupervised(&s);
    // Select it (filter), then write to it: the recipient is filled in.
    t.keys(&["/"]);
    t.type_text("ash");
    t.keys(&["Enter", "m"]);
    t.wait(5, "the form", |scr| {
        scr.contains("New message") && scr.contains(&agent)
    });
    t.type_text("Please add tests");
    t.keys(&["Tab"]);
    t.type_text("For the fence.");
    t.keys(&["C-s"]);
    wait_for(20, "the notification in the agent's pane", || {
        s.sim_received(&agent)
            .iter()
            .any(|m| m.contains("You have new mail from overseer: Please add tests"))
            .then_some(())
    });
    let inbox = s.json(&["mail", "inbox", &agent]);
    assert_eq!(
        inbox["messages"][0]["subject"], "Please add tests",
        "{inbox}"
    );
}

#[test]
fn chat_with_the_mayor_and_see_the_answer() {
    let s = Sandbox::with_sim_rig("shop");
    let b = s.create(&["Something ready", "--rig", "shop"]);
    s.ok(&["mayor", "start"]);
    let t = open(&s);
    t.keys(&["3"]);
    t.type_text("!ready");
    t.keys(&["Enter"]);
    // The line is confirmed delivered, and the mayor's answer (it ran `gt ready`) shows.
    // The title in full appears only in the answer (the feed cuts it short).
    let scr = t.wait(20, "the mayor's answer", |scr| {
        scr.contains("✓ you: !ready") && scr.contains("Something ready")
    });
    assert!(
        scr.lines()
            .any(|l| l.contains(&b) && l.contains("Something ready")),
        "{scr}"
    );
}

#[test]
fn attach_to_an_agent_and_detach_back() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("worker", "--busy 0.2", &[]);
    let b = s.create(&["Look at me", "--rig", "shop"]);
    s.json(&["sling", &b, "shop", "--agent", "worker"]);
    let t = open_unsupervised(&s);
    t.wait(20, "the agent listed", |scr| scr.contains("ash"));
    t.keys(&["/"]);
    t.type_text("ash");
    t.keys(&["Enter", "Enter"]);
    // The person's terminal now shows the agent's own window…
    t.wait(10, "the agent's window", |scr| {
        scr.contains("gt sim — a simulated coding agent") && !scr.contains("1 Agents")
    });
    // The status line says how to get back: the town's own prefix, not the person's C-b.
    t.wait(10, "the detach hint", |scr| scr.contains("ctrl-] d detach"));
    // …and detaching brings the workspace back as it was (the filter is still there).
    t.keys(&["C-]", "d"]);
    t.wait(10, "the workspace again", |scr| {
        scr.contains("1 Agents") && scr.contains("/ash")
    });
}

#[test]
fn quitting_gives_back_a_working_terminal() {
    let s = Sandbox::with_sim_rig("shop");
    let bead = s.create(&["Keep me running", "--rig", "shop"]);
    let agent = s.sling_agent(&[&bead, "shop"]);
    let script = format!(
        "{} ; echo \"gt exited $?\"; stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo -e -icanon -e -echo; sleep 600",
        gt_bin().display()
    );
    let t = Terminal::start(&s, &s.town(), &script, 100, 30);
    t.wait(20, "the workspace", |scr| scr.contains("1 Agents"));
    t.keys(&["q"]);
    // Wait for stty's report too, not only the exit line printed just before it.
    let scr = t.wait(10, "the shell again", |scr| {
        let has = |a: &str, b: &str| scr.lines().any(|l| l == a || l == b);
        scr.contains("gt exited") && has("icanon", "-icanon") && has("echo", "-echo")
    });
    assert!(scr.contains("gt exited 0"), "{scr}");
    // Cooked mode and echo are back: the shell prompt works.
    assert!(scr.lines().any(|l| l == "icanon"), "{scr}");
    assert!(scr.lines().any(|l| l == "echo"), "{scr}");
    assert!(
        !scr.contains("1 Agents"),
        "the alternate screen is gone: {scr}"
    );
    // It says what keeps running, that nothing watches it now, and how to change that.
    assert!(scr.contains("1 agent(s) keep running"), "{scr}");
    assert!(scr.contains(&agent), "{scr}");
    assert!(scr.contains("Nothing supervises them now"), "{scr}");
    assert!(scr.contains("Run `gt up`"), "{scr}");
}

#[test]
fn the_demo_comes_alive_within_seconds() {
    let s = Sandbox::new();
    let demo = s.path().join("demo");
    let script = format!(
        "{} demo {} ; echo \"gt exited $?\"; sleep 600",
        gt_bin().display(),
        demo.display()
    );
    let t = Terminal::start(&s, s.path(), &script, 160, 45);
    let scr = t.wait(30, "agents at work and mail from the mayor", |scr| {
        scr.contains("1 Agents")
            && scr.lines().filter(|l| l.contains("● ")).count() >= 3
            && scr.contains("Welcome to the demo")
    });
    assert!(scr.contains("Launch checkout"), "the convoys: {scr}");
    // It stays alive while open: with every agent's work taken away, work is slung again.
    let hooked = || -> Vec<(String, String)> {
        s.json_in(&demo, &["agents"])["agents"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| {
                        Some((
                            x["address"].as_str()?.to_string(),
                            x["hook"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let ledger = demo.join(".gt/ledger.db");
    let slings = || {
        sqlite(
            &ledger,
            "SELECT count(*) FROM events WHERE event_type = 'slung'",
        )
    };
    for (agent, bead) in hooked() {
        s.gt_in(&demo, &["--batch", "unsling", &bead, "--agent", &agent]);
    }
    let before = slings();
    wait_for(30, "the open demo to sling more work", || {
        (slings() != before && !hooked().is_empty()).then_some(())
    });
    t.keys(&["q"]);
    t.wait(10, "the shell again", |scr| scr.contains("gt exited 0"));
    // The demo's town server is the demo's own; stop it.
    let sock = std::fs::read_to_string(demo.join(".gt/tmux-socket")).unwrap_or_default();
    let _ = std::process::Command::new("tmux")
        .args(["-L", sock.trim(), "kill-server"])
        .output();
}

#[test]
fn the_workspace_hands_over_to_gt_up_and_takes_over_when_the_daemon_dies() {
    let s = Sandbox::with_sim_rig("shop");
    let t = open(&s);
    t.wait(10, "the workspace supervising", |scr| {
        scr.contains("supervised by the workspace")
    });
    let kind = |s: &Sandbox| s.json(&["daemon", "status"])["daemon"]["status"]["kind"].clone();
    assert_eq!(kind(&s), "workspace");

    // `gt up` gets the town a daemon that outlives the workspace.
    let up = s.json(&["up"]);
    assert_eq!(up["up"]["already"], false, "{up}");
    assert_eq!(kind(&s), "daemon");
    let pid = s.json(&["daemon", "status"])["daemon"]["status"]["pid"]
        .as_u64()
        .expect("pid");
    t.wait(10, "the status bar naming the daemon", |scr| {
        scr.contains(&format!("supervisor pid {pid}"))
    });

    // The daemon dies: the workspace, standing by, takes over.
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_for(15, "the workspace supervising again", || {
        (kind(&s) == "workspace").then_some(())
    });
}

/// The Feed pane shows the newest events, however long the town's history: after 300
/// events, a new one appears at its bottom (it showed the first 200, frozen, before).
#[test]
fn the_feed_keeps_moving_past_the_towns_200th_event() {
    let s = Sandbox::with_sim_rig("shop");
    let script: String = (0..300)
        .map(|i| format!("bead create \"w{i}\" --rig shop\n"))
        .collect();
    let r = s.batch_stdin(&script);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = open_unsupervised(&s);
    t.wait(10, "the newest of the old events", |scr| {
        scr.contains("\"w299\"")
    });
    s.create(&["newest", "--rig", "shop"]);
    t.wait(10, "the new event in the feed", |scr| {
        scr.contains("\"newest\"")
    });
    let feed = s.gt(&["--batch", "feed", "-n", "2"]).stdout;
    assert!(
        feed.contains("\"newest\"") && feed.contains("\"w299\"") && feed.lines().count() == 2,
        "{feed}"
    );
}

/// The open workspace follows settings changed from a shell: after `gt config default-agent`
/// a sling from the workspace starts the new default runtime.
#[test]
fn the_workspace_follows_config_changed_from_a_shell() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("before", "--busy 30", &[]);
    s.sim_runtime("after", "--busy 30", &[]);
    s.ok(&["--batch", "config", "default-agent", "before"]);
    let b = s.create(&["Paint the fence", "--rig", "shop"]);
    let t = open_unsupervised(&s);
    s.ok(&["--batch", "config", "default-agent", "after"]);
    sling_by_keys(&t, "fence");
    let agent = wait_for(20, "the polecat", || {
        let v = s.json(&["agents"]);
        v["agents"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["hook"] == b.as_str()).cloned())
    });
    assert_eq!(agent["runtime"], "after", "{agent}");
}

#[test]
fn review_by_keys_send_back_then_approve_and_it_lands() {
    let s = Sandbox::with_sim_rig("shop");
    s.ok(&[
        "--batch",
        "config",
        "set",
        "merge.review",
        "human",
        "--rig",
        "shop",
    ]);
    let b = s.create(&["Write the opening hours", "--rig", "shop"]);
    // The workspace supervises: its refinery tests the work, which then waits for us.
    let t = open(&s);
    s.sling_agent(&[&b, "shop"]);
    t.keys(&["9"]);
    t.wait(60, "the merge request waiting for review", |scr| {
        scr.contains("9 Merge queue") && scr.contains("◆ review") && scr.contains(&b)
    });
    let first = s.json(&["mq", "list"])["queue"][0]["id"]
        .as_str()
        .expect("the waiting merge request")
        .to_string();
    // Enter: the diff — the file and the patch.
    t.keys(&["Enter"]);
    t.wait(10, "the diff view", |scr| {
        scr.contains("Diff")
            && scr.contains(&format!("sim-work/{b}.md"))
            && scr.contains("a approve")
    });
    // b: send it back with a comment.
    t.keys(&["b"]);
    t.wait(5, "the comment form", |scr| scr.contains("Send back"));
    t.type_text("Add the Sunday hours");
    t.keys(&["Enter"]);
    t.wait(10, "it went back", |scr| {
        scr.contains("back to shop/polecats/")
    });
    // The polecat reads the comment, does the work again, and it waits once more.
    t.wait(60, "the fixed work waiting for review", |scr| {
        scr.lines()
            .any(|l| l.contains("◆ review") && l.contains(&b) && !l.contains(&first))
    });
    t.keys(&["Enter"]);
    t.wait(10, "the new diff", |scr| {
        scr.contains("Addressed in review: Add the Sunday hours")
            || scr.contains("Addressed in review: Add the")
    });
    t.keys(&["a"]);
    t.wait(60, "landed", |scr| scr.contains("✓ landed"));
    wait_for(30, "the bead closed", || {
        (s.json(&["show", &b])["bead"]["status"] == "closed").then_some(())
    });
    let landed = git(
        &s.town().join("shop/.repo.git"),
        &["show", &format!("main:sim-work/{b}.md")],
    );
    assert!(
        landed.contains("Addressed in review: Add the Sunday hours"),
        "{landed}"
    );
}

#[test]
fn the_palette_and_the_keys_act_on_the_town() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    let b = s.create(&["Keep busy", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "slow"]);
    let t = open_unsupervised(&s);
    t.wait(20, "the agent at work", |scr| scr.contains("working"));
    let windows = || {
        s.json(&["agents"])["agents"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|x| x["address"] == agent.as_str())
                    .map(|x| x["session"].as_str().unwrap_or("").to_string())
            })
            .unwrap_or_default()
    };
    // x stops the agent's session; its hook stays.
    t.keys(&["1", "x"]);
    t.wait(15, "the stop's output", |scr| {
        scr.contains("Stopped") && scr.contains(&agent)
    });
    wait_for(15, "no session", || {
        (windows() == "no session").then_some(())
    });
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "hooked");
    // R starts it again on its worktree with the same hook.
    t.keys(&["Escape", "R"]);
    t.wait(20, "the restart's output", |scr| {
        scr.contains("restarted in window")
    });
    wait_for(20, "a session again", || {
        (windows() != "no session" && !windows().is_empty()).then_some(())
    });
    // + files a bead: the form (title, type, priority, rig, description).
    t.keys(&["Escape", "+"]);
    t.wait(5, "the form", |scr| {
        scr.contains("New bead") && scr.contains("description")
    });
    t.type_text("Filed from the workspace");
    t.keys(&["Tab", "Tab", "BSpace"]);
    t.type_text("1");
    t.keys(&["Tab", "Tab"]);
    t.type_text("With a description");
    t.keys(&["C-s"]);
    t.wait(15, "the bead created", |scr| scr.contains("Created"));
    let row = s.sql(
        "SELECT priority || '|' || description FROM beads WHERE title = 'Filed from the workspace'",
    );
    assert_eq!(row, "1|With a description");
    // It depends on the busy bead; i shows the tree from the busy agent's side.
    let new = s.sql("SELECT id FROM beads WHERE title = 'Filed from the workspace'");
    s.ok(&["--batch", "bead", "dep", "add", &new, &b]);
    t.keys(&["1", "i"]);
    t.wait(15, "the bead's tree", |scr| {
        scr.contains("depended on by:")
            && scr.contains(&new)
            && scr.contains("Filed from the workspace")
    });
    // e from there edits it: the title changes.
    t.keys(&["e"]);
    t.wait(5, "the edit form", |scr| {
        scr.contains("Edit bead") && scr.contains("Keep busy")
    });
    t.keys(&["End"]);
    t.type_text(" now");
    t.keys(&["C-s"]);
    t.wait(15, "saved", |scr| scr.contains("Saved"));
    assert_eq!(s.json(&["show", &b])["bead"]["title"], "Keep busy now");
    // The palette: Tab completes from the grammar, Enter runs and shows the output.
    t.keys(&["Escape", ":"]);
    t.type_text("ready --js");
    t.keys(&["Tab"]);
    t.wait(5, "the flag completed", |scr| {
        scr.contains("gt ready --json")
    });
    t.keys(&["Enter"]);
    t.wait(15, "the command's output", |scr| {
        scr.contains("✓ gt ready --json") && scr.contains("Filed from the workspace")
    });
}

#[test]
fn a_pasted_text_keeps_its_line_breaks_in_the_mayor_chat() {
    let s = Sandbox::with_sim_rig("shop");
    s.ok(&["mayor", "start"]);
    let t = open(&s);
    t.keys(&["3"]);
    // A real terminal sends a pasted line break as a carriage return.
    t.paste("first line\rsecond line");
    t.keys(&["Enter"]);
    let scr = t.wait(20, "the pasted message sent", |scr| {
        scr.contains("you: first line ⏎ second line")
    });
    assert!(!scr.contains("first linesecond line"), "{scr}");
    // The mayor got both lines.
    wait_for(20, "the mayor to receive both lines, as two", || {
        s.sim_received("mayor")
            .iter()
            .any(|t| t.contains("first line\nsecond line"))
            .then_some(())
    });
}

#[test]
fn an_agents_window_takes_the_size_its_preview_shows_and_gets_it_back() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    let b = s.create(&["Look at me", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "slow"]);
    let size = || s.agent_pane(&agent, "#{window_width}x#{window_height}");
    assert_eq!(
        size().as_deref(),
        Some("200x50"),
        "started at the default size"
    );
    let t = open_unsupervised(&s);
    // 160×45: the Preview pane's inside is 62×22 (40% of the width, 55% of the height).
    let scr = t.wait(20, "the agent previewed", |scr| scr.contains("working"));
    wait_for(10, "the window sized to the preview", || {
        (size().as_deref() == Some("62x22")).then_some(())
    });
    // What the agent prints is laid out for that width: nothing cut at the pane's edge.
    assert!(scr.contains("gt sim — a simulated coding agent"), "{scr}");
    // Closing the workspace gives the window back to whoever looks at it next.
    let pane = s.agent_pane(&agent, "#{pane_id}").expect("pane");
    let pinned = || s.town_tmux(&["show-options", "-w", "-t", &pane, "window-size"]);
    assert!(pinned().contains("manual"), "{}", pinned());
    t.keys(&["q"]);
    wait_for(10, "the window released", || {
        pinned().trim().is_empty().then_some(())
    });
}
