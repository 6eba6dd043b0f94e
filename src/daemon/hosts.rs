//! The supervisor's hosts duty: the town's end of each host's forwarded socket (a remote
//! agent's `gt` runs here), and a look at every host every few seconds (`hosts::watch`).

use super::runner::Shared;
use crate::Result;
use crate::work::Ctx;
use crate::work::hosts::remote;
use crate::work::town::host_commands;
use crate::work::witness::hosts as watch;
use std::collections::BTreeSet;
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::time::Duration;

const NAME: &str = "hosts";
const EVERY: Duration = Duration::from_secs(2);

pub fn run(shared: &Arc<Shared>) -> Result<()> {
    let mut ctx = Ctx::open(&shared.root)?;
    ctx.actor = "hosts".into();
    let mut serving: BTreeSet<String> = BTreeSet::new();
    let mut look = watch::Watch::default();
    while !shared.stopping() {
        ctx.reload_town()?;
        for h in crate::town::hosts::load(&ctx.town.paths)? {
            if !serving.contains(&h.name) {
                let sock = remote::local_socket(&ctx, &h.name);
                match listen(&sock) {
                    Ok(l) => {
                        spawn_server(shared, l, h.name.clone());
                        serving.insert(h.name.clone());
                    }
                    Err(e) => {
                        tracing::warn!(host = %h.name, error = %e, "cannot serve the host's town socket")
                    }
                }
            }
        }
        let summary = watch::round(&mut ctx, &mut look)?;
        shared.ticked(NAME, summary);
        shared.pause(NAME, EVERY);
    }
    Ok(())
}

/// A fresh socket at `path` (a file left by an earlier supervisor is removed), 0600.
fn listen(path: &std::path::Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        crate::fsutil::private_dir(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Accepts until the supervisor stops; each command on a thread of its own (an agent's
/// `gt done` must not wait behind another's).
fn spawn_server(shared: &Arc<Shared>, l: UnixListener, host: String) {
    let shared = shared.clone();
    std::thread::spawn(move || {
        while !shared.stopping() {
            match l.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let root = shared.root.clone();
                    let host = host.clone();
                    std::thread::spawn(move || host_commands::serve(&root, &host, stream));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => {
                    tracing::warn!(host = %host, error = %e, "the town socket failed");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    });
}
