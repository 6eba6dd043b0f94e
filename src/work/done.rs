//! `gt done`: a polecat says its work is finished. Uncommitted work is committed (nothing is
//! lost), a merge-request bead records the branch for the merge queue, the source bead waits
//! for the merge, and the polecat is free for the next bead.

use super::Ctx;
use super::agents::{self, AgentInfo};
use crate::agent::Address;
use crate::ledger::Bead;
use crate::{Error, Result, git};

/// Label on a bead whose work is done and waiting in the merge queue.
pub const PENDING_MERGE: &str = "pending-merge";

#[derive(Debug, Clone, serde::Serialize)]
pub struct DoneReport {
    pub agent: String,
    pub bead: String,
    /// The merge-request bead (None for `--status deferred`).
    pub merge_request: Option<String>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub commits_ahead: usize,
    /// gt committed work the agent had left uncommitted.
    pub saved_uncommitted: bool,
    pub deferred: bool,
}

/// Which agent is finishing: `--agent`, else the caller's identity.
fn who(ctx: &Ctx, agent: Option<&str>) -> Result<AgentInfo> {
    match agent {
        Some(a) => agents::require(ctx, a),
        None => {
            let me = agents::whoami(ctx);
            if me == Address::Overseer {
                return Err(Error::invalid(
                    "gt done is run by an agent (inside its worktree, or with GT_AGENT set); give --agent <address> to finish for one",
                ));
            }
            agents::require(ctx, &me.to_string())
        }
    }
}

pub fn done(ctx: &mut Ctx, agent: Option<&str>, deferred: bool) -> Result<DoneReport> {
    let info = who(ctx, agent)?;
    let bead = match &info.hook {
        Some(h) => ctx.reader().require(h)?,
        None => {
            return Err(Error::invalid(format!(
                "{} has nothing on its hook, so there is nothing to be done with",
                info.address
            )));
        }
    };
    let (Some(rig_name), Some(worktree), Some(branch)) =
        (info.rig.clone(), info.worktree.clone(), info.branch.clone())
    else {
        return Err(Error::invalid(format!(
            "{} has no worktree to finish",
            info.address
        )));
    };
    let rig = ctx.town.rig(&rig_name)?;
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let message = format!(
        "{}: work left uncommitted by {}\n\nCommitted by `gt done` so that nothing is lost.",
        bead.id, info.address
    );
    let email = format!("{}@polecat.{}.gt.local", info.name, rig.name);
    let author = format!("{} (polecat of {}, gt)", info.name, rig.name);
    let saved = git::commit_all_as(&worktree, &message, Some((&author, &email))).map_err(|e| {
        Error::failed(format!(
            "could not commit the work left in {}: {e}",
            worktree.display()
        ))
    })?;
    let ahead = git::commits_ahead(&repo, &branch, &rig.default_branch)?;
    if ahead == 0 && !deferred {
        return Err(Error::invalid(format!(
            "nothing to merge: {branch} has no commits beyond {} and nothing was left uncommitted. \
             If {} needs no change, say why (`gt bead comment {} \"…\"`) and run `gt done --status deferred`",
            rig.default_branch, bead.id, bead.id
        )));
    }
    let commit = git::branch_tip(&repo, &branch).ok();
    let report = ctx.write(|tx| {
        let mut mr_id = None;
        let old = tx.reader().require(&bead.id)?;
        let mut new = old.clone();
        new.assignee = None;
        if deferred && ahead == 0 {
            new.status = "deferred".into();
            tx.update_bead(&old, new, "done_deferred")?;
        } else {
            let id = tx.new_id(&rig.prefix, &format!("merge {branch}"))?;
            let now = tx.now().to_string();
            let meta = serde_json::json!({
                "branch": branch,
                "target": rig.default_branch,
                "commit": commit,
                "source_bead": bead.id,
                "worker": info.address,
                "commits": ahead,
            });
            let mr = Bead {
                id: id.clone(),
                title: format!("Merge {branch}: {}", bead.title),
                description: Some(format!(
                    "Branch {branch} ({ahead} commit(s), tip {}) by {} for {}, to land on {}.",
                    commit.as_deref().unwrap_or("?"),
                    info.address,
                    bead.id,
                    rig.default_branch
                )),
                status: "open".into(),
                priority: bead.priority,
                issue_type: "merge-request".into(),
                created_at: now.clone(),
                updated_at: now,
                created_by: Some(info.address.clone()),
                metadata: Some(meta.to_string()),
                ..Bead::default()
            };
            tx.insert_bead(&mr)?;
            new.status = "in_progress".into();
            tx.update_bead(&old, new, "done")?;
            tx.add_label(&bead.id, PENDING_MERGE)?;
            tx.add_comment(
                &bead.id,
                &format!("gt done by {}: merge request {id} for {branch} ({ahead} commit(s))", info.address),
            )?;
            mr_id = Some(id);
        }
        agents::set_state(tx, &info.bead_id, "idle", None)?;
        let note = serde_json::json!({"agent": info.address, "merge_request": mr_id, "saved_uncommitted": saved.is_some()});
        tx.record_event(Some(&info.bead_id), "agent_freed", None, Some(note), None)?;
        Ok(DoneReport {
            agent: info.address.clone(),
            bead: bead.id.clone(),
            merge_request: mr_id,
            branch: Some(branch.clone()),
            commit: commit.clone(),
            commits_ahead: ahead,
            saved_uncommitted: saved.is_some(),
            deferred: deferred && ahead == 0,
        })
    })?;
    Ok(report)
}
