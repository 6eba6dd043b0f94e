//! Agent heartbeats: every `gt` command an agent runs touches a file named after it, so the
//! witness can tell an agent that is busy calling gt (quiet screen, real progress) from one
//! that has stopped. A file's modification time costs no ledger write.

use crate::town::TownPaths;
use std::path::PathBuf;

fn file(paths: &TownPaths, agent: &str) -> PathBuf {
    paths.heartbeats_dir().join(agent.replace('/', "--"))
}

/// Records that `agent` just ran a gt command. Best effort: a heartbeat never fails a command.
pub fn touch(paths: &TownPaths, agent: &str) {
    let path = file(paths, agent);
    let res = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .or_else(|_| {
            std::fs::create_dir_all(paths.heartbeats_dir())?;
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        })
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    if let Err(e) = res {
        tracing::debug!(agent, error = %e, "heartbeat not recorded");
    }
}

/// Unix time of the agent's last gt command, if it ever ran one.
pub fn last(paths: &TownPaths, agent: &str) -> Option<i64> {
    let modified = std::fs::metadata(file(paths, agent))
        .ok()?
        .modified()
        .ok()?;
    modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}
