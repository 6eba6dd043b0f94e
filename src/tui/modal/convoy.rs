//! A new convoy from the workspace: mark beads, then give it a title.

use super::{Body, centered, input_line, picker_key, start};
use crate::tui::action::Action;
use crate::tui::input::LineInput;
use crate::tui::msg::Effect;
use crate::tui::picker::Picker;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

pub(super) fn beads_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    mut picker: Picker<String>,
) -> Vec<Effect> {
    if key.code == KeyCode::Char(' ') {
        picker.toggle_mark();
        picker.move_by(1);
    } else if picker_key(&mut picker, &key, true) {
    } else if matches!(action, Some(Action::Confirm | Action::Submit)) {
        let mut beads: Vec<String> = picker.marked.iter().cloned().collect();
        if beads.is_empty()
            && let Some((b, _)) = picker.current()
        {
            beads.push(b);
        }
        if !beads.is_empty() {
            state.modal = Some(Modal::NewConvoyTitle {
                beads,
                input: LineInput::default(),
            });
            return Vec::new();
        }
    }
    state.modal = Some(Modal::NewConvoyBeads { picker });
    Vec::new()
}

pub(super) fn title_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    beads: Vec<String>,
    mut input: LineInput,
) -> Vec<Effect> {
    if matches!(action, Some(Action::Confirm | Action::Submit)) {
        let title = input.text().trim().to_string();
        if title.is_empty() {
            state.toast("a convoy needs a title", true);
        } else {
            let id = start(state, format!("convoy \"{title}\""));
            return vec![Effect::NewConvoy { id, title, beads }];
        }
    } else {
        input.handle(&key);
    }
    state.modal = Some(Modal::NewConvoyTitle { beads, input });
    Vec::new()
}

pub(super) fn title_body(state: &State, beads: &[String], input: &LineInput) -> Body {
    let t = &state.theme;
    let area = centered(state.size, 60, 6);
    (
        area,
        vec![
            Line::from(format!("A convoy tracking {}", beads.join(", "))),
            input_line(
                state,
                "title",
                input,
                true,
                area.width.saturating_sub(2) as usize,
            ),
            Line::from(Span::styled(
                "Enter makes it · Esc cancels".to_string(),
                t.style(Slot::Dim),
            )),
        ],
    )
}
