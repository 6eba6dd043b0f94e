//! A bead: its details with what it depends on and what depends on it (`e` edits it from
//! there), and the form that creates or edits one — title, type, priority, rig, description.

use super::{Body, big, centered, input_line, start};
use crate::tui::action::Action;
use crate::tui::input::LineInput;
use crate::tui::msg::Effect;
use crate::tui::state::{BEAD_FIELDS, BeadForm, Modal, State};
use crate::tui::theme::Slot;
use crate::tui::view::common::wrap_lines;
use crate::work::beads::tree::BeadTree;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

/// The rig field's place in `BEAD_FIELDS`.
const RIG: usize = 3;

/// A new bead's form, its rig the one of the selected agent (or the first rig).
pub fn new_form(rig: &str) -> BeadForm {
    let mut f = BeadForm::default();
    f.fields[1] = LineInput::with_text("task");
    f.fields[2] = LineInput::with_text("2");
    f.fields[3] = LineInput::with_text(rig);
    f
}

/// The form filled from a bead, to change it.
pub fn edit_form(t: &BeadTree) -> BeadForm {
    let mut f = BeadForm {
        editing: Some(t.id.clone()),
        ..BeadForm::default()
    };
    f.fields[0] = LineInput::with_text(&t.title);
    f.fields[1] = LineInput::with_text(&t.issue_type);
    f.fields[2] = LineInput::with_text(&t.priority.to_string());
    f.fields[3] = LineInput::with_text(t.rig.as_deref().unwrap_or(""));
    // One line here: its line breaks shown as ⏎ and kept when saved.
    f.fields[4] = LineInput::with_text(
        &t.description
            .clone()
            .unwrap_or_default()
            .replace('\n', " ⏎ "),
    );
    f.original = Some(std::array::from_fn(|i| f.fields[i].text().to_string()));
    f
}

pub(super) fn form_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    mut f: Box<BeadForm>,
) -> Vec<Effect> {
    let n = BEAD_FIELDS.len();
    // A bead stays in its rig: editing skips that field.
    let step = |f: &BeadForm, from: usize, by: usize| {
        let next = (from + by) % n;
        if f.editing.is_some() && next == RIG {
            (next + by) % n
        } else {
            next
        }
    };
    match action {
        Some(Action::NextField) => f.focus = step(&f, f.focus, 1),
        Some(Action::PrevField) => f.focus = step(&f, f.focus, n - 1),
        Some(Action::Submit) => return submit(state, f),
        Some(Action::Confirm) if f.focus + 1 == n => return submit(state, f),
        Some(Action::Confirm) => f.focus = step(&f, f.focus, 1),
        _ => {
            f.fields[f.focus].handle(&key);
        }
    }
    state.modal = Some(Modal::BeadForm(f));
    Vec::new()
}

fn submit(state: &mut State, f: Box<BeadForm>) -> Vec<Effect> {
    let text = |i: usize| f.fields[i].text().trim().to_string();
    if text(0).is_empty() {
        let mut f = f;
        f.error = Some("a bead needs a title".into());
        f.focus = 0;
        state.modal = Some(Modal::BeadForm(f));
        return Vec::new();
    }
    let what = match &f.editing {
        Some(b) => format!("saving {b}"),
        None => format!("creating \"{}\"", text(0)),
    };
    let id = start(state, what);
    // Editing sends only what was changed here: what others changed meanwhile stays.
    let changed = |i: usize| -> Option<String> {
        match &f.original {
            Some(o) if o[i] == f.fields[i].text() => None,
            _ => Some(f.fields[i].text().trim().to_string()),
        }
    };
    if f.editing.is_some() && (0..BEAD_FIELDS.len()).all(|i| changed(i).is_none()) {
        state.inflight.remove(&id);
        state.toast("nothing was changed", false);
        return Vec::new();
    }
    let effect = Effect::SaveBead {
        id,
        fields: crate::work::beads::BeadFields {
            editing: f.editing.clone(),
            title: changed(0),
            kind: changed(1),
            priority: changed(2),
            rig: text(3),
            description: changed(4).map(|d| d.replace(" ⏎ ", "\n")),
        },
    };
    state.bead_drafts.insert(id, *f);
    vec![effect]
}

pub(super) fn form_body(state: &State, f: &BeadForm) -> Body {
    let t = &state.theme;
    let area = centered(state.size, 70, 12);
    let width = area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for (i, name) in BEAD_FIELDS.iter().enumerate() {
        if i == RIG && f.editing.is_some() {
            lines.push(Line::from(Span::styled(
                format!(
                    "{name:>11} {} (a bead stays in its rig)",
                    f.fields[i].text()
                ),
                t.style(Slot::Dim),
            )));
            continue;
        }
        let label = format!("{name:>11}");
        lines.push(input_line(state, &label, &f.fields[i], i == f.focus, width));
    }
    lines.push(Line::default());
    if let Some(e) = &f.error {
        lines.push(Line::from(Span::styled(
            format!("not saved: {e}"),
            t.style(Slot::Failed),
        )));
    }
    lines.push(Line::from(Span::styled(
        "Tab next field · Enter next, on the last saves · Ctrl-S saves · Esc cancels".to_string(),
        t.style(Slot::Dim),
    )));
    lines.push(Line::from(Span::styled(
        "type: task bug feature epic chore decision · priority 0 (critical) – 4 (backlog)"
            .to_string(),
        t.style(Slot::Dim),
    )));
    (area, lines)
}

pub(super) fn details_key(
    state: &mut State,
    key: KeyEvent,
    tree: Box<BeadTree>,
    scroll: usize,
) -> Vec<Effect> {
    let scroll = match key.code {
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown => scroll.saturating_add(10),
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Char('e') => {
            state.modal = Some(Modal::BeadForm(Box::new(edit_form(&tree))));
            return Vec::new();
        }
        KeyCode::Char('q') | KeyCode::Enter => return Vec::new(),
        _ => scroll,
    };
    state.modal = Some(Modal::Details { tree, scroll });
    Vec::new()
}

pub(super) fn details_body(state: &State, tree: &BeadTree, scroll: &usize) -> Body {
    let t = &state.theme;
    let area = big(state);
    let width = area.width.saturating_sub(2) as usize;
    let rows = area.height.saturating_sub(3) as usize;
    let mut all: Vec<Line<'static>> = Vec::new();
    for (i, l) in tree.lines().into_iter().enumerate() {
        let slot = if i == 0 {
            Slot::Accent
        } else if l.ends_with(':') || l.ends_with(": nothing") {
            Slot::Title
        } else {
            Slot::Base
        };
        // Titles and descriptions come from the ledger: through the one seam.
        all.push(Line::from(Span::styled(
            crate::inert::visible(&l),
            t.style(slot),
        )));
    }
    if let Some(d) = tree.description.as_deref().filter(|d| !d.trim().is_empty()) {
        all.push(Line::default());
        all.extend(d.lines().map(|l| Line::from(crate::inert::visible(l))));
    }
    let all = wrap_lines(all, width);
    let skip = (*scroll).min(all.len().saturating_sub(rows));
    let mut shown: Vec<Line<'static>> = all.into_iter().skip(skip).take(rows).collect();
    shown.push(Line::from(Span::styled(
        "e edit · j/k scroll · Esc close".to_string(),
        t.style(Slot::Dim),
    )));
    (area, shown)
}
