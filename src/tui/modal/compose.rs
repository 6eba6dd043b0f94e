//! Composing mail: recipients, subject, a multi-line body; Ctrl-S sends.

use super::{Body, centered, input_line, start};
use crate::tui::action::Action;
use crate::tui::input::LineInput;
use crate::tui::msg::Effect;
use crate::tui::state::{Compose, ComposeField, Draft, Modal, State};
use crate::tui::theme::Slot;
use crate::tui::view::common::fit;
use crossterm::event::KeyEvent;
use ratatui::text::{Line, Span};

pub(super) fn body(state: &State, c: &Compose) -> Body {
    let t = &state.theme;
    let area = centered(state.size, 70, 18.min(state.size.1.saturating_sub(2)));
    let w = area.width.saturating_sub(2) as usize;
    let mut lines = vec![
        input_line(state, "to", &c.to, c.field == ComposeField::To, w),
        input_line(
            state,
            "subject",
            &c.subject,
            c.field == ComposeField::Subject,
            w,
        ),
        Line::from(Span::styled(
            format!("{:>9} ", "body"),
            t.style(if c.field == ComposeField::Body {
                Slot::Accent
            } else {
                Slot::Dim
            }),
        )),
    ];
    let body_h = area.height.saturating_sub(7) as usize;
    let body = c.body.lines();
    let start = body.len().saturating_sub(body_h);
    for (i, l) in body.iter().enumerate().skip(start) {
        let mut text = l.clone();
        if c.field == ComposeField::Body && i == c.body.cursor().0 {
            let at = text
                .char_indices()
                .nth(c.body.cursor().1)
                .map(|(i, _)| i)
                .unwrap_or(text.len());
            text.insert(at, '▏');
        }
        lines.push(Line::from(Span::styled(
            format!("  {}", fit(&text, w.saturating_sub(2))),
            t.style(Slot::Input),
        )));
    }
    while lines.len() < area.height.saturating_sub(4) as usize {
        lines.push(Line::default());
    }
    lines.push(match &c.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.style(Slot::Failed))),
        None => Line::from(Span::styled(
            "Tab next field · Ctrl-S send · Esc cancel".to_string(),
            t.style(Slot::Dim),
        )),
    });
    (area, lines)
}

/// Keys in the compose form; None keeps the form open.
pub(super) fn key(
    state: &mut State,
    c: &mut Compose,
    key: KeyEvent,
    action: Option<Action>,
) -> Option<Vec<Effect>> {
    match action {
        Some(Action::Submit) => {
            let to: Vec<String> =
                c.to.text()
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
            let subject = c.subject.text().trim().to_string();
            if to.is_empty() {
                c.error = Some("give at least one recipient".into());
                c.field = ComposeField::To;
                return None;
            }
            if subject.is_empty() {
                c.error = Some("give a subject".into());
                c.field = ComposeField::Subject;
                return None;
            }
            let id = start(state, format!("mail to {}", to.join(", ")));
            state.outbox.insert(
                id,
                Draft {
                    to: c.to.text().to_string(),
                    subject: c.subject.text().to_string(),
                    body: c.body.lines().join("\n"),
                    reply_to: c.reply_to.clone(),
                },
            );
            return Some(vec![Effect::SendMail {
                id,
                to,
                subject,
                body: c.body.lines().join("\n"),
                reply_to: c.reply_to.clone(),
            }]);
        }
        Some(Action::NextField) => {
            c.field = match c.field {
                ComposeField::To => ComposeField::Subject,
                ComposeField::Subject => ComposeField::Body,
                ComposeField::Body => ComposeField::To,
            };
            return None;
        }
        Some(Action::PrevField) => {
            c.field = match c.field {
                ComposeField::To => ComposeField::Body,
                ComposeField::Subject => ComposeField::To,
                ComposeField::Body => ComposeField::Subject,
            };
            return None;
        }
        Some(Action::Confirm) if c.field != ComposeField::Body => {
            c.field = match c.field {
                ComposeField::To => ComposeField::Subject,
                _ => ComposeField::Body,
            };
            return None;
        }
        _ => {}
    }
    c.error = None;
    match c.field {
        ComposeField::To => {
            c.to.handle(&key);
        }
        ComposeField::Subject => {
            c.subject.handle(&key);
        }
        ComposeField::Body => {
            c.body.input(key);
        }
    }
    None
}

/// A reply to `item`: to its sender, `Re:` its subject, the cursor in the body.
pub fn reply_to(item: &crate::work::mail::MailItem) -> Modal {
    let subject = if item.subject.to_lowercase().starts_with("re:") {
        item.subject.clone()
    } else {
        format!("Re: {}", item.subject)
    };
    Modal::Compose(Box::new(Compose {
        to: LineInput::with_text(&item.from),
        subject: LineInput::with_text(&subject),
        body: Default::default(),
        field: ComposeField::Body,
        reply_to: Some(item.id.clone()),
        error: None,
    }))
}

/// A new message (to `to`, when known).
pub fn new(to: &str) -> Modal {
    Modal::Compose(Box::new(Compose {
        to: LineInput::with_text(to),
        subject: LineInput::default(),
        body: Default::default(),
        field: if to.is_empty() {
            ComposeField::To
        } else {
            ComposeField::Subject
        },
        reply_to: None,
        error: None,
    }))
}
