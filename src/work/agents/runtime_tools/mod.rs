//! Looking after the runtimes themselves: their version, a trial start, the config changes
//! a preset lists, and which runtimes a town uses.

pub mod check;
pub mod prepare;
pub mod version;

use crate::Result;
use crate::work::Ctx;
use std::collections::BTreeSet;

/// Every runtime the town uses: its default, the role choices of the town and its rigs, and
/// the runtimes its agents were started with.
pub fn used(ctx: &Ctx) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    out.insert(ctx.setting("default_agent", None)?.as_str());
    let role_agents = |raw: &toml::Table, out: &mut BTreeSet<String>| {
        if let Some(t) = raw.get("role_agents").and_then(|v| v.as_table()) {
            for v in t.values() {
                if let Some(s) = v.as_str() {
                    out.insert(s.to_string());
                }
            }
        }
    };
    role_agents(&ctx.town.config.raw, &mut out);
    for rig in ctx.town.rigs()? {
        role_agents(&rig.raw, &mut out);
        if let Ok(v) = ctx.setting("default_agent", Some(&rig)) {
            out.insert(v.as_str());
        }
    }
    for a in crate::work::agents::list(&ctx.reader(), None)? {
        if let Some(r) = a.runtime {
            out.insert(r);
        }
    }
    out.retain(|r| !r.is_empty());
    Ok(out)
}
