//! Printing: aligned tables for people, tab-separated lines in `--batch`, JSON with `--json`.

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
    w: io::BufWriter<io::Stdout>,
}

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
        Out {
            json,
            batch,
            wrote_json: false,
            color,
            w: io::BufWriter::new(io::stdout()),
        }
    }

    pub fn line(&mut self, text: impl AsRef<str>) -> io::Result<()> {
        writeln!(self.w, "{}", text.as_ref())
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
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    pub fn status(&self, status: &str) -> String {
        let tone = match status {
            "closed" => Tone::Dim,
            "open" => Tone::Good,
            "blocked" => Tone::Bad,
            "hooked" | "in_progress" => Tone::Warn,
            _ => Tone::Bold,
        };
        self.paint(tone, status)
    }

    /// `{"schema":1, <fields>}`.
    pub fn json(&mut self, fields: Value) -> io::Result<()> {
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
    pub fn json_ser<T: serde::Serialize>(&mut self, body: &T) -> io::Result<()> {
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

    /// A table: aligned with a header for people, tab-separated with a header in batch mode.
    pub fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        if self.batch {
            writeln!(self.w, "{}", headers.join("\t"))?;
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| c.replace(['\t', '\n'], " ")).collect();
                writeln!(self.w, "{}", cells.join("\t"))?;
            }
            return Ok(());
        }
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for r in rows {
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
        let header = self.paint(Tone::Bold, header.trim_end());
        writeln!(self.w, "{header}")?;
        for r in rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| pad(c, widths.get(i).copied().unwrap_or(0), i + 1 == r.len()))
                .collect();
            writeln!(self.w, "{}", cells.join("  ").trim_end())?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Length without ANSI colour codes.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        match (in_esc, c) {
            (false, '\x1b') => in_esc = true,
            (true, 'm') => in_esc = false,
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
