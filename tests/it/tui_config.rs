//! `gt config dump keymap|theme`: the built-in files, ready to become the user's own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use gt::tui::keymap::Keymap;
use gt::tui::theme::Theme;

#[test]
fn dump_prints_files_that_load_back_to_the_builtins() {
    let s = Sandbox::with_town();
    let r = s.ok(&["config", "dump", "keymap"]);
    let (km, warnings) = Keymap::parse(&r.stdout, "dump");
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(km, Keymap::default());
    for name in ["dark", "light", "high-contrast"] {
        let r = s.ok(&["config", "dump", "theme", "--name", name]);
        let (theme, warnings) = Theme::parse(&r.stdout, "dump");
        assert!(warnings.is_empty(), "{name}: {warnings:#?}");
        assert_eq!(Some(theme), Theme::named(name));
    }
    let r = s.ok(&["config", "dump", "theme"]);
    assert_eq!(Theme::parse(&r.stdout, "dump").0.name(), "dark");
    let v = s.json(&["config", "dump", "keymap"]);
    assert_eq!(v["kind"], "keymap");
    assert_eq!(
        v["text"].as_str().map(|t| Keymap::parse(t, "json").0),
        Some(Keymap::default())
    );
}

#[test]
fn dump_out_writes_a_user_file_and_refuses_to_overwrite() {
    let s = Sandbox::with_town();
    let dir = s.path().join("home/.config/gt");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("theme.toml");
    let path = file.to_str().expect("utf8");
    let r = s.ok(&["config", "dump", "theme", "--name", "light", "--out", path]);
    assert!(r.stdout.contains("theme.toml"), "{}", r.stdout);
    // As the user's theme.toml it loads without complaint.
    let (theme, warnings) = Theme::load("dark", Some(&dir));
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(Some(theme), Theme::named("light"));

    std::fs::write(&file, "# mine\n").expect("write");
    let r = s.gt(&["config", "dump", "theme", "--out", path]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("already exists") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "# mine\n");
    s.ok(&["config", "dump", "theme", "--out", path, "--force"]);
    assert_eq!(Theme::load("light", Some(&dir)).0, Theme::default());

    let kfile = dir.join("keymap.toml");
    s.ok(&[
        "config",
        "dump",
        "keymap",
        "--out",
        kfile.to_str().expect("utf8"),
    ]);
    assert_eq!(Keymap::load(Some(&dir)), (Keymap::default(), vec![]));
}

#[test]
fn dump_names_the_valid_choices_for_a_bad_kind_or_name() {
    let s = Sandbox::with_town();
    for (args, want) in [
        (vec!["config", "dump", "colours"], "keymap or theme"),
        (
            vec!["config", "dump", "theme", "--name", "solarized"],
            "dark, light, high-contrast",
        ),
        (
            vec!["config", "dump", "keymap", "--name", "emacs"],
            "\"default\"",
        ),
    ] {
        let r = s.gt(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}
