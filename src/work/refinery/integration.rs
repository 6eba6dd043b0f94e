//! Integration branches (`gt mq integration create|land|status <epic>`): the work of an epic
//! (its children, down the parent-child tree) branches from and lands onto a branch of its
//! own, gated like the default branch; when every piece is done, the branch comes onto the
//! default branch as one merge, built and gated first, so the default branch sees the epic
//! whole or not at all.
//!
//! Kept on the epic (metadata `integration`), so a sling of any of its beads finds it.

use super::gates;
use crate::ledger::Bead;
use crate::work::Ctx;
use crate::{Error, Result, git};
use serde::Serialize;

pub use crate::work::beads::integration::{Integration, branch_for, of};

/// `gt mq integration status`: the branch, and how far the epic's work is.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationStatus {
    pub integration: Integration,
    /// Commits on the branch not on its base.
    pub ahead: usize,
    pub done: usize,
    pub total: usize,
    /// Beads of the epic not closed yet.
    pub open: Vec<String>,
    /// Merge requests still headed for the branch.
    pub merge_requests: Vec<String>,
}

/// Makes `integration/<epic>` from the rig's default branch and records it on the epic.
pub fn create(ctx: &mut Ctx, epic: &str) -> Result<Integration> {
    let bead = crate::work::beads::require(ctx, &ctx.reader(), epic)?;
    if let Some(i) = of(&bead) {
        return Err(Error::invalid(format!(
            "{} already has the integration branch {}{}",
            bead.id,
            i.branch,
            if i.landed.is_some() { " (landed)" } else { "" }
        )));
    }
    let rig = super::diff::rig_of(ctx, &bead.id)?;
    if ctx.reader().children(&bead.id)?.is_empty() {
        return Err(Error::invalid(format!(
            "{} has no children (parent-child); an integration branch gathers an epic's pieces",
            bead.id
        )));
    }
    let branch = format!("integration/{}", bead.id);
    let repo = ctx.town.paths.rig_repo(&rig.name);
    git::create_branch(&repo, &branch, &rig.default_branch)?;
    let i = Integration {
        epic: bead.id.clone(),
        rig: rig.name.clone(),
        branch,
        base: rig.default_branch.clone(),
        created_at: crate::time::format(ctx.now()),
        landed: None,
    };
    let saved = save(ctx, &bead.id, &i, "integration_created");
    if let Err(e) = saved {
        // Nothing half-made: the branch goes with the record that failed.
        let _ = git::delete_branch(&repo, &i.branch);
        return Err(e);
    }
    Ok(i)
}

pub fn status(ctx: &Ctx, epic: &str) -> Result<IntegrationStatus> {
    let bead = crate::work::beads::require(ctx, &ctx.reader(), epic)?;
    let i = of(&bead).ok_or_else(|| {
        Error::invalid(format!(
            "{} has no integration branch (`gt mq integration create {}`)",
            bead.id, bead.id
        ))
    })?;
    let rig = ctx.town.rig(&i.rig)?;
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let ahead = git::commits_ahead(&repo, &i.branch, &i.base).unwrap_or(0);
    let pieces = pieces(ctx, &bead.id)?;
    let open: Vec<String> = pieces
        .iter()
        .filter(|b| b.status != "closed")
        .map(|b| b.id.clone())
        .collect();
    let merge_requests = super::merge_requests(ctx, &rig, &["open", "in_progress"], None)?
        .into_iter()
        .filter(|m| m.target.as_deref() == Some(i.branch.as_str()))
        .map(|m| m.id)
        .collect();
    Ok(IntegrationStatus {
        done: pieces.len() - open.len(),
        total: pieces.len(),
        integration: i,
        ahead,
        open,
        merge_requests,
    })
}

