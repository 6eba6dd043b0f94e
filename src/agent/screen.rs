//! Reading an agent's state off its screen: idle at a prompt, busy, and what sits in its
//! input line — the evidence confirmed delivery is built on.

use super::Runtime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// The runtime's busy marker is visible near the bottom.
    pub busy: bool,
    /// The ready marker (the input prompt) is visible near the bottom.
    pub at_prompt: bool,
    /// What follows the ready marker on the last prompt line (empty: nothing typed).
    pub input: Option<String>,
}

const BOTTOM_LINES: usize = 12;

pub fn read(rt: &Runtime, capture: &str) -> Screen {
    let lines: Vec<&str> = capture
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let bottom = &lines[lines.len().saturating_sub(BOTTOM_LINES)..];
    let busy = rt
        .busy_marker
        .as_deref()
        .is_some_and(|m| bottom.iter().any(|l| l.contains(m)));
    let input = rt
        .ready_marker
        .as_deref()
        .and_then(|m| bottom.iter().rev().find_map(|l| prompt_input(l, m)));
    Screen {
        busy,
        at_prompt: input.is_some() && !busy,
        input,
    }
}

/// What is typed after the ready marker on `line`, or None when `line` is not a prompt line.
///
/// Markers often end in a space (`"> "`, `"› "`), but an empty prompt shows no trailing
/// space: tmux and `read` drop it. So a line holding nothing but the marker without that
/// space (and the frame of a box around it) is an empty prompt too; a line merely ending in
/// it (`<div>`) is not.
fn prompt_input(line: &str, marker: &str) -> Option<String> {
    let core = marker.trim_end();
    if core.is_empty() {
        return None;
    }
    if let Some(at) = line.find(marker) {
        return Some(typed(&line[at + marker.len()..]));
    }
    let before = line.strip_suffix(core)?;
    let alone = before.chars().all(|c| c.is_whitespace() || is_frame(c));
    (core.len() < marker.len() && alone).then(String::new)
}

/// The input text without surrounding blanks or the right edge of a box drawn around it
/// (`│ > fix it      │`).
fn typed(rest: &str) -> String {
    rest.trim()
        .trim_end_matches(is_frame)
        .trim_end()
        .to_string()
}

