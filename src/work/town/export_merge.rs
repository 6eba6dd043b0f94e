//! `gt merge-jsonl BASE OURS THEIRS`: what git runs as the merge driver of
//! `.beads/issues.jsonl` when two towns' changes meet (see `ledger::jsonl_merge` for the
//! rules). The merged file replaces OURS, as git expects; on any problem OURS is left as it
//! was and git reports the conflict.

use crate::{Error, Result};
use std::path::Path;

/// Merges the three files; how many beads the result holds.
pub fn merge_files(base: &Path, ours: &Path, theirs: &Path) -> Result<usize> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| Error::io(format!("read {}", p.display()), e))
    };
    let merged = crate::ledger::jsonl_merge::merge(&read(base)?, &read(ours)?, &read(theirs)?)
        .map_err(|e| Error::invalid(format!("cannot merge the beads file: {e}")))?;
    crate::fsutil::write_atomic(ours, merged.as_bytes())
        .map_err(|e| Error::io(format!("write {}", ours.display()), e))?;
    Ok(merged.lines().count())
}
