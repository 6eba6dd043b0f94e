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
