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
        let ctx = Ctx::open(&shared.root)?;
        if !ctx.setting("dashboard.enabled", None)?.as_bool() {
            shared.ticked("dashboard", "off (dashboard.enabled = false)".into());
            drop(ctx);
            shared.pause("dashboard", LOOK_EVERY);
            continue;
        }
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
            !Town::open(&s.root)
                .and_then(|t| crate::town::settings::resolve(&t, None, "dashboard.enabled", None))
                .is_ok_and(|v| v.as_bool())
        })?;
    }
    Ok(())
}
