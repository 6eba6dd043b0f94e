//! Drawing: a pure function of the state onto a ratatui frame.

mod chrome;
pub mod common;
mod lists;

pub(crate) mod text_panes;

use super::layout;
use super::state::{PaneId, State};
use ratatui::Frame;

pub fn draw(f: &mut Frame, state: &State) {
    for (pane, rect, group) in layout::arrangement(state) {
        match pane {
            PaneId::Preview => text_panes::preview(f, state, rect, &group),
            PaneId::Mayor => text_panes::chat(f, state, rect, &group),
            _ => lists::draw(f, state, pane, rect, &group),
        }
    }
    chrome::banner(f, state);
    chrome::status_bar(f, state);
    if let Some(m) = &state.modal {
        crate::tui::modal::draw(f, state, m);
    }
    chrome::toasts(f, state);
}
