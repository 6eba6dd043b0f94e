//! Where a command may write a file the user named (`bead export <file>`, `config print
//! --out`): never over the town's ledger, configuration or git data, never into a device, a
//! FIFO or a folder, and over an existing file only when it is one of ours or `--force` says so.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What the file will hold, which decides what counts as "one of ours" already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An issue-per-line JSONL export: an earlier export may be replaced without `--force`.
    Export,
    /// Any other output: an existing file is replaced only with `--force`.
    Other,
}

/// The absolute path to write, once it is safe to write there.
pub fn check(
    cwd: &Path,
    town: Option<&Path>,
    file: &Path,
    kind: Kind,
    force: bool,
) -> Result<PathBuf> {
    let path = cwd.join(file);
    let shown = path.display().to_string();
    let Some(name) = path.file_name() else {
        return Err(Error::invalid(format!(
            "{shown} names a folder, not a file"
        )));
    };
    let parent = path.parent().unwrap_or(Path::new("/"));
    let parent = std::fs::canonicalize(parent)
        .map_err(|e| Error::invalid(format!("cannot write {shown}: its folder: {e}")))?;
    let mut target = parent.join(name);
    // A link is judged by what it points at; the write then replaces the link itself.
    if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        target = std::fs::canonicalize(&target).unwrap_or(target);
    }
    let town = town.and_then(|t| std::fs::canonicalize(t).ok());
    if let Some(why) = town.and_then(|t| protected(&t, &target)) {
        return Err(Error::invalid(format!(
            "refusing to write {shown}: it is {why}; choose another file"
        )));
    }
    let meta = match std::fs::metadata(&target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path),
        Err(e) => return Err(Error::invalid(format!("cannot write {shown}: {e}"))),
    };
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(Error::invalid(format!(
            "refusing to write {shown}: it is {what}; gt writes only regular files"
        )));
    }
    if force || meta.len() == 0 || (kind == Kind::Export && is_export(&target)) {
        return Ok(path);
    }
    let ours = match kind {
        Kind::Export => " and is not an earlier export (its first line is not a bead)",
        Kind::Other => "",
    };
    Err(Error::invalid(format!(
        "{shown} already exists{ours}; nothing written (add --force to replace it)"
    )))
}

/// Why a path inside the town must never be written by a command's output, if it must not.
fn protected(town: &Path, target: &Path) -> Option<&'static str> {
    let rel = target.strip_prefix(town).ok()?;
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let first = parts.next()?;
    let last = rel.file_name()?.to_string_lossy();
    match (first.as_str(), last.as_ref()) {
        (".gt", _) => Some("inside the town's .gt/ (its ledger, logs and state)"),
        (".git", _) => Some("inside the town's git data"),
        ("town.toml", _) => Some("the town's configuration"),
        (_, "rig.toml") => Some("a rig's configuration"),
        (_, _) if rel.components().any(|c| c.as_os_str() == ".git") => {
            Some("inside a repository's git data")
        }
        _ => None,
    }
}

/// Whether the file looks like an earlier export: its first line is a JSON object with an id.
fn is_export(path: &Path) -> bool {
    use std::io::{BufRead, Read};
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    if std::io::BufReader::new(f.take(1 << 20))
        .read_line(&mut first)
        .is_err()
    {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(&first)
        .ok()
        .is_some_and(|v| v.get("id").is_some_and(|id| id.is_string()))
}
