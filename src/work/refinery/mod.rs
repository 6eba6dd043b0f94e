//! The refinery's merge queue for one rig: merge requests (priority, then age) are built onto
//! the default branch in the refinery worktree — several at once as a batch, bisected when
//! the batch is red — checked by the rig's gate commands, and landed with a compare-and-swap
//! of the branch ref; then pushed when the rig says where, and the polecats whose work landed
//! are cleaned up. A red gate sends the work back to its bead with the reason; a conflict
//! becomes a resolution bead (per `merge.on_conflict`).
//!
//! One refinery per rig at a time (a file lock). A merge request found `in_progress` when the
//! lock is taken was being worked by a refinery that died: when the default branch already
//! holds what it was landing it is closed as merged, else it is simply built again.
//!
//! The parts: `batch` (build, test, bisect, land), `gates`, `conflict`
//! (send back, resolution beads), `cleanup`, `push`.

mod batch;
pub mod board;
mod cleanup;
pub mod integration;
pub(in crate::work) use cleanup::landed_tips;
pub mod conflict;
pub mod diff;
pub mod gates;
mod push;
mod queue;
pub mod review;

use super::Ctx;
use super::beads::{CloseOutcome, close_in};
use super::sling::done::PENDING_MERGE;
use crate::fsutil::LockGuard;
use crate::ledger::Bead;
use crate::town::RigConfig;
use crate::{Error, Result};

pub use super::beads::merge_request::MERGE_FAILED;
pub use super::refinery::push::{PushStatus, push_status};
use queue::item;
pub(in crate::work) use queue::merge_requests;
pub use queue::{Kept, Outcome, QueueItem, queue, short};

/// Works the queue until it is empty (or one round with `once`), handing each outcome to
/// `seen` as it happens. Only merge requests count as work: a push that fails again, or a
/// cleanup, does not keep it going.
pub fn run(
    ctx: &mut Ctx,
    rig: &RigConfig,
    once: bool,
    mut seen: impl FnMut(&Outcome) -> Result<()>,
) -> Result<Vec<Outcome>> {
    let mut done = Vec::new();
    loop {
        let batch = process(ctx, rig)?;
        let worked = batch.iter().any(|o| o.merge_request().is_some());
        for o in batch {
            seen(&o)?;
            done.push(o);
        }
        if once || !worked {
            return Ok(done);
        }
    }
}

/// Works the rig's next merge request, or its next batch of up to `merge.batch_max`:
/// build, gates, land (or bisect, send back, make a resolution bead), push, clean up. An
/// empty list: there was nothing to do. Safe to call in a loop (one refinery per rig holds a
/// file lock while it works) and to kill at any point: the next call resumes.
pub fn process(ctx: &mut Ctx, rig: &RigConfig) -> Result<Vec<Outcome>> {
    let lock = ctx
        .town
        .paths
        .locks_dir()
        .join(format!("refinery-{}.lock", rig.name));
    let _only_one = LockGuard::acquire(&lock)?;
    // Held (an emergency stop, a docked rig): the queue waits as it is.
    if super::brakes::Brakes::read(&ctx.reader())?
        .merge_hold(&rig.name)
        .is_some()
    {
        return Ok(Vec::new());
    }
    // A gate a killed refinery left running must not write into the worktree we reset now.
    super::refinery::gates::stop_leftover(
        &super::refinery::gates::gate_record(&ctx.town.paths, &rig.name),
        &ctx.town.paths.refinery_dir(&rig.name),
    );
    // Resolution beads a killed refinery made but did not get to sling.
    conflict::sling_pending(ctx, rig);
    let all = queue(ctx, rig)?;
    // Work headed for another branch (`--base-branch`, an integration branch) is worked as
    // if that branch were the rig's default: one queue per branch, the default one first.
    let mut targets = vec![rig.default_branch.clone()];
    for i in &all {
        if let Some(t) = &i.target
            && !targets.contains(t)
        {
            targets.push(t.clone());
        }
    }
    let mut out = Vec::new();
    for t in targets {
        let waiting: Vec<QueueItem> = all
            .iter()
            .filter(|i| i.target.as_deref().unwrap_or(&rig.default_branch) == t)
            .cloned()
            .collect();
        let main = t == rig.default_branch;
        if waiting.is_empty() && !main {
            continue;
        }
        let on = crate::work::sling::intent::rig_on(rig, &t);
        match process_target(ctx, &on, waiting, main) {
            Ok(o) => out.extend(o),
            // The default branch's queue failing is the round failing, as ever.
            Err(e) if main => return Err(e),
            // Another branch's trouble (gone, unreadable) is said and leaves the rest going;
            // its merge requests stay queued, visibly.
            Err(e) => {
                tracing::warn!(rig = %rig.name, branch = %t, error = %e, "a target branch's queue failed");
                ctx.warnings.push(format!(
                    "warning: the merge requests for {t} were not worked: {e}"
                ));
            }
        }
    }
    Ok(out)
}

