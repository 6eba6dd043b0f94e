//! `gt diff <agent|bead|merge request>`: what a piece of work changes, for review — the
//! files, then the patch. A merge request shows what it would land (or what it landed); a
//! bead shows its merge request, else the branch of the agent working on it; an agent shows
//! its branch (and how many files it has not committed).

use crate::ledger::Bead;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::{Error, Result, git};

#[derive(Debug, Clone, serde::Serialize)]
pub struct DiffView {
    /// What was asked for, as given.
    pub target: String,
    /// In words: "merge request sh-mr1 of sh-a1 (polecat/ash/sh-a1)".
    pub what: String,
    pub rig: String,
    pub base: String,
    pub head: String,
    pub merge_request: Option<String>,
    /// `review-waiting` / `review-approved` when the merge request is under review.
    pub review: Option<String>,
    /// Files changed in the agent's worktree and not committed (agents only).
    pub uncommitted: Option<usize>,
    #[serde(flatten)]
    pub change: git::Change,
}

/// The diff of `target` (an agent address, a bead or a merge request id).
pub fn diff(ctx: &Ctx, target: &str, with_patch: bool) -> Result<DiffView> {
    let target = target.trim();
    if target.contains('/') {
        return of_agent(ctx, target, with_patch);
    }
    let r = ctx.reader();
    let b = crate::work::beads::require(ctx, &r, target)?;
    if b.issue_type == "merge-request" {
        return of_mr(ctx, target, &b, with_patch);
    }
    // Its newest merge request (open first), else whoever works on it.
    let mut mrs: Vec<Bead> = crate::work::beads::merge_request::open_merge_requests(&r)?
        .into_iter()
        .filter(|(_, m)| m["source_bead"].as_str() == Some(target))
        .map(|(b, _)| b)
        .collect();
    mrs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    if let Some(mr) = mrs.first() {
        return of_mr(ctx, target, mr, with_patch);
    }
    if let Some(a) = crate::work::agents::list(&r, None)?
        .into_iter()
        .find(|a| a.hook.as_deref() == Some(target))
    {
        return of_agent(ctx, &a.address, with_patch);
    }
    if let Some(mr) = landed_mr_of(ctx, target)? {
        return of_mr(ctx, target, &mr, with_patch);
    }
    Err(Error::invalid(format!(
        "{target} has no branch to show: no merge request carries it and no agent works on it"
    )))
}

/// The newest closed merge request that landed `bead`, if any.
fn landed_mr_of(ctx: &Ctx, bead: &str) -> Result<Option<Bead>> {
    let r = ctx.reader();
    let closed = r.list(&crate::ledger::ListFilter {
        types: vec!["merge-request".into()],
        statuses: vec![crate::ledger::Status::Closed.into()],
        all: true,
        ..Default::default()
    })?;
    let mut best: Option<Bead> = None;
    for s in closed {
        let Some(b) = r.bead(&s.id)? else { continue };
        let meta = meta(&b);
        if meta["source_bead"].as_str() == Some(bead)
            && meta["landing"]["commit"].is_string()
            && best.as_ref().is_none_or(|x| x.created_at < b.created_at)
        {
            best = Some(b);
        }
    }
    Ok(best)
}

fn meta(b: &Bead) -> serde_json::Value {
    b.metadata
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// The rig whose prefix the bead `id` carries.
pub(super) fn rig_of(ctx: &Ctx, id: &str) -> Result<RigConfig> {
    ctx.rig_for_prefix(crate::ledger::prefix_of(id))?
        .ok_or_else(|| Error::invalid(format!("{id} belongs to no rig of this town")))
}

fn of_mr(ctx: &Ctx, target: &str, mr: &Bead, with_patch: bool) -> Result<DiffView> {
    let rig = rig_of(ctx, &mr.id)?;
    let m = meta(mr);
    let branch = m["branch"].as_str().unwrap_or_default().to_string();
    let repo = ctx.town.paths.rig_repo(&rig.name);
    // A landed one shows what it landed, against what it landed onto.
    let (base, head) = match (
        m["landing"]["onto"].as_str(),
        m["landing"]["commit"].as_str(),
    ) {
        (Some(onto), Some(commit)) if mr.is_closed() => (onto.to_string(), commit.to_string()),
        _ => (
            rig.default_branch.clone(),
            m["commit"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| branch.clone()),
        ),
    };
    let change = git::change(&repo, &base, &head, with_patch)?;
    let labels = ctx.reader().labels(&mr.id)?;
    Ok(DiffView {
        target: target.to_string(),
        what: format!(
            "merge request {}{} ({branch})",
            mr.id,
            m["source_bead"]
                .as_str()
                .map(|s| format!(" of {s}"))
                .unwrap_or_default()
        ),
        rig: rig.name,
        base,
        head,
        merge_request: Some(mr.id.clone()),
        review: labels
            .into_iter()
            .find(|l| l == super::review::WAITING || l == super::review::APPROVED),
        uncommitted: None,
        change,
    })
}

fn of_agent(ctx: &Ctx, address: &str, with_patch: bool) -> Result<DiffView> {
    let a = crate::work::agents::require(ctx, address)?;
    let (Some(rig), Some(branch)) = (a.rig.clone(), a.branch.clone()) else {
        return Err(Error::invalid(format!(
            "{} has no branch of its own to show",
            a.address
        )));
    };
    let rig = ctx.town.rig(&rig)?;
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let change = git::change(&repo, &rig.default_branch, &branch, with_patch)?;
    let uncommitted = a
        .worktree
        .as_ref()
        .and_then(|w| git::worktree_state(w).ok())
        .map(|s| s.dirty_files);
    Ok(DiffView {
        target: address.to_string(),
        what: format!(
            "{}'s branch {branch}{}",
            a.address,
            a.hook
                .as_deref()
                .map(|h| format!(" (working on {h})"))
                .unwrap_or_default()
        ),
        rig: rig.name.clone(),
        base: rig.default_branch.clone(),
        head: branch,
        merge_request: None,
        review: None,
        uncommitted,
        change,
    })
}
