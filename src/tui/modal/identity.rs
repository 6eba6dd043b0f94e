//! Whose mail the workspace shows (overseer, or an agent's address).

use super::{Body, centered, input_line};
use crate::tui::action::Action;
use crate::tui::input::LineInput;
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, PaneId, State};
use crate::tui::theme::Slot;
use crossterm::event::KeyEvent;
use ratatui::text::{Line, Span};

pub(super) fn key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    mut input: LineInput,
) -> Vec<Effect> {
    if matches!(action, Some(Action::Confirm | Action::Submit)) {
        let who = input.text().trim().to_string();
        if !who.is_empty() {
            state.identity = who;
            *state.cursor_mut(PaneId::Mail) = Default::default();
            return Vec::new();
        }
    } else {
        input.handle(&key);
    }
    state.modal = Some(Modal::Identity { input });
    Vec::new()
}

pub(super) fn body(state: &State, input: &LineInput) -> Body {
    let t = &state.theme;
    let area = centered(state.size, 50, 5);
    (
        area,
        vec![
            input_line(
                state,
                "address",
                input,
                true,
                area.width.saturating_sub(2) as usize,
            ),
            Line::from(Span::styled(
                "overseer is you · Enter switches".to_string(),
                t.style(Slot::Dim),
            )),
        ],
    )
}
