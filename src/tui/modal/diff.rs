//! The diff view: what a piece of work changes — the files with their line counts, then the
//! patch, coloured and scrollable. A merge request waiting for review is approved (`a`) or
//! sent back with a comment (`b`) from here.

use super::{Body, big, centered, input_line, start};
use crate::tui::action::Action;
use crate::tui::input::LineInput;
use crate::tui::msg::Effect;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crate::tui::view::common::wrap_lines;
use crate::work::refinery::diff::DiffView;
use crate::work::refinery::review;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

pub(super) fn key(
    state: &mut State,
    key: KeyEvent,
    view: Box<DiffView>,
    scroll: usize,
) -> Vec<Effect> {
    let page = state.size.1.saturating_sub(8).max(1) as usize;
    let scroll = match key.code {
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(page),
        KeyCode::PageUp => scroll.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => usize::MAX,
        KeyCode::Char('q') | KeyCode::Enter => return Vec::new(),
        KeyCode::Char('a') if reviewable(&view) => return approve(state, &view),
        KeyCode::Char('b') if reviewable(&view) => {
            return send_back_form(state, &view);
        }
        _ => scroll,
    };
    state.modal = Some(Modal::Diff { view, scroll });
    Vec::new()
}

/// A merge request still open for a decision (waiting, or approved ahead of its test).
fn reviewable(view: &DiffView) -> bool {
    view.merge_request.is_some()
        && matches!(
            view.review.as_deref(),
            Some(review::WAITING) | Some(review::APPROVED)
        )
}

fn approve(state: &mut State, view: &DiffView) -> Vec<Effect> {
    let Some(mr) = view.merge_request.clone() else {
        return Vec::new();
    };
    let id = start(state, format!("approving {mr}"));
    vec![Effect::Approve { id, mr }]
}

fn send_back_form(state: &mut State, view: &DiffView) -> Vec<Effect> {
    if let Some(mr) = view.merge_request.clone() {
        state.modal = Some(Modal::SendBack {
            mr,
            input: LineInput::default(),
        });
    }
    Vec::new()
}

/// The patch lines as drawn (computed once per frame from the view; cheap next to a draw).
fn all_lines(state: &State, view: &DiffView) -> Vec<Line<'static>> {
    let t = &state.theme;
    let mut lines = Vec::with_capacity(view.change.files.len() + 4);
    lines.push(Line::from(Span::styled(
        view.what.clone(),
        t.style(Slot::Accent),
    )));
    let review = match view.review.as_deref() {
        Some(review::WAITING) => " · waiting for your review",
        Some(review::APPROVED) => " · approved",
        _ => "",
    };
    lines.push(Line::from(Span::styled(
        format!(
            "{} file(s), +{} −{} against {}{review}{}",
            view.change.files.len(),
            view.change.insertions,
            view.change.deletions,
            view.base,
            view.uncommitted
                .filter(|n| *n > 0)
                .map(|n| format!(" · {n} uncommitted file(s) not shown"))
                .unwrap_or_default()
        ),
        t.style(Slot::Dim),
    )));
    for f in &view.change.files {
        lines.push(Line::from(vec![
            Span::raw(format!("  {}  ", f.path)),
            Span::styled(format!("+{}", f.insertions), t.style(Slot::Delivered)),
            Span::styled(format!(" −{}", f.deletions), t.style(Slot::Failed)),
        ]));
    }
    lines.push(Line::default());
    for l in view.change.patch.lines() {
        let slot = match l.as_bytes().first() {
            Some(b'+') if !l.starts_with("+++") => Slot::Delivered,
            Some(b'-') if !l.starts_with("---") => Slot::Failed,
            Some(b'@') => Slot::Accent,
            Some(b'd') if l.starts_with("diff ") => Slot::Title,
            _ => Slot::Base,
        };
        lines.push(Line::from(Span::styled(l.to_string(), t.style(slot))));
    }
    lines
}

pub(super) fn body(state: &State, view: &DiffView, scroll: &usize) -> Body {
    let area = big(state);
    let rows = area.height.saturating_sub(3) as usize;
    // Wrapped here, so the dialog's own wrapping never pushes the key line off.
    let all = wrap_lines(
        all_lines(state, view),
        area.width.saturating_sub(2) as usize,
    );
    let total = all.len();
    let skip = (*scroll).min(total.saturating_sub(rows));
    let mut shown: Vec<Line<'static>> = all.into_iter().skip(skip).take(rows).collect();
    let keys = if reviewable(view) {
        "a approve · b send back · j/k PgUp/PgDn scroll · Esc close"
    } else {
        "j/k PgUp/PgDn scroll · Esc close"
    };
    shown.push(Line::from(Span::styled(
        format!(
            "{keys}  ({}–{} of {total})",
            skip + 1,
            (skip + rows).min(total)
        ),
        state.theme.style(Slot::Dim),
    )));
    (area, shown)
}

pub(super) fn send_back_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    mr: String,
    mut input: LineInput,
) -> Vec<Effect> {
    if matches!(action, Some(Action::Confirm | Action::Submit)) {
        let comment = input.text().trim().to_string();
        if !comment.is_empty() {
            let id = start(state, format!("sending {mr} back"));
            return vec![Effect::SendBack { id, mr, comment }];
        }
    } else {
        input.handle(&key);
    }
    state.modal = Some(Modal::SendBack { mr, input });
    Vec::new()
}

pub(super) fn send_back_body(state: &State, mr: &str, input: &LineInput) -> Body {
    let area = centered(state.size, 70, 6);
    (
        area,
        vec![
            Line::from(format!(
                "{mr} goes back to its polecat with your comment (by mail and on the bead)"
            )),
            input_line(
                state,
                "comment",
                input,
                true,
                area.width.saturating_sub(2) as usize,
            ),
            Line::from(Span::styled(
                "Enter sends it back · Esc cancels".to_string(),
                state.theme.style(Slot::Dim),
            )),
        ],
    )
}