/// Box-drawing and block characters TUIs draw input frames with.
fn is_frame(c: char) -> bool {
    matches!(c, '\u{2500}'..='\u{259f}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runtime::presets;

    fn sim() -> Runtime {
        presets()["sim"].clone()
    }

    #[test]
    fn reads_idle_typed_and_busy_screens() {
        let rt = sim();
        let idle = read(&rt, "banner\n\nsim❯ \n\n\n");
        assert_eq!(
            idle,
            Screen {
                busy: false,
                at_prompt: true,
                input: Some(String::new())
            }
        );
        let typed = read(&rt, "banner\nsim❯ hello there\n");
        assert_eq!(typed.input.as_deref(), Some("hello there"));
        let busy = read(&rt, "› do it\n⠿ working on gt-1 (esc to interrupt)\n");
        assert!(busy.busy && !busy.at_prompt);
        let starting = read(&rt, "gt sim starting…\n");
        assert!(!starting.at_prompt && starting.input.is_none());
    }

    /// What each preset's screen looks like idle with an empty prompt, idle with `{typed}`
    /// in its input, and working — as tmux's capture-pane prints it (no trailing spaces).
    /// `{input}` is replaced by nothing or by the typed text.
    fn sample(preset: &str) -> Option<(&'static str, &'static str)> {
        let (prompt, busy) = match preset {
            "claude" => (
                "╭───────────────────────────────────────────────────╮\n\
                 │ ✻ Welcome to Claude Code!                         │\n\
                 │   cwd: /home/u/town/gastown/polecats/nux          │\n\
                 ╰───────────────────────────────────────────────────╯\n\
                 \n\
                 > Read the hook with gt prime\n\
                 ⏺ Done: committed a1b2c3d, ran gt done.\n\
                 \n\
                 ────────────────────────────────────────────────────────\n\
                 > {input}\n\
                 ────────────────────────────────────────────────────────\n\
                   ? for shortcuts\n",
                "> fix the failing test\n\
                 ⏺ I'll look at the test first.\n\
                 ✻ Thinking… (12s · ↑ 1.2k tokens · esc to interrupt)\n\
                 \n\
                 ────────────────────────────────────────────────────────\n\
                 >\n\
                 ────────────────────────────────────────────────────────\n",
            ),
            "codex" => (
                ">_ OpenAI Codex (v0.46.0)\n\
                 \x20model:     gpt-5-codex\n\
                 \x20directory: ~/town/gastown/polecats/nux\n\
                 \n\
                 › {input}\n\
                 \n\
                 \x20 ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit\n",
                "› run the tests\n\
                 \n\
                 • Working (5s • esc to interrupt)\n\
                 \n\
                 ›\n",
            ),
            "gemini" => (
                "Tips for getting started:\n\
                 1. Ask questions, edit files, or run commands.\n\
                 \n\
                 ╭──────────────────────────────────────────────────────╮\n\
                 │ > {input}                                            │\n\
                 ╰──────────────────────────────────────────────────────╯\n\
                 ~/town/gastown/polecats/nux (main*)   gemini-2.5-pro (99% context left)\n",
                "╭────────────────────╮\n\
                 │ > fix the test     │\n\
                 ╰────────────────────╯\n\
                 ⠏ Reading the failing test (esc to cancel, 3s)\n\
                 \n\
                 ╭──────────────────────────────────────────────────────╮\n\
                 │ >                                                    │\n\
                 ╰──────────────────────────────────────────────────────╯\n",
            ),
            "cursor" => (
                "  Cursor Agent\n\
                 \x20 ~/town/gastown/polecats/nux · main\n\
                 \n\
                 \x20┌──────────────────────────────────────────────────┐\n\
                 \x20│ → {input}                                        │\n\
                 \x20└──────────────────────────────────────────────────┘\n\
                 \x20  Auto · 0% · 1 file edited\n",
                "  ⬢ Generating…  ctrl+c to stop\n\
                 \n\
                 \x20┌──────────────────────────────────────────────────┐\n\
                 \x20│ →                                                │\n\
                 \x20└──────────────────────────────────────────────────┘\n",
            ),
            "opencode" => (
                "  opencode v0.14.1\n\
                 \n\
                 \x20 /new      new session\n\
                 \x20 /help     show help\n\
                 \n\
                 > {input}\n\
                 \n\
                 \x20 enter send                       anthropic claude-sonnet-4\n",
                "  ⣾ Working…  esc interrupt\n\
                 \n\
                 >\n\
                 \n\
                 \x20 enter send                       anthropic claude-sonnet-4\n",
            ),
            "copilot" => (
                " Welcome to GitHub Copilot CLI\n\
                 \x20Version 0.0.339 · Commit 1e2f3a4\n\
                 \n\
                 \x20~/town/gastown/polecats/nux [⎇ main]\n\
                 \x20─────────────────────────────────────────────\n\
                 \x20> {input}\n\
                 \x20─────────────────────────────────────────────\n\
                 \x20Ctrl+c Exit · Ctrl+r Expand all\n",
                " ● Running the tests\n\
                 \x20∙ Thinking (Esc to cancel)\n\
                 \x20─────────────────────────────────────────────\n\
                 \x20>\n\
                 \x20─────────────────────────────────────────────\n",
            ),
            "amp" => (
                "  Welcome to Amp\n\
                 \n\
                 ╭─────────────────────────────────────────────────────╮\n\
                 │> {input}                                             │\n\
                 ╰──────────────────────────────── smart ──────────────╯\n",
                "  ≋ Running tools…  Esc to cancel\n\
                 ╭─────────────────────────────────────────────────────╮\n\
                 │>                                                    │\n\
                 ╰──────────────────────────────── smart ──────────────╯\n",
            ),
            "auggie" => (
                " Augment Agent\n\
                 \x20Indexed 214 files in ~/town/gastown/polecats/nux\n\
                 \n\
                 > {input}\n\
                 \n\
                 \x20? for shortcuts\n",
                " ● Editing src/lib.rs (esc to interrupt)\n\
                 \n\
                 >\n",
            ),
            "sim" => (
                "gt sim — simulated agent gastown/polecats/nux (not an AI)\n\
                 sim❯ {input}\n",
                "sim❯ [GAS TOWN] gastown/polecats/nux <- overseer • run gt prime\n\
                 ⠿ working on gt-ab12 (esc to interrupt)\n",
            ),
            _ => return None,
        };
        Some((prompt, busy))
    }

    #[test]
    fn every_preset_reads_idle_typed_and_busy() {
        let presets = presets();
        assert!(presets.len() >= 9, "presets did not load: {presets:?}");
        for (name, rt) in &presets {
            let (prompt, busy) =
                sample(name).unwrap_or_else(|| panic!("no sample screen for preset {name}"));
            // tmux prints no trailing spaces; neither do these screens.
            let screen = |input: &str| -> String {
                prompt
                    .replace("{input}", input)
                    .lines()
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let idle = read(rt, &screen(""));
            assert_eq!(
                idle,
                Screen {
                    busy: false,
                    at_prompt: true,
                    input: Some(String::new())
                },
                "{name}: idle with an empty prompt"
            );
            let typed = read(rt, &screen("fix the tests, then run gt done"));
            assert!(typed.at_prompt && !typed.busy, "{name}: typed {typed:?}");
            assert_eq!(
                typed.input.as_deref(),
                Some("fix the tests, then run gt done"),
                "{name}: typed input"
            );
            let working = read(rt, busy);
            assert!(
                working.busy && !working.at_prompt,
                "{name}: busy {working:?}"
            );
        }
    }

    #[test]
    fn a_marker_inside_other_output_is_no_empty_prompt() {
        let rt = presets()["claude"].clone();
        let s = read(&rt, "Rendering…\n<div class=\"x\">\n");
        assert!(!s.at_prompt && s.input.is_none(), "{s:?}");
    }
}
