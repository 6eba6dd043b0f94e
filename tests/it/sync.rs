//! `gt sync` (issue 20, begun): two towns on this machine share their beads through one bare
//! git remote — each sees the other's beads, and concurrent edits of the same bead merge
//! field by field with nothing lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn run(s: &Sandbox, town: &Path, args: &[&str]) -> String {
    let r = s.gt_in(town, args);
    assert_eq!(r.code, 0, "gt {args:?} in {}: {}", town.display(), r.stderr);
    r.stdout.trim().to_string()
}

fn show(s: &Sandbox, town: &Path, id: &str) -> Value {
    serde_json::from_str::<Value>(&run(s, town, &["--batch", "--json", "show", id]))
        .unwrap()["bead"]
        .clone()
}

#[test]
fn two_towns_share_their_beads_and_concurrent_edits_merge() {
    let s = Sandbox::with_town();
    let a = s.town();
    let r = s.gt_in(s.path(), &["--batch", "install", "other"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b = s.path().join("other");
    let bare = s.path().join("shared.git");
    git(s.path(), &["init", "-q", "--bare", bare.to_str().unwrap()]);
    for t in [&a, &b] {
        git(t, &["remote", "add", "origin", bare.to_str().unwrap()]);
    }

    let a1 = run(&s, &a, &["--batch", "bead", "create", "From A"]);
    let shared = run(&s, &a, &["--batch", "bead", "create", "Shared work"]);
    run(&s, &a, &["--batch", "sync"]);
    let b1 = run(&s, &b, &["--batch", "bead", "create", "From B"]);
    run(&s, &b, &["--batch", "sync"]);
    run(&s, &a, &["--batch", "sync"]);
    for t in [&a, &b] {
        for (id, title) in [(&a1, "From A"), (&shared, "Shared work"), (&b1, "From B")] {
            assert_eq!(show(&s, t, id)["title"], title, "{id} in {}", t.display());
        }
    }

    // Both towns edit the same bead: A its title, B its priority and a comment.
    run(
        &s,
        &a,
        &[
            "--batch",
            "bead",
            "update",
            &shared,
            "--title",
            "Shared work, renamed in A",
        ],
    );
    run(
        &s,
        &b,
        &["--batch", "bead", "update", &shared, "--priority", "0"],
    );
    run(
        &s,
        &b,
        &["--batch", "bead", "comment", &shared, "B looked at it"],
    );
    run(&s, &a, &["--batch", "sync"]);
    run(&s, &b, &["--batch", "sync"]);
    run(&s, &a, &["--batch", "sync"]);
    let (sa, sb) = (show(&s, &a, &shared), show(&s, &b, &shared));
    for v in [&sa, &sb] {
        assert_eq!(v["title"], "Shared work, renamed in A", "{v}");
        assert_eq!(v["priority"], 0, "{v}");
        assert!(v.to_string().contains("B looked at it"), "{v}");
    }
    // One more round on each side: the towns agree on every bead, field by field.
    run(&s, &b, &["--batch", "sync"]);
    run(&s, &a, &["--batch", "sync"]);
    let texts = |v: &Value| -> Vec<String> {
        v["comments"]
            .as_array()
            .map(|c| c.iter().map(|x| x["text"].to_string()).collect())
            .unwrap_or_default()
    };
    for id in [&a1, &shared, &b1] {
        let (va, vb) = (show(&s, &a, id), show(&s, &b, id));
        for f in ["title", "priority", "status", "updated_at"] {
            assert_eq!(va[f], vb[f], "{id} {f}");
        }
        assert_eq!(texts(&va), texts(&vb), "{id} comments");
    }

    // A bead deleted in A (as a rolled-back formula deletes its steps) leaves the shared
    // file, and B is told of it — but B keeps it, and shares it again: a sync never deletes.
    let gone = run(&s, &a, &["--batch", "bead", "create", "Soon gone in A"]);
    run(&s, &a, &["--batch", "sync"]);
    run(&s, &b, &["--batch", "sync"]);
    let db = a.join(".gt/ledger.db");
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(format!(
            "DELETE FROM beads WHERE id = '{gone}'; INSERT OR REPLACE INTO export_marks (id) VALUES ('{gone}');"
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run(&s, &a, &["--batch", "sync"]);
    let human = run(&s, &b, &["--batch", "sync"]);
    assert!(
        human.contains("Deleted in another town") && human.contains(&gone),
        "{human}"
    );
    assert_eq!(show(&s, &b, &gone)["title"], "Soon gone in A", "kept in B");
    // Kept, it is shared again by B's next sync, and A has it back (never lost).
    run(&s, &b, &["--batch", "sync"]);
    run(&s, &a, &["--batch", "sync"]);
    assert_eq!(show(&s, &a, &gone)["title"], "Soon gone in A", "back in A");

    // No such remote: said, exit 2.
    let r = s.gt_in(&a, &["--batch", "sync", "--remote", "nowhere"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no remote"), "{}", r.stderr);
}

/// Towns sharing beads hook each bead in at most one town: with `sync.claims`, a sling
/// claims its bead through the sync first. Two towns slinging the same bead at once: one
/// wins, the other is refused with who holds it (nothing hooked there); a later sling of a
/// claimed bead is refused the same way; once synced, both towns agree on who holds it.
#[test]
fn a_bead_is_hooked_in_one_town_and_a_lost_race_is_said() {
    let s = Sandbox::with_sim_rig("shop");
    let a = s.town();
    let r = s.gt_in(s.path(), &["--batch", "install", "other"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b = s.path().join("other");
    let src = s.path().join("src").join("shop");
    run(
        &s,
        &b,
        &["--batch", "rig", "add", "shop", src.to_str().unwrap()],
    );
    let bare = s.path().join("shared.git");
    git(s.path(), &["init", "-q", "--bare", bare.to_str().unwrap()]);
    for t in [&a, &b] {
        git(t, &["remote", "add", "origin", bare.to_str().unwrap()]);
        run(&s, t, &["--batch", "config", "set", "sync.claims", "true"]);
        run(
            &s,
            t,
            &[
                "--batch",
                "config",
                "agent",
                "set",
                "slow",
                "{gt} agent sim --busy 3600",
                "--ready-marker",
                "sim❯",
                "--busy-marker",
                "(esc to interrupt)",
            ],
        );
        run(&s, t, &["--batch", "config", "default-agent", "slow"]);
    }
    let x = run(
        &s,
        &a,
        &["--batch", "bead", "create", "Contested", "--rig", "shop"],
    );
    let y = run(
        &s,
        &a,
        &["--batch", "bead", "create", "Later", "--rig", "shop"],
    );
    run(&s, &a, &["--batch", "sync"]);
    run(&s, &b, &["--batch", "sync"]);
    assert_eq!(show(&s, &b, &x)["title"], "Contested");

    // Both sling X at the same moment.
    let mut ca = s.cmd(&a, &["--batch", "sling", &x, "shop"]);
    let mut cb = s.cmd(&b, &["--batch", "sling", &x, "shop"]);
    let outcomes: Vec<crate::common::Run> = std::thread::scope(|sc| {
        let ha = sc.spawn(move || Run::from(ca.output().expect("gt")));
        let hb = sc.spawn(move || Run::from(cb.output().expect("gt")));
        vec![ha.join().unwrap(), hb.join().unwrap()]
    });
    let won: Vec<usize> = (0..2).filter(|i| outcomes[*i].code == 0).collect();
    assert_eq!(won.len(), 1, "exactly one town hooks it: {outcomes:?}");
    let (winner, loser) = if won[0] == 0 { (&a, &b) } else { (&b, &a) };
    let lost = &outcomes[1 - won[0]];
    assert_eq!(lost.code, 2, "{lost:?}");
    assert!(
        lost.stderr.contains("is claimed by town"),
        "{}",
        lost.stderr
    );
    let winner_name = if won[0] == 0 { "town" } else { "other" };
    assert!(lost.stderr.contains(winner_name), "{}", lost.stderr);
    assert_eq!(show(&s, winner, &x)["status"], "hooked");
    assert_ne!(
        show(&s, loser, &x)["status"],
        "hooked",
        "nothing hooked in the town that lost"
    );
    let polecats = |t: &Path| -> Value {
        serde_json::from_str(&run(&s, t, &["--batch", "--json", "polecat", "list"])).unwrap()
    };
    assert_eq!(
        polecats(loser)["count"],
        0,
        "no polecat started where it lost"
    );

    // Once synced, the losing town sees who holds it.
    run(&s, winner, &["--batch", "sync"]);
    run(&s, loser, &["--batch", "sync"]);
    let held = show(&s, loser, &x);
    assert_eq!(held["status"], "hooked", "{held}");
    assert_eq!(held["assignee"], show(&s, winner, &x)["assignee"]);

    // A later sling of a bead the other town claimed is refused the same way.
    run(&s, &a, &["--batch", "sling", &y, "shop"]);
    let r = s.gt_in(&b, &["--batch", "sling", &y, "shop"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("{y} is claimed by town town")),
        "{}",
        r.stderr
    );
    for t in [&a, &b] {
        let _ = s.gt_in(t, &["--batch", "down", "--force"]);
    }
}
