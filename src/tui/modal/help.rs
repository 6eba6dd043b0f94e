//! Help: every binding of the keymap by context, what Enter does in each pane, and the words
//! of Gas Town — wrapped to the dialog, scrollable, saying when there is more.

use super::{Body, big};
use crate::tui::action::{Action, Context};
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

pub(super) fn key(state: &mut State, key: KeyEvent, scroll: usize) -> Vec<Effect> {
    let scroll = match key.code {
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => usize::MAX,
        KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => return Vec::new(),
        _ => scroll,
    };
    state.modal = Some(Modal::Help { scroll });
    Vec::new()
}

/// What Enter does where no keymap section says (panes without a context of their own).
const ENTER_DOES: &[(&str, &str)] = &[
    (
        "Agents, Hooks",
        "attach to the agent's window; ctrl-] then d detaches back here (the town's tmux prefix is ctrl-], not ctrl-b, so it never steers your own tmux)",
    ),
    (
        "Convoys",
        "mark a bead (space too); then c makes a convoy of the marked beads",
    ),
    ("Mail", "read the message (r replies)"),
    (
        "Merge queue",
        "the diff of the merge request; there, a approves it and b sends it back with your comment",
    ),
    (
        "Attention",
        "an escalation is shown in full; Enter again acknowledges it (it stops rising), Esc keeps it. Anything else jumps to its agent",
    ),
    (
        "Mayor",
        "sends what you typed to the mayor; alt-enter starts a new line; alt-z zooms",
    ),
];

/// Gas Town's words, in our own words.
const GLOSSARY: &[(&str, &str)] = &[
    (
        "town",
        "this whole workspace: its rigs, agents and ledger, in one folder",
    ),
    ("rig", "one project (a git repository) the town works on"),
    (
        "bead",
        "a unit of work (an issue) in the town's ledger; ids look like sh-a1b2",
    ),
    (
        "sling",
        "give a bead to an agent: it goes on the agent's hook and the agent starts",
    ),
    (
        "hook",
        "the bead an agent is working on right now (at most one)",
    ),
    (
        "polecat",
        "a worker agent with its own git worktree; removed once its work lands",
    ),
    (
        "crew",
        "a long-lived agent you keep and talk to; its work lands the same way",
    ),
    (
        "mayor",
        "the town's coordinating agent; you chat with it in the Mayor pane",
    ),
    (
        "convoy",
        "a group of beads tracked together until all of them land",
    ),
    (
        "merge queue",
        "finished branches waiting to be tested (and, if the rig asks, reviewed) and landed by the refinery",
    ),
    (
        "review",
        "with merge.review = human, green work waits for your approval (a) or your comment (b)",
    ),
    (
        "refinery",
        "lands finished branches on the default branch, after the rig's gates pass",
    ),
    (
        "witness",
        "watches a rig's agents and says when one is stalled, stuck or gone",
    ),
    (
        "deacon",
        "the town-wide patrol: sends landing news, escalates what is ignored",
    ),
    (
        "nudge",
        "a line typed into an agent's prompt, delivered only when it is idle",
    ),
    (
        "escalation",
        "a problem an agent raised for a person; it rises if nobody answers",
    ),
    (
        "formula",
        "a recipe of steps (a molecule) that an agent follows for a bead",
    ),
];

pub(super) fn body(state: &State, scroll: &usize) -> Body {
    let area = big(state);
    let width = area.width.saturating_sub(2) as usize;
    let height = area.height.saturating_sub(2) as usize;
    let lines = all_lines(state, width);
    // The last row says what is above and below when it does not all fit.
    let rows = if lines.len() > height {
        height.saturating_sub(1)
    } else {
        height
    };
    let max_skip = lines.len().saturating_sub(rows);
    let skip = (*scroll).min(max_skip);
    let mut shown: Vec<Line<'static>> = lines.into_iter().skip(skip).take(rows).collect();
    if max_skip > 0 {
        let more = match (skip > 0, skip < max_skip) {
            (true, true) => "↑↓ more: j/k, PgUp/PgDn",
            (false, true) => "↓ more below: j, PgDn, G for the end",
            _ => "↑ that is all: k, PgUp, g for the top",
        };
        shown.push(Line::from(Span::styled(
            format!(
                "{more}  ({}–{} of {})",
                skip + 1,
                skip + shown.len(),
                max_skip + rows
            ),
            state.theme.style(Slot::Dim),
        )));
    }
    (area, shown)
}

