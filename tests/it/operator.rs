//! A person's hand on one agent at a time: `gt agent start` (after `stop`), `gt polecat
//! stale` and `gt polecat gc` — against real tmux, git and sim agents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

/// The session state `gt agents` shows for `agent` ("no session" when it has none).
fn session(s: &Sandbox, agent: &str) -> String {
    s.agent_view(agent)["session"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn wait_session(s: &Sandbox, agent: &str, want: &str) {
    wait_for_or(
        30,
        &format!("{agent}'s session to be {want}"),
        || (session(s, agent) == want).then_some(()),
        || format!("{}", s.agent_view(agent)),
    );
}

#[test]
fn a_stopped_agent_is_started_again_with_its_hook_and_a_running_one_is_left_alone() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    let b = s.create(&["Long job", "--rig", "shop"]);
    let agent = s.sling_agent(&[&b, "shop", "--agent", "slow"]);
    wait_session(&s, &agent, "working");
    let window = s.agent_view(&agent)["window"].clone();

    // Running: said, not restarted (exit 0: what was asked for holds).
    let already = s.json(&["agent", "start", &agent]);
    assert_eq!(already["started"]["already_running"], true, "{already}");
    assert_eq!(already["started"]["started"], false);
    assert_eq!(s.agent_view(&agent)["window"], window, "the same window");
    let text = s.ok(&["agent", "start", &agent]).stdout;
    assert!(text.contains("already running"), "{text}");
    assert_eq!(s.sim_received(&agent).len(), 1, "no second beacon");

    // Stopped: its hook and worktree stay; start brings a new session on them.
    let stop = s.ok(&["agent", "stop", &agent]).stdout;
    assert!(stop.contains(&format!("gt agent start {agent}")), "{stop}");
    wait_session(&s, &agent, "no session");
    let worktree = s.agent_view(&agent)["worktree"]
        .as_str()
        .expect("worktree")
        .to_string();
    let started = s.json(&["agent", "start", &agent]);
    assert_eq!(started["started"]["started"], true, "{started}");
    assert_eq!(started["started"]["hook"], b.as_str());
    wait_session(&s, &agent, "working");
    let v = s.agent_view(&agent);
    assert_eq!(v["hook"], b.as_str(), "{v}");
    assert_eq!(v["worktree"], worktree.as_str());
    assert_eq!(s.json(&["show", &b])["bead"]["status"], "hooked");
    let got = s.sim_received(&agent);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[1].starts_with("[GAS TOWN]") && got[1].contains("started by"),
        "{got:?}"
    );
    assert_eq!(
        s.sql("SELECT count(*) FROM events WHERE event_type = 'agent_started'"),
        "1"
    );

    // Unknown agents and the mayor are bad input.
    let before = s.ledger_state();
    assert_eq!(s.gt(&["agent", "start", "shop/polecats/nobody"]).code, 2);
    assert_eq!(s.gt(&["agent", "start", "mayor"]).code, 2);
    assert_eq!(s.ledger_state(), before, "nothing written");
}

/// Moves the rig's default branch `n` commits ahead (as landed work would).
fn advance_main(s: &Sandbox, rig: &str, n: usize) {
    let src = s.path().join("src").join(rig);
    for i in 0..n {
        std::fs::write(src.join(format!("later{i}.txt")), format!("later {i}\n")).expect("write");
        git(&src, &["add", "."]);
        git(&src, &["commit", "-q", "-m", &format!("later {i}")]);
    }
    let repo = s.town().join(rig).join(".repo.git");
    git(&repo, &["fetch", "-q", src.to_str().expect("utf8"), "main"]);
    git(&repo, &["update-ref", "refs/heads/main", "FETCH_HEAD"]);
}

