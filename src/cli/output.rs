//! Printing: aligned tables for people, tab-separated lines in `--batch`, JSON with `--json`.
//! Everything but JSON passes `inert::for_terminal` on its way out (a title or a mail cannot
//! set the window title, write the clipboard or clear the screen); JSON keeps the exact text,
//! escaped by JSON.

use serde_json::{Map, Value};
use std::io::{self, IsTerminal, Write};

/// The schema version of every `--json` document.
pub const SCHEMA: u32 = 1;

pub struct Out {
    pub json: bool,
    pub batch: bool,
    /// A JSON document was printed (a failing command then prints no second one).
    pub wrote_json: bool,
    color: bool,
    /// Starts a colour mark in text on its way out; random per process, so no text from
    /// outside can forge one (only `paint` makes real colour codes).
    mark: String,
    w: io::BufWriter<io::Stdout>,
}

/// Ends a colour mark.
const MARK_END: char = '\u{E001}';
const CODES: [&str; 6] = ["32", "33", "31", "2", "1", "0"];

#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Dim,
    Bold,
}

impl Out {
    pub fn new(json: bool, batch: bool) -> Out {
        let color =
            !batch && !json && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        use std::hash::{BuildHasher, Hasher};
        let nonce = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Out {
            json,
            batch,
            wrote_json: false,
            color,
            mark: format!("\u{E000}{nonce:016x}"),
            w: io::BufWriter::new(io::stdout()),
        }
    }

    pub fn line(&mut self, text: impl AsRef<str>) -> crate::Result<()> {
        let text = self.render(text.as_ref());
        writeln!(self.w, "{text}").map_err(written)
    }

    /// Text as it goes to the terminal: inert, then the colour marks `paint` made turned into
    /// colour codes.
    fn render(&self, text: &str) -> String {
        let mut safe = crate::inert::for_terminal(text);
        if self.color && safe.contains(&self.mark) {
            for code in CODES {
                safe = safe.replace(
                    &format!("{}{code}{MARK_END}", self.mark),
                    &format!("\x1b[{code}m"),
                );
            }
        }
        safe
    }

    pub fn paint(&self, tone: Tone, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
            Tone::Dim => "2",
            Tone::Bold => "1",
        };
        let m = &self.mark;
        format!("{m}{code}{MARK_END}{text}{m}0{MARK_END}")
    }

    pub fn status(&self, status: &str) -> String {
        use crate::ledger::Status;
        let tone = match Status::of(status) {
            Status::Closed | Status::Tombstone => Tone::Dim,
            Status::Open => Tone::Good,
            Status::Blocked => Tone::Bad,
            Status::Hooked | Status::InProgress => Tone::Warn,
            _ => Tone::Bold,
        };
        self.paint(tone, status)
    }

    /// `{"schema":1, <fields>}`.
    pub fn json(&mut self, fields: Value) -> crate::Result<()> {
        self.json_io(fields).map_err(written)
    }

    fn json_io(&mut self, fields: Value) -> io::Result<()> {
        let mut doc = Map::new();
        doc.insert("schema".into(), Value::from(SCHEMA));
        if let Value::Object(m) = fields {
            doc.extend(m);
        }
        serde_json::to_writer(&mut self.w, &Value::Object(doc))?;
        self.wrote_json = true;
        writeln!(self.w)
    }

    /// `{"schema":1, <fields of body>}` written straight from a serializable value (no
    /// intermediate JSON tree: lists of thousands of beads stream out).
    pub fn json_ser<T: serde::Serialize>(&mut self, body: &T) -> crate::Result<()> {
        self.json_ser_io(body).map_err(written)
    }

    fn json_ser_io<T: serde::Serialize>(&mut self, body: &T) -> io::Result<()> {
        #[derive(serde::Serialize)]
        struct Doc<'a, T: serde::Serialize> {
            schema: u32,
            #[serde(flatten)]
            body: &'a T,
        }
        serde_json::to_writer(
            &mut self.w,
            &Doc {
                schema: SCHEMA,
                body,
            },
        )?;
        self.wrote_json = true;
        writeln!(self.w)
    }

    /// Every list the CLI prints: its typed JSON listing (`{"count", "<name>": […]}`), a
    /// sentence when there is nothing (for people; a script gets the bare header), or a
    /// table with one row per item.
    pub fn list<T: serde::Serialize>(
        &mut self,
        name: &'static str,
        items: &[T],
        empty: &str,
        headers: &[&str],
        row: impl Fn(&Out, &T) -> Vec<String>,
    ) -> crate::Result<()> {
        if self.json {
            return self.json_ser(&super::json::Listing::new(name, items));
        }
        if items.is_empty() && !self.batch {
            return self.line(empty);
        }
        let rows: Vec<Vec<String>> = items.iter().map(|i| row(self, i)).collect();
        self.table(headers, &rows)
    }

    /// A table: aligned with a header for people, tab-separated with a header in batch mode.
    pub fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) -> crate::Result<()> {
        self.table_io(headers, rows).map_err(written)
    }

    fn table_io(&mut self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        if self.batch {
            writeln!(self.w, "{}", headers.join("\t"))?;
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| c.replace(['\t', '\n'], " ")).collect();
                let line = self.render(&cells.join("\t"));
                writeln!(self.w, "{line}")?;
            }
            return Ok(());
        }
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| crate::inert::for_terminal(c)).collect())
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(visible_len(c));
                }
            }
        }
        let header: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| pad(h, widths[i], i + 1 == headers.len()))
            .collect();
        let header = header.join("  ");
        let header = self.render(&self.paint(Tone::Bold, header.trim_end()));
        writeln!(self.w, "{header}")?;
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| pad(c, widths.get(i).copied().unwrap_or(0), i + 1 == r.len()))
                .collect();
            let line = self.render(cells.join("  ").trim_end());
            writeln!(self.w, "{line}")?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> crate::Result<()> {
        self.w.flush().map_err(written)
    }
}

/// Length without colour marks.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_mark = false;
    for c in s.chars() {
        match (in_mark, c) {
            (false, '\u{E000}') => in_mark = true,
            (true, MARK_END) => in_mark = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

fn pad(s: &str, width: usize, last: bool) -> String {
    if last {
        return s.to_string();
    }
    let n = visible_len(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// `-` for an empty optional value.
pub fn or_dash(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "-".into(),
    }
}

/// A failed write to stdout (a closed pipe among them, which the caller treats as done).
fn written(e: io::Error) -> crate::Error {
    crate::Error::io("write output", e)
}

/// `gt: <message>` on stderr, inert like everything else gt prints.
pub fn say(message: &str) {
    eprintln!("gt: {}", crate::inert::for_terminal(message));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paint_makes_colour_codes_and_text_cannot_forge_them() {
        let mut out = Out::new(false, false);
        out.color = true;
        let forged = format!("{}31{MARK_END}", "\u{E000}0000000000000000");
        let title = format!("\x1b]0;t\x07 {forged} \x1b[31m");
        let line = format!("{} {}", out.paint(Tone::Bad, "open"), title);
        let shown = out.render(&line);
        assert!(shown.starts_with("\x1b[31mopen\x1b[0m "), "{shown:?}");
        assert_eq!(shown.matches('\x1b').count(), 2, "{shown:?}");
        assert!(
            shown.contains("^[]0;t^G") && shown.contains("^[[31m"),
            "{shown:?}"
        );
    }
}
