//! `gt config`: layered settings (flag > env > rig > town > user > default).

use crate::Result;
use crate::town::settings::{self, Resolved, SETTINGS, Scope};
use crate::work::Ctx;

pub fn get(ctx: &Ctx, key: &str, rig: Option<&str>) -> Result<Resolved> {
    let rig = rig.map(|r| ctx.town.rig(r)).transpose()?;
    ctx.setting(key, rig.as_ref())
}

pub fn list(ctx: &Ctx, rig: Option<&str>) -> Result<Vec<Resolved>> {
    let rig = rig.map(|r| ctx.town.rig(r)).transpose()?;
    SETTINGS
        .iter()
        .map(|s| ctx.setting(s.key, rig.as_ref()))
        .collect()
}

/// Writes the setting into the file of `scope`; returns that file. The town's config is
/// re-read so later commands in the same process (`--batch -`) see the change.
pub fn set(
    ctx: &mut Ctx,
    scope: Scope,
    rig: Option<&str>,
    key: &str,
    value: &str,
) -> Result<std::path::PathBuf> {
    if key == "polecats.hosts" {
        known_places(ctx, value)?;
    }
    let path = settings::set(&ctx.town, scope, rig, key, value)?;
    ctx.reload_town()?;
    Ok(path)
}

/// Every place named in a `polecats.hosts` value is `local` or a host of the town (a typo
/// would send every sling of the rig to "no such host").
fn known_places(ctx: &Ctx, value: &str) -> Result<()> {
    let hosts = crate::town::hosts::load(&ctx.town.paths)?;
    for p in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if p != crate::town::hosts::LOCAL && !hosts.iter().any(|h| h.name == p) {
            return Err(crate::Error::invalid(format!(
                "polecats.hosts: {:?} is not a host of this town (`gt host list`; `local` is this machine)",
                crate::inert::for_terminal(p)
            )));
        }
    }
    Ok(())
}

pub fn unset(ctx: &mut Ctx, scope: Scope, rig: Option<&str>, key: &str) -> Result<bool> {
    let removed = settings::unset(&ctx.town, scope, rig, key)?;
    ctx.reload_town()?;
    Ok(removed)
}
