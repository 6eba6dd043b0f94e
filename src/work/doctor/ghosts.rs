//! Processes of a town that was deleted and made again at the same path: their working
//! directory is the old, deleted folder, yet they use the same paths (and a supervisor would
//! act on the new town with the old one's state). Found through /proc; `--fix` stops old
//! supervisors (they hold nothing the new town has); other processes are named, not killed.

use super::Check;
use std::path::Path;

struct Ghost {
    pid: i32,
    command: String,
    supervisor: bool,
}

pub(super) fn check(root: &Path, fix: bool) -> Option<Check> {
    let ghosts = find(root);
    if ghosts.is_empty() {
        return None;
    }
    let list: Vec<String> = ghosts
        .iter()
        .map(|g| format!("pid {} ({})", g.pid, g.command))
        .collect();
    let supervisors = ghosts.iter().filter(|g| g.supervisor).count();
    let mut c = Check::error(
        "old town",
        format!(
            "{} process(es) still run in a town that was deleted at {} before this one: {}",
            ghosts.len(),
            root.display(),
            list.join(", ")
        ),
        if supervisors > 0 {
            "stop the old supervisor(s) (they would act on this town with the old one's state); stop the other processes yourself"
        } else {
            "stop them yourself (they belong to the deleted town; nothing of this town is in them)"
        },
    );
    if supervisors > 0 {
        c = c.fixable();
        if fix {
            let res = ghosts.iter().filter(|g| g.supervisor).try_for_each(|g| {
                // SAFETY: a signal to a process this check identified as the old supervisor.
                let rc = unsafe { libc::kill(g.pid, libc::SIGTERM) };
                if rc == 0 {
                    Ok(())
                } else {
                    Err(crate::Error::failed(format!(
                        "could not stop pid {}: {}",
                        g.pid,
                        std::io::Error::last_os_error()
                    )))
                }
            });
            c.outcome(res);
        }
    }
    Some(c)
}

fn find(root: &Path) -> Vec<Ghost> {
    let root = root.to_string_lossy().into_owned();
    let mut out = Vec::new();
    for (pid, proc_dir) in super::other_processes() {
        let Ok(cwd) = std::fs::read_link(proc_dir.join("cwd")) else {
            continue;
        };
        let cwd = cwd.to_string_lossy().into_owned();
        let Some(dir) = cwd.strip_suffix(" (deleted)") else {
            continue;
        };
        if dir != root && !dir.starts_with(&format!("{root}/")) {
            continue;
        }
        let cmdline = std::fs::read(proc_dir.join("cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let supervisor = args.windows(2).any(|w| w[0] == "daemon" && w[1] == "run");
        let command = crate::inert::for_terminal(&args.join(" "));
        let command: String = command.chars().take(80).collect();
        out.push(Ghost {
            pid,
            command,
            supervisor,
        });
    }
    out
}
