//! Git's merge driver for `.beads/issues.jsonl` (issue 20, begun): two clones of one
//! repository change the same and different beads, `git pull` merges them through
//! `gt merge-jsonl` — bead by bead, no conflict, nothing lost, never a conflict marker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::{Value, json};
use std::path::Path;

fn write_beads(dir: &Path, beads: &[Value]) {
    let text: String = beads.iter().map(|b| format!("{b}\n")).collect();
    std::fs::create_dir_all(dir.join(".beads")).unwrap();
    std::fs::write(dir.join(".beads/issues.jsonl"), text).unwrap();
}

fn read_beads(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join(".beads/issues.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a bead line: {l}")))
        .collect()
}

fn bead(id: &str, title: &str, at: &str) -> Value {
    json!({"id": id, "title": title, "status": "open", "priority": 2, "updated_at": at})
}

/// A clone of `bare` whose git runs gt as the beads file's merge driver.
fn clone(s: &Sandbox, bare: &Path, name: &str) -> std::path::PathBuf {
    let dir = s.path().join(name);
    git(s.path(), &["clone", "-q", bare.to_str().unwrap(), name]);
    let driver = format!("{} merge-jsonl %O %A %B", gt_bin().display());
    git(&dir, &["config", "merge.beads.driver", &driver]);
    dir
}

#[test]
fn two_clones_changes_to_the_beads_file_merge_bead_by_bead() {
    let s = Sandbox::new();
    let bare = s.path().join("remote.git");
    git(
        s.path(),
        &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
    );
    let seed = s.path().join("seed");
    git(
        s.path(),
        &["init", "-q", "-b", "main", seed.to_str().unwrap()],
    );
    std::fs::write(
        seed.join(".gitattributes"),
        ".beads/issues.jsonl merge=beads\n",
    )
    .unwrap();
    write_beads(
        &seed,
        &[
            bead("gt-1", "One", "2026-01-01T00:00:00Z"),
            bead("gt-2", "Two", "2026-01-01T00:00:00Z"),
        ],
    );
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-qm", "beads"]);
    git(&seed, &["push", "-q", bare.to_str().unwrap(), "main"]);

    let a = clone(&s, &bare, "a");
    let b = clone(&s, &bare, "b");
    // A renames gt-1 and comments on gt-2; B raises gt-1, comments on gt-2, files gt-3.
    let mut a1 = bead("gt-1", "One, renamed by A", "2026-01-02T00:00:00Z");
    a1["priority"] = json!(2);
    let mut a2 = bead("gt-2", "Two", "2026-01-02T00:00:00Z");
    a2["comments"] =
        json!([{"id": 1, "author": "a", "text": "from A", "created_at": "2026-01-02T00:00:00Z"}]);
    write_beads(&a, &[a1, a2]);
    git(&a, &["commit", "-qam", "A's changes"]);
    git(&a, &["push", "-q", "origin", "main"]);

    let mut b1 = bead("gt-1", "One", "2026-01-03T00:00:00Z");
    b1["priority"] = json!(0);
    let mut b2 = bead("gt-2", "Two", "2026-01-03T00:00:00Z");
    b2["comments"] =
        json!([{"id": 2, "author": "b", "text": "from B", "created_at": "2026-01-03T00:00:00Z"}]);
    write_beads(&b, &[b1, b2, bead("gt-3", "Three", "2026-01-03T00:00:00Z")]);
    git(&b, &["commit", "-qam", "B's changes"]);
    git(
        &b,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
    );

    let text = std::fs::read_to_string(b.join(".beads/issues.jsonl")).unwrap();
    assert!(
        !text.contains("<<<<<<<") && !text.contains(">>>>>>>"),
        "{text}"
    );
    let merged = read_beads(&b);
    let by_id = |id: &str| merged.iter().find(|x| x["id"] == id).cloned().unwrap();
    assert_eq!(
        by_id("gt-1")["title"],
        "One, renamed by A",
        "only A changed the title"
    );
    assert_eq!(by_id("gt-1")["priority"], 0, "only B changed the priority");
    let comments: Vec<String> = by_id("gt-2")["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(comments, ["from A", "from B"]);
    assert_eq!(by_id("gt-3")["title"], "Three");
    assert_eq!(merged.len(), 3);
    // The merge is committed like any other; A gets the same file back.
    git(&b, &["push", "-q", "origin", "main"]);
    git(
        &a,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
    );
    assert_eq!(read_beads(&a), merged);
}

#[test]
fn a_file_that_is_not_beads_is_a_conflict_without_markers() {
    let s = Sandbox::new();
    let dir = s.path();
    let (base, ours, theirs) = (dir.join("base"), dir.join("ours"), dir.join("theirs"));
    std::fs::write(&base, "{\"id\":\"gt-1\",\"title\":\"x\"}\n").unwrap();
    std::fs::write(&ours, "{\"id\":\"gt-1\",\"title\":\"y\"}\nnot json\n").unwrap();
    std::fs::write(&theirs, "{\"id\":\"gt-1\",\"title\":\"z\"}\n").unwrap();
    let r = s.gt_in(
        dir,
        &[
            "merge-jsonl",
            base.to_str().unwrap(),
            ours.to_str().unwrap(),
            theirs.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("ours, line 2"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&ours).unwrap(),
        "{\"id\":\"gt-1\",\"title\":\"y\"}\nnot json\n",
        "left as it was"
    );
}
