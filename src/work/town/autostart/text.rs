//! What `gt daemon enable` writes or tells: the systemd user unit and the crontab line, as
//! pure functions of the gt executable, the town and the PATH to run it with.
//!
//! Paths go into two languages here, each with its own quoting: systemd's (`%` starts a
//! specifier, `$` a variable in ExecStart=, C escapes inside double quotes) and the crontab's
//! (`%` ends the command unless escaped; the rest is sh). A character neither can carry (a
//! control character, a line break) is refused rather than written wrong.

use crate::{Error, Result};
use std::path::Path;

/// What the supervisor is started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The gt executable, absolute.
    pub gt: String,
    /// The town's root, absolute.
    pub town: String,
    /// PATH for the supervisor: the one `enable` ran with (systemd and cron start with a
    /// bare one, where the agents' runtimes and tmux may not be found).
    pub path: String,
}

impl Launch {
    pub fn new(gt: &Path, town: &Path, path: &str) -> Result<Launch> {
        let text = |p: &Path, what: &str| -> Result<String> {
            let s = p.to_str().ok_or_else(|| {
                Error::invalid(format!(
                    "the {what} path {} is not UTF-8; a unit file or crontab cannot name it",
                    p.display()
                ))
            })?;
            if !p.is_absolute() {
                return Err(Error::invalid(format!(
                    "the {what} path {s:?} is not absolute"
                )));
            }
            Ok(s.to_string())
        };
        let l = Launch {
            gt: text(gt, "gt executable")?,
            town: text(town, "town")?,
            path: path.to_string(),
        };
        for (what, v) in [
            ("gt executable", &l.gt),
            ("town", &l.town),
            ("PATH", &l.path),
        ] {
            if v.chars().any(char::is_control) {
                return Err(Error::invalid(format!(
                    "the {what} {:?} holds a control character (a line break?); neither a unit file nor a crontab can carry it",
                    crate::inert::for_terminal(v)
                )));
            }
        }
        Ok(l)
    }
}

/// The unit's file name for a town: one unit per town, named from its path.
pub fn unit_name(town: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(town.as_bytes());
    let hex: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
    format!("gt-town-{hex}.service")
}

/// `%` is a specifier in every unit setting.
fn systemd_plain(s: &str) -> String {
    s.replace('%', "%%")
}

/// A double-quoted word of a unit file (C escapes; `%` a specifier; with `dollar`, `$`
/// starts a variable, as in ExecStart=).
fn systemd_quoted(s: &str, dollar: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' if dollar => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The systemd user unit that runs the town's supervisor.
pub fn unit_text(l: &Launch) -> String {
    format!(
        "# Written by `gt daemon enable` for the town at {town}; `gt daemon disable` removes it.\n\
         [Unit]\n\
         Description=Gas Town supervisor for {town}\n\
         \n\
         [Service]\n\
         Type=simple\n\
         WorkingDirectory={town}\n\
         Environment={env_town} {env_path}\n\
         ExecStart={gt} --batch daemon run\n\
         # A supervisor that fails (another one holds the town, say) is tried again; one that\n\
         # ends cleanly (`gt down`, `systemctl --user stop`) stays down.\n\
         Restart=on-failure\n\
         RestartSec=10\n\
         # Only the supervisor is stopped with the unit: the tmux server it may have started\n\
         # holds the agents, which outlive a supervisor restart.\n\
         KillMode=process\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        town = systemd_plain(&l.town),
        env_town = systemd_quoted(&format!("GT_TOWN={}", l.town), false),
        env_path = systemd_quoted(&format!("PATH={}", l.path), false),
        gt = systemd_quoted(&l.gt, true),
    )
}

/// A word for sh, single-quoted.
fn sh_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The crontab line that brings the town up at boot (`gt up`: the supervisor in the town's
/// tmux server), its output kept in the town's logs. cron turns an unescaped `%` into a line
/// break, so every `%` is escaped (cron removes the backslash).
pub fn crontab_line(l: &Launch) -> String {
    let boot_log = format!("{}/.gt/logs/boot.log", l.town.trim_end_matches('/'));
    let line = format!(
        "@reboot cd {town} && PATH={path} {gt} --batch up >>{log} 2>&1",
        town = sh_quoted(&l.town),
        path = sh_quoted(&l.path),
        gt = sh_quoted(&l.gt),
        log = sh_quoted(&boot_log),
    );
    line.replace('%', "\\%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(town: &str) -> Launch {
        Launch::new(
            Path::new("/opt/gt/bin/gt"),
            Path::new(town),
            "/usr/local/bin:/usr/bin",
        )
        .expect("launch")
    }

    #[test]
    fn the_unit_runs_the_supervisor_of_the_town_with_a_restart_policy() {
        let text = unit_text(&launch("/home/me/town"));
        for want in [
            "ExecStart=\"/opt/gt/bin/gt\" --batch daemon run\n",
            "WorkingDirectory=/home/me/town\n",
            "Environment=\"GT_TOWN=/home/me/town\" \"PATH=/usr/local/bin:/usr/bin\"\n",
            "Restart=on-failure\n",
            "KillMode=process\n",
            "WantedBy=default.target\n",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
    }

    #[test]
    fn odd_characters_are_quoted_for_systemd() {
        let l = Launch::new(
            Path::new("/opt/a$b/gt"),
            Path::new("/srv/my town/100% \"x\"\\y"),
            "/bin",
        )
        .expect("launch");
        let text = unit_text(&l);
        assert!(
            text.contains("ExecStart=\"/opt/a$$b/gt\" --batch"),
            "{text}"
        );
        assert!(
            text.contains("WorkingDirectory=/srv/my town/100%% \"x\"\\y\n"),
            "{text}"
        );
        assert!(
            text.contains("Environment=\"GT_TOWN=/srv/my town/100%% \\\"x\\\"\\\\y\""),
            "{text}"
        );
    }

    #[test]
    fn the_crontab_line_is_quoted_for_sh_and_cron() {
        let l = Launch::new(Path::new("/opt/gt"), Path::new("/srv/it's 100%"), "/bin").expect("l");
        assert_eq!(
            crontab_line(&l),
            "@reboot cd '/srv/it'\\''s 100\\%' && PATH='/bin' '/opt/gt' --batch up >>'/srv/it'\\''s 100\\%/.gt/logs/boot.log' 2>&1"
        );
    }

    #[test]
    fn what_cannot_be_written_is_refused() {
        assert!(Launch::new(Path::new("/opt/gt"), Path::new("/srv/a\nb"), "/bin").is_err());
        assert!(Launch::new(Path::new("gt"), Path::new("/srv/t"), "/bin").is_err());
        assert!(Launch::new(Path::new("/opt/gt"), Path::new("/srv/t"), "/bin\u{7}").is_err());
    }
}
