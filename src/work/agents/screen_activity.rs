//! When each agent's screen last said something new. A spinner, a timer or a blinking glyph
//! keeps a pane's tmux activity fresh while the model behind it is stalled; the screen's
//! fingerprint (`agent::screen::fingerprint`) ignores those, and the time it last changed is
//! kept in a small file per agent (like the heartbeats), so every reader agrees.

use crate::town::TownPaths;
use std::path::PathBuf;

fn file(paths: &TownPaths, agent: &str) -> PathBuf {
    paths
        .heartbeats_dir()
        .join(format!("{}.screen", agent.replace('/', "--")))
}

/// Records that `agent`'s screen has `fingerprint` now; returns since when it has had it.
/// Best effort: when the file cannot be written, a changed screen counts as changed now.
pub fn observe(paths: &TownPaths, agent: &str, fingerprint: u64, now: i64) -> i64 {
    let path = file(paths, agent);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let mut it = text.split_whitespace();
        if let (Some(fp), Some(since)) = (it.next(), it.next())
            && fp == fingerprint.to_string()
            && let Ok(since) = since.parse::<i64>()
        {
            return since;
        }
    }
    let _ = std::fs::create_dir_all(paths.heartbeats_dir());
    if let Err(e) = crate::fsutil::write_atomic(&path, format!("{fingerprint} {now}").as_bytes()) {
        tracing::debug!(agent, error = %e, "screen activity not recorded");
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_moves_only_when_the_fingerprint_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = TownPaths::new(dir.path().to_path_buf());
        assert_eq!(observe(&paths, "r/polecats/a", 7, 100), 100);
        assert_eq!(observe(&paths, "r/polecats/a", 7, 160), 100);
        assert_eq!(observe(&paths, "r/polecats/a", 8, 170), 170);
        assert_eq!(observe(&paths, "r/polecats/b", 7, 175), 175);
    }
}
