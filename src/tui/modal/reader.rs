//! The mail reader: one message, with reply, archive and mark-unread.

use super::{Body, big, start};
use crate::tui::action::{Action, Context};
use crate::tui::keymap::{KeySpec, Resolution};
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crate::work::mail::MailItem;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

pub(super) fn key(
    state: &mut State,
    key: KeyEvent,
    spec: KeySpec,
    item: Box<MailItem>,
    scroll: usize,
) -> Vec<Effect> {
    let id = item.id.clone();
    match (key.code, state.keymap.resolve(&[Context::Mail], &[], spec)) {
        (_, Resolution::Action(Action::Reply)) => {
            state.modal = Some(super::compose::reply_to(&item));
            Vec::new()
        }
        (_, Resolution::Action(Action::Archive)) => {
            let n = start(state, format!("archiving {id}"));
            vec![Effect::Archive { id: n, message: id }]
        }
        (_, Resolution::Action(Action::MarkUnread)) => {
            let n = start(state, format!("marking {id} unread"));
            vec![Effect::MarkUnread { id: n, message: id }]
        }
        (KeyCode::Down | KeyCode::Char('j'), _) => {
            state.modal = Some(Modal::Reader {
                item,
                scroll: scroll + 1,
            });
            Vec::new()
        }
        (KeyCode::Up | KeyCode::Char('k'), _) => {
            state.modal = Some(Modal::Reader {
                item,
                scroll: scroll.saturating_sub(1),
            });
            Vec::new()
        }
        (KeyCode::Enter | KeyCode::Char('q'), _) => Vec::new(),
        _ => {
            state.modal = Some(Modal::Reader { item, scroll });
            Vec::new()
        }
    }
}

pub(super) fn body(state: &State, item: &MailItem, scroll: &usize) -> Body {
    let t = &state.theme;
    let big = big(state);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("From ", t.style(Slot::Dim)),
            Span::raw(item.from.clone()),
        ]),
        Line::from(vec![
            Span::styled("To   ", t.style(Slot::Dim)),
            Span::raw(item.to.clone()),
        ]),
        Line::from(vec![
            Span::styled("Subj ", t.style(Slot::Dim)),
            Span::styled(item.subject.clone(), t.style(Slot::Accent)),
        ]),
        Line::from(Span::styled(
            format!("{} · {} · {}", item.id, item.priority, item.created_at),
            t.style(Slot::Dim),
        )),
        Line::default(),
    ];
    if let Some(n) = &item.note {
        lines.insert(
            4,
            Line::from(Span::styled(
                format!("Note {n}"),
                t.style(Slot::StateWaiting),
            )),
        );
    }
    for l in item
        .body
        .as_deref()
        .unwrap_or("(no body)")
        .lines()
        .skip(*scroll)
    {
        lines.push(Line::from(l.to_string()));
    }
    (big, lines)
}
