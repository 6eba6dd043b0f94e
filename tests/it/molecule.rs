//! Molecules: formulas poured into the ledger, walked step by step, slung to agents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

/// A diamond: a → (b, c) → d, with a required variable.
const SHIP: &str = r#"
formula = "ship"
description = "Ship {{what}} carefully"
version = 1

[vars.what]
description = "the thing to ship"
required = true

[[steps]]
id = "a"
title = "Plan {{what}}"
description = "Write down how {{what}} will ship."
acceptance = "a plan exists"

[[steps]]
id = "b"
title = "Build {{what}}"
needs = ["a"]

[[steps]]
id = "c"
title = "Document {{what}}"
needs = ["a"]

[[steps]]
id = "d"
title = "Release {{what}}"
needs = ["b", "c"]
"#;

fn count(s: &Sandbox, sql: &str) -> usize {
    s.sql(sql).parse().unwrap_or(usize::MAX)
}

fn ready_keys(v: &Value) -> Vec<String> {
    v["ready"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn pour_status_step_done_squash_and_burn() {
    let s = Sandbox::with_town();
    s.add_rig("gastown");
    s.town_formula("ship", SHIP);
    let before = count(&s, "SELECT count(*) FROM beads");

    // A required variable missing: exit 2, named, nothing written.
    let r = s.gt(&["mol", "pour", "ship", "--rig", "gastown"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("what") && r.stderr.contains("--var"),
        "{}",
        r.stderr
    );
    // A variable the formula does not declare.
    let r = s.gt(&[
        "mol",
        "pour",
        "ship",
        "--var",
        "what=x",
        "--var",
        "colour=red",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("colour"), "{}", r.stderr);
    assert_eq!(count(&s, "SELECT count(*) FROM beads"), before);

    let poured = s.json(&[
        "mol",
        "pour",
        "ship",
        "--var",
        "what=the widget",
        "--rig",
        "gastown",
    ]);
    let root = poured["poured"]["root"].as_str().expect("root").to_string();
    assert!(root.starts_with("gt-"), "the rig's prefix: {root}");
    // Root + 4 steps, 4 parent-child edges and 4 blocks edges (b→a, c→a, d→b, d→c).
    assert_eq!(count(&s, "SELECT count(*) FROM beads") - before, 5);
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM deps WHERE depends_on_id = '{root}' AND type = 'parent-child'"
            )
        ),
        4
    );
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM deps WHERE issue_id LIKE '{root}.%' AND type = 'blocks'"
            )
        ),
        4
    );

    let st = s.json(&["mol", "status", &root]);
    assert_eq!(st["total"], 4);
    assert_eq!(ready_keys(&st), vec!["a"]);
    let steps = st["molecule"]["steps"].as_array().expect("steps");
    assert_eq!(
        steps[0]["title"], "Plan the widget",
        "variables substituted"
    );
    assert_eq!(steps[0]["acceptance"], "a plan exists");
    assert_eq!(steps[3]["needs"], serde_json::json!(["b", "c"]));
    assert_eq!(st["molecule"]["formula"], "ship");

    // Neither the molecule nor its steps are offered as ready work of their own.
    let ready = s.json(&["ready"]);
    let listed = ready.to_string();
    assert!(!listed.contains(&root), "{listed}");

    // Out of order is refused and changes nothing.
    let r = s.gt(&["mol", "step", "done", "d", "--mol", &root]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("needs b, c"), "{}", r.stderr);
    // An unknown step names the molecule's steps.
    let r = s.gt(&["mol", "step", "done", "zz", "--mol", &root]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("a, b, c, d"), "{}", r.stderr);

    let d = s.json(&["mol", "step", "done", "a", "--mol", &root]);
    assert_eq!(d["step_done"]["now_ready"], serde_json::json!(["b", "c"]));
    assert_eq!(d["step_done"]["complete"], false);
    let st = s.json(&["mol", "status", &root]);
    assert_eq!(ready_keys(&st), vec!["b", "c"]);
    assert_eq!(st["done"], 1);
    // By bead id works too; again is a no-op.
    let b_id = format!("{root}.2");
    s.ok(&["mol", "step", "done", &b_id]);
    assert_eq!(
        s.json(&["mol", "step", "done", &b_id])["step_done"]["already"],
        true
    );
    s.ok(&["mol", "step", "done", "c", "--mol", &root]);
    let last = s.json(&["mol", "step", "done", "d", "--mol", &root]);
    assert_eq!(last["step_done"]["complete"], true);
    assert_eq!(
        last["step_done"]["root_closed"], true,
        "no agent holds it: it closes"
    );
    assert_eq!(s.json(&["show", &root])["bead"]["status"], "closed");
    // A finished molecule is not burned.
    let r = s.gt(&["mol", "burn", &root]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("squash"), "{}", r.stderr);

    // Squash keeps one bead with the summary.
    let sq = s.json(&["mol", "squash", &root]);
    assert_eq!(sq["squashed"]["done"], 4);
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM beads WHERE id LIKE '{root}.%'")
        ),
        0
    );
    let kept = &s.json(&["show", &root])["bead"];
    assert_eq!(kept["status"], "closed");
    assert!(
        kept["notes"]
            .as_str()
            .unwrap_or("")
            .contains("- [x] d: Release the widget"),
        "{kept}"
    );

    // Burn removes an unfinished one entirely, from the ledger and from issues.jsonl.
    let p2 = s.json(&["mol", "pour", "ship", "--var", "what=gadget"]);
    let root2 = p2["poured"]["root"].as_str().expect("root").to_string();
    assert!(
        root2.starts_with("hq-"),
        "no rig: a town-level molecule: {root2}"
    );
    s.ok(&["mol", "step", "done", "a", "--mol", &root2]);
    let jsonl = s.town().join(".beads/issues.jsonl");
    s.flush();
    assert!(
        std::fs::read_to_string(&jsonl)
            .unwrap_or_default()
            .contains(&root2)
    );
    let b = s.json(&["mol", "burn", &root2]);
    assert_eq!(b["burned"]["removed"], 5);
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM beads WHERE id LIKE '{root2}%'")
        ),
        0
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM deps WHERE issue_id LIKE '{root2}%'")
        ),
        0
    );
    s.flush();
    assert!(
        !std::fs::read_to_string(&jsonl)
            .unwrap_or_default()
            .contains(&root2)
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM events WHERE event_type = 'molecule_burned'"
        ),
        1
    );
}

