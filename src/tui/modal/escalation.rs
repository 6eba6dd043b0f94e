//! An escalation shown in full before it is acknowledged: Enter acknowledges, Esc keeps it.

use super::{Body, centered, start};
use crate::tui::action::Action;
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crossterm::event::KeyEvent;
use ratatui::text::{Line, Span};

pub(super) fn key(
    state: &mut State,
    _key: KeyEvent,
    action: Option<Action>,
    escalation: String,
) -> Vec<Effect> {
    if action == Some(Action::Confirm) {
        let id = start(state, format!("acknowledging {escalation}"));
        return vec![Effect::AckEscalation { id, escalation }];
    }
    state.modal = Some(Modal::Escalation { escalation });
    Vec::new()
}

pub(super) fn body(state: &State, escalation: &str) -> Body {
    let t = &state.theme;
    let mut lines = Vec::new();
    match state
        .snapshot
        .escalations
        .iter()
        .find(|e| e.id == escalation)
    {
        Some(e) => {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", e.severity.to_uppercase()),
                    t.style(Slot::StateStalled),
                ),
                Span::styled(e.title.clone(), t.style(Slot::Accent)),
            ]));
            lines.push(Line::from(Span::styled(
                format!(
                    "{} · from {} · {}{}",
                    e.id,
                    e.from,
                    e.created_at,
                    e.bead
                        .as_deref()
                        .map(|b| format!(" · about {b}"))
                        .unwrap_or_default()
                ),
                t.style(Slot::Dim),
            )));
            lines.push(Line::default());
            for l in e.text.lines() {
                lines.push(Line::from(l.to_string()));
            }
        }
        None => lines.push(Line::from(format!(
            "{escalation} is no longer open (someone may have acknowledged it)."
        ))),
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("Enter", t.style(Slot::HelpKey)),
        Span::raw(" acknowledge (you have seen it; it stops rising)   "),
        Span::styled("Esc", t.style(Slot::HelpKey)),
        Span::raw(" keep it open"),
    ]));
    let h = (lines.len() as u16 + 2).min(state.size.1.saturating_sub(2));
    (centered(state.size, 70, h), lines)
}
