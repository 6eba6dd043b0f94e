//! Timestamps as the ledger stores them: RFC 3339, UTC, whole seconds (bd's export format).

use chrono::{DateTime, SecondsFormat, Utc};

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

/// "3m", "2h", "5d" — how long ago a timestamp was, for tables.
pub fn age(s: &str) -> String {
    let Some(t) = parse(s) else {
        return "?".into();
    };
    human_duration((Utc::now() - t).num_seconds())
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
}
