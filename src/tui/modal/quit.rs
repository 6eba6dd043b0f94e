//! Quit while work is still in flight: what would be lost, and y to go anyway.

use super::{Body, centered};
use crate::tui::action::Action;
use crate::tui::msg::Effect;
use crate::tui::state::State;
use crate::tui::theme::Slot;
use crate::tui::update::quit;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

pub(super) fn key(state: &mut State, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    match key.code {
        KeyCode::Char('y') | KeyCode::Char('q') => quit(state),
        KeyCode::Enter if action == Some(Action::Confirm) => quit(state),
        _ => Vec::new(),
    }
}

pub(super) fn body(state: &State) -> Body {
    let t = &state.theme;
    let mut lines = vec![Line::from("These are still running:")];
    for what in state.inflight.values() {
        lines.push(Line::from(format!("  · {what}")));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
            "They finish in the background processes they started, or are lost if in this one. Quit anyway? y/Esc".to_string(),
            t.style(Slot::Dim),
        )));
    (centered(state.size, 60, lines.len() as u16 + 2), lines)
}
