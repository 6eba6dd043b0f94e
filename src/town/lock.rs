//! Town-level locks: one file per lock under `.gt/locks/`.

use super::{TownError, TownPaths};
use crate::fsutil::LockError;
use std::path::PathBuf;

impl From<LockError> for TownError {
    fn from(e: LockError) -> Self {
        TownError::Io {
            path: PathBuf::from(e.path),
            source: e.source,
        }
    }
}

impl TownPaths {
    /// Serializes changes to the set of rigs (add/remove, prefix allocation).
    pub fn rigs_lock(&self) -> PathBuf {
        self.locks_dir().join("rigs.lock")
    }

    /// Serializes multi-step operations on one rig.
    pub fn rig_lock(&self, rig: &str) -> PathBuf {
        self.locks_dir().join(format!("rig-{rig}.lock"))
    }

    /// Serializes rewrites of `.beads/issues.jsonl`.
    pub fn export_lock(&self) -> PathBuf {
        self.locks_dir().join("export.lock")
    }
}
