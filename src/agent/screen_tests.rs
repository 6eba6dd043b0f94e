use super::*;
use crate::agent::runtime::presets;

fn sim() -> Runtime {
    presets()["sim"].clone()
}

#[test]
fn reads_idle_typed_and_busy_screens() {
    let rt = sim();
    let idle = read(&rt, "banner\n\nsim❯ \n\n\n");
    assert!(idle.idle_empty(), "{idle:?}");
    let typed = read(&rt, "banner\nsim❯ hello there\n");
    assert_eq!(typed.input.as_deref(), Some("hello there"));
    let busy = read(&rt, "› do it\n⠿ working on gt-1 (esc to interrupt)\n");
    assert!(busy.busy && !busy.at_prompt);
    let starting = read(&rt, "gt sim starting…\n");
    assert!(!starting.at_prompt && starting.input.is_none());
}

#[test]
fn a_marker_inside_other_output_is_no_prompt() {
    let rt = presets()["codex"].clone();
    let s = read(&rt, "• Ran ls\n  └ a › b\n");
    assert!(!s.at_prompt && s.input.is_none(), "{s:?}");
}

#[test]
fn claude_reads_its_no_break_space_prompt_and_its_spinner() {
    let rt = presets()["claude"].clone();
    let rule = "─".repeat(80);
    let idle = format!(
        "❯ hi\n\n● ECHO: hi\n\n✻ Baked for 0s · done 4:48 PM\n{rule}\n❯\u{a0}\n{rule}\n  ⏵⏵ bypass permissions on (shift+tab to cycle)\n"
    );
    let s = read(&rt, &idle);
    assert!(s.idle_empty(), "{s:?}");
    // The footer drops `esc to interrupt` while the input holds text: the spinner line
    // still says it works.
    let typing = format!(
        "❯ STALL\n\n· Swooping…\n  ⎿  Tip: x\n\n{rule}\n❯\u{a0}typed while busy\n{rule}\n  ⏵⏵ bypass permissions on (shift+tab to cycle)\n"
    );
    let s = read(&rt, &typing);
    assert!(s.busy && !s.at_prompt, "{s:?}");
    assert_eq!(s.input.as_deref(), Some("typed while busy"));
    // A queued message: the input shows a placeholder, which is no typed text.
    let queued = format!(
        "❯ typed while busy\n  ⎿  Queued · ctrl+x ctrl+s to send now\n\n✢ Swooping… (17s)\n{rule}\n❯\u{a0}Press up to edit queued messages\n{rule}\n  ⏵⏵ bypass permissions on (shift+tab to cycle) · esc to interrupt\n"
    );
    let s = read(&rt, &queued);
    assert!(
        s.busy && s.queued && s.input.as_deref() == Some(""),
        "{s:?}"
    );
}

#[test]
fn opencode_finds_its_input_by_the_box_edge() {
    let rt = presets()["opencode"].clone();
    let edge = format!("  ╹{}", "▀".repeat(60));
    let idle = format!(
        "  ┃\n  ┃  hello\n  ┃\n     ECHO: hello\n     ▣  Build · Stub Model · 7.7s\n\n  ┃\n  ┃\n  ┃\n  ┃  Build · Stub Model Stub\n{edge}\n   /w   1.3K  ctrl+p commands\n"
    );
    assert!(read(&rt, &idle).idle_empty());
    let typed = idle.replace(
        "  ┃\n  ┃\n  ┃\n  ┃  Build",
        "  ┃\n  ┃  fix it\n  ┃\n  ┃  Build",
    );
    assert_eq!(read(&rt, &typed).input.as_deref(), Some("fix it"));
    let busy = idle.replace("   /w   1.3K", "   ⬝⬝■■⬝⬝⬝⬝  esc interrupt");
    let s = read(&rt, &busy);
    assert!(s.busy && !s.at_prompt, "{s:?}");
}

