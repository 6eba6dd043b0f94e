//! Building, testing and landing merge requests — one, or several as a batch.
//!
//! A batch is stacked in queue order in the refinery worktree (each member rebased or merged
//! onto the result of the one before), the gates run once on the top, and a green batch moves
//! the default branch once. A red batch is split in halves, each built onto the default
//! branch as it is by then and tested (recursively), so every good member lands and only
//! the bad ones go back. What lands is always exactly what was tested.
//!
//! Crash safety: before the default branch moves, each member records the commit it is
//! landing as; a refinery that dies after the move and before the ledger closes the members
//! finds those commits on the default branch next time and closes them without a rebuild.

use crate::ledger::Tx;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::beads::{CloseOutcome, close_in};
use crate::work::refinery::conflict::{self, SendBack};
use crate::work::refinery::gates::{self, GateFailure};
use crate::work::refinery::queue::{Outcome, QueueItem, short};
use crate::work::sling::done::PENDING_MERGE;
use crate::{Result, git};
use std::path::PathBuf;

/// Label of a landed merge request whose branch and polecat are not yet cleaned up.
pub(in crate::work) const CLEANUP_PENDING: &str = "cleanup-pending";

/// A merge request whose work is now on the default branch (for cleanup after the merge).
#[derive(Debug, Clone)]
pub(in crate::work) struct Landed {
    /// The merge request (it carries the cleanup-pending label until the cleanup ran).
    pub mr: String,
    pub branch: String,
    /// The branch tip the merge request was made for.
    pub tip: Option<String>,
    pub source_bead: Option<String>,
}

/// Members built on top of each other: each with the commit it was built as.
struct Built {
    base: String,
    head: String,
    members: Vec<(QueueItem, String)>,
}

/// One batch being worked: where, how, and what came of it.
struct Run<'a> {
    wt: PathBuf,
    repo: PathBuf,
    /// Where the running gate's process group is written down.
    gate_record: PathBuf,
    strategy: git::Strategy,
    /// The merge requests first tested together (empty for one alone).
    batch: Vec<String>,
    bisected: bool,
    out: &'a mut Vec<Outcome>,
    landed: Vec<Landed>,
}

/// Works `members` (in queue order) as one batch; returns what landed.
pub(in crate::work) fn work(
    ctx: &mut Ctx,
    rig: &RigConfig,
    members: Vec<QueueItem>,
    out: &mut Vec<Outcome>,
) -> Result<Vec<Landed>> {
    claim(ctx, &members)?;
    let strategy = strategy(ctx, rig)?;
    let mut run = Run {
        wt: ctx.town.paths.refinery_dir(&rig.name),
        repo: ctx.town.paths.rig_repo(&rig.name),
        gate_record: gates::gate_record(&ctx.town.paths, &rig.name),
        strategy,
        batch: if members.len() > 1 {
            members.iter().map(|m| m.id.clone()).collect()
        } else {
            Vec::new()
        },
        bisected: false,
        out,
        landed: Vec::new(),
    };
    run.batch(ctx, rig, members, None)?;
    Ok(run.landed)
}

/// Builds and gates one merge request that needs a person's approval: green, it waits for
/// review instead of landing; red, it goes back like any other.
pub(in crate::work) fn check(
    ctx: &mut Ctx,
    rig: &RigConfig,
    item: QueueItem,
    out: &mut Vec<Outcome>,
) -> Result<Vec<Landed>> {
    claim(ctx, std::slice::from_ref(&item))?;
    let mut run = Run {
        wt: ctx.town.paths.refinery_dir(&rig.name),
        repo: ctx.town.paths.rig_repo(&rig.name),
        gate_record: gates::gate_record(&ctx.town.paths, &rig.name),
        strategy: strategy(ctx, rig)?,
        batch: Vec::new(),
        bisected: false,
        out,
        landed: Vec::new(),
    };
    let built = run.build(ctx, rig, vec![item])?;
    let Some((m, head)) = built.members.first().cloned() else {
        return Ok(Vec::new());
    };
    if built.head == built.base {
        // Its work is on the default branch already: nothing to review, closed as merged.
        run.land(ctx, rig, &built)?;
        return Ok(run.landed);
    }
    git::checkout_clean(&run.wt, &built.head)?;
    if let Some(f) = gates::run_all(&run.wt, rig, &run.gate_record)? {
        run.gate_failed(ctx, &m, f)?;
        return Ok(Vec::new());
    }
    if super::review::hold(ctx, &m, &head, &built.base)? {
        run.out.push(Outcome::AwaitingReview {
            mr: m.id.clone(),
            source_bead: m.source_bead.clone(),
            commit: head,
        });
    }
    Ok(Vec::new())
}

