//! Claims: towns that share beads (`gt sync`) hook a bead in at most one town at a time.
//! With `sync.claims` on, a sling first publishes its claim through a sync (a file per bead
//! on the shared branch); a bead another town claimed first is refused here with who has
//! it — a lost race is said, never silently doubled. A town gives a claim up at its next
//! sync once the bead is no longer hooked there.

use crate::work::Ctx;
use crate::{Error, Result};
use std::collections::BTreeSet;

/// This town's identity among the towns sharing a remote (made once, kept in `.gt/sync/`).
pub fn town_id(ctx: &Ctx) -> Result<String> {
    let path = ctx.town.paths.runtime_dir().join("sync").join("town-id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() {
            return Ok(id.to_string());
        }
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("make .gt/sync", e))?;
    }
    crate::fsutil::write_atomic(&path, id.as_bytes())
        .map_err(|e| Error::io("write .gt/sync/town-id", e))?;
    Ok(id)
}

/// What a claim file holds.
pub fn content(ctx: &Ctx, me: &str, agent: &str) -> String {
    serde_json::json!({
        "town": me,
        "name": ctx.town.config.name,
        "agent": agent,
        "at": crate::time::now(),
    })
    .to_string()
}

pub fn is_mine(content: &str, me: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(content)
        .ok()
        .is_some_and(|v| v["town"] == me)
}

/// The refusal of a bead another town claimed first.
pub fn taken(bead: &str, theirs: &str) -> Error {
    let v: serde_json::Value = serde_json::from_str(theirs).unwrap_or_default();
    let s = |k: &str| crate::inert::for_terminal(v[k].as_str().unwrap_or("?"));
    Error::invalid(format!(
        "{bead} is claimed by town {} ({}, since {}): it is hooked there; nothing was done here",
        s("name"),
        s("agent"),
        s("at")
    ))
}

/// The beads hooked in this town's ledger.
pub fn held_here(ctx: &Ctx) -> Result<BTreeSet<String>> {
    let list = ctx.reader().list(&crate::ledger::ListFilter {
        statuses: vec![crate::ledger::Status::Hooked.into()],
        all: true,
        ..Default::default()
    })?;
    Ok(list.into_iter().map(|b| b.id).collect())
}

/// Before a sling hooks `bead` for `who`: its claim published through a sync, when this
/// town claims (`sync.claims`). Refused when another town holds it.
pub fn claim_for_sling(ctx: &mut Ctx, bead: &str, who: &str) -> Result<()> {
    if !ctx.setting("sync.claims", None)?.as_bool() {
        return Ok(());
    }
    let safe = !bead.is_empty()
        && !bead.starts_with('.')
        && bead
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !safe {
        return Err(Error::invalid(format!(
            "{:?} cannot be claimed (not a bead id)",
            crate::inert::for_terminal(bead)
        )));
    }
    let remote = ctx.setting("sync.remote", None)?.as_str();
    super::sync::sync_claiming(ctx, &remote, Some(super::sync::Claim { bead, agent: who }))
        .map(|_| ())
}