#[test]
fn done_waits_for_the_checklist_and_closes_its_last_steps() {
    let s = Sandbox::with_sim_rig("gastown");
    s.town_formula("ship", SHIP);
    s.town_formula(
        "two",
        r#"
formula = "two"
[[steps]]
id = "work"
title = "Do the work"
[[steps]]
id = "finish"
title = "Run gt done"
needs = ["work"]
"#,
    );
    s.ok(&[
        "--batch",
        "crew",
        "add",
        "joe",
        "--rig",
        "gastown",
        "--no-start",
    ]);
    let bead = s.create(&["Crew task", "--rig", "gastown"]);
    let poured = s.json(&["mol", "pour", "two", "--for", &bead]);
    let root = poured["poured"]["root"].as_str().expect("root").to_string();
    assert_eq!(poured["poured"]["attached_to"], bead.as_str());
    s.ok(&["--batch", "hook", &bead, "gastown/crew/joe"]);
    // Being worked (through the bead it guides): neither burned nor squashed.
    for verb in ["burn", "squash"] {
        let r = s.gt(&["mol", verb, &root]);
        assert_eq!(r.code, 2, "{verb}: {}", r.stderr);
        assert!(
            r.stderr.contains("being worked by gastown/crew/joe"),
            "{}",
            r.stderr
        );
    }
    // Another formula asked for while this one is unfinished: refused, not ignored.
    let r = s.gt(&[
        "sling",
        &bead,
        "gastown/crew/joe",
        "--formula",
        "ship",
        "--force",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("gt mol burn"), "{}", r.stderr);

    // The agent's prime shows the checklist with the current step spelled out.
    let ws = s.town().join("gastown/crew/joe");
    let out = s
        .cmd(&ws, &["prime"])
        .env("GT_AGENT", "gastown/crew/joe")
        .output()
        .expect("prime");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Checklist: molecule {root} (two), 0/2")),
        "{text}"
    );
    assert!(text.contains("[>] work  Do the work"), "{text}");
    assert!(text.contains("gt mol step done work"), "{text}");

    std::fs::write(ws.join("crew.txt"), "crew work\n").expect("write");
    let r = s.gt(&["done", "--agent", "gastown/crew/joe"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("unfinished step(s): work"),
        "{}",
        r.stderr
    );
    assert_eq!(merge_count(&s), 0, "nothing was queued");

    // The step is marked as the agent: by key, its molecule found through the hook.
    let out = s
        .cmd(&ws, &["--json", "mol", "step", "done", "work"])
        .env("GT_AGENT", "gastown/crew/joe")
        .output()
        .expect("step");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `finish` is the last step and ready: `gt done` closes it, and the molecule with it.
    s.ok(&["done", "--agent", "gastown/crew/joe"]);
    assert_eq!(merge_count(&s), 1);
    let st = s.json(&["mol", "status", &root]);
    assert_eq!(st["complete"], true, "{st}");
    assert_eq!(s.json(&["show", &root])["bead"]["status"], "closed");
    assert_eq!(s.json(&["show", &bead])["bead"]["status"], "in_progress");
}

fn merge_count(s: &Sandbox) -> usize {
    count(
        s,
        "SELECT count(*) FROM beads WHERE issue_type = 'merge-request'",
    )
}

#[test]
fn a_slung_formula_is_worked_step_by_step_by_the_simulator() {
    let s = Sandbox::with_sim_rig("gastown");
    s.town_formula("ship", SHIP);
    // Busy for a while first, so the checklist can be read before any step is done.
    s.sim_runtime("simbusy", "--busy 2", &[]);
    let r = s.json(&[
        "sling",
        "ship",
        "gastown",
        "--var",
        "what=the widget",
        "--agent",
        "simbusy",
    ]);
    let slung = &r["slung"][0];
    let root = slung["molecule"].as_str().expect("molecule").to_string();
    assert_eq!(
        slung["bead"],
        root.as_str(),
        "the molecule root is on the hook"
    );
    let agent = slung["agent"].as_str().expect("agent").to_string();
    let wt = std::path::PathBuf::from(slung["worktree"].as_str().expect("worktree"));
    let out = s
        .cmd(&wt, &["prime"])
        .env("GT_AGENT", &agent)
        .output()
        .expect("prime");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[>] a  Plan the widget"), "{text}");
    assert!(text.contains("Done when: a plan exists"), "{text}");

    wait_for(60, "the molecule's merge request", || {
        (merge_count(&s) == 1).then_some(())
    });
    let st = s.json(&["mol", "status", &root]);
    assert_eq!(st["complete"], true, "every step was marked: {st}");
    // Steps were closed in an order the needs allow.
    let order = s.sql(&format!(
        "SELECT group_concat(issue_id, ' ') FROM (SELECT issue_id FROM events WHERE event_type = 'closed' AND issue_id LIKE '{root}.%' ORDER BY id)"
    ));
    let pos = |k: usize| order.find(&format!("{root}.{k}")).unwrap_or(usize::MAX);
    assert!(
        pos(1) < pos(2) && pos(1) < pos(3) && pos(2) < pos(4) && pos(3) < pos(4),
        "{order}"
    );
    let root_bead = &s.json(&["show", &root])["bead"];
    assert_eq!(
        root_bead["status"], "in_progress",
        "waiting for its merge: {root_bead}"
    );
    let peek = s.ok(&["peek", &agent, "-n", "80"]).stdout;
    assert!(peek.contains("gt mol step done d"), "{peek}");
}

#[test]
fn sling_with_a_formula_attaches_a_molecule_and_a_failed_sling_takes_it_back() {
    let s = Sandbox::with_sim_rig("gastown");
    s.town_formula("ship", SHIP);
    let bead = s.create(&["Widget", "--rig", "gastown"]);
    // Unknown formula: nothing poured, nothing hooked.
    let r = s.gt(&["sling", &bead, "gastown", "--formula", "nope"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nope"), "{}", r.stderr);
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM beads WHERE issue_type = 'molecule'"
        ),
        0
    );
    // --var without a formula is refused.
    let r = s.gt(&["sling", &bead, "gastown", "--var", "what=x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // The rig's default formula applies to polecat work.
    s.ok(&["config", "set", "sling.formula", "ship", "--rig", "gastown"]);
    let r = s.json(&["sling", &bead, "gastown", "--var", "what=widget"]);
    let root = r["slung"][0]["molecule"]
        .as_str()
        .expect("molecule")
        .to_string();
    assert_eq!(
        r["slung"][0]["bead"],
        bead.as_str(),
        "the work bead is on the hook"
    );
    wait_for(60, "the merge request", || {
        (merge_count(&s) == 1).then_some(())
    });
    let st = s.json(&["mol", "status", &root]);
    assert_eq!(st["complete"], true, "{st}");
    assert_eq!(st["molecule"]["attached_to"], bead.as_str());
    assert_eq!(s.json(&["show", &root])["bead"]["status"], "closed");

    // A sling that fails after pouring leaves no molecule behind.
    let other = s.create(&["Other", "--rig", "gastown"]);
    let r = s.gt(&[
        "sling",
        &other,
        "gastown",
        "--no-formula",
        "--formula",
        "ship",
    ]);
    assert_eq!(r.code, 2, "clap refuses the pair: {}", r.stderr);
    // No tmux on PATH: the window cannot be created, after the molecule was poured.
    let o = s
        .cmd(&s.town(), &["sling", &other, "gastown", "--var", "what=x"])
        .env("PATH", "/nonexistent")
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM beads WHERE issue_type = 'molecule'"
        ),
        1,
        "only the first molecule remains"
    );
    assert_eq!(s.json(&["show", &other])["bead"]["status"], "open");
}
