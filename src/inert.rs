//! The one seam text passes on its way into an agent or onto a person's terminal: whatever
//! its source (a bead, a mail, a title, a path, a runtime's output), what comes out can only
//! be read as text.
//!
//! Into an agent (`for_agent`: nudges, mail notices, beacons, escalations, the mayor chat):
//! control characters (ESC above all: it cancels work and could end a bracketed paste) become
//! visible notation, line endings become `\n`, and text the runtime would take as a command
//! gets its neutralising prefix — or is refused when nothing makes it safe.
//!
//! Onto a terminal (`for_terminal`: everything the CLI prints for people and in `--batch`):
//! every control character but the newline and the tab becomes visible (`^[`, `^M`), so no
//! text can set the window title, write the clipboard, clear the screen or overwrite a row.
//! (Values gt passes to tmux are kept literal by `tmux/`, the only code that speaks tmux.)

use crate::agent::Runtime;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InertError {
    #[error("nothing to deliver: the text is empty")]
    Empty,
    #[error("{0}")]
    Refused(String),
}

/// `text` made inert for an agent running `rt`.
pub fn for_agent(rt: &Runtime, text: &str) -> Result<String, InertError> {
    let clean = visible(text);
    let trimmed = clean.trim();
    if trimmed.is_empty() {
        return Err(InertError::Empty);
    }
    if let Some(w) = rt
        .command_words
        .iter()
        .find(|w| w.eq_ignore_ascii_case(trimmed))
    {
        return Err(InertError::Refused(format!(
            "{w:?} on its own is a command to the {} runtime, not a message; add some words to it",
            rt.name
        )));
    }
    let first = trimmed.chars().next().unwrap_or(' ');
    if rt.refuse_chars.contains(first) {
        return Err(InertError::Refused(format!(
            "text starting with {first:?} runs as a command in the {} runtime and no prefix makes it plain text there; start it with a word",
            rt.name
        )));
    }
    if rt.command_chars.contains(first) {
        return Ok(format!("{}{}", rt.neutralize.prefix(), clean.trim_start()));
    }
    Ok(clean)
}

/// Line endings as `\n`; every other control character (C0, DEL, C1) as visible text.
pub fn visible(text: &str) -> String {
    for_terminal(&text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Text for a terminal: newlines and tabs kept, every other control character (C0 with `\r`,
/// DEL, C1) as visible notation.
pub fn for_terminal(text: &str) -> String {
    if !text.chars().any(is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    out
}

fn is_control(c: char) -> bool {
    c != '\n' && c != '\t' && (c < ' ' || ('\u{7f}'..='\u{9f}').contains(&c))
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\u{7f}' => out.push_str("^?"),
        c if c != '\n' && c != '\t' && (c as u32) < 0x20 => {
            out.push('^');
            out.push(char::from(b'@' + c as u8));
        }
        c if ('\u{80}'..='\u{9f}').contains(&c) => {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runtime::presets;

    #[test]
    fn control_characters_become_visible_and_line_endings_unify() {
        let rt = presets()["sim"].clone();
        assert_eq!(for_agent(&rt, "a\r\nb\rc").as_deref(), Ok("a\nb\nc"));
        assert_eq!(
            for_agent(&rt, "x\x1b[201~\r!bead create X\r\x1b[200~").as_deref(),
            Ok("x^[[201~\n!bead create X\n^[[200~")
        );
        assert_eq!(
            for_agent(&rt, "csi\u{9b}31m").as_deref(),
            Ok("csi<U+009B>31m")
        );
        assert_eq!(for_agent(&rt, "tab\there").as_deref(), Ok("tab\there"));
        assert_eq!(for_agent(&rt, "  \n "), Err(InertError::Empty));
    }

    #[test]
    fn command_characters_get_the_runtimes_prefix_or_are_refused() {
        let p = presets();
        assert_eq!(
            for_agent(&p["codex"], "!rm -rf x").as_deref(),
            Ok(" !rm -rf x")
        );
        assert_eq!(
            for_agent(&p["codex"], "\n /clear").as_deref(),
            Ok(" /clear")
        );
        assert_eq!(
            for_agent(&p["gemini"], "/about").as_deref(),
            Ok("\u{2060}/about")
        );
        // Applying the seam twice changes nothing: queued text passes it again at paste time.
        for (rt, t) in [("codex", "!x"), ("gemini", "/about"), ("copilot", " !ls")] {
            let once = for_agent(&p[rt], t).expect("inert");
            assert_eq!(
                for_agent(&p[rt], &once).as_deref(),
                Ok(once.as_str()),
                "{rt}"
            );
        }
        let e = for_agent(&p["claude"], "/clear").expect_err("refused");
        assert!(e.to_string().contains("'/'"), "{e}");
        let e = for_agent(&p["opencode"], " Quit ").expect_err("refused");
        assert!(e.to_string().contains("opencode"), "{e}");
        assert_eq!(
            for_agent(&p["opencode"], "quit the loop").as_deref(),
            Ok("quit the loop")
        );
        // Text that merely contains the characters later on is left alone.
        assert_eq!(
            for_agent(&p["claude"], "run ! and /x").as_deref(),
            Ok("run ! and /x")
        );
    }
}
