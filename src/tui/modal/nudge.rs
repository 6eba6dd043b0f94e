//! A nudge: one line for an agent, sent with confirmed delivery.

use super::{Body, centered, input_line, start};
use crate::tui::action::Action;
use crate::tui::input::LineInput;
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crossterm::event::KeyEvent;
use ratatui::text::{Line, Span};

pub(super) fn key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    agent: String,
    mut input: LineInput,
) -> Vec<Effect> {
    if matches!(action, Some(Action::Confirm | Action::Submit)) {
        let text = input.text().trim().to_string();
        if !text.is_empty() {
            let id = start(state, format!("nudge to {agent}"));
            return vec![Effect::Nudge { id, agent, text }];
        }
    } else {
        input.handle(&key);
    }
    state.modal = Some(Modal::Nudge { agent, input });
    Vec::new()
}

pub(super) fn body(state: &State, agent: &str, input: &LineInput) -> Body {
    let t = &state.theme;
    let area = centered(state.size, 60, 6);
    (
        area,
        vec![
            Line::from(format!("A line for {agent} (confirmed delivery)")),
            input_line(
                state,
                "text",
                input,
                true,
                area.width.saturating_sub(2) as usize,
            ),
            Line::from(Span::styled(
                "Enter sends · Esc cancels".to_string(),
                t.style(Slot::Dim),
            )),
        ],
    )
}
