//! `gt daemon enable|disable`: the town's supervisor started at login (and at boot, with
//! lingering) by a systemd user unit; where no systemd user instance runs, the exact crontab
//! `@reboot` line to add instead — told, not written (a person's crontab is theirs to edit).
//!
//! Honest outcomes: `enable` succeeds when a unit was written and enabled (by systemctl, or
//! with `--systemd` by the same link systemctl makes, for a systemd that is not reachable
//! from here); where it can only tell the crontab line, nothing was enabled and it says so
//! as a failure (exit 1), with the line to add.

pub mod text;

use crate::process::{Kill, run_within};
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
pub use text::{Launch, crontab_line, unit_name, unit_text};

const SYSTEMCTL_LIMIT: Duration = Duration::from_secs(10);

/// The town's launch: this gt, the town's real path, this PATH.
pub fn launch_for(town_root: &Path) -> Result<Launch> {
    let town = std::fs::canonicalize(town_root)
        .map_err(|e| Error::io(format!("resolve {}", town_root.display()), e))?;
    let gt = crate::fsutil::gt_exe();
    let gt = std::fs::canonicalize(&gt).unwrap_or(gt);
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    Launch::new(&gt, &town, &path)
}

/// `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`.
pub fn unit_dir() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("systemd").join("user"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| {
            PathBuf::from(h)
                .join(".config")
                .join("systemd")
                .join("user")
        })
        .ok_or_else(|| {
            Error::invalid("neither $XDG_CONFIG_HOME nor $HOME is set: no place for a user unit")
        })
}

/// The link `systemctl --user enable` makes for `WantedBy=default.target`.
fn wants_link(dir: &Path, unit: &str) -> PathBuf {
    dir.join("default.target.wants").join(unit)
}

/// What a finished program printed, stdout then stderr, trimmed.
fn said_by(f: &crate::process::Finished) -> String {
    let (out, err) = (
        String::from_utf8_lossy(&f.stdout),
        String::from_utf8_lossy(&f.stderr),
    );
    // One line apart, so the last word of one does not run into the first of the other.
    [out.trim(), err.trim()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `systemctl --user <args>`: Ok(output) when it exited 0, Err(what it said) otherwise.
fn systemctl(args: &[&str]) -> std::result::Result<String, String> {
    let mut cmd = Command::new("systemctl");
    cmd.arg("--user").args(args);
    match run_within(&mut cmd, None, SYSTEMCTL_LIMIT, Kill::Child, |_| {}) {
        Err(e) => Err(format!("systemctl: {e}")),
        Ok(f) => {
            let said = said_by(&f);
            match f.status {
                Some(s) if s.success() => Ok(said),
                Some(_) => Err(if said.is_empty() {
                    format!("systemctl --user {} failed", args.join(" "))
                } else {
                    said
                }),
                None => Err(format!(
                    "systemctl --user {} did not answer",
                    args.join(" ")
                )),
            }
        }
    }
}

/// Whether a systemd user instance answers here; Err says why not.
pub fn systemd_user() -> std::result::Result<(), String> {
    systemctl(&["show-environment"]).map(|_| ())
}

/// What `systemd-analyze verify` made of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum Verified {
    Passed,
    Failed(String),
    /// systemd-analyze is not installed (or would not run).
    Unavailable(String),
}

/// Checks a unit's text with `systemd-analyze verify` (as a file of the unit's own name in
/// `scratch`, removed after; in the system manager's mode, which needs no running user
/// instance). Anything it prints counts against the unit: it reports some mistakes only as
/// warnings ("…, ignoring") with exit 0.
pub fn verify(scratch: &Path, unit: &str, text: &str) -> Verified {
    let file = scratch.join(unit);
    if let Err(e) = std::fs::create_dir_all(scratch).and_then(|()| std::fs::write(&file, text)) {
        return Verified::Unavailable(format!("write {}: {e}", file.display()));
    }
    let mut cmd = Command::new("systemd-analyze");
    cmd.arg("verify").arg(&file);
    let ran = run_within(&mut cmd, None, SYSTEMCTL_LIMIT, Kill::Child, |_| {});
    let _ = std::fs::remove_file(&file);
    match ran {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Verified::Unavailable("systemd-analyze is not installed".into())
        }
        Err(e) => Verified::Unavailable(format!("systemd-analyze: {e}")),
        Ok(f) => {
            let said = said_by(&f);
            match f.status {
                Some(s) if s.success() && said.is_empty() => Verified::Passed,
                None => Verified::Unavailable("systemd-analyze did not answer in time".into()),
                _ => Verified::Failed(said),
            }
        }
    }
}

/// What `enable` did.
#[derive(Debug, Clone, Serialize)]
pub struct Enabled {
    /// "systemd" (a unit written and enabled) or "crontab" (only told).
    pub method: &'static str,
    pub enabled: bool,
    pub unit_name: String,
    /// Where the unit is (systemd) or would go.
    pub unit_path: PathBuf,
    pub verified: Verified,
    /// Whether systemctl itself enabled it (false: the link was made by gt, for a systemd
    /// that was not reachable).
    pub by_systemctl: bool,
    /// Whether the user manager runs without a login (`loginctl enable-linger`); None: unknown.
    pub lingering: Option<bool>,
    pub crontab_line: String,
    /// Why no systemd user instance was used.
    pub no_systemd: Option<String>,
}

