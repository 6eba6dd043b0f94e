//! The command palette's keys and drawing: type a gt command, Tab completes it, Enter runs it
//! and shows what it printed (scrollable); Esc closes.

use super::{Body, big, start};
use crate::tui::action::Action;
use crate::tui::msg::Effect;
use crate::tui::palette::{accept, complete, grammar, split, town_words};
use crate::tui::state::{Modal, Palette, State};
use crate::tui::theme::Slot;
use crate::tui::view::common::wrap_lines;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

fn completions(state: &State, p: &Palette) -> Vec<String> {
    complete(grammar(), p.input.text(), &town_words(&state.snapshot))
}

pub(super) fn key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    mut p: Box<Palette>,
) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let choices = completions(state, &p);
    let mut effects = Vec::new();
    match key.code {
        KeyCode::Tab => {
            if let Some(word) = choices.get(p.selected.min(choices.len().saturating_sub(1))) {
                let line = accept(p.input.text(), word);
                p.input = crate::tui::input::LineInput::with_text(&line);
                p.selected = 0;
            }
        }
        KeyCode::Down if !choices.is_empty() => p.selected = (p.selected + 1) % choices.len(),
        KeyCode::Up if !choices.is_empty() => {
            p.selected = p.selected.checked_sub(1).unwrap_or(choices.len() - 1);
        }
        KeyCode::Char('n') if ctrl && !choices.is_empty() => {
            p.selected = (p.selected + 1) % choices.len();
        }
        KeyCode::Down => p.scroll += 1,
        KeyCode::Up => p.scroll = p.scroll.saturating_sub(1),
        KeyCode::PageDown => p.scroll += 10,
        KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(10),
        _ if matches!(action, Some(Action::Confirm | Action::Submit)) => {
            let line = p.input.text().trim().to_string();
            match split(&line) {
                Err(why) => p.output = Some((line, false, why)),
                Ok(_) if p.running.is_some() => {}
                Ok(_) => {
                    let id = start(state, format!("gt {line}"));
                    p.running = Some(id);
                    p.output = None;
                    p.scroll = 0;
                    effects.push(Effect::RunCommand { id, line });
                }
            }
        }
        _ => {
            if p.input.handle(&key) {
                p.selected = 0;
            }
        }
    }
    state.modal = Some(Modal::Palette(p));
    effects
}

pub(super) fn body(state: &State, p: &Palette) -> Body {
    let t = &state.theme;
    let area = big(state);
    let width = area.width.saturating_sub(2) as usize;
    let rows = area.height.saturating_sub(3) as usize;
    let mut text = p.input.text().to_string();
    let at = text
        .char_indices()
        .nth(p.input.cursor())
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    text.insert(at, '▏');
    let mut lines = vec![Line::from(vec![
        Span::styled("gt ", t.style(Slot::Accent)),
        Span::styled(text, t.style(Slot::Input)),
    ])];
    let choices = completions(state, p);
    for (i, c) in choices.iter().take(8).enumerate() {
        let slot = if i == p.selected {
            Slot::Selected
        } else {
            Slot::Dim
        };
        lines.push(Line::from(Span::styled(format!("   {c}"), t.style(slot))));
    }
    lines.push(Line::default());
    match (&p.output, p.running) {
        (_, Some(_)) => lines.push(Line::from(Span::styled(
            "running…".to_string(),
            t.style(Slot::Queued),
        ))),
        (Some((cmd, ok, out)), None) => {
            let (mark, slot) = if *ok {
                ("✓", Slot::Delivered)
            } else {
                ("✗", Slot::Failed)
            };
            lines.push(Line::from(Span::styled(
                format!("{mark} gt {cmd}"),
                t.style(slot),
            )));
            let body: Vec<Line<'static>> = out.lines().map(|l| Line::from(l.to_string())).collect();
            let body = wrap_lines(body, width);
            let room = rows.saturating_sub(lines.len() + 1);
            let skip = p.scroll.min(body.len().saturating_sub(room));
            let more = body.len() > skip + room;
            lines.extend(body.into_iter().skip(skip).take(room));
            if more || skip > 0 {
                lines.push(Line::from(Span::styled(
                    "↑↓ PgUp/PgDn scroll the output".to_string(),
                    t.style(Slot::Dim),
                )));
            }
        }
        (None, None) => lines.push(Line::from(Span::styled(
            "any gt command — sling sh-a1 shop · mq approve sh-mr3 · bead create \"A title\" --description \"…\" · Tab completes"
                .to_string(),
            t.style(Slot::Dim),
        ))),
    }
    (area, lines)
}
