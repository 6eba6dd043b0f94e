//! `<runtime> --version`, with a time limit: a CLI that hangs offline must not hang gt.

use crate::agent::Runtime;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first line the runtime prints for its version, or why it could not be run.
pub fn of(rt: &Runtime, limit: Duration) -> Result<String, String> {
    let exe = crate::fsutil::gt_exe().display().to_string();
    // Only the program: its other arguments may not combine with --version.
    let program = rt.command.replace("{gt}", &exe);
    let mut cmd = Command::new(&program);
    cmd.args(&rt.version_args)
        .envs(rt.env.iter())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("`{program}` cannot be run: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{program} {}` did not finish within {} s",
                    rt.version_args.join(" "),
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    if out.status.success() && !first.is_empty() {
        Ok(crate::inert::visible(&first))
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "`{program} {}` failed ({}): {}",
            rt.version_args.join(" "),
            out.status,
            crate::inert::visible(err.lines().next().unwrap_or("").trim())
        ))
    }
}