#[test]
fn a_dialog_is_recognised_by_all_its_texts() {
    let rt = presets()["claude"].clone();
    let trust = " Accessing workspace:\n\n /w\n\n ❯ No, exit\n   Yes, I trust this folder\n\n Enter to confirm · Esc to cancel\n";
    let s = read(&rt, trust);
    assert_eq!(
        s.dialog.map(|i| rt.dialogs[i].name.as_str()),
        Some("trust this folder")
    );
    assert!(!s.at_prompt);
}

#[test]
fn the_dialog_drawn_last_counts_and_one_above_the_prompt_is_a_leftover() {
    let rt = presets()["gemini"].clone();
    let trust = " │ Do you trust the files in this folder?\n │ ● 1. Trust folder (repo)\n │   3. Don't trust\n Gemini CLI is restarting to apply the trust changes...\n";
    let auth = "│ ? Get started\n│   How would you like to authenticate for this project?\n│   ● 2. Use Gemini API Key\n│   Existing API key detected (GEMINI_API_KEY). Select \"Gemini API Key\" option to use it.\n";
    let s = read(&rt, &format!("{trust}{auth}"));
    assert_eq!(
        s.dialog.map(|i| rt.dialogs[i].name.as_str()),
        Some("authentication method")
    );
    let idle = format!(
        "{trust}{auth}\n ? for shortcuts\n────\n *   Type your message or @path/to/file\n────\n"
    );
    let s = read(&rt, &idle);
    assert!(s.idle_empty(), "{s:?}");
}

#[test]
fn the_fingerprint_ignores_spinners_timers_and_the_busy_line() {
    let rt = presets()["claude"].clone();
    let a =
        "❯ STALL\n\n✢ Swooping… (3s · ↓ 4 tokens)\n  ⎿  Tip: x\n  ⏵⏵ bypass · esc to interrupt\n";
    let b =
        "❯ STALL\n\n✽ Swooping… (17s · ↓ 42 tokens)\n  ⎿  Tip: x\n  ⏵⏵ bypass · esc to interrupt\n";
    assert_eq!(fingerprint(&rt, a), fingerprint(&rt, b));
    let c = "❯ STALL\n\n● Here is the answer\n  ⏵⏵ bypass · esc to interrupt\n";
    assert_ne!(fingerprint(&rt, a), fingerprint(&rt, c));
    // The same screen read with more history above it is the same screen.
    let history: String = (0..50).map(|i| format!("old line {i}\n")).collect();
    let screen: String = (0..20).map(|i| format!("line {i}\n")).collect();
    assert_eq!(
        fingerprint(&rt, &format!("{history}{screen}")),
        fingerprint(&rt, &screen)
    );
}

/// What a fixture's file name says the classifier must read in it.
fn expect(rt: &Runtime, name: &str, s: &Screen) -> Result<(), String> {
    let ok = |c: bool, what: &str| if c { Ok(()) } else { Err(what.to_string()) };
    match name {
        "idle" | "idle_fresh" => ok(s.idle_empty(), "idle with an empty input"),
        "typed" => ok(
            s.at_prompt && s.input.as_deref() == Some("fix the tests, then run gt done"),
            "at its prompt holding the typed text",
        ),
        "pasted_6_lines" | "pasted_3000" => ok(
            s.at_prompt && s.input.as_deref().is_some_and(|i| !i.is_empty()),
            "at its prompt holding the paste",
        ),
        "busy" | "busy_typed" | "busy_pasted" => ok(s.busy && !s.at_prompt, "busy"),
        "queued" => ok(
            s.busy && !s.at_prompt && s.queued,
            "busy with a queued message",
        ),
        "starting" | "exited" => ok(!s.idle_empty(), "not idle with an empty input"),
        "shell_mode" => ok(
            s.shell_mode && !s.at_prompt,
            "in shell mode, no prompt for messages",
        ),
        n if n.starts_with("dialog_") => ok(
            s.dialog.is_some() && !s.at_prompt,
            &format!(
                "a dialog (known: {:?})",
                rt.dialogs.iter().map(|d| &d.name).collect::<Vec<_>>()
            ),
        ),
        "rate_limited" | "rate_limited_error" | "overloaded" => ok(
            s.rate_limit.is_some(),
            "refused by its service (a rate limit or an overload)",
        ),
        other => Err(format!("no expectation for a fixture named {other}")),
    }
}

