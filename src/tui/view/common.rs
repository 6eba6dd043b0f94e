//! Pieces every pane uses: its frame, row fitting, icons.

use crate::tui::state::{PaneId, State};
use crate::tui::theme::Slot;
use crate::work::agents::live::SessionState;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

/// A pane's frame: number and title, the other panes of its slot as tabs, and extra text
/// (counts, the filter) on the right.
pub fn frame<'a>(state: &State, pane: PaneId, group: &[PaneId], extra: String) -> Block<'a> {
    let focused = state.focus == pane && state.modal.is_none();
    let t = &state.theme;
    let border = if focused {
        t.style(Slot::BorderFocused)
    } else {
        t.style(Slot::Border)
    };
    let title_style = if focused {
        t.style(Slot::TitleFocused)
    } else {
        t.style(Slot::Title)
    };
    let mut spans = vec![Span::styled(
        format!(" {} {} ", pane.number(), pane.title()),
        title_style,
    )];
    // The other panes of a shared slot, by number (press it to bring that pane forward).
    let others: Vec<String> = group
        .iter()
        .filter(|p| **p != pane)
        .map(|p| p.number().to_string())
        .collect();
    if !others.is_empty() {
        spans.push(Span::styled(
            format!("· {} ", others.join(" ")),
            t.style(Slot::Dim),
        ));
    }
    let cursor = state.cursor(pane);
    let mut right = Vec::new();
    if cursor.filtering || !cursor.filter.is_empty() {
        let caret = if cursor.filtering { "▏" } else { "" };
        right.push(Span::styled(
            format!(" /{}{caret} ", cursor.filter),
            t.style(Slot::Filter),
        ));
    }
    if !extra.is_empty() {
        right.push(Span::styled(format!(" {extra} "), t.style(Slot::Dim)));
    }
    if state.zoomed && state.focus == pane {
        right.push(Span::styled(" zoomed ", t.style(Slot::Accent)));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(border)
        .title(Line::from(spans))
        .title(Line::from(right).right_aligned())
}

/// Cuts `s` to `width` columns, marking the cut with an ellipsis.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Pads or cuts to exactly `width` columns.
pub fn pad(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let f = fit(s, width);
    let w = f.width();
    format!("{f}{}", " ".repeat(width.saturating_sub(w)))
}

/// The icon and style slot of an agent's session state.
pub fn state_icon(session: SessionState) -> (&'static str, Slot) {
    match session {
        SessionState::Working => ("●", Slot::StateWorking),
        SessionState::Idle => ("○", Slot::StateIdle),
        SessionState::Starting => ("◌", Slot::StateStarting),
        SessionState::Exited => ("✖", Slot::StateExited),
        SessionState::Blocked => ("⊘", Slot::StateWaiting),
        SessionState::NoSession => ("·", Slot::StateUnknown),
        SessionState::Running => ("◍", Slot::StateWorking),
    }
}

/// The mark for a delivery state.
pub fn delivery_icon(state: &str) -> (&'static str, Slot) {
    match state {
        "delivered" => ("✓", Slot::Delivered),
        "failed" => ("✗", Slot::Failed),
        _ => ("…", Slot::Queued),
    }
}

/// The style of a row: selected (strong when the pane has focus) or plain.
pub fn row_style(state: &State, pane: PaneId, selected: bool) -> Style {
    if !selected {
        return Style::default();
    }
    if state.focus == pane && state.modal.is_none() {
        state.theme.style(Slot::Selected)
    } else {
        state.theme.style(Slot::SelectedUnfocused)
    }
}

/// A message inside an empty pane.
pub fn empty_line<'a>(state: &State, text: &str) -> Line<'a> {
    Line::from(Span::styled(text.to_string(), state.theme.style(Slot::Dim)))
}

/// The inner area of a bordered block.
pub fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

/// Lines wider than `width` continue on the next row instead of being cut (a screen wider
/// than its view: a window a person is attached to, or a view below the smallest window).
pub fn wrap_lines(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    if width == 0 {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let mut row: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut piece = String::new();
            for c in span.content.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > width {
                    if !piece.is_empty() {
                        row.push(Span::styled(std::mem::take(&mut piece), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut row)));
                    used = 0;
                }
                piece.push(c);
                used += w;
            }
            if !piece.is_empty() {
                row.push(Span::styled(piece, span.style));
            }
        }
        if !row.is_empty() {
            out.push(Line::from(row));
        }
    }
    out
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    #[test]
    fn long_lines_continue_below_with_their_styles() {
        let red = ratatui::style::Style::new().fg(ratatui::style::Color::Red);
        let line = Line::from(vec![Span::raw("abcd"), Span::styled("efghij", red)]);
        let out = wrap_lines(vec![line, Line::from("ok")], 4);
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["abcd", "efgh", "ij", "ok"]);
        assert_eq!(out[1].spans[0].style, red);
    }
}
