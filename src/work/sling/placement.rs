//! Where a new polecat runs: on this machine or one of the town's hosts that its rig may use
//! (`polecats.hosts`), whichever has the most room left (`local.max_agents`, each host's
//! `max_agents`; 0 is no limit). Every place full is a passing failure: the scheduler keeps
//! the bead queued.

use crate::agent::Role;
use crate::town::RigConfig;
use crate::town::hosts::LOCAL;
use crate::work::hosts::health;
use crate::work::{Ctx, agents};
use crate::{Error, Result};

/// The most polecats a place may hold at once (None: no limit).
pub fn capacity(ctx: &Ctx, place: Option<&str>) -> Result<Option<u64>> {
    let cap = match place {
        None => ctx.setting("local.max_agents", None)?.as_int().max(0) as u64,
        Some(h) => u64::from(crate::work::hosts::find(ctx, h)?.max_agents),
    };
    Ok((cap > 0).then_some(cap))
}

/// Checked again inside the transaction that records the hook (the ledger's writes are
/// one at a time town-wide): slings of two rigs choosing the same last place at once cannot
/// both take it.
pub fn still_room(
    r: &crate::ledger::Reader<'_>,
    place: Option<&str>,
    cap: Option<u64>,
    me: &str,
) -> Result<()> {
    let Some(cap) = cap else {
        return Ok(());
    };
    let used = agents::list(r, None)?
        .iter()
        .filter(|a| a.role == Role::Polecat && a.hook.is_some() && a.address != me)
        .filter(|a| a.host.as_deref() == place)
        .count() as u64;
    if used >= cap {
        return Err(Error::failed(format!(
            "no room left on {} ({used}/{cap}): another sling took the last place; nothing was done",
            place.unwrap_or(LOCAL)
        )));
    }
    Ok(())
}

/// None: this machine; Some(host).
pub fn choose(ctx: &Ctx, rig: &RigConfig) -> Result<Option<String>> {
    let places = places(ctx, rig)?;
    if places == [LOCAL] {
        return Ok(None);
    }
    let known = crate::town::hosts::load(&ctx.town.paths)?;
    let working = agents::list(&ctx.reader(), None)?;
    let used = |place: &str| {
        working
            .iter()
            .filter(|a| a.role == Role::Polecat && a.hook.is_some())
            .filter(|a| a.host.as_deref().unwrap_or(LOCAL) == place)
            .count() as u64
    };
    let mut best: Option<(&str, u64)> = None;
    let mut full = Vec::new();
    for p in &places {
        let cap = if p == LOCAL {
            ctx.setting("local.max_agents", None)?.as_int().max(0) as u64
        } else {
            // A host found down takes no new work (its room is no use now).
            if let Some(why) = health::down(&ctx.town.paths, p) {
                full.push(format!("{p} (down: {why})"));
                continue;
            }
            match known.iter().find(|h| &h.name == p) {
                Some(h) => u64::from(h.max_agents),
                None => {
                    return Err(Error::invalid(format!(
                        "rig {}'s polecats.hosts names {p:?}, which is not a host of this town (`gt host list`)",
                        rig.name
                    )));
                }
            }
        };
        let n = used(p);
        let free = if cap == 0 {
            u64::MAX
        } else {
            cap.saturating_sub(n)
        };
        if free == 0 {
            full.push(format!("{p} {n}/{cap}"));
            continue;
        }
        if best.is_none_or(|(_, f)| free > f) {
            best = Some((p, free));
        }
    }
    match best {
        Some((p, _)) if p == LOCAL => Ok(None),
        Some((p, _)) => Ok(Some(p.to_string())),
        None => Err(Error::failed(format!(
            "no room for another polecat of {}: {}",
            rig.name,
            full.join(", ")
        ))),
    }
}

/// Whether the rig's polecats may run anywhere but here (then room is counted).
pub fn places_beyond_here(ctx: &Ctx, rig: &RigConfig) -> Result<bool> {
    Ok(places(ctx, rig)? != [LOCAL])
}

fn places(ctx: &Ctx, rig: &RigConfig) -> Result<Vec<String>> {
    let raw = ctx.setting("polecats.hosts", Some(rig))?.as_str();
    let v: Vec<String> = raw
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    Ok(if v.is_empty() { vec![LOCAL.into()] } else { v })
}
