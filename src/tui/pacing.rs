//! When the next frame is drawn. Frames for the town's own changes (snapshots, ticks) are
//! capped at about 60 a second; a key's frame is not held behind them: a key that arrives
//! just after a snapshot's frame is shown at once (keystroke → frame ≤ 2 ms, DESIGN §12).
//! Only keys coming faster than the cap (a held key, a typed burst) share it.

use std::time::{Duration, Instant};

/// The shortest time between two frames for the same cause.
pub const FRAME: Duration = Duration::from_millis(16);

/// What the loop knows when it decides.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// The last frame drawn, for whatever cause.
    pub last_draw: Instant,
    /// The last frame drawn with a key waiting for it.
    pub last_key_draw: Instant,
}

impl Pacing {
    pub fn new(now: Instant) -> Pacing {
        Pacing {
            last_draw: now - FRAME,
            last_key_draw: now - FRAME,
        }
    }

    /// When the next frame is due; None when nothing changed (`dirty` false).
    pub fn due(&self, dirty: bool, key_waiting: bool) -> Option<Instant> {
        if !dirty {
            return None;
        }
        let due = if key_waiting {
            self.last_key_draw + FRAME
        } else {
            self.last_draw + FRAME
        };
        Some(due)
    }

    /// A frame was drawn at `now` (`for_key`: a key was waiting for it).
    pub fn drawn(&mut self, now: Instant, for_key: bool) {
        self.last_draw = now;
        if for_key {
            self.last_key_draw = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_just_after_a_snapshot_frame_is_drawn_at_once() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        // A snapshot's frame, then a key 1 ms later.
        p.drawn(t0, false);
        let key = t0 + Duration::from_millis(1);
        let due = p.due(true, true).expect("dirty");
        assert!(due <= key, "the key's frame waits {:?}", due - key);
        // Without a key the cap holds.
        assert_eq!(p.due(true, false), Some(t0 + FRAME));
    }

    #[test]
    fn keys_faster_than_the_cap_share_it() {
        let t0 = Instant::now();
        let mut p = Pacing::new(t0);
        p.drawn(t0, true);
        assert_eq!(p.due(true, true), Some(t0 + FRAME));
    }

    #[test]
    fn nothing_changed_nothing_drawn() {
        let p = Pacing::new(Instant::now());
        assert_eq!(p.due(false, true), None);
    }
}
