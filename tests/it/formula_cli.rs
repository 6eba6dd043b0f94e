//! `gt formula list|show|run` through the binary, and a convoy formula run by sim polecats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;

#[test]
fn list_and_show_find_built_ins_town_files_and_broken_ones() {
    let s = Sandbox::with_town();
    s.add_rig("gastown");
    let list = s.json(&["formula", "list"]);
    let names: Vec<&str> = list["formulas"]
        .as_array()
        .expect("formulas")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for built_in in [
        "polecat-work",
        "review",
        "release",
        "tdd",
        "parallel-review",
    ] {
        assert!(names.contains(&built_in), "{built_in} in {names:?}");
    }

    // A town file of the same name shadows the built-in; a broken file is listed with its error.
    s.town_formula(
        "review",
        "formula = \"review\"\n[[steps]]\nid = \"look\"\ntitle = \"Look\"\n",
    );
    s.town_formula("broken", "formula = \"broken\"\n[[steps]\nid = 1\n");
    let list = s.json(&["formula", "list"]);
    let find = |n: &str| {
        list["formulas"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["name"] == n).cloned())
            .unwrap_or(Value::Null)
    };
    let review = find("review");
    assert!(review["origin"].to_string().contains("town"), "{review}");
    assert_eq!(
        review["shadows"].as_array().map(Vec::len),
        Some(1),
        "{review}"
    );
    assert!(
        find("broken")["error"]
            .as_str()
            .is_some_and(|e| e.contains("broken.formula.toml:2:")),
        "{list}"
    );
    let human = s.ok(&["formula", "list"]).stdout;
    assert!(
        human.contains("broken") && human.contains("error"),
        "{human}"
    );

    let r = s.gt(&["formula", "show", "broken"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("broken.formula.toml:2:"),
        "file and line: {}",
        r.stderr
    );
    let r = s.gt(&["formula", "show", "no-such-formula"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("gt formula list"), "{}", r.stderr);

    let shown = s.json(&["formula", "show", "polecat-work", "--resolved"]);
    let steps = shown["formula"]["steps"].as_array().expect("steps");
    assert!(steps.len() >= 6, "{shown}");
    assert_eq!(
        shown["waves"].as_array().map(Vec::len),
        Some(steps.len()),
        "a chain"
    );
    let text = s
        .ok(&["formula", "show", "parallel-review", "--resolved"])
        .stdout;
    assert!(
        text.contains("(in parallel)") && text.contains("presets:"),
        "{text}"
    );
}

#[test]
fn the_upstream_hanoi_formula_shows_as_one_129_step_chain() {
    let Some(compat) = compat_dir() else {
        eprintln!("SKIP: ../shared/compat not found; cannot read the upstream formulas");
        return;
    };
    let s = Sandbox::with_town();
    let text = std::fs::read_to_string(compat.join("formulas/towers-of-hanoi-7.formula.toml"))
        .expect("read");
    s.town_formula("towers-of-hanoi-7", &text);
    let shown = s.json(&["formula", "show", "towers-of-hanoi-7", "--resolved"]);
    assert_eq!(shown["step_count"], 129);
    let waves = shown["waves"].as_array().expect("waves");
    assert_eq!(waves.len(), 129);
    assert!(waves.iter().all(|w| w.as_array().map(Vec::len) == Some(1)));
    // And it pours: 130 beads in one go, the first move ready after setup.
    let p = s.json(&["mol", "pour", "towers-of-hanoi-7"]);
    let root = p["poured"]["root"].as_str().expect("root").to_string();
    let st = s.json(&["mol", "status", &root]);
    assert_eq!(st["total"], 129);
    assert_eq!(st["ready"], serde_json::json!(["setup"]));
}

#[test]
fn a_convoy_formula_runs_one_polecat_per_leg_then_the_synthesis() {
    let s = Sandbox::with_sim_rig("gastown");
    s.town_formula(
        "duo",
        r#"
formula = "duo"
type = "convoy"
description = "Two looks at {{target}}"

[inputs.target]
description = "what to look at"
required = true

[[legs]]
id = "left"
title = "Left look at {{target}}"

[[legs]]
id = "right"
title = "Right look at {{target}}"

[synthesis]
title = "Combine the looks at {{target}}"
"#,
    );
    let r = s.gt(&["formula", "run", "duo", "--rig", "gastown"]);
    assert_eq!(r.code, 2, "a required input: {}", r.stderr);
    assert!(r.stderr.contains("target"), "{}", r.stderr);
    let r = s.gt(&["sling", "duo", "gastown", "--var", "target=x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("gt formula run duo --rig gastown"),
        "{}",
        r.stderr
    );

    let run = s.json(&[
        "formula",
        "run",
        "duo",
        "--rig",
        "gastown",
        "--var",
        "target=the parser",
    ]);
    let legs = run["run"]["legs"].as_array().expect("legs");
    assert_eq!(legs.len(), 2, "{run}");
    let agents: Vec<&str> = legs.iter().filter_map(|l| l["agent"].as_str()).collect();
    assert_eq!(agents.len(), 2, "each leg slung: {run}");
    assert_ne!(agents[0], agents[1], "one polecat per leg");
    let synthesis = run["run"]["synthesis"]
        .as_str()
        .expect("synthesis")
        .to_string();
    let convoy = run["run"]["convoy"].as_str().expect("convoy").to_string();
    let c = s.json(&["convoy", "show", &convoy]);
    assert_eq!(c["convoy"]["total"], 3, "{c}");
    let syn = &s.json(&["show", &synthesis])["bead"];
    assert_eq!(syn["title"], "duo: Combine the looks at the parser");

    // The legs' `gt done` sling the synthesis; it is worked and done too.
    wait_for(
        90,
        "three merge requests (two legs and the synthesis)",
        || {
            let n: usize = s
                .sql("SELECT count(*) FROM beads WHERE issue_type = 'merge-request'")
                .parse()
                .unwrap_or(0);
            (n == 3).then_some(())
        },
    );
    let syn = &s.json(&["show", &synthesis])["bead"];
    assert_eq!(syn["status"], "in_progress", "{syn}");
    let by = s.sql(&format!(
        "SELECT count(*) FROM events WHERE issue_id = '{synthesis}' AND event_type = 'hooked'"
    ));
    assert_eq!(by, "1", "slung exactly once");
}

#[test]
fn outside_a_town_the_built_in_and_user_formulas_can_be_read() {
    let s = Sandbox::new();
    let user = s.path().join("xdg/gt/formulas");
    std::fs::create_dir_all(&user).expect("mkdir");
    std::fs::write(
        user.join("mine.formula.toml"),
        "formula = \"mine\"\n[[steps]]\nid = \"one\"\ntitle = \"One\"\n",
    )
    .expect("write");
    let run = |args: &[&str]| {
        s.cmd(s.path(), args)
            .env("XDG_CONFIG_HOME", s.path().join("xdg"))
            .output()
            .expect("run")
    };
    let o = run(&["--json", "formula", "list"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("\"polecat-work\"") && text.contains("\"mine\""),
        "{text}"
    );
    let o = run(&["formula", "show", "mine", "--resolved"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["formula", "run", "mine", "--rig", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not inside a town"));
}