fn all_lines(state: &State, width: usize) -> Vec<Line<'static>> {
    let t = &state.theme;
    let heading = |text: &str| Line::from(Span::styled(text.to_string(), t.style(Slot::Accent)));
    let mut lines = Vec::new();
    for ctx in Context::ALL {
        let b = state.keymap.bindings(ctx);
        if b.is_empty() {
            continue;
        }
        lines.push(heading(&format!("Keys: {}", ctx.name())));
        // One entry per action, with all its keys.
        let mut grouped: Vec<(Vec<String>, Action)> = Vec::new();
        for (keys, action) in b {
            match grouped.iter_mut().find(|(_, a)| *a == action) {
                Some((k, _)) => k.push(keys),
                None => grouped.push((vec![keys], action)),
            }
        }
        let entries: Vec<(String, String)> = grouped
            .into_iter()
            .map(|(k, a)| (k.join(", "), a.help().to_string()))
            .collect();
        lines.extend(table(&entries, width, t.style(Slot::HelpKey)));
    }
    lines.push(heading("Enter, pane by pane"));
    let enter: Vec<(String, String)> = ENTER_DOES
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    lines.extend(table(&enter, width, t.style(Slot::HelpKey)));
    lines.push(heading("Words"));
    let words: Vec<(String, String)> = GLOSSARY
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    lines.extend(table(&words, width, t.style(Slot::HelpKey)));
    lines
}

/// Two columns: the left one as wide as its widest entry (within reason), the right one
/// wrapped under itself. A left entry too wide for its column gets a line of its own.
fn table(entries: &[(String, String)], width: usize, key_style: Style) -> Vec<Line<'static>> {
    let col = entries
        .iter()
        .map(|(k, _)| k.width())
        .filter(|w| *w <= 22)
        .max()
        .unwrap_or(8)
        + 4;
    let text_w = width.saturating_sub(col).max(20);
    let mut out = Vec::new();
    for (k, v) in entries {
        let wrapped = wrap(v, text_w);
        let mut rest = wrapped.iter();
        if k.width() + 4 > col {
            out.push(Line::from(Span::styled(format!("  {k}"), key_style)));
        } else if let Some(first) = rest.next() {
            out.push(Line::from(vec![
                Span::styled(format!("  {k:<w$}", w = col - 2), key_style),
                Span::raw(first.clone()),
            ]));
        }
        for l in rest {
            out.push(Line::from(format!("{:col$}{l}", "")));
        }
    }
    out
}

/// Words wrapped to `width` columns (a word longer than that is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_key_gets_its_own_line_and_text_wraps_under_its_column() {
        let entries = vec![
            ("q".to_string(), "quit the workspace".to_string()),
            (
                "shift-enter, alt-enter, ctrl-j".to_string(),
                "start a new line".to_string(),
            ),
            (
                "x".to_string(),
                "one two three four five six seven eight nine ten".to_string(),
            ),
        ];
        let lines: Vec<String> = table(&entries, 30, Style::new())
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(lines[0], "  q  quit the workspace");
        assert_eq!(lines[1], "  shift-enter, alt-enter, ctrl-j");
        assert_eq!(lines[2], "     start a new line");
        // Wrapped text stays in its column (never back at column 0).
        assert!(lines[3].starts_with("  x  one two"), "{lines:?}");
        assert!(
            lines[4..].iter().all(|l| l.starts_with("     ")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .filter(|l| !l.contains("shift"))
                .all(|l| l.width() <= 30),
            "{lines:?}"
        );
    }
}
