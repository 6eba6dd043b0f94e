//! `gt host check` and the doctor's look at each host: reachable, tmux, git, disk, gt.

use super::{Conn, HostConfig, conn, remote_gt};
use crate::work::Ctx;
use crate::{Error, Result};
use std::time::{Duration, Instant};

/// What a host has, and what stops it from running agents.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostCheck {
    pub host: String,
    /// One command over the (already open) connection, there and back.
    pub round_trip_ms: f64,
    pub tmux: Option<String>,
    pub git: Option<String>,
    /// Free space in the remote user's home.
    pub disk_free_mb: Option<u64>,
    /// This gt's binary is the one installed there.
    pub gt_current: bool,
    /// Empty when the host can run agents.
    pub problems: Vec<String>,
}

const FREE_MB_NEEDED: u64 = 1024;

pub fn check(ctx: &Ctx, h: &HostConfig) -> Result<HostCheck> {
    check_conn(&conn(ctx, h)?)
}

pub fn check_conn(c: &Conn) -> Result<HostCheck> {
    c.connect()?;
    let t0 = Instant::now();
    c.run(&["true"], None, Duration::from_secs(10))?;
    let round_trip_ms = t0.elapsed().as_secs_f64() * 1000.0;
    // One round trip for everything; each answer on its own marked line.
    let script = format!(
        "echo \"tmux:$(tmux -V 2>/dev/null)\"; echo \"git:$(git --version 2>/dev/null)\"; \
         echo \"df:$(df -Pk . 2>/dev/null | tail -1)\"; \
         echo \"gt:$(sha256sum {} 2>/dev/null)\"",
        remote_gt()
    );
    let out = c.run_line(&script, None, Duration::from_secs(20))?;
    let field = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| crate::inert::for_terminal(v.trim()))
            .filter(|v| !v.is_empty())
    };
    let tmux = field("tmux:");
    let git = field("git:");
    let disk_free_mb = field("df:").and_then(|l| {
        l.split_whitespace()
            .nth(3)
            .and_then(|k| k.parse::<u64>().ok())
            .map(|k| k / 1024)
    });
    let want = super::file_sha256(&crate::fsutil::gt_exe())?;
    let gt_current = field("gt:").is_some_and(|l| l.starts_with(&want));
    let mut problems = Vec::new();
    match tmux.as_deref().and_then(version_of) {
        None => problems.push("no tmux (install tmux 3.2 or newer there)".to_string()),
        Some(v) if v < (3, 2) => {
            problems.push(format!("tmux {}.{} is too old (3.2 or newer)", v.0, v.1))
        }
        _ => {}
    }
    match git.as_deref().and_then(version_of) {
        None => problems.push("no git (install git 2.25 or newer there)".to_string()),
        Some(v) if v < (2, 25) => {
            problems.push(format!("git {}.{} is too old (2.25 or newer)", v.0, v.1))
        }
        _ => {}
    }
    match disk_free_mb {
        Some(mb) if mb < FREE_MB_NEEDED => problems.push(format!(
            "only {mb} MB free in the home folder (at least {FREE_MB_NEEDED} MB)"
        )),
        None => problems.push("cannot read the free disk space".into()),
        _ => {}
    }
    if !gt_current {
        problems.push(format!(
            "this gt is not installed there (`gt host check {} --install`)",
            c.name
        ));
    }
    Ok(HostCheck {
        host: c.name.clone(),
        round_trip_ms,
        tmux,
        git,
        disk_free_mb,
        gt_current,
        problems,
    })
}

/// `(major, minor)` from `tmux 3.3a` or `git version 2.47.3`.
fn version_of(s: &str) -> Option<(u32, u32)> {
    let v = s
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut it = v.split('.');
    let major = it.next()?.parse().ok()?;
    let minor: String = it
        .next()
        .unwrap_or("0")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().unwrap_or(0)))
}

/// Reinstalls gt when asked (`--install`), then checks.
pub fn check_installing(ctx: &Ctx, h: &HostConfig, install: bool) -> Result<HostCheck> {
    let c = conn(ctx, h)?;
    if install {
        super::install_gt(&c)?;
    }
    check_conn(&c).map_err(|e| match e {
        Error::Ssh(s) if s.is_unreachable() => Error::failed(s.to_string()),
        e => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_what_the_tools_print() {
        assert_eq!(version_of("tmux 3.3a"), Some((3, 3)));
        assert_eq!(version_of("tmux next-3.4"), None);
        assert_eq!(version_of("git version 2.47.3"), Some((2, 47)));
        assert_eq!(version_of("tmux 3.2"), Some((3, 2)));
        assert_eq!(version_of(""), None);
    }
}
