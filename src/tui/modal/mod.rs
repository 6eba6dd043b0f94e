//! The workspace's dialogs, one file each with its keys and its drawing: help, the sling
//! and convoy pickers, compose, nudge, identity, the mail reader, quit confirmation. Here:
//! the dispatch on the open modal and what the dialogs share (frame, inputs, pickers).

pub mod bead;
pub mod compose;
mod convoy;
mod diff;
mod escalation;
mod help;
mod identity;
mod nudge;
mod palette;
mod quit;
mod reader;
mod sling;

use super::action::{Action, Context};
use super::input::LineInput;
use super::keymap::{KeySpec, Resolution};
use super::msg::Effect;
use super::picker::Picker;
use super::state::{Modal, State};
use super::theme::Slot;
pub(super) use super::update::start;
use crate::tui::view::common::{fit, pad};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

/// Where a dialog goes and what it shows.
type Body = (Rect, Vec<Line<'static>>);

/// A key while a modal is open: Cancel closes any of them; the rest is the modal's own.
pub fn key(state: &mut State, key: KeyEvent, spec: KeySpec) -> Vec<Effect> {
    let action = modal_action(state, spec);
    if action == Some(Action::Cancel) {
        state.modal = None;
        return Vec::new();
    }
    let Some(modal) = state.modal.take() else {
        return Vec::new();
    };
    match modal {
        Modal::Palette(p) => palette::key(state, key, action, p),
        Modal::BeadForm(f) => bead::form_key(state, key, action, f),
        Modal::Details { tree, scroll } => bead::details_key(state, key, tree, scroll),
        Modal::Help { scroll } => help::key(state, key, scroll),
        Modal::ConfirmQuit => quit::key(state, key, action),
        Modal::Escalation { escalation } => escalation::key(state, key, action, escalation),
        Modal::Diff { view, scroll } => diff::key(state, key, view, scroll),
        Modal::SendBack { mr, input } => diff::send_back_key(state, key, action, mr, input),
        Modal::Reader { item, scroll } => reader::key(state, key, spec, item, scroll),
        Modal::SlingBead { picker } => sling::bead_key(state, key, action, picker),
        Modal::SlingTarget {
            bead,
            title,
            picker,
        } => sling::target_key(state, key, action, bead, title, picker),
        Modal::SlingConfirm {
            bead,
            title,
            target,
        } => sling::confirm_key(state, key, action, bead, title, target),
        Modal::NewConvoyBeads { picker } => convoy::beads_key(state, key, action, picker),
        Modal::NewConvoyTitle { beads, input } => {
            convoy::title_key(state, key, action, beads, input)
        }
        Modal::Nudge { agent, input } => nudge::key(state, key, action, agent, input),
        Modal::Identity { input } => identity::key(state, key, action, input),
        Modal::Compose(mut c) => compose::key(state, &mut c, key, action).unwrap_or_else(|| {
            state.modal = Some(Modal::Compose(c));
            Vec::new()
        }),
    }
}

/// Draws the open modal over the panes.
pub fn draw(f: &mut Frame, state: &State, modal: &Modal) {
    let t = &state.theme;
    let (area, lines) = match modal {
        Modal::Palette(p) => palette::body(state, p),
        Modal::BeadForm(f) => bead::form_body(state, f),
        Modal::Details { tree, scroll } => bead::details_body(state, tree, scroll),
        Modal::Help { scroll } => help::body(state, scroll),
        Modal::SlingBead { picker } => sling::bead_body(state, picker, false),
        Modal::NewConvoyBeads { picker } => sling::bead_body(state, picker, true),
        Modal::SlingTarget { title, picker, .. } => sling::target_body(state, title, picker),
        Modal::SlingConfirm { title, target, .. } => sling::confirm_body(state, title, target),
        Modal::Compose(c) => compose::body(state, c),
        Modal::Nudge { agent, input } => nudge::body(state, agent, input),
        Modal::NewConvoyTitle { beads, input } => convoy::title_body(state, beads, input),
        Modal::Identity { input } => identity::body(state, input),
        Modal::Reader { item, scroll } => reader::body(state, item, scroll),
        Modal::ConfirmQuit => quit::body(state),
        Modal::Escalation { escalation } => escalation::body(state, escalation),
        Modal::Diff { view, scroll } => diff::body(state, view, scroll),
        Modal::SendBack { mr, input } => diff::send_back_body(state, mr, input),
    };
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(t.style(Slot::Modal))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Double)
                    .border_style(t.style(Slot::BorderFocused))
                    .title(Span::styled(
                        format!(" {} ", modal.title()),
                        t.style(Slot::TitleFocused),
                    )),
            ),
        area,
    );
}

