//! The integration branch an epic's work lands on, as recorded on the epic (metadata
//! `integration`); made and landed by `refinery::integration`.

use crate::Result;
use crate::ledger::Bead;
use crate::work::Ctx;
use serde::{Deserialize, Serialize};

pub(crate) const KEY: &str = "integration";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Integration {
    pub epic: String,
    pub rig: String,
    pub branch: String,
    /// The branch it was made from and lands onto.
    pub base: String,
    pub created_at: String,
    /// The merge commit it landed as (None: not landed yet).
    #[serde(default)]
    pub landed: Option<String>,
}

/// The integration branch the work of `bead` lands on: that of the nearest epic above it
/// (parent-child) that has one not landed yet.
pub fn branch_for(ctx: &Ctx, bead: &Bead) -> Result<Option<String>> {
    let r = ctx.reader();
    let mut id = bead.id.clone();
    // A bound, so a parent cycle in imported data cannot loop.
    for _ in 0..32 {
        let Some(parent) = r
            .dependencies(&id)?
            .into_iter()
            .find(|d| d.kind == "parent-child")
            .map(|d| d.depends_on_id)
        else {
            return Ok(None);
        };
        if let Some(p) = r.bead(&parent)?
            && let Some(i) = of(&p)
            && i.landed.is_none()
        {
            return Ok(Some(i.branch));
        }
        id = parent;
    }
    Ok(None)
}

pub fn of(bead: &Bead) -> Option<Integration> {
    let meta: serde_json::Value = serde_json::from_str(bead.metadata.as_deref()?).ok()?;
    serde_json::from_value(meta.get(KEY)?.clone()).ok()
}
