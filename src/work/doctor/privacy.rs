//! The town is its user's alone: the town folder and `.gt/` are 0700 and the ledger 0600, so
//! no other local user reads the mail, the beads or the agents' state. (gt makes everything
//! private as it goes: see `fsutil::private_umask`.)

use super::Check;
use crate::town::TownPaths;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub(super) fn check(paths: &TownPaths, fix: bool) -> Check {
    let mut open = Vec::new();
    let mut want = |p: PathBuf, mode: u32| match std::fs::metadata(&p)
        .map(|m| m.permissions().mode() & 0o777)
    {
        Ok(m) if m & 0o077 != 0 => open.push((p, m, mode)),
        _ => {}
    };
    want(paths.root.clone(), 0o700);
    want(paths.runtime_dir(), 0o700);
    for f in ledger_files(&paths.runtime_dir()) {
        want(f, 0o600);
    }
    if open.is_empty() {
        return Check::ok(
            "privacy",
            "the town folder, .gt/ and the ledger are private",
        );
    }
    let list: Vec<String> = open
        .iter()
        .map(|(p, m, _)| format!("{} ({m:o})", p.display()))
        .collect();
    let mut c = Check::error(
        "privacy",
        format!("other local users can read the town: {}", list.join(", ")),
        "make them private: folders 0700, the ledger 0600",
    )
    .fixable();
    if fix {
        let res = open.iter().try_for_each(|(p, _, mode)| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(*mode))
                .map_err(|e| crate::Error::io(format!("chmod {}", p.display()), e))
        });
        c.outcome(res);
    }
    c
}

/// The ledger and SQLite's files beside it (`-wal`, `-shm`, `-journal`).
fn ledger_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ledger.db"))
        })
        .collect()
}