/// One branch's queue: finish an interrupted landing, build and land the next batch (or
/// test the next one waiting for review), push (the default branch only) and clean up.
fn process_target(
    ctx: &mut Ctx,
    rig: &RigConfig,
    waiting: Vec<QueueItem>,
    main: bool,
) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    // Landings whose cleanup a stopped refinery did not get to (read before this call lands
    // anything: those are cleaned up below anyway).
    let unclean = if main {
        cleanup::pending(ctx, rig)?
    } else {
        Vec::new()
    };
    let (mut landed, closed) = batch::finish_interrupted(ctx, rig, &waiting, &mut out)?;
    let batch_max = ctx.setting("merge.batch_max", Some(rig))?.as_int().max(1) as usize;
    // Work that needs a person is tested alone and then waits; the rest lands in batches.
    let mut to_check = None;
    let mut next: Vec<QueueItem> = Vec::new();
    for i in waiting {
        if i.failed || closed.contains(&i.id) {
            continue;
        }
        let waiting = i.review.as_deref() == Some(review::WAITING);
        // The policy is read again: one turned to auto since lets waiting work land.
        if review::needs_person(ctx, rig, &i)? {
            if !waiting {
                to_check.get_or_insert(i);
            }
        } else if next.len() < batch_max {
            next.push(i);
        }
    }
    if !next.is_empty() {
        landed.extend(batch::work(ctx, rig, next, &mut out)?);
    }
    if let Some(i) = to_check {
        landed.extend(batch::check(ctx, rig, i, &mut out)?);
    }
    if main && let Some(o) = push::push_if_due(ctx, rig, !landed.is_empty()) {
        out.push(o);
    }
    landed.extend(unclean);
    if !landed.is_empty() {
        match cleanup::clean(ctx, rig, &landed) {
            Ok(Some(o)) => out.push(o),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, rig = %rig.name, "refinery cleanup failed");
                ctx.warnings
                    .push(format!("warning: cleanup after the merge failed: {e}"));
            }
        }
    }
    Ok(out)
}

/// `gt mq retry`: a failed merge request goes back in the queue.
pub fn retry(ctx: &mut Ctx, id: &str) -> Result<()> {
    let mr = require_mr(ctx, id)?;
    ctx.write(|tx| {
        tx.remove_label(&mr.id, MERGE_FAILED)?;
        tx.record_event(Some(&mr.id), "merge_retry", None, None, None)?;
        Ok(())
    })
}

/// `gt mq reject`: closes a merge request without landing it; its branch stays.
pub fn reject(ctx: &mut Ctx, id: &str, reason: Option<&str>) -> Result<()> {
    let mr = require_mr(ctx, id)?;
    let why = format!("rejected: {}", reason.unwrap_or("no reason given"));
    ctx.write(|tx| {
        let mut out = CloseOutcome::default();
        close_in(tx, &mr.id, Some(&why), &mut out)?;
        if let Some(src) = item(&mr, &[]).source_bead
            && let Some(old) = tx.reader().bead(&src)?
        {
            let waiting = tx.reader().labels(&src)?.iter().any(|l| l == PENDING_MERGE);
            tx.remove_label(&src, PENDING_MERGE)?;
            // The bead waited for this merge: it is work to do again, not stranded.
            if waiting && old.status == crate::ledger::Status::InProgress {
                let mut new = old.clone();
                new.status = crate::ledger::Status::Open.into();
                new.assignee = None;
                tx.update_bead(&old, new, "merge_rejected")?;
                tx.add_comment(
                    &src,
                    &format!("merge request {} was {why}; the work is back to do", mr.id),
                )?;
            }
        }
        Ok(())
    })
}

fn require_mr(ctx: &Ctx, id: &str) -> Result<Bead> {
    let b = super::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "merge-request" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a merge request",
            b.issue_type
        )));
    }
    if b.is_closed() {
        return Err(Error::invalid(format!("{id} is closed already")));
    }
    Ok(b)
}

/// One item of the queue with its failure comments, for `gt mq show`.
pub fn show(ctx: &Ctx, id: &str) -> Result<(QueueItem, Vec<String>)> {
    let b = super::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "merge-request" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a merge request",
            b.issue_type
        )));
    }
    let r = ctx.reader();
    let comments = r.comments(id)?.into_iter().map(|c| c.text).collect();
    Ok((item(&b, &r.labels(id)?), comments))
}
