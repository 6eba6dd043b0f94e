//! The supervisor's files: a running supervisor holds an OS lock on `.gt/daemon.lock` and
//! writes `.gt/daemon/status.json` (with its pid). A status file nobody's lock stands behind,
//! or naming a dead process, is stale: it would make the town look supervised.

use super::Check;
use crate::fsutil::LockGuard;
use crate::town::TownPaths;
use crate::{Error, Result};

pub(super) fn check(paths: &TownPaths, fix: bool) -> Check {
    match check_inner(paths, fix) {
        Ok(c) => c,
        Err(e) => Check::warn(
            "daemon",
            format!("could not check the supervisor's files: {e}"),
            "see the error",
        ),
    }
}

fn check_inner(paths: &TownPaths, fix: bool) -> Result<Check> {
    let status_file = paths.daemon_status();
    let lock_file = paths.daemon_lock();
    let shown = |p: &std::path::Path| {
        p.strip_prefix(&paths.root)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    if !status_file.exists() {
        // Nothing to be stale. The lock is not probed: that could make a supervisor starting
        // at this very moment think another one runs.
        return Ok(Check::ok(
            "daemon",
            "the supervisor is not running (`gt up` starts it)",
        ));
    }
    std::fs::metadata(&status_file)
        .map_err(|e| Error::io(format!("read {}", status_file.display()), e))?;
    let pid = crate::town::supervisor_status::read_pid(paths);
    let alive = pid.is_some_and(pid_alive);
    let pid_text = pid.map_or("no readable pid".to_string(), |p| format!("pid {p}"));
    // A missing lock file cannot be held by anyone; opening it would create it, so it is
    // probed only when it exists.
    let guard = if lock_file.exists() {
        LockGuard::try_acquire(&lock_file)?
    } else {
        None
    };
    let held = lock_file.exists() && guard.is_none();
    if held {
        if alive {
            return Ok(Check::ok(
                "daemon",
                format!("the supervisor is running ({pid_text})"),
            ));
        }
        return Ok(Check::warn(
            "daemon",
            format!(
                "{} is locked, but {} names {pid_text}, which is not running",
                shown(&lock_file),
                shown(&status_file)
            ),
            "left alone while the lock is held; `gt daemon status` shows who runs, `gt down` then `gt up` restarts it",
        ));
    }
    let why = if alive {
        format!(
            "{pid_text} runs, but it does not hold {}",
            shown(&lock_file)
        )
    } else {
        format!(
            "{pid_text} is not running and nobody holds {}",
            shown(&lock_file)
        )
    };
    let mut c = Check::warn(
        "daemon",
        format!("stale supervisor status {}: {why}", shown(&status_file)),
        "remove the status file (the town then shows as unsupervised; `gt up` starts a supervisor)",
    )
    .fixable();
    if fix {
        // Removed while holding the lock (when there is a lock file), so no supervisor can
        // start and write a fresh status in between.
        let res = std::fs::remove_file(&status_file)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| Error::io(format!("remove {}", status_file.display()), e));
        if res.is_ok() {
            tracing::info!(file = %status_file.display(), "gt doctor removed a stale supervisor status");
        }
        c.outcome(res);
    }
    drop(guard);
    Ok(c)
}

/// The process exists and is not a zombie (Linux `/proc`).
fn pid_alive(pid: u32) -> bool {
    crate::agent::procs::start_time(pid).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_huge_pid_is_not() {
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(u32::MAX - 1));
    }
}