/// Writes and enables the town's unit; or, with no systemd user instance (and no
/// `force_systemd`), writes nothing and returns the crontab line (`enabled: false`).
pub fn enable(town_root: &Path, force_systemd: bool) -> Result<Enabled> {
    let launch = launch_for(town_root)?;
    let unit = unit_name(&launch.town);
    let dir = unit_dir()?;
    let text = unit_text(&launch);
    let reachable = systemd_user();
    let mut report = Enabled {
        method: "systemd",
        enabled: false,
        unit_name: unit.clone(),
        unit_path: dir.join(&unit),
        verified: Verified::Unavailable("not checked".into()),
        by_systemctl: false,
        lingering: lingering(),
        crontab_line: crontab_line(&launch),
        no_systemd: reachable.as_ref().err().cloned(),
    };
    if reachable.is_err() && !force_systemd {
        report.method = "crontab";
        return Ok(report);
    }
    let scratch = town_root.join(".gt").join("autostart");
    report.verified = verify(&scratch, &unit, &text);
    let _ = std::fs::remove_dir(&scratch);
    if let Verified::Failed(why) = &report.verified {
        return Err(Error::failed(format!(
            "systemd-analyze verify rejects the unit gt made (nothing was written): {why}"
        )));
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    crate::fsutil::write_atomic(&report.unit_path, text.as_bytes())
        .map_err(|e| Error::io(format!("write {}", report.unit_path.display()), e))?;
    if reachable.is_ok() {
        systemctl(&["daemon-reload"])
            .and_then(|_| systemctl(&["enable", &unit]))
            .map_err(|e| {
                Error::failed(format!(
                    "{} is written, but systemctl could not enable it: {e}",
                    report.unit_path.display()
                ))
            })?;
        report.by_systemctl = true;
    } else {
        // What `systemctl --user enable` does for WantedBy=default.target, done by hand.
        let link = wants_link(&dir, &unit);
        let parent = link.parent().unwrap_or(&dir);
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("create {}", parent.display()), e))?;
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&report.unit_path, &link)
            .map_err(|e| Error::io(format!("link {}", link.display()), e))?;
    }
    report.enabled = true;
    tracing::info!(unit = %report.unit_path.display(), by_systemctl = report.by_systemctl, "gt daemon enable wrote the supervisor's unit");
    Ok(report)
}

/// Whether the user's systemd instance runs without a login (so the unit starts at boot).
fn lingering() -> Option<bool> {
    let user = std::env::var("USER")
        .ok()
        .or_else(|| std::env::var("LOGNAME").ok())?;
    let dir = Path::new("/var/lib/systemd/linger");
    dir.is_dir().then(|| dir.join(&user).exists())
}

/// What `disable` did.
#[derive(Debug, Clone, Serialize)]
pub struct Disabled {
    pub unit_name: String,
    pub unit_path: PathBuf,
    /// Files removed (the unit, its link).
    pub removed: Vec<PathBuf>,
    pub by_systemctl: bool,
    /// The line to take out of the crontab, if one was added by hand.
    pub crontab_line: String,
}

/// Undoes `enable`: `systemctl --user disable` where it answers, and the unit and its link
/// removed in any case. A supervisor running now keeps running (`gt down` stops the town).
pub fn disable(town_root: &Path) -> Result<Disabled> {
    let launch = launch_for(town_root)?;
    let unit = unit_name(&launch.town);
    let dir = unit_dir()?;
    let path = dir.join(&unit);
    let link = wants_link(&dir, &unit);
    let mut report = Disabled {
        unit_name: unit.clone(),
        unit_path: path.clone(),
        removed: Vec::new(),
        by_systemctl: false,
        crontab_line: crontab_line(&launch),
    };
    let present = path.exists() || link.symlink_metadata().is_ok();
    if present && systemd_user().is_ok() {
        systemctl(&["disable", &unit])
            .map_err(|e| Error::failed(format!("systemctl could not disable {unit}: {e}")))?;
        report.by_systemctl = true;
    }
    for f in [&link, &path] {
        if f.symlink_metadata().is_ok() {
            std::fs::remove_file(f).map_err(|e| Error::io(format!("remove {}", f.display()), e))?;
            report.removed.push(f.clone());
        }
    }
    if report.by_systemctl {
        let _ = systemctl(&["daemon-reload"]);
    }
    if !report.removed.is_empty() {
        tracing::info!(unit = %path.display(), "gt daemon disable removed the supervisor's unit");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze_present() -> bool {
        Command::new("systemd-analyze")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// The unit gt writes passes systemd's own check, odd town paths included (where
    /// systemd-analyze is installed; elsewhere the test says so and checks nothing).
    #[test]
    fn systemd_analyze_accepts_the_unit() {
        if !analyze_present() {
            eprintln!("systemd-analyze is not installed: the unit is not verified here");
            return;
        }
        let scratch = tempfile::tempdir().expect("tempdir");
        let gt = std::env::current_exe().expect("exe");
        for town in ["/srv/town", "/srv/my town/100% $HOME \"q\""] {
            let l = Launch::new(&gt, Path::new(town), "/usr/bin:/bin").expect("launch");
            let text = unit_text(&l);
            assert_eq!(
                verify(scratch.path(), &unit_name(town), &text),
                Verified::Passed,
                "{text}"
            );
        }
        let broken = unit_text(&Launch::new(&gt, Path::new("/srv/t"), "/bin").expect("l"))
            .replace("Restart=on-failure", "Restart=sometimes");
        assert!(matches!(
            verify(scratch.path(), "gt-town-000000.service", &broken),
            Verified::Failed(w) if w.contains("sometimes")
        ));
    }
}
