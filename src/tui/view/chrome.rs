//! The status bar and the toasts.

use crate::tui::action::{Action, Context};
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Slot;
use crate::work::agents::live::SessionState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn status_bar(f: &mut Frame, state: &State) {
    let area = layout::status_bar(state.size);
    let t = &state.theme;
    let s = &state.snapshot;
    let count = |st: SessionState| s.agents.iter().filter(|a| a.session == st).count();
    // Narrow terminals get the short form; the key hints matter more than the prose.
    let wide = area.width >= 140;
    let facts = if wide {
        // Today's spending, once there is any (a town of simulated agents spends nothing).
        let today = if s.costs.today.tokens > 0 {
            format!("today {} · ", s.costs.today.dollars())
        } else {
            String::new()
        };
        format!(
            " {} agents: {} working, {} idle · {} convoys · ✉ {} · {today}{} ",
            s.agents.len(),
            count(SessionState::Working),
            count(SessionState::Idle),
            s.convoys.len(),
            s.unread,
            s.daemon
        )
    } else {
        format!(
            " {} working, {} idle · ✉ {} ",
            count(SessionState::Working),
            count(SessionState::Idle),
            s.unread
        )
    };
    let town = if s.town.is_empty() { "gt" } else { &s.town };
    let mut spans = vec![
        Span::styled(format!(" {town} "), t.style(Slot::StatusKey)),
        Span::styled(facts, t.style(Slot::StatusBar)),
    ];
    if !s.attention.is_empty() {
        let text = if wide {
            format!(" ⚑ {} need you ", s.attention.len())
        } else {
            format!(" ⚑ {} ", s.attention.len())
        };
        spans.push(Span::styled(text, t.style(Slot::ToastWarn)));
    }
    if !state.pending.is_empty() {
        let keys: Vec<String> = state.pending.iter().map(|k| k.to_string()).collect();
        spans.push(Span::styled(
            format!(" {} … ", keys.join(" ")),
            t.style(Slot::Accent),
        ));
    }
    if !state.inflight.is_empty() {
        spans.push(Span::styled(
            format!(" ⋯ {} running ", state.inflight.len()),
            t.style(Slot::Queued),
        ));
    }
    let hints: &[(Action, &str)] = if wide {
        &[
            (Action::Help, "help"),
            (Action::Sling, "sling"),
            (Action::Compose, "mail"),
            (Action::Attach, "attach"),
            (Action::Quit, "quit"),
        ]
    } else {
        &[(Action::Help, "help"), (Action::Quit, "quit")]
    };
    for &(action, word) in hints {
        let ctx = if action == Action::Attach {
            Context::Agents
        } else {
            Context::Global
        };
        if let Some(k) = state.keymap.keys_for(ctx, action).first() {
            spans.push(Span::styled(format!(" {k} "), t.style(Slot::StatusKey)));
            spans.push(Span::styled(format!("{word} "), t.style(Slot::StatusBar)));
        }
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style(Slot::StatusBar)),
        area,
    );
}

pub fn toasts(f: &mut Frame, state: &State) {
    let (w, h) = state.size;
    let width = (w / 2).clamp(20, 70).min(w);
    let mut y = h.saturating_sub(2);
    for toast in state.toasts.iter().rev() {
        let lines = (toast.text.chars().count() as u16 / width.saturating_sub(4).max(1)) + 1;
        let height = (lines + 2).min(6);
        if y < height {
            break;
        }
        y -= height;
        let area = Rect::new(w.saturating_sub(width + 1), y, width, height);
        let slot = if toast.error {
            Slot::ToastError
        } else {
            Slot::ToastInfo
        };
        f.render_widget(Clear, area);
        f.render_widget(
            Paragraph::new(toast.text.clone())
                .wrap(Wrap { trim: true })
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(state.theme.style(slot)),
                )
                .style(state.theme.style(slot)),
            area,
        );
    }
}
