//! `gt dashboard`: the town in a browser — agents, screens, convoys, the merge queue, mail,
//! the feed and Attention, pushed live; approving, sending back, nudging, acknowledging,
//! slinging and pausing through the workspace's own actions. Loopback only unless told
//! otherwise; changes need the town's token. Page, script and styles are in the binary.

pub mod actions;
pub mod feed;
pub mod guard;
pub mod hub;
pub mod page_state;
mod routes;
pub mod screen;
pub mod token;

use crate::{Error, Result};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

/// Where the dashboard listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7370";

pub struct Web {
    hub: Arc<hub::Hub>,
    actions: actions::Executor,
    access: guard::Access,
}

/// `ADDR:PORT`, `localhost:PORT` or just `PORT` (on 127.0.0.1).
pub fn parse_listen(s: &str) -> Result<SocketAddr> {
    let s = s.trim();
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = s.strip_prefix("localhost:")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>().map_err(|_| {
        Error::invalid(format!(
            "{:?} is not an address to listen on: give IP:PORT (127.0.0.1:7370), localhost:PORT or PORT",
            crate::inert::for_terminal(s)
        ))
    })
}

/// `dashboard.listen`, which must stay on this machine: another address only with
/// `gt dashboard --listen`, where the person sees the warning.
pub fn configured_listen(ctx: &crate::work::Ctx) -> Result<SocketAddr> {
    let v = ctx.setting("dashboard.listen", None)?.as_str();
    let addr = parse_listen(&v).map_err(|e| Error::invalid(format!("dashboard.listen: {e}")))?;
    if !addr.ip().is_loopback() {
        return Err(Error::invalid(format!(
            "dashboard.listen is {addr}, which is reachable from other machines; set a loopback address (127.0.0.1:PORT), or serve it on purpose with `gt dashboard --listen {addr}`"
        )));
    }
    Ok(addr)
}

/// What to say when the dashboard is reachable from other machines.
pub fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: the dashboard listens on {addr}, not only on this machine: anyone who can reach it sees the town (acting still needs the token). To look from elsewhere, prefer an SSH port forward to 127.0.0.1."
        )
    })
}

/// A dashboard bound and ready to serve.
pub struct Bound {
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    web: Arc<Web>,
    runtime: tokio::runtime::Runtime,
}

/// Binds `addr` and readies everything the dashboard needs for the town at `root`.
pub fn bind(root: &Path, addr: SocketAddr) -> Result<Bound> {
    let ctx = crate::work::Ctx::open(root)?;
    let token = token::ensure(&ctx.town.paths)?;
    let root = ctx.town.root().to_path_buf();
    drop(ctx);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start the dashboard's runtime", e))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| Error::failed(format!("the dashboard cannot listen on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("read the dashboard's address", e))?;
    // The action thread first: it ends by itself when dropped, the looking thread does not.
    let actions = actions::Executor::start(&root)?;
    let web = Arc::new(Web {
        hub: hub::Hub::start(root.clone())?,
        actions,
        access: guard::Access {
            token,
            loopback: addr.ip().is_loopback(),
        },
    });
    Ok(Bound {
        addr,
        listener,
        web,
        runtime,
    })
}

impl Bound {
    /// Serves until `stop` says so (checked five times a second).
    pub fn serve(self, mut stop: impl FnMut() -> bool + Send + 'static) -> Result<()> {
        self.serve_until(async move {
            while !stop() {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub fn serve_until_signalled(self) -> Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let _guard = self.runtime.enter();
        let mut term = signal(SignalKind::terminate()).map_err(|e| Error::io("SIGTERM", e))?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::io("SIGINT", e))?;
        drop(_guard);
        self.serve_until(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }

    fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let Bound {
            listener,
            web,
            runtime,
            ..
        } = self;
        let app = routes::router(web.clone());
        let hub = web.hub.clone();
        let (told, heard) = tokio::sync::oneshot::channel::<()>();
        let stopped = async move {
            stop.await;
            // Open pages' streams end, so the server can finish.
            hub.shutdown();
            let _ = told.send(());
        };
        let served = runtime.block_on(async {
            let server = axum::serve(listener, app).with_graceful_shutdown(stopped);
            // A connection that does not finish in time does not keep the dashboard up.
            let overdue = async {
                let _ = heard.await;
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            };
            tokio::select! {
                r = server => r,
                () = overdue => Ok(()),
            }
        });
        web.hub.shutdown();
        runtime.shutdown_timeout(std::time::Duration::from_millis(200));
        served.map_err(|e| Error::io("serve the dashboard", e))
    }
}
