//! Liveness facts from the process table (Linux `/proc`): is the runtime still running under
//! an agent's pane, or has it exited and left a shell behind?

use std::path::Path;

/// Shells a pane may be left showing when the runtime started inside them has exited.
const SHELLS: &[&str] = &["bash", "sh", "zsh", "fish", "dash", "ksh", "tcsh", "csh"];

pub fn is_shell(command: &str) -> bool {
    SHELLS.contains(&command)
}

/// Whether this process runs as root (Linux: the effective uid in `/proc/self/status`).
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// When a running process started (clock ticks after boot): the same pid with another start
/// time is another process. None when it is gone or a zombie (Linux `/proc`).
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields follow the parenthesised command name, which may itself hold spaces: the
    // state is the first of them, the start time the 20th.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    rest.nth(18)?.parse().ok()
}

/// Whether any process in the tree under `pid` (itself included) has one of `names` as its
/// command name. None when the process table cannot be read (not Linux, or `pid` is gone).
pub fn tree_runs(pid: u32, names: &[String]) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join(pid.to_string()).exists() {
        return None;
    }
    let mut todo = vec![pid];
    let mut seen = 0;
    // A bound, so a strange process table cannot keep the witness busy.
    while let Some(p) = todo.pop() {
        seen += 1;
        if seen > 512 {
            break;
        }
        // The kernel keeps 15 characters of a command name.
        if let Ok(comm) = std::fs::read_to_string(proc.join(format!("{p}/comm")))
            && names
                .iter()
                .any(|n| n.chars().take(15).collect::<String>() == comm.trim())
        {
            return Some(true);
        }
        match children(p) {
            Some(c) => todo.extend(c),
            // Without the children list the answer is not known (never "gone").
            None if p == pid => return None,
            None => {}
        }
    }
    Some(false)
}

/// The children of `pid`, None when the kernel does not say (no `task/*/children`).
fn children(pid: u32) -> Option<Vec<u32>> {
    let tasks = Path::new("/proc").join(format!("{pid}/task"));
    let dir = std::fs::read_dir(tasks).ok()?;
    let mut out = Vec::new();
    let mut read_any = false;
    for t in dir.flatten() {
        if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
            read_any = true;
            out.extend(
                text.split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    read_any.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_child_by_name_and_not_a_missing_one() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        let me = std::process::id();
        assert_eq!(tree_runs(me, &["sleep".to_string()]), Some(true));
        assert_eq!(tree_runs(me, &["no-such-program".to_string()]), Some(false));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(tree_runs(u32::MAX - 1, &["sleep".to_string()]), None);
    }
}
