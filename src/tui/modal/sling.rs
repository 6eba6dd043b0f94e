//! Slinging from the workspace: pick a bead, pick where it goes, confirm.

use super::{Body, big, centered, picker_key, picker_lines, start};
use crate::tui::action::Action;
use crate::tui::msg::Effect;
use crate::tui::picker::Picker;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Slot;
use crate::tui::view::common::fit;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

pub(super) fn bead_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    mut picker: Picker<String>,
) -> Vec<Effect> {
    if picker_key(&mut picker, &key, false) {
        state.modal = Some(Modal::SlingBead { picker });
        return Vec::new();
    }
    if matches!(action, Some(Action::Confirm | Action::Submit))
        && let Some((bead, label)) = picker.current()
    {
        state.modal = Some(Modal::SlingTarget {
            title: label,
            picker: Picker::new(targets(state, &bead)),
            bead,
        });
        return Vec::new();
    }
    state.modal = Some(Modal::SlingBead { picker });
    Vec::new()
}

pub(super) fn target_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    bead: String,
    title: String,
    mut picker: Picker<String>,
) -> Vec<Effect> {
    if picker_key(&mut picker, &key, false) {
        state.modal = Some(Modal::SlingTarget {
            bead,
            title,
            picker,
        });
        return Vec::new();
    }
    if matches!(action, Some(Action::Confirm | Action::Submit))
        && let Some((target, _)) = picker.current()
    {
        state.modal = Some(Modal::SlingConfirm {
            bead,
            title,
            target,
        });
        return Vec::new();
    }
    state.modal = Some(Modal::SlingTarget {
        bead,
        title,
        picker,
    });
    Vec::new()
}

pub(super) fn confirm_key(
    state: &mut State,
    key: KeyEvent,
    action: Option<Action>,
    bead: String,
    title: String,
    target: String,
) -> Vec<Effect> {
    if matches!(action, Some(Action::Confirm | Action::Submit)) || key.code == KeyCode::Char('y') {
        let id = start(state, format!("sling {bead} → {target}"));
        state.toast(format!("Slinging {bead} to {target}…"), false);
        return vec![Effect::Sling { id, bead, target }];
    }
    state.modal = Some(Modal::SlingConfirm {
        bead,
        title,
        target,
    });
    Vec::new()
}

/// The bead picker (also the convoy's: `multi` shows the marks).
pub(super) fn bead_body(state: &State, picker: &Picker<String>, multi: bool) -> Body {
    let big = big(state);
    let inner_h = big.height.saturating_sub(2) as usize;
    (
        big,
        picker_lines(
            state,
            picker,
            inner_h,
            big.width.saturating_sub(2) as usize,
            multi,
        ),
    )
}

pub(super) fn target_body(state: &State, title: &str, picker: &Picker<String>) -> Body {
    let t = &state.theme;
    let big = big(state);
    let inner_h = big.height.saturating_sub(4) as usize;
    let mut lines = vec![
        Line::from(Span::styled(
            fit(title, big.width as usize - 4),
            t.style(Slot::Dim),
        )),
        Line::default(),
    ];
    lines.extend(picker_lines(
        state,
        picker,
        inner_h,
        big.width.saturating_sub(2) as usize,
        false,
    ));
    (big, lines)
}

pub(super) fn confirm_body(state: &State, title: &str, target: &str) -> Body {
    let t = &state.theme;
    (
        centered(state.size, 60, 7),
        vec![
            Line::from(format!("Sling {title}")),
            Line::from(vec![
                Span::raw("to "),
                Span::styled(target.to_string(), t.style(Slot::Accent)),
            ]),
            Line::default(),
            Line::from(Span::styled(
                "Enter to sling, Esc to cancel".to_string(),
                t.style(Slot::Dim),
            )),
        ],
    )
}

/// Where a bead can go: each rig (a new or idle polecat), crew members, the mayor, and idle
/// polecats by name.
fn targets(state: &State, bead: &str) -> Vec<(String, String)> {
    let s = &state.snapshot;
    let own = bead
        .rsplit_once('-')
        .and_then(|(prefix, _)| s.prefixes.get(prefix));
    let mut rigs = s.rigs.clone();
    // The bead's own rig first: that is where its code is.
    rigs.sort_by_key(|r| Some(r) != own);
    let mut out: Vec<(String, String)> = rigs
        .iter()
        .map(|r| (r.clone(), format!("{r}  (a new or idle polecat)")))
        .collect();
    for a in &s.agents {
        let fits = match a.role.as_str() {
            "crew" | "mayor" => true,
            "polecat" => a.hook.is_none(),
            _ => false,
        };
        if fits {
            out.push((
                a.address.clone(),
                format!("{}  ({}, {})", a.address, a.role, a.session),
            ));
        }
    }
    out
}
