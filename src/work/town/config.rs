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
    let path = settings::set(&ctx.town, scope, rig, key, value)?;
    ctx.reload_town()?;
    Ok(path)
}

pub fn unset(ctx: &mut Ctx, scope: Scope, rig: Option<&str>, key: &str) -> Result<bool> {
    let removed = settings::unset(&ctx.town, scope, rig, key)?;
    ctx.reload_town()?;
    Ok(removed)
}
