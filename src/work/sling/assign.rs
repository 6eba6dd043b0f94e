//! `gt assign <crew> "<title>"`: file a bead and put it on a crew member's hook in one go.

use super::{SlingOptions, Slung};
use crate::agent::Role;
use crate::work::Ctx;
use crate::work::agents;
use crate::work::beads::{self, NewBead};
use crate::{Error, Result};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Assigned {
    pub bead: String,
    /// None: the bead was filed but could not be hooked (the error says why).
    pub slung: Option<Slung>,
}

/// Files the bead in the crew member's rig and slings it to them. Whatever can be checked
/// is checked before the bead is written (who, the title, the sling's options); a sling that
/// fails after that leaves the bead filed — it is said, never thrown away.
pub fn assign(ctx: &mut Ctx, crew: &str, bead: NewBead, opts: &SlingOptions) -> Result<Assigned> {
    let who = agents::find(&ctx.reader(), crew)?
        .filter(|a| a.role == Role::Crew)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{crew} is not a crew member (see `gt crew list`); assign gives work to crew"
            ))
        })?;
    if let Some(h) = &who.hook {
        return Err(Error::invalid(format!(
            "{} is working on {h}; finish or unsling it first",
            who.address
        )));
    }
    opts.intent.validate()?;
    crate::work::brakes::check_sling(&ctx.reader(), who.rig.as_deref())?;
    let filed = beads::create(
        ctx,
        NewBead {
            rig: who.rig.clone(),
            ..bead
        },
    )?;
    match super::sling(ctx, &filed.id, &who.address, opts) {
        Ok(s) => Ok(Assigned {
            bead: filed.id,
            slung: Some(s),
        }),
        Err(e) => Err(Error::failed(format!(
            "filed {} but could not hook it to {}: {e}; it stays open (`gt sling {} {}` to try again)",
            filed.id, who.address, filed.id, who.address
        ))),
    }
}