fn strategy(ctx: &Ctx, rig: &RigConfig) -> Result<git::Strategy> {
    Ok(
        match ctx.setting("merge.strategy", Some(rig))?.as_str().as_str() {
            "merge" => git::Strategy::Merge,
            _ => git::Strategy::Rebase,
        },
    )
}

/// Merge requests left `in_progress` by a refinery that died after moving the default branch:
/// what they were landing is there, so they are closed as merged (with that commit). Returns
/// what landed and the ids closed.
pub(in crate::work) fn finish_interrupted(
    ctx: &mut Ctx,
    rig: &RigConfig,
    waiting: &[QueueItem],
    out: &mut Vec<Outcome>,
) -> Result<(Vec<Landed>, Vec<String>)> {
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let target = format!("refs/heads/{}", rig.default_branch);
    let mut done = Vec::new();
    for item in waiting {
        if item.status != crate::ledger::Status::InProgress {
            continue;
        }
        if let Some(commit) = item.landing.clone()
            && git::is_ancestor(&repo, &commit, &target).unwrap_or(false)
        {
            done.push((item.clone(), commit, true));
        }
    }
    if done.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    tracing::info!(rig = %rig.name, count = done.len(), "closing merge requests a stopped refinery had landed");
    let ids = done.iter().map(|(m, _, _)| m.id.clone()).collect();
    Ok((close_landed(ctx, rig, &done, &[], false, out)?, ids))
}

