//! What a branch changes: its diff from where it left the base (`base...head`), as a
//! summary of files and as a patch.

use super::GitError;
use git2::{DiffFormat, DiffOptions, Oid, Repository};
use std::path::Path;

/// A branch's change against its base.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub files: Vec<FileChange>,
    pub insertions: usize,
    pub deletions: usize,
    /// The unified patch (empty when only the summary was asked for).
    pub patch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    pub path: String,
    pub insertions: usize,
    pub deletions: usize,
}

/// The change `head` makes since it left `base` (their merge base), in `repo`.
pub fn change(repo: &Path, base: &str, head: &str, with_patch: bool) -> Result<Change, GitError> {
    let r = Repository::open(repo)?;
    let commit = |what: &str| -> Result<Oid, GitError> {
        Ok(r.revparse_single(what)
            .map_err(|_| GitError::BadInput(format!("{what} names no commit")))?
            .peel_to_commit()?
            .id())
    };
    let (b, h) = (commit(base)?, commit(head)?);
    let fork = r.merge_base(b, h).unwrap_or(b);
    let old = r.find_commit(fork)?.tree()?;
    let new = r.find_commit(h)?.tree()?;
    let mut opts = DiffOptions::new();
    opts.context_lines(3);
    let diff = r.diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))?;
    let mut out = Change::default();
    for i in 0..diff.deltas().len() {
        let Some(patch) = git2::Patch::from_diff(&diff, i)? else {
            continue;
        };
        let (_, ins, del) = patch.line_stats()?;
        let delta = patch.delta();
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.insertions += ins;
        out.deletions += del;
        out.files.push(FileChange {
            path,
            insertions: ins,
            deletions: del,
        });
    }
    if with_patch {
        let mut text = Vec::new();
        diff.print(DiffFormat::Patch, |_, _, line| {
            if matches!(line.origin(), '+' | '-' | ' ') {
                text.push(line.origin() as u8);
            }
            text.extend_from_slice(line.content());
            true
        })?;
        out.patch = String::from_utf8_lossy(&text).into_owned();
    }
    Ok(out)
}