/// `gt mq integration land`: once every piece is closed and nothing is headed for the
/// branch, it is merged onto its base as one merge commit — built in the refinery's
/// worktree, gated, and moved with a compare-and-swap like any landing.
pub fn land(ctx: &mut Ctx, epic: &str) -> Result<IntegrationStatus> {
    let st = status(ctx, epic)?;
    let i = st.integration.clone();
    if let Some(c) = &i.landed {
        return Err(Error::invalid(format!(
            "{} landed already as {}",
            i.branch,
            super::short(c)
        )));
    }
    if !st.open.is_empty() || !st.merge_requests.is_empty() {
        return Err(Error::invalid(format!(
            "{} is not done: {} of {} beads closed{}{}; it lands when everything is in",
            i.epic,
            st.done,
            st.total,
            if st.open.is_empty() {
                String::new()
            } else {
                format!("; open: {}", st.open.join(", "))
            },
            if st.merge_requests.is_empty() {
                String::new()
            } else {
                format!("; still in the queue: {}", st.merge_requests.join(", "))
            }
        )));
    }
    let rig = ctx.town.rig(&i.rig)?;
    if let Some(why) = crate::work::brakes::Brakes::read(&ctx.reader())?.merge_hold(&rig.name) {
        return Err(Error::failed(format!("not landed: {why}")));
    }
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let wt = ctx.town.paths.refinery_dir(&rig.name);
    // The refinery's worktree is shared: one landing at a time.
    let lock = ctx
        .town
        .paths
        .locks_dir()
        .join(format!("refinery-{}.lock", rig.name));
    let _only_one = crate::fsutil::LockGuard::acquire(&lock)?;
    let on_base = crate::work::beads::intent::rig_on(&rig, &i.base);
    let (head, base) = match git::prepare(
        &wt,
        &i.branch,
        &format!("refs/heads/{}", i.base),
        git::Strategy::Merge,
    )? {
        git::Prepared::Ready { head, base } => (head, base),
        git::Prepared::Conflict { files } => {
            return Err(Error::failed(format!(
                "{} does not merge cleanly onto {}: {}; resolve on {} and land again",
                i.branch,
                i.base,
                files.join(", "),
                i.branch
            )));
        }
    };
    let record = gates::gate_record(&ctx.town.paths, &rig.name);
    if let Some(f) = gates::run_all(&wt, &on_base, &record)? {
        return Err(Error::failed(format!(
            "not landed: the gate `{}` failed on the merge of {} onto {}:\n{}",
            f.gate, i.branch, i.base, f.tail
        )));
    }
    // A brake that came while the gates ran: nothing lands (as for any landing).
    if let Some(why) = crate::work::brakes::Brakes::read(&ctx.reader())?.merge_hold(&rig.name) {
        return Err(Error::failed(format!(
            "not landed: {why}; the merge was tested, land it again once it lifts"
        )));
    }
    git::advance(&repo, &i.base, &head, &base)?;
    let mut landed = i.clone();
    landed.landed = Some(head.clone());
    save(ctx, &i.epic, &landed, "integration_landed")?;
    status(ctx, &i.epic)
}

/// Every bead under the epic (children, grandchildren …), epics among them excluded.
fn pieces(ctx: &Ctx, epic: &str) -> Result<Vec<Bead>> {
    let r = ctx.reader();
    let mut out = Vec::new();
    let mut todo = vec![epic.to_string()];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) || seen.len() > 10_000 {
            continue;
        }
        for c in r.children(&id)? {
            todo.push(c.id.clone());
            if c.issue_type != "epic" {
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn save(ctx: &mut Ctx, epic: &str, i: &Integration, event: &str) -> Result<()> {
    let value = serde_json::to_value(i)
        .map_err(|e| Error::failed(format!("could not record the integration branch: {e}")))?;
    ctx.write(|tx| {
        let old = tx.reader().require(epic)?;
        let mut meta = crate::work::beads::intent::metadata_object(&old);
        meta[crate::work::beads::integration::KEY] = value;
        let mut new = old.clone();
        new.metadata = Some(meta.to_string());
        tx.update_bead(&old, new, event)?;
        tx.record_event(
            Some(epic),
            event,
            None,
            Some(serde_json::json!({"branch": i.branch, "base": i.base, "landed": i.landed})),
            None,
        )?;
        Ok(())
    })
}
