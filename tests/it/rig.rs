//! `gt rig add|list|show|remove`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

#[test]
fn add_clones_bare_and_creates_the_refinery_worktree() {
    let s = Sandbox::with_town();
    let src = s.source_repo("gastown");
    let r = s.ok(&["rig", "add", "gastown", src.to_str().expect("utf8")]);
    assert!(r.stdout.contains("prefix gt"), "{}", r.stdout);
    let rig = s.town().join("gastown");
    assert_eq!(
        git(
            &rig.join(".repo.git"),
            &["rev-parse", "--is-bare-repository"]
        )
        .trim(),
        "true"
    );
    assert_eq!(
        git(
            &rig.join("refinery"),
            &["rev-parse", "--abbrev-ref", "HEAD"]
        )
        .trim(),
        "main"
    );
    assert!(rig.join("refinery/README.md").is_file());
    assert!(rig.join("polecats").is_dir() && rig.join("crew").is_dir());
    let toml = std::fs::read_to_string(rig.join("rig.toml")).expect("rig.toml");
    assert!(
        toml.contains("prefix = \"gt\"") && toml.contains("default_branch = \"main\""),
        "{toml}"
    );
    // The worktree is registered in the bare repo.
    let wts = git(&rig.join(".repo.git"), &["worktree", "list"]);
    assert!(wts.contains("refinery"), "{wts}");

    let list = s.json(&["rig", "list"]);
    assert_eq!(list["rigs"][0]["name"], "gastown");
    assert_eq!(list["rigs"][0]["prefix"], "gt");
    let show = s.json(&["rig", "show", "gastown"]);
    assert_eq!(show["rig"]["worktrees"][0]["name"], "refinery");
    assert_eq!(show["rig"]["worktrees"][0]["dirty_files"], 0);
}

#[test]
fn prefixes_derive_and_never_collide() {
    let s = Sandbox::with_town();
    s.add_rig("my_app");
    s.add_rig("api");
    let src = s.source_repo("mango_pie");
    s.ok(&["rig", "add", "mango_pie", src.to_str().expect("utf8")]);
    let list = s.json(&["rig", "list"]);
    let prefixes: Vec<(String, String)> = list["rigs"]
        .as_array()
        .expect("rigs")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or("").into(),
                r["prefix"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(
        prefixes.contains(&("my_app".into(), "ma".into())),
        "{prefixes:?}"
    );
    assert!(
        prefixes.contains(&("api".into(), "api".into())),
        "{prefixes:?}"
    );
    // mango_pie would derive "mp"… which is free; make a clash explicit instead:
    let src2 = s.source_repo("other");
    let r = s.gt(&[
        "rig",
        "add",
        "other",
        src2.to_str().expect("utf8"),
        "--prefix",
        "ma",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("already used by rig \"my_app\""),
        "{}",
        r.stderr
    );
    assert!(!s.town().join("other").exists());
    // A derived prefix that is taken falls through to the next candidate.
    let src3 = s.source_repo("my_apple");
    s.ok(&["rig", "add", "my_apple", src3.to_str().expect("utf8")]);
    let p = s.json(&["rig", "show", "my_apple"])["rig"]["prefix"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_ne!(p, "ma");
    assert!(!p.is_empty());
    let r = s.gt(&[
        "rig",
        "add",
        "x",
        src3.to_str().expect("utf8"),
        "--prefix",
        "hq",
    ]);
    assert_eq!(r.code, 2, "hq must be reserved");
}

#[test]
fn bad_rig_names_are_refused_with_the_rule() {
    let s = Sandbox::with_town();
    let src = s.source_repo("ok");
    let before = snapshot(&s.town());
    for bad in ["../escape", "a/b", "has-dash", "mayor", "hq", "dot.ted", ""] {
        let r = s.gt(&["rig", "add", bad, src.to_str().expect("utf8")]);
        assert_eq!(r.code, 2, "{bad:?} accepted");
        assert!(
            r.stderr.contains("letters, digits and '_'"),
            "{bad:?}: {}",
            r.stderr
        );
    }
    assert_eq!(before, snapshot(&s.town()));
}

#[test]
fn bad_sources_are_refused_and_leave_nothing() {
    let s = Sandbox::with_town();
    let r = s.gt(&["rig", "add", "ghost", "/no/such/repo"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no such repository"), "{}", r.stderr);
    let plain = s.path().join("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let r = s.gt(&["rig", "add", "plain", plain.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a git repository"), "{}", r.stderr);
    let src = s.source_repo("branchy");
    let r = s.gt(&[
        "rig",
        "add",
        "branchy",
        src.to_str().expect("utf8"),
        "--branch",
        "nope",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no branch \"nope\""), "{}", r.stderr);
    assert!(
        !s.town().join("branchy").exists(),
        "failed add left a directory"
    );
    // A second rig with an existing name is refused.
    s.add_rig("dup");
    let r = s.gt(&["rig", "add", "dup", src.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
}

#[test]
fn remove_refuses_dirty_or_unpushed_work_unless_forced() {
    let s = Sandbox::with_town();
    s.add_rig("proj");
    let refinery = s.town().join("proj/refinery");
    std::fs::write(refinery.join("wip.txt"), "work in progress").expect("write");
    let r = s.gt(&["rig", "remove", "proj"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("uncommitted"), "{}", r.stderr);
    assert!(refinery.join("wip.txt").exists());

    // Committed but not pushed anywhere is also work that would be lost.
    git(&refinery, &["add", "."]);
    git(&refinery, &["commit", "-q", "-m", "local only"]);
    let r = s.gt(&["rig", "remove", "proj"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not on the remote"), "{}", r.stderr);

    let id = s.create(&["Rig bead", "--rig", "proj"]);
    let r = s.ok(&["rig", "remove", "proj", "--force"]);
    assert!(r.stdout.contains("discarded"), "{}", r.stdout);
    assert!(!s.town().join("proj").exists());
    // Its beads are kept.
    assert_eq!(s.json(&["show", &id])["bead"]["title"], "Rig bead");
}

#[test]
fn remove_of_a_clean_rig_succeeds() {
    let s = Sandbox::with_town();
    s.add_rig("clean");
    s.ok(&["rig", "remove", "clean"]);
    assert!(!s.town().join("clean").exists());
    let r = s.gt(&["rig", "show", "clean"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no rig named \"clean\""), "{}", r.stderr);
}
