//! No input makes gt panic: property tests over the parsers that read what users, files and
//! other tools give it — the JSONL importer, formulas, keymaps, themes, settings, durations —
//! and the inert seam's promise that its output holds no control character.
//! (`fuzz/` has a cargo-fuzz target for the importer; these run in every `cargo test`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gt::formula::Library;
use gt::ledger::{Ledger, LedgerError};
use gt::tui::keymap::Keymap;
use gt::tui::theme::Theme;
use proptest::prelude::*;
use std::time::Duration;

/// Text with a good share of the characters parsers trip on.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[\\[\\]{}=\"'#\\\\\n\t \u{0}\u{1b}a-z0-9.:,_-]{0,200}",
        "[0-9eE.+-]{0,40}[smhd]?",
    ]
}

/// JSON values of every shape, for issue lines.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        nasty_text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id".to_string()),
        Just("title".to_string()),
        Just("status".to_string()),
        Just("priority".to_string()),
        Just("issue_type".to_string()),
        Just("created_at".to_string()),
        Just("updated_at".to_string()),
        Just("closed_at".to_string()),
        Just("labels".to_string()),
        Just("dependencies".to_string()),
        Just("comments".to_string()),
        Just("depends_on_id".to_string()),
        Just("metadata".to_string()),
        "[a-z_]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn an_issue_line_of_any_shape_is_parsed_or_refused(v in json_value()) {
        if let serde_json::Value::Object(obj) = v {
            let _ = gt::ledger::jsonl::parse_issue(obj);
        }
    }

    #[test]
    fn durations_parse_or_are_refused(s in nasty_text()) {
        if let Ok(d) = gt::work::mail::escalation::parse_duration(&s) {
            prop_assert!(d <= Duration::from_secs(100 * 366 * 86_400));
        }
    }

    #[test]
    fn keymaps_themes_and_colours_parse_or_warn(s in nasty_text()) {
        let _ = Keymap::parse(&s, "prop");
        let _ = Theme::parse(&s, "prop");
        let _ = gt::tui::theme::parse_color(&s);
        let _ = gt::tui::keymap::parse_chord(&s);
    }

    #[test]
    fn formulas_resolve_or_are_refused(s in nasty_text()) {
        let lib = Library::from_dirs(Vec::new(), false);
        let _ = lib.resolve_text(&s, "prop.formula.toml");
        let toml = format!("formula = \"p\"\n[[steps]]\nid = \"a\"\ntitle = {s:?}\nneeds = [{s:?}]\n");
        let _ = lib.resolve_text(&toml, "prop.formula.toml");
    }

    #[test]
    fn every_setting_takes_any_text_or_refuses_it(s in nasty_text()) {
        for setting in gt::town::settings::SETTINGS {
            let _ = gt::town::settings::parse_value(setting, &s);
        }
    }

    #[test]
    fn inert_text_holds_no_control_character(s in ".*") {
        let shown = gt::inert::for_terminal(&s);
        prop_assert!(!shown.chars().any(|c| c != '\n' && c != '\t' && c.is_control()), "{shown:?}");
        let rt = gt::agent::runtime::presets()["claude"].clone();
        if let Ok(typed) = gt::inert::for_agent(&rt, &s) {
            prop_assert!(!typed.chars().any(|c| c != '\n' && c != '\t' && c.is_control()), "{typed:?}");
            prop_assert!(!typed.trim_start().starts_with('/') && !typed.starts_with('!'), "{typed:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A whole file through the importer (as `gt bead import` reads it): imported, or refused
    /// with nothing written; never a panic.
    #[test]
    fn any_file_is_imported_or_refused(lines in prop::collection::vec(json_value(), 0..6), raw in nasty_text()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("issues.jsonl");
        let mut text = String::new();
        for l in &lines {
            text.push_str(&l.to_string());
            text.push('\n');
        }
        text.push_str(&raw);
        std::fs::write(&file, text).expect("write");
        let mut ledger = Ledger::open(&dir.path().join("ledger.db"), Duration::from_secs(5)).expect("ledger");
        let _ = gt::ledger::import::import(&mut ledger, "prop", &file, |_, _| -> Result<(), LedgerError> { Ok(()) });
    }
}