fn agents_of(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["agent"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn stale_polecats_are_the_ones_far_behind_or_long_quiet_each_with_why() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    let b1 = s.create(&["Old job", "--rig", "shop"]);
    let old = s.sling_agent(&[&b1, "shop", "--agent", "slow"]);
    advance_main(&s, "shop", 3);
    let b2 = s.create(&["New job", "--rig", "shop"]);
    let new = s.sling_agent(&[&b2, "shop", "--agent", "slow"]);
    assert_ne!(old, new);

    let v = s.json(&["polecat", "stale", "--behind", "3"]);
    assert_eq!(agents_of(&v, "stale"), vec![old.clone()], "{v}");
    assert_eq!(v["stale"][0]["behind"], 3);
    let why = v["stale"][0]["reasons"][0].as_str().expect("a reason");
    assert!(why.contains("3 commit(s) behind main"), "{why}");
    let text = s
        .ok(&["polecat", "stale", "--rig", "shop", "--behind", "3"])
        .stdout;
    assert!(
        text.contains(&old) && text.contains("behind main") && !text.contains(&new),
        "{text}"
    );
    assert!(
        s.ok(&["polecat", "stale", "--behind", "4"])
            .stdout
            .contains("No stale polecats.")
    );

    // Long quiet: judged by the town's clock, moved two days on (nobody waits for it).
    let mut ctx = gt::work::Ctx::open(&s.town()).expect("open");
    let day = std::time::Duration::from_secs(24 * 3600);
    let now = gt::work::agents::polecat_stale::stale(&ctx, None, 1000, day).expect("stale");
    assert!(now.is_empty(), "nobody is quiet yet: {now:?}");
    let later = gt::time::Clock::manual(chrono::Utc::now() + chrono::Duration::days(2));
    ctx.set_clock(later);
    let quiet = gt::work::agents::polecat_stale::stale(&ctx, None, 1000, day).expect("stale");
    let names: Vec<&str> = quiet.iter().map(|p| p.agent.as_str()).collect();
    assert_eq!(names.len(), 2, "{quiet:?}");
    assert!(names.contains(&old.as_str()) && names.contains(&new.as_str()));
    assert!(
        quiet.iter().all(|p| p
            .reasons
            .iter()
            .any(|r| r.contains("no sign of life for 2d"))),
        "{quiet:?}"
    );

    for bad in [
        vec!["polecat", "stale", "--behind", "0"],
        vec!["polecat", "stale", "--idle", "forever"],
        vec!["polecat", "stale", "--rig", "nope"],
    ] {
        assert_eq!(s.gt(&bad).code, 2, "{bad:?}");
    }
}

#[test]
fn gc_removes_finished_polecats_and_keeps_the_rest_saying_why() {
    let s = Sandbox::with_sim_rig("shop");
    s.sim_runtime("slow", "--busy 600", &[]);
    let beads: Vec<String> = (1..=5)
        .map(|i| s.create(&[&format!("Job {i}"), "--rig", "shop"]))
        .collect();
    let mut args: Vec<&str> = vec!["sling"];
    args.extend(beads.iter().map(String::as_str));
    args.extend(["shop", "--agent", "slow"]);
    let slung = s.json(&args);
    let who: Vec<String> = (0..5)
        .map(|i| {
            slung["slung"][i]["agent"]
                .as_str()
                .expect("agent")
                .to_string()
        })
        .collect();
    for a in &who {
        wait_session(&s, a, "working");
    }
    let [stopped, open, hooked, dirty, unmerged] = [0, 1, 2, 3, 4].map(|i| who[i].clone());
    let worktree =
        |a: &str| std::path::PathBuf::from(s.agent_view(a)["worktree"].as_str().expect("worktree"));
    for (i, a) in who.iter().enumerate() {
        if a != &hooked {
            s.ok(&["unsling", &beads[i]]);
        }
    }
    // Finished and stopped: nothing of its own on its branch, no session.
    for a in [&stopped, &dirty, &unmerged] {
        s.ok(&["agent", "stop", a]);
        wait_session(&s, a, "no session");
    }
    // Finished, its session open and idle at its prompt (nothing on its hook now).
    s.ok(&["agent", "restart", &open]);
    wait_session(&s, &open, "idle");
    std::fs::write(worktree(&dirty).join("notes.txt"), "unsaved\n").expect("write");
    let wt = worktree(&unmerged);
    std::fs::write(wt.join("work.txt"), "work\n").expect("write");
    git(&wt, &["add", "."]);
    git(&wt, &["commit", "-q", "-m", "work of its own"]);

    // A dry run says it all and changes nothing.
    let before = s.ledger_state();
    let dry = s.json(&["polecat", "gc", "--dry-run", "--all"]);
    assert_eq!(dry["dry_run"], true);
    let mut would = agents_of(&dry, "removed");
    would.sort();
    let mut want = vec![stopped.clone(), open.clone()];
    want.sort();
    assert_eq!(would, want, "{dry}");
    assert_eq!(s.ledger_state(), before, "a dry run writes nothing");
    assert!(worktree(&stopped).is_dir());
    let text = s.ok(&["polecat", "gc", "--dry-run"]).stdout;
    assert!(
        text.contains(&format!("Would remove {stopped}")) && text.contains("nothing changed"),
        "{text}"
    );

    // Without --all: the stopped one goes (its empty branch with it); the rest are kept.
    let branch = s.agent_view(&stopped)["branch"]
        .as_str()
        .expect("branch")
        .to_string();
    let stopped_wt = worktree(&stopped);
    let r = s.json(&["polecat", "gc", "--rig", "shop"]);
    assert_eq!(agents_of(&r, "removed"), vec![stopped.clone()], "{r}");
    assert_eq!(r["removed"][0]["branch_removed"], branch.as_str());
    assert!(!stopped_wt.exists());
    assert!(s.agent_view(&stopped).is_null(), "its record is gone");
    let repo = s.town().join("shop/.repo.git");
    assert!(!git(&repo, &["branch", "--list", &branch]).contains(&branch));
    let reasons = |v: &Value, a: &str| -> String {
        v["kept"]
            .as_array()
            .and_then(|k| k.iter().find(|x| x["agent"] == a))
            .map(|x| x["reasons"].to_string())
            .unwrap_or_default()
    };
    assert!(reasons(&r, &open).contains("idle at its prompt"), "{r}");
    assert!(reasons(&r, &hooked).contains("is on its hook"), "{r}");
    assert!(reasons(&r, &hooked).contains("session is working"), "{r}");
    assert!(reasons(&r, &dirty).contains("uncommitted"), "{r}");
    assert!(
        reasons(&r, &unmerged).contains("not merged into main"),
        "{r}"
    );
    assert_eq!(s.json(&["show", &beads[2]])["bead"]["status"], "hooked");

    // --all: the idle open one goes too, its session closed; work is still never lost.
    let r = s.json(&["polecat", "gc", "--all"]);
    assert_eq!(agents_of(&r, "removed"), vec![open.clone()], "{r}");
    assert_eq!(r["removed"][0]["window_closed"], true);
    assert!(s.agent_pane(&open, "#{pane_id}").is_none(), "window closed");
    let mut kept = agents_of(&r, "kept");
    kept.sort();
    let mut want = vec![hooked.clone(), dirty.clone(), unmerged.clone()];
    want.sort();
    assert_eq!(kept, want);
    assert!(worktree(&dirty).join("notes.txt").is_file());
    assert!(worktree(&unmerged).join("work.txt").is_file());

    assert_eq!(s.gt(&["polecat", "gc", "--rig", "nope"]).code, 2);
}
