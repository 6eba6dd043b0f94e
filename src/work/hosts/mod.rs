//! The town's other machines: added, checked, listed and removed; reached through one
//! multiplexed ssh connection each (`ssh::Conn`).

mod check;
pub mod health;
pub mod proxy;
pub mod remote;

pub use check::{HostCheck, check, check_conn, check_installing};

use crate::ssh::{Conn, Options, Target};
use crate::town::hosts::{self, HostConfig};
use crate::work::Ctx;
use crate::{Error, Result};
use std::path::PathBuf;

/// Where gt keeps its own things on a host, under the remote user's home: its binary and,
/// per town, the rigs' repositories and worktrees.
pub const REMOTE_HOME: &str = ".gt-host";

/// The gt binary on a host (relative to the remote user's home).
pub fn remote_gt() -> String {
    format!("{REMOTE_HOME}/bin/gt")
}

/// The connection to a configured host.
pub fn conn(ctx: &Ctx, h: &HostConfig) -> Result<Conn> {
    let target = Target::parse(&h.url)?;
    let config = ctx.setting("ssh.config", None)?.as_str();
    let opts = Options {
        config: (!config.is_empty()).then(|| PathBuf::from(config)),
        log: Some(
            ctx.town
                .paths
                .logs_dir()
                .join(format!("ssh-{}.log", h.name)),
        ),
    };
    Ok(Conn::new(&h.name, target, &control_dir(ctx), opts))
}

/// Control sockets live in a short private folder (a socket path holds at most 107 bytes,
/// and a town's path can be long): one per town, named like its tmux server.
pub(crate) fn control_dir(ctx: &Ctx) -> PathBuf {
    // SAFETY: geteuid only reads this process's effective user id.
    let uid = unsafe { libc::geteuid() };
    let mine = std::env::temp_dir().join(format!("gt-ssh-{uid}"));
    // The shared parent is checked first: in /tmp another user could have made it.
    if let Err(e) = crate::fsutil::private_dir(&mine) {
        tracing::warn!(error = %e, dir = %mine.display(), "the ssh control folder is not private");
    }
    mine.join(crate::tmux::socket_name_for(ctx.town.root()))
}

pub fn find(ctx: &Ctx, name: &str) -> Result<HostConfig> {
    let all = hosts::load(&ctx.town.paths)?;
    let names: Vec<String> = all.iter().map(|h| h.name.clone()).collect();
    all.into_iter().find(|h| h.name == name).ok_or_else(|| {
        Error::not_found(format!(
            "no host named {:?}{}",
            crate::inert::for_terminal(name),
            if names.is_empty() {
                " (the town has none: `gt host add`)".to_string()
            } else {
                format!(" (hosts: {})", names.join(", "))
            }
        ))
    })
}

/// What `gt host add` did.
#[derive(Debug, serde::Serialize)]
pub struct Added {
    pub host: HostConfig,
    pub check: HostCheck,
}

/// Adds a host: the name and URL are checked first (nothing written when they are bad), then
/// the host is reached and checked, gt is installed there, and only then is it recorded.
pub fn add(ctx: &Ctx, name: &str, url: &str, max_agents: u32) -> Result<Added> {
    hosts::validate_name(name)?;
    let target = Target::parse(url)?;
    if hosts::load(&ctx.town.paths)?.iter().any(|h| h.name == name) {
        return Err(Error::invalid(format!(
            "{name} is already a host of this town (`gt host remove {name}` first)"
        )));
    }
    let host = HostConfig {
        name: name.to_string(),
        url: target.url(),
        max_agents,
        added_at: crate::time::now(),
    };
    let c = conn(ctx, &host)?;
    c.connect()
        .map_err(|e| Error::failed(format!("{e}; the host was not added")))?;
    // The same kind of machine: gt installs its own binary there.
    let arch = c.run(&["uname", "-m"], None, std::time::Duration::from_secs(10))?;
    if arch.trim() != std::env::consts::ARCH {
        return Err(Error::failed(format!(
            "{name} is a {} machine and this gt is built for {}; the host was not added",
            crate::inert::for_terminal(arch.trim()),
            std::env::consts::ARCH
        )));
    }
    install_gt(&c)?;
    let check = check_conn(&c)?;
    if let Some(p) = check.problems.first() {
        return Err(Error::failed(format!(
            "{name} cannot run agents: {p}; the host was not added"
        )));
    }
    hosts::put(&ctx.town.paths, &host)?;
    Ok(Added { host, check })
}

/// Puts this gt on the host unless the same binary is there already.
pub fn install_gt(c: &Conn) -> Result<bool> {
    let local = crate::fsutil::gt_exe();
    let want = file_sha256(&local)?;
    let have = c
        .run_line(
            &format!("sha256sum {} 2>/dev/null || true", remote_gt()),
            None,
            std::time::Duration::from_secs(20),
        )?
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    if have == want {
        return Ok(false);
    }
    c.install_file(&local, &remote_gt())?;
    Ok(true)
}

pub(crate) fn file_sha256(path: &std::path::Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f =
        std::fs::File::open(path).map_err(|e| Error::io(format!("read {}", path.display()), e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| Error::io("hash the gt binary", e))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// One host as `gt host list` shows it.
#[derive(Debug, serde::Serialize)]
pub struct HostView {
    #[serde(flatten)]
    pub host: HostConfig,
    /// The connection is up (asked of the local master: no network traffic).
    pub connected: bool,
}

pub fn list(ctx: &Ctx) -> Result<Vec<HostView>> {
    hosts::load(&ctx.town.paths)?
        .into_iter()
        .map(|h| {
            let connected = conn(ctx, &h)?.is_up();
            Ok(HostView { host: h, connected })
        })
        .collect()
}
