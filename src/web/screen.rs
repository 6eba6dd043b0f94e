//! An agent's screen for the page: the coloured capture the workspace's preview reads, parsed
//! by the same code (`tui::ansi`), sent as runs of text with their colours. Colours go out as
//! `#rrggbb` made here, never as anything taken from the pane.

use ratatui::style::{Color, Modifier};
use serde::Serialize;

#[derive(Serialize, Debug, PartialEq)]
pub struct Run {
    t: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bg: Option<String>,
    /// Bold, dim, italic, underlined, reversed, crossed out — as letters (`b`, `d`, `i`, `u`,
    /// `r`, `s`).
    #[serde(skip_serializing_if = "String::is_empty")]
    a: String,
}

#[derive(Serialize)]
struct Screen<'a> {
    agent: &'a str,
    lines: Vec<Vec<Run>>,
}

/// The screen event's JSON for `agent`'s captured text.
pub fn to_json(agent: &str, text: &str) -> String {
    let lines = runs(text);
    serde_json::to_string(&Screen { agent, lines }).unwrap_or_else(|_| "{}".into())
}

pub fn runs(text: &str) -> Vec<Vec<Run>> {
    let mut lines: Vec<Vec<Run>> = crate::tui::ansi::to_lines(text)
        .into_iter()
        .map(|l| {
            l.spans
                .into_iter()
                .map(|s| Run {
                    t: s.content.into_owned(),
                    fg: s.style.fg.and_then(css),
                    bg: s.style.bg.and_then(css),
                    a: attrs(s.style.add_modifier),
                })
                .collect()
        })
        .collect();
    // A pane's blank bottom rows say nothing.
    while lines
        .last()
        .is_some_and(|l| l.iter().all(|r| r.t.trim().is_empty()))
    {
        lines.pop();
    }
    lines
}

fn attrs(m: Modifier) -> String {
    [
        (Modifier::BOLD, 'b'),
        (Modifier::DIM, 'd'),
        (Modifier::ITALIC, 'i'),
        (Modifier::UNDERLINED, 'u'),
        (Modifier::REVERSED, 'r'),
        (Modifier::CROSSED_OUT, 's'),
    ]
    .iter()
    .filter(|(f, _)| m.contains(*f))
    .map(|(_, c)| *c)
    .collect()
}

/// xterm's colours: 16 named, a 6×6×6 cube, 24 greys.
fn css(c: Color) -> Option<String> {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 49, 49),
        (13, 188, 121),
        (229, 229, 16),
        (36, 114, 200),
        (188, 63, 188),
        (17, 168, 205),
        (229, 229, 229),
        (102, 102, 102),
        (241, 76, 76),
        (35, 209, 139),
        (245, 245, 67),
        (59, 142, 234),
        (214, 112, 214),
        (41, 184, 219),
        (255, 255, 255),
    ];
    let (r, g, b) = match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(n) if n < 16 => BASE[n as usize],
        Color::Indexed(n) if n < 232 => {
            let n = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        Color::Indexed(n) => {
            let v = 8 + (n - 232) * 10;
            (v, v, v)
        }
        _ => return None,
    };
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_become_css_and_escapes_never_reach_the_text() {
        let l = runs(
            "ok \x1b[1;31mred\x1b[0m \x1b[38;5;196mx\x1b[48;2;1;2;3my\x1b]0;title\x07\x1b[2J\n\n",
        );
        assert_eq!(l.len(), 1, "blank bottom rows dropped");
        let texts: Vec<&str> = l[0].iter().map(|r| r.t.as_str()).collect();
        assert_eq!(texts.concat(), "ok red xy");
        assert_eq!(l[0][1].fg.as_deref(), Some("#cd3131"));
        assert_eq!(l[0][1].a, "b");
        assert_eq!(l[0][3].fg.as_deref(), Some("#ff0000"));
        assert_eq!(l[0][4].bg.as_deref(), Some("#010203"));
        assert!(!to_json("a", "\x1b[31m<b>\x1b[0m").contains('\x1b'));
    }
}