impl Run<'_> {
    /// Builds `members` onto the default branch, tests them, and lands them or bisects.
    /// `known_red`: a gate failure already seen for exactly this stack on that base (so the
    /// test need not run again). Returns the new tip of the default branch when every member
    /// landed.
    fn batch(
        &mut self,
        ctx: &mut Ctx,
        rig: &RigConfig,
        members: Vec<QueueItem>,
        known_red: Option<(GateFailure, String)>,
    ) -> Result<Option<String>> {
        let asked = members.len();
        let built = self.build(ctx, rig, members)?;
        if built.members.is_empty() {
            return Ok(None);
        }
        let complete = built.members.len() == asked;
        let failure = if built.head == built.base {
            // Nothing new to test: every member's work is on the default branch already.
            None
        } else {
            match known_red {
                Some((f, base)) if complete && base == built.base => Some(f),
                _ => {
                    // A member left out after the last one built (a conflict) may have left
                    // the worktree elsewhere: test exactly the stack that would land.
                    git::checkout_clean(&self.wt, &built.head)?;
                    gates::run_all(&self.wt, rig, &self.gate_record)?
                }
            }
        };
        let Some(failure) = failure else {
            let landed = self.land(ctx, rig, &built)?;
            return Ok((landed && complete).then_some(built.head));
        };
        let mut members: Vec<QueueItem> = built.members.into_iter().map(|(m, _)| m).collect();
        if members.len() == 1 {
            let m = members.remove(0);
            self.gate_failed(ctx, &m, failure)?;
            return Ok(None);
        }
        self.bisected = true;
        tracing::info!(rig = %rig.name, size = members.len(), gate = %failure.gate, "batch is red; bisecting");
        let right = members.split_off(members.len() / 2);
        let left_tip = self.batch(ctx, rig, members, None)?;
        // With the left half landed as tested, the right half on top of it is the stack that
        // just failed: no need to test it again before splitting it.
        let known = left_tip.map(|tip| (failure, tip));
        self.batch(ctx, rig, right, known)?;
        Ok(None)
    }

    /// Stacks `members` onto the current default branch. A member that conflicts or cannot
    /// be built is dealt with at once and left out; the rest go on.
    fn build(&mut self, ctx: &mut Ctx, rig: &RigConfig, members: Vec<QueueItem>) -> Result<Built> {
        let base = git::resolve_commit(&self.repo, &format!("refs/heads/{}", rig.default_branch))?;
        let mut prev = base.clone();
        let mut built = Vec::new();
        for m in members {
            let wanted = m
                .commit
                .clone()
                .unwrap_or_else(|| format!("refs/heads/{}", m.branch));
            let tip = match git::resolve_commit(&self.repo, &wanted) {
                Ok(t) => t,
                Err(e) => {
                    let reason = format!("{} cannot be built: {e}", m.branch);
                    conflict::send_back(ctx, &m, &reason, SendBack::Failed)?;
                    self.out.push(Outcome::Failed {
                        mr: m.id.clone(),
                        reason,
                    });
                    continue;
                }
            };
            let prepared = match git::prepare(&self.wt, &tip, &prev, self.strategy) {
                Ok(p) => p,
                Err(e) => {
                    // Not a conflict, yet it cannot be built: its worker hears why, and the
                    // queue behind it is not held up.
                    let reason = format!("{} cannot be built onto {}: {e}", m.branch, short(&prev));
                    conflict::send_back(ctx, &m, &reason, SendBack::Failed)?;
                    self.out.push(Outcome::Failed {
                        mr: m.id.clone(),
                        reason,
                    });
                    continue;
                }
            };
            match prepared {
                git::Prepared::Conflict { files } => {
                    let o = conflict::on_conflict(ctx, rig, &m, files)?;
                    self.out.push(o);
                }
                git::Prepared::Ready { head, .. } => {
                    prev = head.clone();
                    built.push((m, head));
                }
            }
        }
        Ok(Built {
            base,
            head: prev,
            members: built,
        })
    }

    /// Moves the default branch to the tested result (compare-and-swap) and closes every
    /// member with its source bead in one transaction. False when the default branch moved
    /// meanwhile (someone else changed it): nothing landed, the members stay `in_progress`
    /// and are built again on the next call.
    fn land(&mut self, ctx: &mut Ctx, rig: &RigConfig, built: &Built) -> Result<bool> {
        let mut prev = built.base.clone();
        let mut members = Vec::new();
        for (m, head) in &built.members {
            members.push((m.clone(), head.clone(), *head == prev));
            prev = head.clone();
        }
        if built.head != built.base {
            // An emergency stop or a dock that came while the gates ran: nothing lands; the
            // members stay as they are and are built again once the brake is off.
            if let Some(why) =
                crate::work::brakes::Brakes::read(&ctx.reader())?.merge_hold(&rig.name)
            {
                ctx.warnings.push(format!(
                    "warning: tested but not landed: {why}; built again once it lifts"
                ));
                return Ok(false);
            }
            if !record_landing(ctx, &built.members, &built.base)? {
                ctx.warnings.push(format!(
                    "warning: a merge request of this batch was closed or changed while it was tested; {} was not moved, the rest is built again",
                    rig.default_branch
                ));
                return Ok(false);
            }
            if let Err(e) = git::advance(&self.repo, &rig.default_branch, &built.head, &built.base)
            {
                tracing::warn!(rig = %rig.name, error = %e, "could not move the default branch; building again next time");
                ctx.warnings.push(format!(
                    "warning: {} was not moved ({e}); the merge requests are built again on the next run",
                    rig.default_branch
                ));
                return Ok(false);
            }
        }
        let landed = close_landed(ctx, rig, &members, &self.batch, self.bisected, self.out)?;
        self.landed.extend(landed);
        Ok(true)
    }

    fn gate_failed(&mut self, ctx: &mut Ctx, m: &QueueItem, f: GateFailure) -> Result<()> {
        let why = format!("gate `{}` failed:\n{}", f.gate, f.tail);
        conflict::send_back(ctx, m, &why, SendBack::Failed)?;
        self.out.push(Outcome::GateFailed {
            mr: m.id.clone(),
            source_bead: m.source_bead.clone(),
            gate: f.gate,
            tail: f.tail,
            batch: self.batch.clone(),
            bisected: self.bisected,
        });
        Ok(())
    }
}

/// Marks the merge requests as being worked (a second refinery would be stopped by the lock;
/// this tells people and a restarted refinery where it was).
fn claim(ctx: &mut Ctx, members: &[QueueItem]) -> Result<()> {
    ctx.write(|tx| {
        for m in members {
            let old = tx.reader().require(&m.id)?;
            // Closed meanwhile (rejected, superseded): not ours to work any more.
            if old.status == crate::ledger::Status::InProgress || old.is_closed() {
                continue;
            }
            let mut new = old.clone();
            new.status = crate::ledger::Status::InProgress.into();
            tx.update_bead(&old, new, "merge_started")?;
        }
        Ok(())
    })
}

