//! `gt config`: layered settings (flag > env > rig > town > user > default).

use super::Ctx;
use crate::Result;
use crate::town::settings::{self, Resolved, SETTINGS, Scope};

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

/// Writes the setting into the file of `scope`; returns that file.
pub fn set(
    ctx: &Ctx,
    scope: Scope,
    rig: Option<&str>,
    key: &str,
    value: &str,
) -> Result<std::path::PathBuf> {
    Ok(settings::set(&ctx.town, scope, rig, key, value)?)
}

pub fn unset(ctx: &Ctx, scope: Scope, rig: Option<&str>, key: &str) -> Result<bool> {
    Ok(settings::unset(&ctx.town, scope, rig, key)?)
}
