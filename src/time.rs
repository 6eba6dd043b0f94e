//! Timestamps as the ledger stores them: RFC 3339, UTC, whole seconds (bd's export format).

use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::{Arc, Mutex};

/// Where wall-clock time comes from. Use cases read it from `Ctx::clock` (and the ledger
/// stamps rows with it), so decisions that depend on time — overdue, stale, stalled, due —
/// are tested by moving a manual clock instead of sleeping. Waiting with a deadline (for a
/// process, a prompt, a lock) uses `Instant`: that is a wait, not a decision about time.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that stands still until moved (tests).
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Unix seconds.
    pub fn timestamp(&self) -> i64 {
        self.now().timestamp()
    }

    /// The ledger's form: RFC 3339, UTC, whole seconds.
    pub fn stamp(&self) -> String {
        format(self.now())
    }

    /// Moves a manual clock on (the system clock moves by itself: nothing to do).
    pub fn advance(&self, by: chrono::Duration) {
        if let Clock::Manual(t) = self {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            *t += by;
        }
    }
}

pub fn now() -> String {
    format(Utc::now())
}

pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses any RFC 3339 timestamp (any offset, any number of fractional digits).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// "90s", "30m", "2h", "1d", or plain seconds; the error says what is wrong.
pub fn parse_span(s: &str) -> Result<std::time::Duration, String> {
    // Beyond a century nothing is meant, and clocks and dates overflow.
    const MAX_SECS: f64 = 100.0 * 365.0 * 86_400.0;
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let not = || format!("{s:?} is not a duration (like 90s, 30m, 2h, 1d)");
    let n: f64 = num.parse().map_err(|_| not())?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => return Err(not()),
    };
    if !(0.0..=MAX_SECS).contains(&secs) {
        return Err(format!("{s:?} is too long; at most 100 years (36500d)"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// "45s", "3m", "2h", "5d": a span of seconds, coarsely.
pub fn human_duration(secs: i64) -> String {
    match secs.max(0) {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_long_fractions() {
        let a = parse("2026-01-12T02:14:20.123456789-08:00").expect("parse");
        assert_eq!(format(a), "2026-01-12T10:14:20Z");
        assert!(parse("yesterday").is_none());
    }

    #[test]
    fn a_manual_clock_moves_only_when_moved() {
        let at = parse("2026-01-12T10:00:00Z").expect("parse");
        let c = Clock::manual(at);
        assert_eq!(c.stamp(), "2026-01-12T10:00:00Z");
        let shared = c.clone();
        shared.advance(chrono::Duration::minutes(90));
        assert_eq!(c.stamp(), "2026-01-12T11:30:00Z", "clones share the time");
    }
}
