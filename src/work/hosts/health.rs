//! Whether each host answers, as the supervisor last found it (`.gt/daemon/hosts.json`):
//! read by the verdicts, so the agents of a host that does not answer read `unreachable`
//! (one verdict for the host) instead of dead, and nothing restarts them.

use crate::town::TownPaths;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct HostHealth {
    pub up: bool,
    /// Unix time it became so.
    pub since: i64,
    /// Why it is down (ssh's words).
    #[serde(default)]
    pub why: String,
}

pub type Health = BTreeMap<String, HostHealth>;

fn path(paths: &TownPaths) -> std::path::PathBuf {
    paths.daemon_dir().join("hosts.json")
}

pub fn read(paths: &TownPaths) -> Health {
    std::fs::read(path(paths))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

pub fn write(paths: &TownPaths, h: &Health) {
    let Ok(bytes) = serde_json::to_vec_pretty(h) else {
        return;
    };
    if let Err(e) = crate::fsutil::write_atomic(&path(paths), &bytes) {
        tracing::warn!(error = %e, "cannot record the hosts' health");
    }
}

/// Why a remote agent whose window has gone cannot be seen: its host was found down, or its
/// connection is down right now (asked of the local ssh master: no network traffic). None:
/// the host answers, so the window went because the session there ended.
pub fn unreachable(ctx: &crate::work::Ctx, host: &str, address: &str) -> Option<String> {
    if let Some(why) = down(&ctx.town.paths, host) {
        return Some(why);
    }
    let h = super::find(ctx, host).ok()?;
    let c = super::conn(ctx, &h).ok()?;
    if !c.is_up() {
        return Some(format!(
            "its connection to host {host} is down; it is seen again when the host is back"
        ));
    }
    // The host answers: a session there that goes on was only cut off from its window here
    // (a dropped connection); the supervisor attaches it again. Nothing to restart.
    super::remote::session_alive(ctx, host, address)
        .ok()
        .filter(|alive| *alive)
        .map(|_| {
            format!(
                "its window here closed while its session on {host} goes on; it is attached again"
            )
        })
}

/// Why `host` is down, when the supervisor found it so.
pub fn down(paths: &TownPaths, host: &str) -> Option<String> {
    read(paths)
        .get(host)
        .filter(|h| !h.up)
        .map(|h| {
            let since = chrono::DateTime::from_timestamp(h.since, 0)
                .map(|t| t.with_timezone(&chrono::Local).format("%H:%M:%S").to_string())
                .unwrap_or_default();
            format!(
                "its host {host} does not answer since {since} ({}); it is seen again when the host is back",
                h.why
            )
        })
}
