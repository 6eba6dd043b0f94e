//! Reading an agent's state off its screen: idle at a prompt, busy, what sits in its input,
//! a startup dialog — the evidence confirmed delivery and the witness are built on. Every
//! rule is the runtime's data (`runtimes.toml`); the fixtures are real screens.

use super::Runtime;
use regex::Regex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screen {
    /// The runtime shows that it works (a busy text or a spinner line near the bottom).
    pub busy: bool,
    /// Its input line is there, and it is neither busy, starting nor showing a dialog.
    pub at_prompt: bool,
    /// What its input line holds (empty: nothing typed, or only a placeholder); None when
    /// no input line is visible.
    pub input: Option<String>,
    /// The input shows a paste collapsed to a label (`[Pasted text #1 +5 lines]`).
    pub collapsed: bool,
    /// A submitted message waits inside the runtime for its current turn to end.
    pub queued: bool,
    /// It is still starting up, even if a prompt is drawn.
    pub starting: bool,
    /// Its input is in shell mode: typed text would run as a command.
    pub shell_mode: bool,
    /// The startup dialog on screen (index into `Runtime::dialogs`).
    pub dialog: Option<usize>,
    /// Its service refuses it for now: the runtime's words, and when it says it tries again
    /// or the limit resets.
    pub rate_limit: Option<RateLimit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub words: String,
    pub reset: Option<String>,
}

impl Screen {
    /// At its prompt with nothing typed: the only state text may be pasted into.
    pub fn idle_empty(&self) -> bool {
        self.at_prompt && self.input.as_deref() == Some("")
    }
}

/// Lines searched for the input line and dialogs (a long input can fill many rows).
const PROMPT_LINES: usize = 40;
/// Lines searched for busy texts: status rows sit just above or below the input.
const BUSY_LINES: usize = 15;
/// Lines with text (from the bottom) searched for a refusal by the runtime's service.
const REFUSAL_LINES: usize = 12;

pub fn read(rt: &Runtime, capture: &str) -> Screen {
    let all: Vec<&str> = capture.lines().map(trim_ascii_end).collect();
    let end = all
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    let lines = &all[..end];
    let bottom = &lines[lines.len().saturating_sub(PROMPT_LINES)..];
    let near = &lines[lines.len().saturating_sub(BUSY_LINES)..];
    let found = input_line(rt, bottom).map(|(at, t)| {
        if rt.placeholders.iter().any(|p| t.starts_with(p.as_str())) {
            (at, String::new())
        } else {
            (at, t)
        }
    });
    // An empty prompt or a busy line below a dialog's text means it was answered already.
    let empty_prompt_at = found
        .as_ref()
        .filter(|(_, t)| t.is_empty())
        .map(|(at, _)| *at);
    let busy_at = bottom.iter().rposition(|l| is_busy_line(rt, l));
    let moved_on_at = empty_prompt_at.max(busy_at);
    let dialog = dialog_on(rt, bottom, moved_on_at);
    let busy = near.iter().any(|l| is_busy_line(rt, l));
    let starting = lines
        .iter()
        .any(|l| rt.starting_lines.iter().any(|s| l.trim() == s))
        || near
            .iter()
            .any(|l| rt.starting_texts.iter().any(|s| l.contains(s.as_str())));
    let shell_mode = near
        .iter()
        .any(|l| rt.shell_modes.iter().any(|s| l.contains(s.as_str())));
    let input_at = found.as_ref().map(|(at, _)| *at);
    let input = found.map(|(_, t)| t);
    let collapsed = input
        .as_deref()
        .is_some_and(|t| rt.paste.collapsed.iter().any(|m| t.contains(m.as_str())));
    let queued = bottom
        .iter()
        .any(|l| rt.paste.queued.iter().any(|m| l.contains(m.as_str())));
    // A refusal counts while it is the latest thing shown: a busy line between it and the
    // input line means the runtime got going again (a footer below the input is no news).
    // Runtimes clear the space between their last words and their input: the last few lines
    // with text are searched, however far up they are.
    let refused = lines
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, l)| !l.trim().is_empty())
        .take(REFUSAL_LINES)
        .find_map(|(i, l)| rate_limited(rt, l).map(|r| (i, r)));
    let bottom_from = lines.len() - bottom.len();
    let going_again = |i: usize| {
        let end = input_at
            .map(|p| p + bottom_from)
            .filter(|p| *p > i)
            .unwrap_or(lines.len());
        lines[i + 1..end].iter().any(|l| is_busy_line(rt, l))
    };
    let rate_limit = refused.filter(|(i, _)| !going_again(*i)).map(|(_, r)| r);
    Screen {
        rate_limit,
        busy,
        at_prompt: input.is_some() && !busy && !starting && !shell_mode && dialog.is_none(),
        input,
        collapsed,
        queued,
        starting,
        shell_mode,
        dialog,
    }
}

