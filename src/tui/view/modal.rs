//! Dialogs over the panes: help, the sling and convoy pickers, compose, nudge, the mail
//! reader, quit confirmation.

use super::common::{fit, pad};
use crate::tui::action::Context;
use crate::tui::input::LineInput;
use crate::tui::picker::Picker;
use crate::tui::state::{ComposeField, Modal, State};
use crate::tui::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

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

pub fn draw(f: &mut Frame, state: &State, modal: &Modal) {
    let t = &state.theme;
    let big = centered(state.size, 70, state.size.1.saturating_sub(4));
    let (area, lines): (Rect, Vec<Line>) = match modal {
        Modal::Help { scroll } => {
            let mut lines = Vec::new();
            for ctx in Context::ALL {
                let b = state.keymap.bindings(ctx);
                if b.is_empty() {
                    continue;
                }
                lines.push(Line::from(Span::styled(
                    ctx.name().to_string(),
                    t.style(Slot::Accent),
                )));
                // One line per action, with all its keys.
                let mut grouped: Vec<(Vec<String>, crate::tui::action::Action)> = Vec::new();
                for (keys, action) in b {
                    match grouped.iter_mut().find(|(_, a)| *a == action) {
                        Some((k, _)) => k.push(keys),
                        None => grouped.push((vec![keys], action)),
                    }
                }
                for (keys, action) in grouped {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {:<20}", keys.join(", ")), t.style(Slot::HelpKey)),
                        Span::raw(action.help().to_string()),
                    ]));
                }
            }
            let skip = (*scroll).min(lines.len().saturating_sub(1));
            (big, lines.into_iter().skip(skip).collect())
        }
        Modal::SlingBead { picker } | Modal::NewConvoyBeads { picker } => {
            let multi = matches!(modal, Modal::NewConvoyBeads { .. });
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
        Modal::SlingTarget { title, picker, .. } => {
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
        Modal::SlingConfirm { title, target, .. } => (
            centered(state.size, 60, 7),
            vec![
                Line::from(format!("Sling {title}")),
                Line::from(vec![
                    Span::raw("to "),
                    Span::styled(target.clone(), t.style(Slot::Accent)),
                ]),
                Line::default(),
                Line::from(Span::styled(
                    "Enter to sling, Esc to cancel".to_string(),
                    t.style(Slot::Dim),
                )),
            ],
        ),
        Modal::Compose(c) => {
            let area = centered(state.size, 70, 18.min(state.size.1.saturating_sub(2)));
            let w = area.width.saturating_sub(2) as usize;
            let mut lines = vec![
                input_line(state, "to", &c.to, c.field == ComposeField::To, w),
                input_line(
                    state,
                    "subject",
                    &c.subject,
                    c.field == ComposeField::Subject,
                    w,
                ),
                Line::from(Span::styled(
                    format!("{:>9} ", "body"),
                    t.style(if c.field == ComposeField::Body {
                        Slot::Accent
                    } else {
                        Slot::Dim
                    }),
                )),
            ];
            let body_h = area.height.saturating_sub(7) as usize;
            let body = c.body.lines();
            let start = body.len().saturating_sub(body_h);
            for (i, l) in body.iter().enumerate().skip(start) {
                let mut text = l.clone();
                if c.field == ComposeField::Body && i == c.body.cursor().0 {
                    let at = text
                        .char_indices()
                        .nth(c.body.cursor().1)
                        .map(|(i, _)| i)
                        .unwrap_or(text.len());
                    text.insert(at, '▏');
                }
                lines.push(Line::from(Span::styled(
                    format!("  {}", fit(&text, w.saturating_sub(2))),
                    t.style(Slot::Input),
                )));
            }
            while lines.len() < area.height.saturating_sub(4) as usize {
                lines.push(Line::default());
            }
            lines.push(match &c.error {
                Some(e) => Line::from(Span::styled(e.clone(), t.style(Slot::Failed))),
                None => Line::from(Span::styled(
                    "Tab next field · Ctrl-S send · Esc cancel".to_string(),
                    t.style(Slot::Dim),
                )),
            });
            (area, lines)
        }
        Modal::Nudge { agent, input } => {
            let area = centered(state.size, 60, 6);
            (
                area,
                vec![
                    Line::from(format!("A line for {agent} (confirmed delivery)")),
                    input_line(
                        state,
                        "text",
                        input,
                        true,
                        area.width.saturating_sub(2) as usize,
                    ),
                    Line::from(Span::styled(
                        "Enter sends · Esc cancels".to_string(),
                        t.style(Slot::Dim),
                    )),
                ],
            )
        }
        Modal::NewConvoyTitle { beads, input } => {
            let area = centered(state.size, 60, 6);
            (
                area,
                vec![
                    Line::from(format!("A convoy tracking {}", beads.join(", "))),
                    input_line(
                        state,
                        "title",
                        input,
                        true,
                        area.width.saturating_sub(2) as usize,
                    ),
                    Line::from(Span::styled(
                        "Enter makes it · Esc cancels".to_string(),
                        t.style(Slot::Dim),
                    )),
                ],
            )
        }
        Modal::Identity { input } => {
            let area = centered(state.size, 50, 5);
            (
                area,
                vec![
                    input_line(
                        state,
                        "address",
                        input,
                        true,
                        area.width.saturating_sub(2) as usize,
                    ),
                    Line::from(Span::styled(
                        "overseer is you · Enter switches".to_string(),
                        t.style(Slot::Dim),
                    )),
                ],
            )
        }
        Modal::Reader { item, scroll } => {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("From ", t.style(Slot::Dim)),
                    Span::raw(item.from.clone()),
                ]),
                Line::from(vec![
                    Span::styled("To   ", t.style(Slot::Dim)),
                    Span::raw(item.to.clone()),
                ]),
                Line::from(vec![
                    Span::styled("Subj ", t.style(Slot::Dim)),
                    Span::styled(item.subject.clone(), t.style(Slot::Accent)),
                ]),
                Line::from(Span::styled(
                    format!("{} · {} · {}", item.id, item.priority, item.created_at),
                    t.style(Slot::Dim),
                )),
                Line::default(),
            ];
            for l in item
                .body
                .as_deref()
                .unwrap_or("(no body)")
                .lines()
                .skip(*scroll)
            {
                lines.push(Line::from(l.to_string()));
            }
            (big, lines)
        }
        Modal::ConfirmQuit => {
            let mut lines = vec![Line::from("These are still running:")];
            for what in state.inflight.values() {
                lines.push(Line::from(format!("  · {what}")));
            }
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "They finish in the background processes they started, or are lost if in this one. Quit anyway? y/Esc".to_string(),
                t.style(Slot::Dim),
            )));
            (centered(state.size, 60, lines.len() as u16 + 2), lines)
        }
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
