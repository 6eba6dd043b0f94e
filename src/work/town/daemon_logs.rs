//! `gt daemon logs`: the supervisor's lines out of the town's log (which every gt process
//! writes to), the last ones and then, when followed, the new ones as they come — across
//! rotations of the file.

use crate::logging::read::{self, Follower};
use crate::town::TownPaths;
use crate::{Error, Result};

/// Whether a record is the supervisor's: its own module's lines and every line a duty logs
/// (each duty's thread runs in a `duty{name=…}` span, whatever code it calls).
/// A record reads `<time>  <LEVEL> [<span>{…}:…] <target>: <message>`; only the part before
/// the message is looked at (a message may quote anything).
pub fn is_supervisor_record(record: &str) -> bool {
    let head = record.lines().next().unwrap_or("");
    let mut words = head.split_whitespace();
    let (Some(_time), Some(_level)) = (words.next(), words.next()) else {
        return false;
    };
    let Some(first) = words.next() else {
        return false;
    };
    if first.contains('{') {
        // Spans: `duty{name=witness:shop}:`; a span's fields could hold blanks, so only
        // the opening of each is checked.
        return first.starts_with("duty{") || first.contains("}:duty{");
    }
    first.starts_with("gt::daemon::") || first == "gt::daemon:"
}

/// Reads the town's log: `last` once, then `since_last` for what came since.
pub struct LogReader {
    follower: Follower,
    all: bool,
}

impl LogReader {
    /// `all`: every process's lines, not only the supervisor's.
    pub fn open(paths: &TownPaths, all: bool) -> LogReader {
        LogReader {
            follower: Follower::open(&paths.logs_dir()),
            all,
        }
    }

    fn wanted(&self, r: &str) -> bool {
        self.all || is_supervisor_record(r)
    }

    /// The last `n` wanted records, oldest first.
    pub fn last(&mut self, n: usize) -> Result<Vec<String>> {
        let all = self.all;
        read::last(&mut self.follower, n, |r| all || is_supervisor_record(r))
            .map_err(|e| Error::io("read the town's log", e))
    }

    /// The wanted records written since the last look.
    pub fn since_last(&mut self) -> Result<Vec<String>> {
        let got = self
            .follower
            .take(true)
            .map_err(|e| Error::io("read the town's log", e))?;
        Ok(got.into_iter().filter(|r| self.wanted(r)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supervisor_lines_are_told_apart() {
        for yes in [
            "2026-01-01T00:00:00.1Z  INFO gt::daemon::supervisor: supervisor started kind=Daemon",
            "2026-01-01T00:00:00.1Z  INFO duty{name=witness:shop}: gt::daemon::runner: round: no agents",
            "2026-01-01T00:00:00.1Z  WARN duty{name=deacon}: gt::work::deacon: could not export",
        ] {
            assert!(is_supervisor_record(yes), "{yes}");
        }
        for no in [
            "2026-01-01T00:00:00.1Z  INFO gt::cli: command finished command=daemon logs code=0",
            "2026-01-01T00:00:00.1Z  INFO gt::work::sling: slung gt-1 (title: gt::daemon:: duty{x})",
        ] {
            assert!(!is_supervisor_record(no), "{no}");
        }
    }
}
