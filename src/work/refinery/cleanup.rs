//! After a merge: the branches whose work just landed are deleted, with the polecat that was
//! on them when it is finished — idle, nothing hooked, a clean worktree (no uncommitted or
//! untracked file) still at the landed commit. Anything else is kept and said why: a busy or
//! dirty polecat, a crew worktree, a branch that moved on, work hooked on it. The refinery's
//! own worktree never holds a branch (it works detached).

use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::agents;
use crate::work::refinery::batch::{CLEANUP_PENDING, Landed};
use crate::work::refinery::queue::{Kept, Outcome, merge_requests};
use crate::{Result, git};

/// Merge requests that landed but whose cleanup did not run (a refinery stopped between
/// the landing and the cleanup).
pub(in crate::work) fn pending(ctx: &Ctx, rig: &RigConfig) -> Result<Vec<Landed>> {
    Ok(
        merge_requests(ctx, rig, &["closed"], Some(CLEANUP_PENDING))?
            .into_iter()
            .map(|i| Landed {
                mr: i.id,
                branch: i.branch,
                tip: i.commit,
                source_bead: i.source_bead,
            })
            .collect(),
    )
}

/// Cleans up after `landed`; None when there was nothing to say. Every branch was either
/// cleaned or kept with a reason, so the merge requests' cleanup-pending labels go — except
/// where the polecat is still finishing its turn (tried again on the next round).
pub(in crate::work) fn clean(
    ctx: &mut Ctx,
    rig: &RigConfig,
    landed: &[Landed],
) -> Result<Option<Outcome>> {
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let target = format!("refs/heads/{}", rig.default_branch);
    let (mut polecats, mut branches, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    let mut later: Vec<String> = Vec::new();
    let mut keep = |branch: &str, reason: String| {
        kept.push(Kept {
            branch: branch.to_string(),
            reason,
        })
    };
    for l in landed {
        if l.branch.is_empty() || l.branch == rig.default_branch {
            continue;
        }
        let Ok(tip) = git::branch_tip(&repo, &l.branch) else {
            // Gone already; a cleanup stopped half-way may have left the polecat's record.
            match crate::work::agents::polecat_remove::finish_half_removed(ctx, rig, &l.branch) {
                Ok(Some(p)) => polecats.push(p),
                Ok(None) => {}
                Err(e) => keep(&l.branch, e.to_string()),
            }
            continue;
        };
        let merged = l.tip.as_deref() == Some(tip.as_str())
            || git::is_ancestor(&repo, &tip, &target).unwrap_or(false);
        if !merged {
            keep(&l.branch, "it has commits that did not land".into());
            continue;
        }
        let all = agents::list(&ctx.reader(), Some(&rig.name))?;
        if let Some(src) = &l.source_bead
            && let Some(a) = all.iter().find(|a| a.hook.as_deref() == Some(src.as_str()))
        {
            keep(&l.branch, format!("{src} is hooked by {}", a.address));
            continue;
        }
        let holder = all.iter().find(|a| {
            if a.host.is_some() {
                // On its host: its record says its branch (the removal reads the worktree
                // there before touching anything).
                return a.branch.as_deref() == Some(l.branch.as_str());
            }
            a.worktree
                .as_ref()
                .and_then(|w| git::worktree_state(w).ok())
                .and_then(|s| s.branch)
                .as_deref()
                == Some(l.branch.as_str())
        });
        match holder {
            Some(a) if a.role != crate::agent::Role::Polecat => {
                keep(
                    &l.branch,
                    format!("it is checked out by {} ({})", a.address, a.role),
                );
            }
            Some(a) if agents::runtime_events::mid_turn(ctx, &a.bead_id)? => {
                // Still answering after its `gt done`: removed on a later round, once its
                // turn ends (its last words and tokens reach its transcript).
                later.push(l.mr.clone());
            }
            Some(a) => {
                let address = a.address.clone();
                match crate::work::agents::polecat_remove::remove_landed(
                    ctx, &address, &l.branch, &tip,
                ) {
                    Ok(Ok(r)) => {
                        polecats.push(r.address);
                        branches.extend(r.branch_removed);
                    }
                    Ok(Err(why)) => keep(&l.branch, why),
                    Err(e) => keep(&l.branch, e.to_string()),
                }
            }
            None => match git::delete_branch(&repo, &l.branch) {
                Ok(true) => branches.push(l.branch.clone()),
                Ok(false) => {}
                // Checked out in a worktree gt does not know of: left alone.
                Err(e) => keep(&l.branch, e.to_string()),
            },
        }
    }
    let quiet = polecats.is_empty() && branches.is_empty() && kept.is_empty();
    let note = serde_json::json!({"rig": rig.name, "polecats": polecats, "branches": branches, "kept": kept});
    ctx.write(|tx| {
        for l in landed.iter().filter(|l| !later.contains(&l.mr)) {
            tx.remove_label(&l.mr, CLEANUP_PENDING)?;
        }
        if !quiet {
            tx.record_event(None, "refinery_cleaned", None, Some(note), None)?;
        }
        Ok(())
    })?;
    if quiet {
        return Ok(None);
    }
    Ok(Some(Outcome::Cleaned {
        polecats,
        branches,
        kept,
    }))
}

/// The commits `branch` landed as, by merge request: (merge request, the branch tip it was
/// made from), for every closed merge request of the branch that carries a `merged` event. A
/// branch whose tip is one of them has nothing that did not land, even when the refinery
/// rebased it (its commits are then not ancestors of the default branch).
pub(in crate::work) fn landed_tips(
    ctx: &Ctx,
    rig: &RigConfig,
    branch: &str,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for m in merge_requests(ctx, rig, &["closed"], None)? {
        if m.branch != branch {
            continue;
        }
        let Some(commit) = m.commit else { continue };
        if ctx.reader().last_event(&m.id, "merged")?.is_some() {
            out.push((m.id, commit));
        }
    }
    Ok(out)
}
