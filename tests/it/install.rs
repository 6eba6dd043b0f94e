//! `gt install`, town discovery, and the no-town error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

#[test]
fn install_creates_a_town_layout() {
    let s = Sandbox::new();
    let r = s.gt_in(s.path(), &["install", "town"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Next steps"), "{}", r.stdout);
    let t = s.town();
    for p in [
        "town.toml",
        ".gt/ledger.db",
        ".beads/issues.jsonl",
        "mayor",
        ".gitignore",
        ".git",
    ] {
        assert!(t.join(p).exists(), "{p} missing");
    }
    let ignore = std::fs::read_to_string(t.join(".gitignore")).expect("gitignore");
    assert!(ignore.lines().any(|l| l == "/.gt/"), "{ignore}");
    // .gt/ is ignored, town.toml is committed.
    let status = git(&t, &["status", "--porcelain", "--ignored"]);
    assert!(status.contains("!! .gt/"), "{status}");
    let tracked = git(&t, &["ls-files"]);
    assert!(
        tracked.contains("town.toml") && tracked.contains(".gitignore"),
        "{tracked}"
    );
    let toml = std::fs::read_to_string(t.join("town.toml")).expect("toml");
    assert!(toml.contains("name = \"town\""), "{toml}");
    assert_eq!(
        sqlite(&t.join(".gt/ledger.db"), "PRAGMA journal_mode"),
        "wal"
    );
}

#[test]
fn second_install_is_refused_and_writes_nothing() {
    let s = Sandbox::with_town();
    let before = snapshot(&s.town());
    let r = s.gt_in(s.path(), &["install", "town"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already a town"), "{}", r.stderr);
    assert_eq!(before, snapshot(&s.town()));
}

#[test]
fn install_inside_a_town_is_refused() {
    let s = Sandbox::with_town();
    let before = snapshot(&s.town());
    let r = s.gt(&["install", "mayor/inner"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("inside the town"), "{}", r.stderr);
    assert!(!s.town().join("mayor/inner").exists());
    assert_eq!(before, snapshot(&s.town()));
}

#[test]
fn force_repairs_without_losing_config() {
    let s = Sandbox::with_town();
    let t = s.town();
    s.ok(&["config", "set", "scheduler.max_polecats", "3"]);
    let id = s.create(&["Keep me"]);
    std::fs::remove_dir_all(t.join("mayor")).expect("rm mayor");
    std::fs::remove_file(t.join(".beads/issues.jsonl")).expect("rm jsonl");
    let r = s.gt_in(s.path(), &["install", "--force", "town"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Repaired"), "{}", r.stdout);
    assert!(t.join("mayor").is_dir());
    assert_eq!(
        s.ok(&["config", "get", "scheduler.max_polecats"])
            .stdout
            .trim(),
        "3"
    );
    let jsonl = std::fs::read_to_string(t.join(".beads/issues.jsonl")).expect("jsonl");
    assert!(jsonl.contains(&id), "export not rebuilt: {jsonl}");
    // Running it again on a complete town changes nothing.
    let r = s.gt_in(s.path(), &["install", "--force", "town"]);
    assert!(r.stdout.contains("nothing to repair"), "{}", r.stdout);
}

#[test]
fn commands_find_the_town_from_any_subdirectory() {
    let s = Sandbox::with_town();
    let id = s.create(&["Found"]);
    let deep = s.town().join("mayor/a/b");
    std::fs::create_dir_all(&deep).expect("mkdir");
    let r = s.gt_in(&deep, &["--batch", "--json", "show", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["bead"]["title"], "Found");
}

#[test]
fn gt_town_env_is_used_outside_a_town() {
    let s = Sandbox::with_town();
    let id = s.create(&["Via env"]);
    let outside = s.path().join("elsewhere");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let r = s
        .cmd(&outside, &["--batch", "show", &id])
        .env("GT_TOWN", s.town())
        .output()
        .expect("run");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let bad = s
        .cmd(&outside, &["--batch", "ready"])
        .env("GT_TOWN", &outside)
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("has no town.toml"));
}

#[test]
fn missing_town_is_a_clear_error() {
    let s = Sandbox::new();
    let r = s.gt_in(s.path(), &["--batch", "ready"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not inside a town"), "{}", r.stderr);
    assert!(r.stderr.contains("gt install"), "{}", r.stderr);
}
