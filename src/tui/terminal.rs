//! The terminal while the workspace owns it: raw mode, the alternate screen, mouse and
//! bracketed paste — and always restored, on quit, on error and on panic.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use std::io::{self, Write};

/// Holds the terminal; dropping it gives the terminal back as it was.
pub struct TermGuard {
    active: bool,
}

impl TermGuard {
    pub fn enter() -> io::Result<TermGuard> {
        install_panic_hook();
        enter()?;
        Ok(TermGuard { active: true })
    }

    /// Gives the terminal back for a while (to attach to an agent's window).
    pub fn suspend(&mut self) -> io::Result<()> {
        if self.active {
            leave()?;
            self.active = false;
        }
        Ok(())
    }

    pub fn resume(&mut self) -> io::Result<()> {
        if !self.active {
            enter()?;
            self.active = true;
        }
        Ok(())
    }
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        if self.active {
            let _ = leave();
        }
    }
}

fn enter() -> io::Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    )
}

fn leave() -> io::Result<()> {
    let mut out = io::stdout();
    let r = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
    crossterm::terminal::disable_raw_mode()?;
    r
}

/// A panic restores the terminal before its message is printed, so the message is readable
/// and the shell is usable.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = leave();
            previous(info);
        }));
    });
}

/// The bytes that tell a person something through their terminal: the bell, and a desktop
/// notification in the two forms terminals understand (OSC 9: iTerm2, WezTerm, kitty,
/// Windows Terminal; OSC 777: foot, rxvt, VTE/GNOME). Inside tmux each escape is passed
/// through to the outer terminal. The text is made inert first: no control character, and no
/// `;` where OSC 777 separates its fields.
pub fn notice(title: &str, body: &str, bell: bool, desktop: bool, inside_tmux: bool) -> String {
    // The one seam first (control characters become visible text), then one line.
    let clean = |t: &str| -> String {
        crate::inert::visible(t)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (title, body) = (clean(title), clean(body));
    let wrap = |seq: String| {
        if inside_tmux {
            // tmux passes a DCS through (with allow-passthrough) when its ESCs are doubled.
            format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
        } else {
            seq
        }
    };
    let mut out = String::new();
    if bell {
        out.push('\x07');
    }
    if desktop {
        let short: String = body.chars().take(200).collect();
        out.push_str(&wrap(format!("\x1b]9;{title}: {short}\x07")));
        out.push_str(&wrap(format!(
            "\x1b]777;notify;{};{}\x07",
            title.replace(';', ","),
            short.replace(';', ",")
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_the_bell_and_two_osc_forms_with_inert_text() {
        let s = notice(
            "gt: stalled",
            "ash\x1b]0;pwned\x07 is; stalled\n",
            true,
            true,
            false,
        );
        assert!(s.starts_with('\x07'));
        assert!(
            s.contains("\x1b]9;gt: stalled: ash^[]0;pwned^G is; stalled\x07"),
            "{s:?}"
        );
        assert!(
            s.contains("\x1b]777;notify;gt: stalled;ash^[]0,pwned^G is, stalled\x07"),
            "{s:?}"
        );
        // Exactly the escapes gt wrote: the text's own ESC and BEL are shown as text.
        assert_eq!(s.matches('\x1b').count(), 2, "{s:?}");
        assert_eq!(s.matches('\x07').count(), 3, "{s:?}");
        assert_eq!(notice("t", "b", false, false, false), "");
        let t = notice("t", "b", false, true, true);
        assert!(
            t.starts_with("\x1bPtmux;\x1b\x1b]9;t: b\x07\x1b\\"),
            "{t:?}"
        );
    }
}
