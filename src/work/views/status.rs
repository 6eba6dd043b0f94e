//! `gt status`: the town at a glance.

use crate::Result;
use crate::work::Ctx;
use crate::work::agents::live;
use crate::work::mail::escalation::{self, EscalationView};
use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize)]
pub struct RigStatus {
    pub name: String,
    pub prefix: String,
    pub open_beads: usize,
    pub ready: usize,
    pub agents: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ConvoyStatus {
    pub id: String,
    pub title: String,
    pub closed: usize,
    pub total: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TownStatus {
    pub town: String,
    pub root: String,
    pub rigs: Vec<RigStatus>,
    /// Agents counted by session state (working, idle, starting, exited, no session).
    pub agents: BTreeMap<String, usize>,
    pub convoys: Vec<ConvoyStatus>,
    /// Unread mail of the caller.
    pub you: String,
    pub unread_mail: usize,
    pub escalations: Vec<EscalationView>,
    /// The supervisor (daemons) comes with `gt up`; until then this says so.
    pub supervisor: String,
    /// What needs a person, most serious first: the workspace's Attention list.
    pub attention: Vec<crate::work::views::attention::Attention>,
}

pub fn status(ctx: &mut Ctx) -> Result<TownStatus> {
    // Raising overdue escalations is part of looking at the town.
    let _ = escalation::sweep(ctx)?;
    let views = live::agents(ctx, None)?;
    let mut agents: BTreeMap<String, usize> = BTreeMap::new();
    for v in &views {
        *agents.entry(v.session.to_string()).or_default() += 1;
    }
    let mut rigs = Vec::new();
    for r in ctx.town.rigs()? {
        let open = crate::work::beads::list(ctx, Default::default(), Some(&r.name))?.len();
        let ready = crate::work::beads::ready(ctx, Some(&r.name), None)?.len();
        let count = views
            .iter()
            .filter(|v| v.info.rig.as_deref() == Some(r.name.as_str()))
            .count();
        rigs.push(RigStatus {
            name: r.name,
            prefix: r.prefix,
            open_beads: open,
            ready,
            agents: count,
        });
    }
    let convoys = crate::work::convoy::list(ctx, false, None)?
        .into_iter()
        .map(|c| ConvoyStatus {
            id: c.id,
            title: c.title,
            closed: c.closed,
            total: c.total,
        })
        .collect();
    let you = crate::work::agents::whoami(ctx).to_string();
    let unread_mail = ctx.reader().messages_for(&you, false, true)?.len();
    let escalations = escalation::list(ctx, false, false)?;
    let request = crate::work::views::snapshot::Request {
        identity: you.clone(),
        ..Default::default()
    };
    let attention = crate::work::views::snapshot::refresh(
        ctx,
        &mut crate::work::views::snapshot::Cache::new(),
        &request,
    )?
    .attention;
    Ok(TownStatus {
        town: ctx.town.config.name.clone(),
        root: ctx.town.root().display().to_string(),
        rigs,
        agents,
        convoys,
        you,
        unread_mail,
        escalations,
        supervisor: "not running (the supervisors arrive with `gt up`)".into(),
        attention,
    })
}
