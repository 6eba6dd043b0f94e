//! `gt host remove`: a host the town stops using.

use crate::town::hosts::{self, HostConfig};
use crate::work::Ctx;
use crate::{Error, Result};

/// Removes a host: its connection is closed and it is no longer a place for agents. Agents
/// placed there keep it (they could no longer be stopped, removed or brought back): remove
/// them first, or say `force` (their records stay; their sessions there are left alone).
pub fn remove(ctx: &Ctx, name: &str, force: bool) -> Result<HostConfig> {
    let h = crate::work::hosts::find(ctx, name)?;
    let placed: Vec<String> = crate::work::agents::list(&ctx.reader(), None)?
        .into_iter()
        .filter(|a| a.host.as_deref() == Some(name))
        .map(|a| a.address)
        .collect();
    if !placed.is_empty() && !force {
        return Err(Error::invalid(format!(
            "agents run on {name}: {} — remove them first (`gt polecat remove`), or --force",
            placed.join(", ")
        )));
    }
    if let Ok(c) = crate::work::hosts::conn(ctx, &h) {
        c.close();
    }
    hosts::remove(&ctx.town.paths, name)?;
    Ok(h)
}
