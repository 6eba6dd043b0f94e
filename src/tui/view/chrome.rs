//! The status bar and the toasts.

use crate::tui::action::{Action, Context};
use crate::tui::layout;
use crate::tui::state::{PaneId, State};
use crate::tui::theme::Slot;
use crate::work::agents::live::SessionState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

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
    // What could not be read this time (tmux, the ledger): the counts above are short of it.
    if let Some(p) = s.problems.first() {
        let text = if wide {
            let short: String = p.chars().take(60).collect();
            let more = if short.len() < p.len() { "…" } else { "" };
            crate::inert::visible(&format!(" ⚠ not read: {short}{more} "))
        } else {
            " ⚠ read failed ".to_string()
        };
        spans.push(Span::styled(text, t.style(Slot::ToastError)));
    }
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
    // The focused pane's own keys first, then the town-wide ones, as many as fit.
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let mut room = (area.width as usize).saturating_sub(used);
    for (k, word) in hints(state) {
        let w = k.width() + word.width() + 3;
        if w > room {
            break;
        }
        room -= w;
        spans.push(Span::styled(format!(" {k} "), t.style(Slot::StatusKey)));
        spans.push(Span::styled(format!("{word} "), t.style(Slot::StatusBar)));
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style(Slot::StatusBar)),
        area,
    );
}

/// Across the top while an emergency stop holds the town (or a rig): what is frozen, by
/// whom, why, and how to let it go on. Rigs at rest are named after it.
pub fn banner(f: &mut Frame, state: &State) {
    let b = &state.snapshot.brakes;
    if b.is_clear() {
        return;
    }
    let (w, _) = state.size;
    let t = &state.theme;
    let mut parts: Vec<String> = b
        .town
        .iter()
        .chain(&b.rig_estops)
        .map(|e| {
            format!(
                "❄ FROZEN — {} · `{}` resumes",
                e.describe(),
                e.thaw_command()
            )
        })
        .collect();
    let rests: Vec<String> = b
        .rests
        .iter()
        .map(|(rig, r)| format!("{rig} {}", r.state.as_str()))
        .collect();
    if !rests.is_empty() {
        parts.push(format!("at rest: {}", rests.join(", ")));
    }
    let frozen = b.town.is_some() || !b.rig_estops.is_empty();
    let slot = if frozen {
        Slot::ToastError
    } else {
        Slot::ToastWarn
    };
    // Reasons come from the ledger: through the one seam before they reach the terminal.
    let text = crate::inert::visible(&format!(" {} ", parts.join("  ·  ")));
    let area = Rect::new(0, 0, w, 1);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(text, t.style(slot)))).style(t.style(slot)),
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

/// Key hints for the focused pane, then the town-wide ones: (key, word).
fn hints(state: &State) -> Vec<(String, &'static str)> {
    let pane: &[(Context, Action, &'static str)] = match state.focus {
        PaneId::Agents => &[
            (Context::Agents, Action::Attach, "attach"),
            (Context::Agents, Action::Nudge, "nudge"),
            (Context::Agents, Action::Diff, "diff"),
        ],
        PaneId::Hooks => &[(Context::Hooks, Action::Attach, "attach")],
        PaneId::Convoys => &[
            (Context::Global, Action::ToggleMark, "mark"),
            (Context::Convoys, Action::NewConvoy, "convoy"),
            (Context::Global, Action::Expand, "open"),
        ],
        PaneId::Mail => &[
            (Context::Global, Action::Open, "read"),
            (Context::Mail, Action::Reply, "reply"),
            (Context::Mail, Action::Archive, "archive"),
            (Context::Mail, Action::SwitchIdentity, "whose"),
        ],
        PaneId::Mayor => &[
            (Context::Chat, Action::Send, "send"),
            (Context::Chat, Action::Newline, "new line"),
            (Context::Global, Action::Zoom, "zoom"),
            (Context::Chat, Action::Back, "leave"),
        ],
        PaneId::Attention => &[(Context::Global, Action::Open, "show")],
        PaneId::Queue => &[
            (Context::Global, Action::Open, "diff"),
            (Context::Queue, Action::Approve, "approve"),
            (Context::Queue, Action::SendBack, "send back"),
        ],
        PaneId::Preview | PaneId::Feed => &[(Context::Global, Action::Zoom, "zoom")],
    };
    let town: &[(Context, Action, &'static str)] = &[
        (Context::Global, Action::Help, "help"),
        (Context::Global, Action::Sling, "sling"),
        (Context::Global, Action::Compose, "mail"),
        (Context::Global, Action::Quit, "quit"),
    ];
    let mut out = Vec::new();
    for &(ctx, action, word) in pane.iter().chain(town) {
        // In the chat, a plain character is typed, so only its other keys are hints.
        let keys = state.keymap.keys_for(ctx, action);
        let key = if state.focus == PaneId::Mayor && ctx == Context::Global {
            keys.into_iter().find(|k| k.chars().count() > 1)
        } else {
            keys.into_iter().next()
        };
        if let Some(k) = key {
            out.push((k, word));
        }
    }
    // Help and quit always show, even when little else fits.
    for (at, word) in [(0, "help"), (1, "quit")] {
        if let Some(i) = out.iter().position(|(_, w)| *w == word) {
            let hint = out.remove(i);
            out.insert(at.min(out.len()), hint);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

    fn words(state: &State) -> Vec<String> {
        hints(state)
            .into_iter()
            .map(|(k, w)| format!("{k} {w}"))
            .collect()
    }

    #[test]
    fn hints_follow_the_focused_pane_and_help_always_leads() {
        let mut s = fixtures::state(fixtures::busy_town(), (160, 45));
        let agents = words(&s);
        assert_eq!(agents[0], "? help");
        assert!(agents.contains(&"n nudge".to_string()), "{agents:?}");
        s.focus = PaneId::Mail;
        let mail = words(&s);
        assert!(mail.contains(&"r reply".to_string()), "{mail:?}");
        assert!(!mail.contains(&"n nudge".to_string()), "{mail:?}");
        // In the chat a letter is typed: only keys that are not text are offered.
        s.focus = PaneId::Mayor;
        let chat = words(&s);
        assert_eq!(chat[0], "f1 help", "{chat:?}");
        assert!(chat.contains(&"alt-z zoom".to_string()), "{chat:?}");
        assert!(chat.iter().all(|h| !h.starts_with("q ")), "{chat:?}");
    }
}