/// The large dialog area (pickers, help, the reader).
fn big(state: &State) -> Rect {
    centered(state.size, 70, state.size.1.saturating_sub(4))
}

/// The action for a key inside a modal: the modal's own bindings only.
fn modal_action(state: &State, spec: KeySpec) -> Option<Action> {
    match state.keymap.resolve(&[Context::Modal], &[], spec) {
        Resolution::Action(a) => Some(a),
        _ => None,
    }
}

fn centered(size: (u16, u16), w_pct: u16, h: u16) -> Rect {
    let (w, hh) = size;
    let width = (w * w_pct / 100).max(40.min(w));
    let height = h.min(hh.saturating_sub(2)).max(3);
    Rect::new(
        (w - width) / 2,
        hh.saturating_sub(height) / 3,
        width,
        height,
    )
}

fn input_line(
    state: &State,
    label: &str,
    input: &LineInput,
    focused: bool,
    width: usize,
) -> Line<'static> {
    let t = &state.theme;
    let mut text = input.text().to_string();
    if focused {
        let at = text
            .char_indices()
            .nth(input.cursor())
            .map(|(i, _)| i)
            .unwrap_or(text.len());
        text.insert(at, '▏');
    }
    Line::from(vec![
        Span::styled(
            format!("{label:>9} "),
            t.style(if focused { Slot::Accent } else { Slot::Dim }),
        ),
        Span::styled(fit(&text, width.saturating_sub(11)), t.style(Slot::Input)),
    ])
}

fn picker_lines(
    state: &State,
    picker: &Picker<String>,
    height: usize,
    width: usize,
    multi: bool,
) -> Vec<Line<'static>> {
    let t = &state.theme;
    let mut lines = vec![
        input_line(state, "filter", &picker.filter, true, width),
        Line::default(),
    ];
    let matches = picker.matches();
    let rows = height.saturating_sub(2);
    let start = picker.selected.saturating_sub(rows.saturating_sub(1));
    for (i, (k, label)) in matches.iter().enumerate().skip(start).take(rows) {
        let mark = if multi {
            if picker.marked.contains(k) {
                "[x] "
            } else {
                "[ ] "
            }
        } else {
            ""
        };
        let style = if i == picker.selected {
            t.style(Slot::Selected)
        } else {
            t.style(Slot::Base)
        };
        lines.push(Line::from(Span::styled(
            pad(&format!("{mark}{label}"), width),
            style,
        )));
    }
    if matches.is_empty() {
        lines.push(Line::from(Span::styled(
            "nothing matches".to_string(),
            t.style(Slot::Dim),
        )));
    }
    lines
}

/// Moves through a picker or edits its filter; true when the key was used.
fn picker_key(picker: &mut Picker<String>, key: &KeyEvent, _multi: bool) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Down => picker.move_by(1),
        KeyCode::Up => picker.move_by(-1),
        KeyCode::Char('n') if ctrl => picker.move_by(1),
        KeyCode::Char('p') if ctrl => picker.move_by(-1),
        KeyCode::PageDown => picker.move_by(10),
        KeyCode::PageUp => picker.move_by(-10),
        KeyCode::Home => picker.to_end(false),
        KeyCode::End => picker.to_end(true),
        _ => {
            if !picker.filter.handle(key) {
                return false;
            }
            picker.refilter();
        }
    }
    true
}
