//! The supervisor's dashboard duty: serves `gt dashboard` on `dashboard.listen` while
//! `dashboard.enabled` is on, and stops serving within seconds of it being turned off.

use super::runner::Shared;
use crate::Result;
use crate::town::Town;
use crate::work::Ctx;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the settings are read again.
const LOOK_EVERY: Duration = Duration::from_secs(2);

pub fn run(shared: &Arc<Shared>) -> Result<()> {
    while !shared.stopping() {
        // Only town.toml is read while it is off (no ledger connection every 2 s).
        if !enabled(&shared.root) {
            shared.ticked("dashboard", "off (dashboard.enabled = false)".into());
            shared.pause("dashboard", LOOK_EVERY);
            continue;
        }
        let ctx = Ctx::open(&shared.root)?;
        let addr = crate::web::configured_listen(&ctx)?;
        drop(ctx);
        let bound = crate::web::bind(&shared.root, addr)?;
        shared.ticked("dashboard", format!("serving http://{}/", bound.addr));
        let s = shared.clone();
        let mut looked = Instant::now();
        bound.serve(move || {
            if s.stopping() {
                return true;
            }
            if looked.elapsed() < LOOK_EVERY {
                return false;
            }
            looked = Instant::now();
            // Turned off (or the town gone): stop serving.
            !enabled(&s.root)
        })?;
    }
    Ok(())
}

fn enabled(root: &std::path::Path) -> bool {
    Town::open(root)
        .and_then(|t| crate::town::settings::resolve(&t, None, "dashboard.enabled", None))
        .is_ok_and(|v| v.as_bool())
}
