//! The rig's gate commands (`gates = ["cargo test", …]` in rig.toml), run by the refinery in
//! its worktree on the result it is about to land. Each gate runs in its own process group,
//! so a timeout stops everything it started, not only the shell.

use crate::process::Kill;
use crate::town::RigConfig;
use crate::{Error, Result};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// A gate that did not pass: which one, and the last lines of its output.
#[derive(Debug, Clone)]
pub(in crate::work) struct GateFailure {
    pub gate: String,
    pub tail: String,
}

/// `gates = ["cargo test", …]` from rig.toml.
pub(in crate::work) fn gates(rig: &RigConfig) -> Result<Vec<String>> {
    let bad = || {
        Error::invalid(format!(
            "rig {}: `gates` must be a list of command strings",
            rig.name
        ))
    };
    match rig.raw.get("gates") {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn gate_timeout(rig: &RigConfig) -> Duration {
    let secs = rig
        .raw
        .get("gate_timeout_secs")
        .and_then(|v| v.as_integer())
        .filter(|n| *n > 0)
        .unwrap_or(600);
    Duration::from_secs(secs as u64)
}

/// Where the running gate's process group is written down, so a refinery that dies (kill -9
/// of the supervisor) does not leave its gate running under the next one.
pub fn gate_record(paths: &crate::town::TownPaths, rig: &str) -> std::path::PathBuf {
    paths.daemon_dir().join(format!("gate-{rig}.pgid"))
}

/// Stops a gate a dead refinery left running in `wt` (its whole process group), and forgets
/// it. Only a group one of whose processes works inside the refinery worktree is touched, so
/// a reused process id is never killed; the group's first process may have exited already.
pub fn stop_leftover(record: &Path, wt: &Path) {
    let Ok(text) = std::fs::read_to_string(record) else {
        return;
    };
    if let Ok(pgid) = text.trim().parse::<u32>()
        && let Ok(wt) = std::fs::canonicalize(wt)
        && group_works_in(pgid, &wt)
    {
        tracing::warn!(pgid, "stopping a gate left running by a refinery that died");
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
    }
    let _ = std::fs::remove_file(record);
}

/// Whether a process of group `pgid` has its working directory in `dir` (Linux `/proc`).
fn group_works_in(pgid: u32, dir: &Path) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|e| {
        let path = e.path();
        let in_group = std::fs::read_to_string(path.join("stat"))
            .ok()
            .and_then(|st| {
                // Fields after the command (which may hold spaces): state, ppid, pgrp.
                let rest = &st[st.rfind(')')? + 2..];
                rest.split_whitespace().nth(2)?.parse::<u32>().ok()
            })
            == Some(pgid);
        in_group && std::fs::read_link(path.join("cwd")).is_ok_and(|c| c.starts_with(dir))
    })
}

/// Runs every gate in order in `wt`; the first failure, or None when all passed. The running
/// gate's process group is kept in `record` meanwhile.
pub(in crate::work) fn run_all(
    wt: &Path,
    rig: &RigConfig,
    record: &Path,
) -> Result<Option<GateFailure>> {
    let timeout = gate_timeout(rig);
    for gate in gates(rig)? {
        let (ok, tail) = run_gate(wt, &gate, timeout, record)?;
        if !ok {
            return Ok(Some(GateFailure { gate, tail }));
        }
    }
    Ok(None)
}

/// Runs one gate with `sh -c` in the worktree; (passed, the last lines of its output).
fn run_gate(wt: &Path, gate: &str, timeout: Duration, record: &Path) -> Result<(bool, String)> {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(format!("{gate} 2>&1")).current_dir(wt);
    // Its own process group: on time-out everything the gate started goes, not only its shell.
    let finished = crate::process::run_within(&mut cmd, None, timeout, Kill::Group, |pid| {
        let written = record
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(record, pid.to_string()));
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot record the gate's process group");
        }
    })
    .map_err(|e| Error::io(format!("run gate `{gate}`"), e))?;
    let status = finished.status;
    let buf = finished.stdout;
    let _ = std::fs::remove_file(record);
    let out = String::from_utf8_lossy(&buf).into_owned();
    let mut lines: Vec<&str> = out.lines().rev().take(20).collect();
    lines.reverse();
    let mut tail = lines.join("\n");
    match status {
        Some(st) if st.success() => Ok((true, tail)),
        Some(st) => {
            tail.push_str(&format!("\n(exit {})", st.code().unwrap_or(-1)));
            Ok((false, tail))
        }
        None => {
            tail.push_str(&format!("\n(timed out after {} s)", timeout.as_secs()));
            Ok((false, tail))
        }
    }
}