/// Every verified preset is read right on the real screens recorded from its CLI
/// (tests/fixtures/screens/<runtime>/<state>.txt).
#[test]
fn every_verified_preset_reads_its_recorded_screens() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/screens");
    let mut failures = Vec::new();
    let mut seen = 0;
    for (name, rt) in presets() {
        if rt.verified.is_none() {
            continue;
        }
        let dir = root.join(&name);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: a verified preset needs its recorded screens",
                dir.display()
            )
        });
        let mut states = Vec::new();
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) != Some("txt") {
                continue;
            }
            let state = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let s = read(&rt, &text);
            seen += 1;
            if let Err(want) = expect(&rt, &state, &s) {
                failures.push(format!("{name}/{state}: want {want}, read {s:?}"));
            }
            let refused = matches!(
                state.as_str(),
                "rate_limited" | "rate_limited_error" | "overloaded"
            );
            if !refused && s.rate_limit.is_some() {
                failures.push(format!("{name}/{state}: read as rate-limited: {s:?}"));
            }
            states.push(state);
        }
        for needed in ["idle", "typed", "busy", "busy_typed"] {
            if !states.iter().any(|s| s == needed) {
                failures.push(format!("{name}: no recorded {needed} screen"));
            }
        }
    }
    assert!(seen > 0, "no recorded screens under {}", root.display());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The unverified presets whose CLIs stop at a login we cannot pass say so: their recorded
/// first screens read as a dialog only a person answers (gt config agent check names it).
#[test]
fn unverified_presets_name_their_login_screens() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/screens");
    for name in ["amp", "auggie"] {
        let rt = presets()[name].clone();
        assert!(rt.verified.is_none(), "{name}");
        let text = std::fs::read_to_string(root.join(name).join("dialog_login.txt"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = read(&rt, &text);
        let d = s.dialog.map(|i| &rt.dialogs[i]).expect("a dialog");
        assert_eq!(
            d.answer,
            crate::agent::runtime::DialogAnswer::Person,
            "{name}"
        );
        assert!(!s.at_prompt, "{name}");
    }
}

/// Claude Code's refusals read with their words and when it tries again, or when a
/// subscription's limit resets; a conversation that merely mentions 429 is not one.
#[test]
fn claude_rate_limits_read_with_their_reset() {
    let rt = presets().remove("claude").expect("claude preset");
    let retry = read(
        &rt,
        "✻ 429 Scripted rate limit: slow down · retrying in 13s · attempt 7/10\n❯\u{a0}\n",
    );
    let l = retry.rate_limit.expect("rate-limited");
    assert_eq!(l.reset.as_deref(), Some("13s"));
    assert!(
        l.words.starts_with("429 Scripted rate limit"),
        "{}",
        l.words
    );
    let usage = read(
        &rt,
        "  ⎿  5-hour limit reached ∙ resets 3pm (Europe/Paris)\n❯\u{a0}\n",
    );
    assert_eq!(
        usage.rate_limit.and_then(|l| l.reset).as_deref(),
        Some("3pm (Europe/Paris)")
    );
    let talk = read(
        &rt,
        "● The server answered 429 when the test ran.\n❯\u{a0}\n",
    );
    assert!(talk.rate_limit.is_none());
}

/// A refusal above a busy line is over: the runtime got going again.
#[test]
fn a_refusal_followed_by_work_is_over() {
    let rt = presets().remove("claude").expect("claude preset");
    let again = read(
        &rt,
        "  ⎿  API Error: 429 rate limited\n✻ Thinking… (esc to interrupt)\n❯\u{a0}\n",
    );
    assert!(again.rate_limit.is_none(), "{again:?}");
    let still = read(&rt, "  ⎿  API Error: 429 rate limited\n❯\u{a0}\n");
    assert!(still.rate_limit.is_some(), "{still:?}");
}
