//! `gt prime`: what an agent reads first — who it is, its role, its hook, its mail. A few
//! indexed queries, so it is fast enough to be every agent's first command.

use crate::Result;
use crate::agent::{Address, roles};
use crate::ledger::Bead;
use crate::work::Ctx;
use crate::work::agents;

#[derive(Debug, Clone)]
pub struct Prime {
    pub address: Address,
    pub role_text: String,
    pub hook: Option<Bead>,
    /// The molecule guiding the hooked work (the hook itself, or one poured for it).
    pub molecule: Option<crate::work::molecule::MolView>,
    pub branch: Option<String>,
    pub worktree: Option<String>,
    pub runtime: Option<String>,
    pub unread_mail: usize,
    /// The note the previous session left (`gt handoff -m`): (mail id, text).
    pub handoff: Option<(String, String)>,
    /// What the work was slung with: its instructions, base branch and merge mode.
    pub intent: crate::work::sling::intent::Intent,
    /// The branch the work lands onto when it is not the default one (the sling's base
    /// branch, or its epic's integration branch).
    pub lands_on: Option<String>,
}

pub fn prime(ctx: &Ctx) -> Result<Prime> {
    let address = agents::whoami(ctx);
    let addr = address.to_string();
    let info = match address {
        Address::Overseer => None,
        _ => agents::find(&ctx.reader(), &addr)?,
    };
    let hook = agents::hooked_bead(&ctx.reader(), &addr)?;
    let unread_mail = ctx.reader().messages_for(&addr, false, true)?.len();
    let role_text = match address {
        Address::Overseer => "You are the overseer: the person who owns this town. `gt --help` lists what you can do.".into(),
        _ => roles::text(ctx.town.root(), address.rig(), address.role().as_str(), &addr, &ctx.town.config.name),
    };
    let handoff = match address {
        Address::Overseer => None,
        _ => crate::work::sling::handoff::latest_note(ctx, &addr)?,
    };
    let molecule = match &hook {
        Some(b) => match crate::work::molecule::root_of(&ctx.reader(), b)? {
            Some(root) => Some(crate::work::molecule::view(&ctx.reader(), &root)?),
            None => None,
        },
        None => None,
    };
    let intent = hook
        .as_ref()
        .map(crate::work::sling::intent::Intent::of)
        .unwrap_or_default();
    let lands_on = match (&intent.base_branch, &hook) {
        (Some(b), _) => Some(b.clone()),
        (None, Some(b)) => crate::work::beads::integration::branch_for(ctx, b)?,
        (None, None) => None,
    };
    Ok(Prime {
        lands_on,
        intent,
        molecule,
        handoff,
        role_text,
        branch: info.as_ref().and_then(|i| i.branch.clone()),
        worktree: info
            .as_ref()
            .and_then(|i| i.worktree.as_ref().map(|p| p.display().to_string())),
        runtime: info.and_then(|i| i.runtime),
        hook,
        unread_mail,
        address,
    })
}
