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

    // No such remote: said, exit 2.
    let r = s.gt_in(&a, &["--batch", "sync", "--remote", "nowhere"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no remote"), "{}", r.stderr);
}
