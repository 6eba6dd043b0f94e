//! Nothing is lost: fresh clones, foreign lines in issues.jsonl, rig removal of loose work,
//! broken and half-made rigs, and commits that must not sweep up the user's staged files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;

#[test]
fn a_fresh_clone_fills_its_ledger_from_issues_jsonl() {
    let s = Sandbox::with_town();
    let a = s.create(&["Travels with the town"]);
    let b = s.create(&["Also travels", "-p", "0"]);
    s.ok(&["bead", "dep", "add", &b, &a]);
    s.flush();
    git(&s.town(), &["add", ".beads"]);
    git(&s.town(), &["commit", "-q", "-m", "beads"]);
    let clone = s.path().join("clone");
    git(
        s.path(),
        &[
            "clone",
            "-q",
            s.town().to_str().expect("utf8"),
            clone.to_str().expect("utf8"),
        ],
    );
    assert!(!clone.join(".gt/ledger.db").exists(), ".gt is not in git");
    let r = s.gt_in(&clone, &["--batch", "--json", "ready"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("imported 2 beads"),
        "the user is told: {}",
        r.stderr
    );
    assert_eq!(r.json()["beads"][0]["id"], a.as_str());
    let r = s.gt_in(&clone, &["--batch", "--json", "blocked"]);
    assert_eq!(r.json()["beads"][0]["id"], b.as_str());
    // The clone's file is unchanged by the bootstrap (same bytes as committed).
    assert_eq!(
        std::fs::read(clone.join(".beads/issues.jsonl")).expect("read"),
        std::fs::read(s.town().join(".beads/issues.jsonl")).expect("read")
    );
}

#[test]
fn a_whole_file_rewrite_never_drops_beads_only_the_file_has() {
    let s = Sandbox::with_town();
    s.create(&["Mine"]);
    s.flush();
    let jsonl = s.town().join(".beads/issues.jsonl");
    // A teammate's bead arrives by `git pull`, and the file is no longer in our sort order.
    let foreign = r#"{"id":"aa-0001","title":"Theirs","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    let mut text = std::fs::read_to_string(&jsonl).expect("read");
    text.push_str(foreign);
    text.push('\n');
    std::fs::write(&jsonl, &text).expect("write");
    let r = s.gt(&["--batch", "bead", "create", "Another of mine"]);
    assert_eq!(r.code, 0, "the ledger change itself succeeds: {}", r.stderr);
    // The file is refused, and said: by a flush, and by the next write (the follower that
    // met it in the background has no terminal).
    let r = s.gt(&["--batch", "bead", "flush"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("aa-0001") && r.stderr.contains("gt bead import"),
        "{}",
        r.stderr
    );
    let r = s.gt(&["--batch", "bead", "create", "Third of mine"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("aa-0001") && r.stderr.contains("not being updated"),
        "{}",
        r.stderr
    );
    assert!(
        std::fs::read_to_string(&jsonl)
            .expect("read")
            .contains("aa-0001"),
        "foreign bead kept"
    );
    // Importing the file brings the bead in; the next change exports everything.
    s.ok(&["bead", "import", jsonl.to_str().expect("utf8")]);
    let id = s.create(&["After import"]);
    let text = s.jsonl();
    assert!(text.contains("aa-0001") && text.contains(&id), "{text}");
    assert_eq!(s.sql("SELECT count(*) FROM export_marks"), "0");
    let r = s.gt(&["--batch", "bead", "create", "All good again"]);
    assert!(!r.stderr.contains("not being updated"), "{}", r.stderr);
}

#[test]
fn rig_remove_refuses_detached_head_commits_and_stashes() {
    let s = Sandbox::with_town();
    s.add_rig("proj");
    let refinery = s.town().join("proj/refinery");
    git(&refinery, &["checkout", "-q", "--detach"]);
    std::fs::write(refinery.join("detached.txt"), "x").expect("write");
    git(&refinery, &["add", "."]);
    git(&refinery, &["commit", "-q", "-m", "on a detached head"]);
    let r = s.gt(&["rig", "remove", "proj"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("detached HEAD"), "{}", r.stderr);
    git(&refinery, &["checkout", "-q", "main"]);

    std::fs::write(refinery.join("README.md"), "changed").expect("write");
    git(&refinery, &["stash", "-q"]);
    let r = s.gt(&["rig", "remove", "proj"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("stash"), "{}", r.stderr);
    assert!(s.town().join("proj").exists());
}

#[test]
fn broken_and_half_made_rigs_can_be_seen_and_removed() {
    let s = Sandbox::with_town();
    s.add_rig("web");
    std::fs::remove_file(s.town().join("web/refinery/.git")).expect("rm .git link");
    let show = s.json(&["rig", "show", "web"]);
    assert!(show["rig"]["worktrees"][0]["error"].is_string(), "{show}");
    let r = s.gt(&["rig", "remove", "web"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be read"), "{}", r.stderr);
    s.ok(&["rig", "remove", "web", "--force"]);
    assert!(!s.town().join("web").exists());

    // What an interrupted `rig add` leaves: a directory without rig.toml.
    std::fs::create_dir_all(s.town().join("half/.repo.git")).expect("mkdir");
    let src = s.source_repo("half");
    let r = s.gt(&["rig", "add", "half", src.to_str().expect("utf8")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("rig remove --force half"), "{}", r.stderr);
    assert_eq!(s.gt(&["rig", "remove", "half"]).code, 2);
    s.ok(&["rig", "remove", "half", "--force"]);
    s.ok(&["rig", "add", "half", src.to_str().expect("utf8")]);

    // A rig.toml that does not parse does not stop the other rigs.
    s.add_rig("good");
    std::fs::write(s.town().join("half/rig.toml"), "this is [not toml").expect("write");
    let r = s.gt(&["--batch", "--json", "rig", "list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["rigs"][0]["name"], "good");
    assert!(r.stderr.contains("broken rig"), "{}", r.stderr);
    s.ok(&["bead", "create", "still works", "--rig", "good"]);
}

#[test]
fn gt_commits_only_its_own_files() {
    let s = Sandbox::new();
    let dir = s.path().join("town");
    std::fs::create_dir_all(&dir).expect("mkdir");
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("notes.txt"), "mine, staged").expect("write");
    git(&dir, &["add", "notes.txt"]);
    // A non-empty directory needs --force to become a town.
    let r = s.gt_in(s.path(), &["install", "town"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
    let r = s.gt_in(s.path(), &["install", "--force", "town"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let committed = git(&dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(committed.contains("town.toml"), "{committed}");
    assert!(
        !committed.contains("notes.txt"),
        "the user's staged file was committed: {committed}"
    );
    let staged = git(&dir, &["diff", "--cached", "--name-only"]);
    assert_eq!(staged.trim(), "notes.txt", "still staged for the user");
    // rig add commits rig.toml alone, too.
    s.add_rig("r1");
    let committed = git(&dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(committed.trim(), "r1/rig.toml");
    // …and rig remove commits its removal.
    s.ok(&["rig", "remove", "r1"]);
    let status = git(&dir, &["status", "--porcelain"]);
    assert!(!status.contains("rig.toml"), "{status}");
}

#[test]
fn a_town_cannot_be_installed_around_another() {
    let s = Sandbox::with_town();
    let r = s.gt_in(s.path(), &["install", "--force", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("contains the town"), "{}", r.stderr);
    assert!(!s.path().join("town.toml").exists());
}

#[test]
fn dangerous_or_secret_sources_are_refused() {
    let s = Sandbox::with_town();
    for (src, msg) in [
        ("--upload-pack=touch x", "starts with '-'"),
        ("https://me:hunter2@example.com/repo.git", "password"),
    ] {
        let r = s.gt(&["rig", "add", "x", "--", src]);
        assert_eq!(r.code, 2, "{src}");
        assert!(r.stderr.contains(msg), "{src}: {}", r.stderr);
    }
    assert!(!s.town().join("x").exists());
    assert!(!s.town().join("x").exists() && !s.town().join("touch").exists());
}