/// tmux trims trailing blanks itself; a no-break space at the end is part of the screen
/// (Claude Code's input line is `❯` + U+00A0), so only ASCII blanks go.
fn trim_ascii_end(l: &str) -> &str {
    l.trim_end_matches(|c: char| c.is_ascii_whitespace())
}

fn is_busy_line(rt: &Runtime, line: &str) -> bool {
    rt.busy_texts().any(|m| line.contains(m))
        || rt
            .busy_patterns
            .iter()
            .any(|p| pattern(p).is_some_and(|re| re.is_match(line)))
}

fn rate_limited(rt: &Runtime, line: &str) -> Option<RateLimit> {
    rt.rate_limit_patterns.iter().find_map(|p| {
        let caps = pattern(p)?.captures(line)?;
        Some(RateLimit {
            words: line
                .trim()
                .trim_start_matches(['·', '✢', '✳', '✶', '✻', '✽', '*', '⎿'])
                .trim()
                .chars()
                .take(160)
                .collect(),
            reset: caps
                .name("reset")
                .map(|m| m.as_str().trim().to_string())
                .filter(|r| !r.is_empty()),
        })
    })
}

/// Compiled once per process: screens are read many times a second.
fn pattern(p: &str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(p.to_string())
        .or_insert_with(|| Regex::new(p).ok())
        .clone()
}

/// The dialog on screen: of those whose texts all show, the one drawn last (lowest). Text
/// of a dialog that was answered can stay above what came after it (a runtime that restarts
/// itself draws below); a dialog above an empty prompt or a busy line is such a leftover. (A
/// dialog's own menu can look like an input line — `› 1. Trust` — but never an empty one.)
fn dialog_on(rt: &Runtime, bottom: &[&str], moved_on_at: Option<usize>) -> Option<usize> {
    rt.dialogs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let rows: Option<Vec<usize>> = d
                .screen
                .iter()
                .map(|s| bottom.iter().rposition(|l| l.contains(s.as_str())))
                .collect();
            let rows = rows?;
            let top = *rows.iter().min()?;
            let last = *rows.iter().max()?;
            (moved_on_at.is_none_or(|at| at < last)).then_some((top, i))
        })
        .max_by_key(|(top, i)| (*top, std::cmp::Reverse(*i)))
        .map(|(_, i)| i)
}

/// The input line (its row in `bottom`) and its text: by its anchor, or the last line
/// starting with the ready marker.
fn input_line(rt: &Runtime, bottom: &[&str]) -> Option<(usize, String)> {
    if let Some(a) = &rt.input_anchor {
        let at = bottom.iter().rposition(|l| l.contains(a.text.as_str()))?;
        let row = at.checked_sub(a.above)?;
        let line = bottom.get(row)?;
        let rest = line.trim_start_matches(|c: char| c.is_whitespace() || is_frame(c));
        let rest = match rt.ready_marker.as_deref() {
            Some(m) => rest.strip_prefix(m).unwrap_or(rest),
            None => rest,
        };
        return Some((row, typed(rest)));
    }
    rt.ready_marker.as_ref()?;
    bottom.iter().enumerate().rev().find_map(|(i, l)| {
        rt.ready_texts()
            .find_map(|m| prompt_input(l, m))
            .map(|t| (i, t))
    })
}

/// What is typed after the ready marker on `line`, or None when `line` is not an input line.
/// The marker must start the line (after blanks and the left edge of a box). Markers often
/// end in a space, which tmux drops from an empty prompt: a line that is the marker without
/// its trailing blank is an empty input.
fn prompt_input(line: &str, marker: &str) -> Option<String> {
    let core = marker.trim_end();
    if core.is_empty() {
        return None;
    }
    let start = line.trim_start_matches(|c: char| c == ' ' || c == '\t' || is_frame(c));
    if let Some(rest) = start.strip_prefix(marker) {
        return Some(typed(rest));
    }
    let rest = start.strip_prefix(core)?;
    rest.chars()
        .all(|c| c.is_whitespace() || is_frame(c))
        .then(String::new)
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

/// Lines of words a fingerprint covers, from the bottom: fewer than any screen shows.
const FINGERPRINT_LINES: usize = 12;

/// A fingerprint of what the screen says, blind to what moves by itself while nothing
/// happens (spinners, timers, counters, blinking glyphs, the busy line): it changes when
/// the agent writes something. The witness compares it between rounds to tell a working
/// agent from a stalled one whose spinner still turns. Only the last lines with words
/// count, so captures of different depths (the witness's, the workspace's preview, a
/// dashboard page's) of the same screen agree — otherwise they would take turns looking
/// like news and hide a stall.
pub fn fingerprint(rt: &Runtime, capture: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let words: Vec<String> = capture
        .lines()
        .filter(|line| !is_busy_line(rt, line))
        .map(|line| {
            line.chars()
                .filter(|c| c.is_alphabetic())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    for w in &words[words.len().saturating_sub(FINGERPRINT_LINES)..] {
        w.hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
#[path = "screen_tests.rs"]
mod tests;
