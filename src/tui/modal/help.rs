//! Help: every binding of the keymap, by context, scrollable.

use super::{Body, big};
use crate::tui::action::Context;
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

pub(super) fn key(state: &mut State, key: KeyEvent, scroll: usize) -> Vec<Effect> {
    let scroll = match key.code {
        KeyCode::Down | KeyCode::Char('j') => scroll + 1,
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown => scroll + 10,
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => return Vec::new(),
        _ => scroll,
    };
    state.modal = Some(Modal::Help { scroll });
    Vec::new()
}

pub(super) fn body(state: &State, scroll: &usize) -> Body {
    let t = &state.theme;
    let big = big(state);
    let mut lines = Vec::new();
    for ctx in Context::ALL {
        let b = state.keymap.bindings(ctx);
        if b.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            ctx.name().to_string(),
            t.style(Slot::Accent),
        )));
        // One line per action, with all its keys.
        let mut grouped: Vec<(Vec<String>, crate::tui::action::Action)> = Vec::new();
        for (keys, action) in b {
            match grouped.iter_mut().find(|(_, a)| *a == action) {
                Some((k, _)) => k.push(keys),
                None => grouped.push((vec![keys], action)),
            }
        }
        for (keys, action) in grouped {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<20}", keys.join(", ")), t.style(Slot::HelpKey)),
                Span::raw(action.help().to_string()),
            ]));
        }
    }
    let skip = (*scroll).min(lines.len().saturating_sub(1));
    (big, lines.into_iter().skip(skip).collect())
}
