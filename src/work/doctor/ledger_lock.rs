//! Can the ledger be written? A process that holds its write lock for long (a hung command, a
//! `sqlite3` shell left in a transaction) makes every gt command wait and then fail; a file
//! that cannot be written does the same. Named with the processes that have the file open.

use super::Check;
use crate::work::Ctx;
use std::time::Duration;

pub(super) fn check(ctx: &mut Ctx) -> Option<Check> {
    let path = ctx.ledger.path().to_path_buf();
    let why = match ctx.ledger.write_blocked(Duration::from_secs(1)) {
        Ok(None) => return None,
        Ok(Some(why)) => why,
        Err(e) => format!("a write could not start: {e}"),
    };
    let holders = holders(&path);
    let who = if holders.is_empty() {
        String::new()
    } else {
        format!("; open in {}", holders.join(", "))
    };
    Some(Check::error(
        "ledger lock",
        format!("{} cannot be written: {why}{who}", path.display()),
        "stop the process that holds it (a gt command finishes in well under a second), or make the file writable; nothing is lost",
    ))
}

/// `pid (command)` of every process with the ledger (or its WAL) open, from /proc.
fn holders(ledger: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for (pid, dir) in super::other_processes() {
        let Ok(fds) = std::fs::read_dir(dir.join("fd")) else {
            continue;
        };
        let open = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|t| {
                t.as_os_str()
                    .to_string_lossy()
                    .starts_with(&*ledger.to_string_lossy())
            })
        });
        if open {
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            out.push(format!(
                "pid {pid} ({})",
                crate::inert::for_terminal(comm.trim())
            ));
        }
    }
    out
}
