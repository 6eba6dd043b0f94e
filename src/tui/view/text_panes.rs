//! Preview (the selected agent's screen, colours kept) and the mayor chat (the mayor's
//! screen, the lines you sent with their delivery state, and the input).

use super::common::{empty_line, fit, frame, inner, wrap_lines};
use crate::tui::ansi;
use crate::tui::state::{Outcome, PaneId, State};
use crate::tui::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// The last `height` lines, `back` lines up from the end.
fn window<T: Clone>(lines: &[T], height: usize, back: usize) -> Vec<T> {
    let back = back.min(lines.len().saturating_sub(height));
    let end = lines.len() - back;
    let start = end.saturating_sub(height);
    lines[start..end].to_vec()
}

/// Trailing blank lines of a captured screen say nothing.
fn trim_end<T, F: Fn(&T) -> bool>(mut v: Vec<T>, blank: F) -> Vec<T> {
    while v.last().is_some_and(&blank) {
        v.pop();
    }
    v
}

pub fn preview(f: &mut Frame, state: &State, area: Rect, group: &[PaneId]) {
    let s = &state.snapshot;
    let body = inner(area);
    let (title, lines) = match &s.preview {
        Some(p) => {
            let lines = trim_end(ansi::to_lines(&p.text), |l: &Line| {
                l.spans.iter().all(|s| s.content.trim().is_empty())
            });
            let lines = wrap_lines(lines, body.width as usize);
            let back = state.scroll.get(&PaneId::Preview).copied().unwrap_or(0);
            (p.agent.clone(), window(&lines, body.height as usize, back))
        }
        None => {
            // A screen that could not be read is said as such, never as "no session".
            let failed = s.problems.iter().find(|p| p.starts_with("tmux"));
            let why = if !state.loaded {
                "loading…".to_string()
            } else if let Some(p) = failed {
                crate::inert::visible(&format!("could not read the screens: {p}"))
            } else if s.agents.is_empty() {
                "no agents yet".to_string()
            } else {
                "the selected agent has no session".to_string()
            };
            (String::new(), vec![empty_line(state, &why)])
        }
    };
    f.render_widget(
        Paragraph::new(lines).block(frame(state, PaneId::Preview, group, title)),
        area,
    );
}

/// Rows of the chat's input, of the lines you sent, and of the mayor's transcript.
fn chat_rows(state: &State, body: Rect) -> (u16, u16, u16) {
    let input_h = 3.min(body.height / 2).max(1);
    let sent_h = (state.chat.len().min(3) as u16).min(body.height.saturating_sub(input_h + 1));
    (
        input_h,
        sent_h,
        body.height.saturating_sub(input_h + sent_h),
    )
}

/// The size of the mayor's transcript in the chat pane at `area` (its window is sized to it).
pub fn transcript_size(state: &State, area: Rect) -> (u16, u16) {
    let body = inner(area);
    (body.width, chat_rows(state, body).2)
}

pub fn chat(f: &mut Frame, state: &State, area: Rect, group: &[PaneId]) {
    let m = &state.snapshot.mayor;
    let extra = if m.running {
        format!("mayor · {}", m.session)
    } else {
        "mayor not running".into()
    };
    let block = frame(state, PaneId::Mayor, group, extra);
    let body = inner(area);
    f.render_widget(block, area);
    if body.height < 3 {
        return;
    }
    let (input_h, sent_h, transcript_h) = chat_rows(state, body);
    let width = body.width as usize;
    let mut lines: Vec<Line> = if m.running {
        let all: Vec<Line> = trim_end(
            m.transcript
                .lines()
                .map(|l| Line::from(l.trim_end().to_string()))
                .collect(),
            |l: &Line| l.spans.iter().all(|s| s.content.trim().is_empty()),
        );
        let all = wrap_lines(all, width);
        let back = state.scroll.get(&PaneId::Mayor).copied().unwrap_or(0);
        window(&all, transcript_h as usize, back)
    } else {
        vec![empty_line(
            state,
            "The mayor is not running. Start it with `gt mayor start`; what you type here is delivered to it.",
        )]
    };
    lines.truncate(transcript_h as usize);
    f.render_widget(
        Paragraph::new(lines),
        Rect::new(body.x, body.y, body.width, transcript_h),
    );
    let sent: Vec<Line> = state
        .chat
        .iter()
        .rev()
        .take(sent_h as usize)
        .rev()
        .map(|l| {
            let (mark, slot, why) = match &l.state {
                Outcome::Pending => ("…", Slot::Queued, String::new()),
                Outcome::Done(_) => ("✓", Slot::Delivered, String::new()),
                Outcome::Failed(e) => ("✗", Slot::Failed, format!(" — {e}")),
            };
            Line::from(vec![
                Span::styled(format!("{mark} "), state.theme.style(slot)),
                Span::styled(
                    fit(
                        &format!("you: {}{why}", l.text.replace('\n', " ⏎ ")),
                        width.saturating_sub(2),
                    ),
                    state.theme.style(Slot::Dim),
                ),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(sent),
        Rect::new(body.x, body.y + transcript_h, body.width, sent_h),
    );
    let mut input = state.chat_input.clone();
    input.set_block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(state.theme.style(Slot::Border)),
    );
    input.set_style(state.theme.style(Slot::Input));
    input.set_placeholder_style(state.theme.style(Slot::Placeholder));
    if state.focus != PaneId::Mayor || state.modal.is_some() {
        input.set_cursor_style(state.theme.style(Slot::Input));
    }
    input.set_cursor_line_style(ratatui::style::Style::default());
    f.render_widget(
        &input,
        Rect::new(body.x, body.y + body.height - input_h, body.width, input_h),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_shows_the_end_and_scrolls_back() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(window(&v, 3, 0), vec![7, 8, 9]);
        assert_eq!(window(&v, 3, 2), vec![5, 6, 7]);
        assert_eq!(window(&v, 3, 99), vec![0, 1, 2]);
        assert_eq!(window(&v, 20, 0), v);
    }
}
