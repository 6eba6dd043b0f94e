//! `gt convoy check`: open convoys that need a hand.
//! - **unlanded**: every tracked bead is closed, yet the convoy is open (reopened by hand, or
//!   written by another tool); `--land` lands them through the one landing use case, so the
//!   deacon announces them as any landing.
//! - **stranded**: ready tracked beads nobody works on (not hooked, not queued, not waiting to
//!   merge) and nothing will sling them by itself (not launched, not fed).
//! - **stalled**: launched or fed, unfinished, and nothing of it in hand — either its ready
//!   beads are not being slung (paused scheduler, a brake, a budget, no supervisor running),
//!   or nothing is ready (outside work, or a `blocked` status, holds it back).

use super::launch::{self, TAKEN_LABELS};
use super::plan::{self, LAUNCHED_LABEL, STAGED_LABEL};
use crate::Result;
use crate::ledger::{ListFilter, ReadyFilter, Status, is_done_status};
use crate::work::Ctx;
use crate::work::beads::tracking::land_convoy_if_complete;
use crate::work::convoy::FEED_LABEL;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub convoy: String,
    pub title: String,
    pub total: usize,
    pub closed: usize,
    /// `staged`, `launched`, `fed` or `plain`.
    pub mode: &'static str,
    /// Ready tracked beads nobody has in hand.
    pub ready: Vec<String>,
    pub reason: String,
    /// What to do about it.
    pub hint: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub unlanded: Vec<Finding>,
    pub stranded: Vec<Finding>,
    pub stalled: Vec<Finding>,
    /// Landed by `--land`.
    pub landed: Vec<String>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.unlanded.is_empty() && self.stranded.is_empty() && self.stalled.is_empty()
    }
}

/// `gt convoy check [--land]`.
pub fn check(ctx: &mut Ctx, land: bool) -> Result<CheckReport> {
    let mut report = find(ctx)?;
    if land {
        for f in std::mem::take(&mut report.unlanded) {
            let landed = ctx.write(|tx| land_convoy_if_complete(tx, &f.convoy))?;
            if landed {
                report.landed.push(f.convoy);
            } else {
                // Changed since it was read (a bead reopened): still a finding, not landed.
                report.unlanded.push(f);
            }
        }
    }
    Ok(report)
}

fn find(ctx: &Ctx) -> Result<CheckReport> {
    let r = ctx.reader();
    let open = r.list(&ListFilter {
        types: vec!["convoy".into()],
        ..Default::default()
    })?;
    let mut report = CheckReport::default();
    if open.is_empty() {
        return Ok(report);
    }
    let ready = r.ready(&ReadyFilter::default())?;
    let supervised = crate::town::supervisor_status::lock_held(&ctx.town.paths);
    for c in open {
        let tracked = r.tracked(&c.id)?;
        let closed = tracked
            .iter()
            .filter(|t| t.status.as_deref().is_some_and(is_done_status))
            .count();
        let labels = r.labels(&c.id)?;
        let mode = if labels.iter().any(|l| l == LAUNCHED_LABEL) {
            "launched"
        } else if labels.iter().any(|l| l == FEED_LABEL) {
            "fed"
        } else if labels.iter().any(|l| l == STAGED_LABEL) {
            "staged"
        } else {
            "plain"
        };
        let mut finding = Finding {
            convoy: c.id.clone(),
            title: c.title.clone(),
            total: tracked.len(),
            closed,
            mode,
            ready: Vec::new(),
            reason: String::new(),
            hint: String::new(),
        };
        if !tracked.is_empty() && closed == tracked.len() {
            finding.reason = "every tracked bead is closed, but the convoy never landed".into();
            finding.hint = "gt convoy check --land".into();
            report.unlanded.push(finding);
            continue;
        }
        let ids: HashSet<String> = tracked.iter().map(|t| t.id.clone()).collect();
        finding.ready = launch::untaken(&ready, &ids)
            .into_iter()
            .map(|b| b.id)
            .collect();
        let mut in_hand = false;
        for t in &tracked {
            let Some(status) = t.status.as_deref() else {
                continue;
            };
            let taken = r
                .labels(&t.id)?
                .iter()
                .any(|l| TAKEN_LABELS.contains(&l.as_str()));
            in_hand |= !is_done_status(status) && (Status::of(status).is_worked() || taken);
        }
        match mode {
            "launched" | "fed" if !in_hand => {
                let (reason, hint) = if finding.ready.is_empty() {
                    nothing_ready(ctx, &c.id)?
                } else {
                    not_slung(ctx, &c.id, &labels, supervised)?
                };
                finding.reason = reason;
                finding.hint = hint;
                report.stalled.push(finding);
            }
            "staged" | "plain" if !finding.ready.is_empty() => {
                finding.reason = format!(
                    "{} ready bead(s) and nobody works on them",
                    finding.ready.len()
                );
                finding.hint = format!("gt convoy launch {}", c.id);
                report.stranded.push(finding);
            }
            _ => {}
        }
    }
    Ok(report)
}

/// A launched convoy with nothing ready and nothing in hand: what holds it back.
fn nothing_ready(ctx: &Ctx, convoy: &str) -> Result<(String, String)> {
    let r = ctx.reader();
    let members = launch::members(&r, convoy)?;
    let mut outside: Vec<String> = Vec::new();
    let mut blocked: Vec<String> = Vec::new();
    match plan::plan(&r, &members) {
        Ok(p) => {
            for h in &p.held {
                for b in &h.by {
                    if !outside.contains(b) {
                        outside.push(b.clone());
                    }
                }
            }
        }
        Err(e) => return Ok((e.to_string(), "gt bead dep remove <id> <target>".into())),
    }
    for b in members.iter().filter(|b| !b.is_closed()) {
        if Status::of(&b.status) != Status::Open {
            blocked.push(format!("{} is {}", b.id, b.status));
        }
    }
    let mut why = Vec::new();
    if !outside.is_empty() {
        why.push(format!(
            "it waits on {} outside the convoy",
            outside.join(", ")
        ));
    }
    why.extend(blocked);
    if why.is_empty() {
        why.push("none of its beads is ready".into());
    }
    Ok((
        format!("nothing is ready: {}", why.join("; ")),
        format!("gt blocked  (then finish or `gt bead dep remove` what holds {convoy} back)"),
    ))
}

/// A launched convoy with ready beads nobody slings: why not.
fn not_slung(
    ctx: &Ctx,
    convoy: &str,
    labels: &[String],
    supervised: bool,
) -> Result<(String, String)> {
    if crate::work::scheduler::is_paused(ctx)? {
        return Ok((
            "the scheduler is paused".into(),
            "gt scheduler resume".into(),
        ));
    }
    let rig = plan::rig_label(labels);
    let brakes = crate::work::brakes::Brakes::read(&ctx.reader())?;
    if let Some(why) = brakes.sling_refusal(rig.as_deref()) {
        // The reason names the command that lifts the brake.
        return Ok((why, "lift the brake (see the reason)".into()));
    }
    let crossed = crate::work::costs::budget::crossed(ctx)?;
    if let Some(c) = crossed
        .iter()
        .find(|c| c.budget == "daily" || c.budget == convoy)
    {
        return Ok((c.describe(), format!("gt convoy budget {convoy} <usd>")));
    }
    if !supervised {
        return Ok((
            "no supervisor is running, so no deacon slings its ready beads".into(),
            "gt up".into(),
        ));
    }
    Ok((
        "its ready beads wait for the deacon's next round".into(),
        format!("gt convoy launch {convoy}  (slings them now)"),
    ))
}
