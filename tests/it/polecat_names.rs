//! Polecat names: themes and a town's or rig's own list (`polecats.names`, rig beats town), a
//! pool that never runs out (numbered names after it), bad pools refused with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use std::collections::BTreeSet;

/// Sim agents that stay busy with their bead: no polecat becomes idle (and reused) meanwhile.
fn busy_sims(s: &Sandbox) {
    s.sim_runtime("busy", "--busy 3000", &[]);
    s.ok(&["--batch", "config", "default-agent", "busy"]);
}

/// `n` new beads of `rig`, created by one `gt --batch -` process.
fn beads(s: &Sandbox, rig: &str, n: usize) -> Vec<String> {
    let script: String = (0..n)
        .map(|i| format!("bead create \"task {i}\" --rig {rig}\n"))
        .collect();
    let r = s.batch_stdin(&script);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ids: Vec<String> = r.stdout.lines().map(str::to_string).collect();
    assert_eq!(ids.len(), n, "{}", r.stdout);
    ids
}

/// Slings each bead to the rig (one process); the polecats' names, in order.
fn sling(s: &Sandbox, rig: &str, ids: &[String]) -> Vec<String> {
    let mut args: Vec<&str> = vec!["sling"];
    args.extend(ids.iter().map(String::as_str));
    args.extend([rig, "--no-convoy"]);
    let v = s.json(&args);
    v["slung"]
        .as_array()
        .expect("slung")
        .iter()
        .map(|x| {
            let a = x["agent"].as_str().expect("agent");
            a.rsplit('/').next().unwrap().to_string()
        })
        .collect()
}

fn polecats(s: &Sandbox) -> BTreeSet<String> {
    let v = s.json(&["polecat", "list"]);
    v["polecats"]
        .as_array()
        .expect("polecats")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect()
}

/// Before, the 51st polecat of a rig failed: now the names come round numbered.
#[test]
fn the_sixtieth_polecat_of_a_rig_gets_a_name() {
    let s = Sandbox::with_sim_rig("shop");
    busy_sims(&s);
    let ids = beads(&s, "shop", 60);
    let names = sling(&s, "shop", &ids);
    assert_eq!(names.len(), 60);
    let field_guide: Vec<&str> = gt::agent::names::FIELD_GUIDE.to_vec();
    assert_eq!(&names[..50], &field_guide[..], "the theme first, in order");
    assert_eq!(
        &names[50..],
        &[
            "ash2", "birch2", "cedar2", "dune2", "elm2", "fern2", "garnet2", "hazel2", "iris2",
            "jasper2"
        ],
    );
    assert_eq!(polecats(&s).len(), 60, "60 distinct polecats");
}

#[test]
fn a_rigs_own_list_beats_the_towns_theme_and_existing_polecats_keep_their_names() {
    let s = Sandbox::with_sim_rig("shop");
    busy_sims(&s);
    s.add_rig("docs");
    let first = sling(&s, "shop", &beads(&s, "shop", 1));
    assert_eq!(first, vec!["ash"], "the default theme");

    s.ok(&["--batch", "config", "set", "polecats.names", "harbor"]);
    s.ok(&[
        "--batch",
        "config",
        "set",
        "--rig",
        "shop",
        "polecats.names",
        "red,blue",
    ]);
    let rig_toml = std::fs::read_to_string(s.town().join("shop/rig.toml")).unwrap();
    assert!(
        rig_toml.contains(r#"names = ["red", "blue"]"#),
        "{rig_toml}"
    );

    let shop = sling(&s, "shop", &beads(&s, "shop", 3));
    assert_eq!(shop, vec!["red", "blue", "red2"], "the rig's own list");
    let docs = sling(&s, "docs", &beads(&s, "docs", 1));
    assert_eq!(
        docs,
        vec!["anchor"],
        "the town's theme where the rig has none"
    );
    let all = polecats(&s);
    assert!(
        all.contains("ash"),
        "the first polecat keeps its name: {all:?}"
    );
}

#[test]
fn a_bad_pool_is_refused_with_exit_2_and_nothing_written() {
    let s = Sandbox::with_sim_rig("shop");
    busy_sims(&s);
    let town_toml = std::fs::read(s.town().join("town.toml")).unwrap();
    for (value, says) in [
        ("fruit", "no theme \"fruit\""),
        ("red,Blue", "\"Blue\" is not a polecat name"),
        ("red,mayor", "reserved"),
        ("red,red", "twice"),
    ] {
        let r = s.gt(&["--batch", "config", "set", "polecats.names", value]);
        assert_eq!(r.code, 2, "{value}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{value}: {}", r.stderr);
    }
    assert_eq!(
        std::fs::read(s.town().join("town.toml")).unwrap(),
        town_toml
    );

    // A pool written by hand into rig.toml: the sling is refused before anything is done.
    let id = beads(&s, "shop", 1).remove(0);
    let rig_toml = s.town().join("shop/rig.toml");
    let mut text = std::fs::read_to_string(&rig_toml).unwrap();
    text.push_str("\n[polecats]\nnames = \"fruit\"\n");
    std::fs::write(&rig_toml, text).unwrap();
    let before = s.ledger_state();
    let r = s.gt(&["--batch", "sling", &id, "shop"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("rig.toml") && r.stderr.contains("no theme \"fruit\""),
        "{}",
        r.stderr
    );
    assert_eq!(s.ledger_state(), before, "nothing written");
    assert!(!s.town().join("shop/polecats").exists() || polecats(&s).is_empty());
}
