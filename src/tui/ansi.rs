//! Turns a pane captured with `capture-pane -e` (SGR colour escapes) into styled lines, so
//! the preview keeps the agent's colours. Other escape sequences are dropped.
//! Ours rather than ansi-to-tui (checked with 8.0): that crate keeps BEL and backspace in the
//! text it returns, and a reset becomes explicit `Reset` colours that would punch the
//! terminal's default background through a themed pane; here a reset returns to the pane's
//! own style and control characters never reach the terminal.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

pub fn to_lines(text: &str) -> Vec<Line<'static>> {
    let mut style = Style::default();
    text.lines().map(|l| line(l, &mut style)).collect()
}

/// One line; `style` carries over to the next line, as in a terminal.
fn line(text: &str, style: &mut Style) -> Line<'static> {
    let mut spans = Vec::new();
    let mut buf = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            if !c.is_control() || c == '\t' {
                buf.push(if c == '\t' { ' ' } else { c });
            }
            continue;
        }
        if chars.peek() == Some(&']') {
            // OSC (window titles, links): up to BEL or ESC \.
            while let Some(n) = chars.next() {
                if n == '\x07' || (n == '\x1b' && chars.peek() == Some(&'\\')) {
                    if n == '\x1b' {
                        chars.next();
                    }
                    break;
                }
            }
            continue;
        }
        if chars.peek() != Some(&'[') {
            chars.next();
            continue;
        }
        chars.next();
        let mut params = String::new();
        let mut end = None;
        for n in chars.by_ref() {
            if n.is_ascii_alphabetic() || n == '~' {
                end = Some(n);
                break;
            }
            params.push(n);
        }
        if end == Some('m') {
            if !buf.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut buf), *style));
            }
            *style = apply_sgr(*style, &params);
        }
    }
    if !buf.is_empty() {
        spans.push(Span::styled(buf, *style));
    }
    Line::from(spans)
}

fn apply_sgr(mut style: Style, params: &str) -> Style {
    let nums: Vec<u16> = if params.is_empty() {
        vec![0]
    } else {
        params
            .split([';', ':'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let mut i = 0;
    while i < nums.len() {
        match nums[i] {
            0 => style = Style::default(),
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => style = style.add_modifier(Modifier::UNDERLINED),
            7 => style = style.add_modifier(Modifier::REVERSED),
            9 => style = style.add_modifier(Modifier::CROSSED_OUT),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            29 => style = style.remove_modifier(Modifier::CROSSED_OUT),
            n @ 30..=37 => style = style.fg(Color::Indexed((n - 30) as u8)),
            n @ 90..=97 => style = style.fg(Color::Indexed((n - 90 + 8) as u8)),
            n @ 40..=47 => style = style.bg(Color::Indexed((n - 40) as u8)),
            n @ 100..=107 => style = style.bg(Color::Indexed((n - 100 + 8) as u8)),
            39 => style = style.fg(Color::Reset),
            49 => style = style.bg(Color::Reset),
            n @ (38 | 48) => {
                let (color, used) = extended(&nums[i + 1..]);
                if let Some(c) = color {
                    style = if n == 38 { style.fg(c) } else { style.bg(c) };
                }
                i += used;
            }
            _ => {}
        }
        i += 1;
    }
    style
}

/// `5;n` (256 colours) or `2;r;g;b`; returns the colour and how many numbers it used.
fn extended(rest: &[u16]) -> (Option<Color>, usize) {
    match rest {
        [5, n, ..] => (Some(Color::Indexed(*n as u8)), 2),
        [2, r, g, b, ..] => (Some(Color::Rgb(*r as u8, *g as u8, *b as u8)), 4),
        [5] | [2, ..] => (None, rest.len()),
        _ => (None, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_attributes_become_styles() {
        let lines =
            to_lines("plain \x1b[1;31mred bold\x1b[0m \x1b[38;5;42mx\x1b[48;2;1;2;3my\x1b[m\nnext");
        let spans = &lines[0].spans;
        assert_eq!(spans[0].content, "plain ");
        assert_eq!(spans[1].content, "red bold");
        assert_eq!(
            spans[1].style,
            Style::default()
                .fg(Color::Indexed(1))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(spans[3].style.fg, Some(Color::Indexed(42)));
        assert_eq!(spans[4].style.bg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(lines[1].spans[0].content, "next");
    }

    #[test]
    fn other_sequences_and_controls_are_dropped() {
        let lines = to_lines("a\x1b[2Kb\x1b]0;title\x07c\x07");
        let text: String = lines[0]
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(text, "abc");
    }
}