/// Before the default branch moves: the commit each member lands as, so a refinery killed
/// between the move and the ledger's close knows they landed.
/// False (nothing written) when a member is no longer being worked — rejected, or closed as
/// superseded by a new sling while its gates ran: then nothing of the batch may land.
fn record_landing(ctx: &mut Ctx, members: &[(QueueItem, String)], base: &str) -> Result<bool> {
    ctx.write(|tx| {
        for (m, _) in members {
            if tx.reader().require(&m.id)?.status != crate::ledger::Status::InProgress {
                return Ok(false);
            }
        }
        // Each member landed onto the one before it: its own change is `onto..commit`.
        let mut onto = base.to_string();
        for (m, head) in members {
            let old = tx.reader().require(&m.id)?;
            let mut meta: serde_json::Value = old
                .metadata
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_else(|| serde_json::json!({}));
            meta["landing"] = serde_json::json!({"commit": head, "onto": onto});
            onto = head.clone();
            let mut new = old.clone();
            new.metadata = Some(meta.to_string());
            tx.update_bead(&old, new, "merge_landing")?;
        }
        Ok(true)
    })
}

/// One transaction: every landed merge request closed with its source bead (convoys land),
/// each with a `merged` event naming the commit it was built as.
fn close_landed(
    ctx: &mut Ctx,
    rig: &RigConfig,
    members: &[(QueueItem, String, bool)],
    batch: &[String],
    bisected: bool,
    out: &mut Vec<Outcome>,
) -> Result<Vec<Landed>> {
    let outcomes = ctx.write(|tx| {
        let mut outcomes = Vec::new();
        for (m, commit, already) in members {
            let mut closed = CloseOutcome::default();
            let why = format!("merged onto {} as {}", rig.default_branch, short(commit));
            close_in(tx, &m.id, Some(&why), &mut closed)?;
            let mut also = Vec::new();
            if let Some(src) = &m.source_bead
                && tx.reader().bead(src)?.is_some()
            {
                tx.remove_label(src, PENDING_MERGE)?;
                close_in(tx, src, Some(&why), &mut closed)?;
                also = close_resolved(tx, src, &m.id, &mut closed)?;
            }
            let note = serde_json::json!({
                "commit": commit,
                "branch": m.branch,
                "source_bead": m.source_bead,
                "batch": batch,
                "already_merged": already,
            });
            tx.record_event(Some(&m.id), "merged", None, Some(note), None)?;
            // Taken off once its branch and polecat were cleaned up: a refinery killed
            // before that does the cleanup next time.
            tx.add_label(&m.id, CLEANUP_PENDING)?;
            outcomes.push(Outcome::Merged {
                mr: m.id.clone(),
                commit: commit.clone(),
                source_bead: m.source_bead.clone(),
                landed: closed.landed,
                batch: batch.to_vec(),
                bisected,
                already_merged: *already,
                also_closed: also,
            });
        }
        Ok(outcomes)
    })?;
    out.extend(outcomes);
    Ok(members
        .iter()
        .map(|(m, _, _)| Landed {
            mr: m.id.clone(),
            branch: m.branch.clone(),
            tip: m.commit.clone(),
            source_bead: m.source_bead.clone(),
        })
        .collect())
}

/// When the landed bead was a conflict-resolution bead, the work it carried is done too:
/// the bead that conflicted and its failed merge request are closed with it.
fn close_resolved(
    tx: &mut Tx<'_>,
    resolution: &str,
    via: &str,
    closed: &mut CloseOutcome,
) -> Result<Vec<String>> {
    let Some(res) = tx.reader().bead(resolution)? else {
        return Ok(Vec::new());
    };
    let meta: serde_json::Value = res
        .metadata
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let mut also = Vec::new();
    let why = format!("its work landed through {resolution} ({via})");
    for key in ["source_bead", "merge_request"] {
        let Some(id) = meta["resolves"][key].as_str() else {
            continue;
        };
        if let Some(b) = tx.reader().bead(id)?
            && !b.is_closed()
        {
            tx.remove_label(id, PENDING_MERGE)?;
            close_in(tx, id, Some(&why), closed)?;
            also.push(id.to_string());
        }
    }
    Ok(also)
}
