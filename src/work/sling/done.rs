//! `gt done`: a polecat says its work is finished. Uncommitted work is committed (nothing is
//! lost), a merge-request bead records the branch for the merge queue, the source bead waits
//! for the merge, and the polecat is free for the next bead.

use crate::agent::Address;
use crate::ledger::Bead;
use crate::work::Ctx;
use crate::work::agents::{self, AgentInfo};
use crate::work::molecule;
use crate::{Error, Result, git};

use super::intent::{self, Intent, MergeMode};

pub use crate::work::beads::merge_request::{
    PENDING_MERGE, open_merge_request, pending_merge_of, supersede_merge_requests,
};

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
    /// How it landed: mr (queued), direct (fast-forwarded), local (kept on its branch) or
    /// none (no merge).
    pub merge: &'static str,
    /// `--merge direct`: the commit the base branch was moved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landed: Option<String>,
    /// The branch it lands onto.
    pub target: String,
    /// Anything that went otherwise than asked (a direct landing that went through the queue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    let first = who(ctx, agent)?;
    // One `done` per agent at a time (they would fight over the worktree's git index);
    // the agent is read again once it is our turn.
    let lock = ctx
        .town
        .paths
        .locks_dir()
        .join(format!("done-{}.lock", first.address.replace('/', "--")));
    let _turn = crate::fsutil::LockGuard::acquire(&lock)?;
    let info = agents::require(ctx, &first.address)?;
    // Polecats finish their hook; crew may also land work that no bead tracks.
    let bead = match &info.hook {
        Some(h) => Some(ctx.reader().require(h)?),
        None if info.role == crate::agent::Role::Crew => None,
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
    // The sling's intent: the branch the work lands onto, and how.
    let intent = bead.as_ref().map(Intent::of).unwrap_or_default();
    // Where it lands: the branch the sling named, else its epic's integration branch (while
    // that has not landed), else the default branch — as the sling branched it.
    let base = match (&intent.base_branch, &bead) {
        (Some(b), _) => b.clone(),
        (None, Some(b)) => crate::work::beads::integration::branch_for(ctx, b)?
            .unwrap_or_else(|| rig.default_branch.clone()),
        (None, None) => rig.default_branch.clone(),
    };
    let rig = intent::rig_on(&rig, &base);
    let no_merge = matches!(intent.merge, MergeMode::Local | MergeMode::None);
    if !deferred && let Some(b) = &bead {
        checklist_done(ctx, b)?;
    }
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let label = bead.as_ref().map_or(branch.as_str(), |b| b.id.as_str());
    let saved = match &info.host {
        // Its worktree is on its host: what it left is committed there and the branch
        // comes back into the town's repository through git.
        Some(host) => bring_back(ctx, &info, &rig, host, &worktree, &branch, label)?,
        None => save_uncommitted(&info, &rig, &worktree, label)?,
    };
    let ahead = git::commits_ahead(&repo, &branch, &rig.default_branch)?;
    if ahead == 0 && !(deferred && bead.is_some()) && !(no_merge && bead.is_some()) {
        let advice = match &bead {
            Some(b) => format!(
                "If {} needs no change, say why (`gt bead comment {} \"…\"`) and run `gt done --status deferred`",
                b.id, b.id
            ),
            None => "Commit some work first".to_string(),
        };
        return Err(Error::invalid(format!(
            "nothing to merge: {branch} has no commits beyond {} and nothing was left uncommitted. {advice}",
            rig.default_branch
        )));
    }
    let commit = git::branch_tip(&repo, &branch).ok();
    let (landed, direct_note) = if intent.merge == MergeMode::Direct && ahead > 0 && !deferred {
        // What would refuse the record below is checked before the branch moves: a landing
        // must never be followed by "nothing was recorded".
        ctx.write(|tx| {
            still_holds(tx, &info, bead.as_ref())?;
            if let Some(mr) = open_merge_request(tx, &branch, commit.as_deref())? {
                return Err(Error::invalid(format!(
                    "{branch} at this commit is already in the merge queue as {mr}; nothing more to do"
                )));
            }
            Ok(())
        })?;
        land_directly(ctx, &rig, &repo, &branch, commit.as_deref())
    } else {
        (None, None)
    };
    ctx.write(|tx| {
        still_holds(tx, &info, bead.as_ref())?;
        // Deferred work keeps its molecule as it is, for whoever takes the bead next.
        if ahead > 0
            && let Some(b) = &bead
        {
            finish_molecule(tx, b)?;
        }
        if let Some(mr) = open_merge_request(tx, &branch, commit.as_deref())? {
            return Err(Error::invalid(format!(
                "{branch} at this commit is already in the merge queue as {mr}; nothing more to do"
            )));
        }
        // The commit is recorded here too: the watcher may see the branch only after it
        // landed (a loaded machine), when it cannot tell it from a fresh sling.
        if ahead > 0
            && let (Some(b), Some(c)) = (&bead, &commit)
            && !commit_recorded(tx, &b.id, c)?
        {
            let detail = serde_json::json!({"rig": rig.name, "branch": branch, "commit": c, "agent": info.address});
            tx.record_event(Some(&b.id), "commit", None, Some(detail), None)?;
        }
        let mut mr_id = None;
        let closing = if deferred || bead.is_none() {
            None
        } else if let Some(c) = &landed {
            Some(format!(
                "landed directly on {} as {} (merge: direct)",
                rig.default_branch,
                &c[..c.len().min(8)]
            ))
        } else if intent.merge == MergeMode::Local {
            Some(format!("done; kept on branch {branch} (merge: local)"))
        } else if intent.merge == MergeMode::None {
            Some(format!(
                "done, nothing merged (merge: none){}",
                if ahead > 0 {
                    format!("; its {ahead} commit(s) stay on {branch}")
                } else {
                    String::new()
                }
            ))
        } else {
            None
        };
        if let (Some(why), Some(b)) = (&closing, &bead) {
            let mut out = crate::work::beads::CloseOutcome::default();
            crate::work::beads::close_in(tx, &b.id, Some(why), &mut out)?;
        } else if ahead == 0 {
            // Deferred: no merge, the bead waits for another day.
            if let Some(b) = &bead {
                let old = tx.reader().require(&b.id)?;
                let mut new = old.clone();
                new.assignee = None;
                new.status = crate::ledger::Status::Deferred.into();
                tx.update_bead(&old, new, "done_deferred")?;
            }
        } else {
            let id = queue_merge_in(tx, &rig, &info, &branch, commit.as_deref(), ahead, bead.as_ref())?;
            mr_id = Some(id);
        }
        agents::set_state(tx, &info.bead_id, crate::work::agents::AgentState::Idle, None)?;
        let note = serde_json::json!({"agent": info.address, "merge_request": mr_id, "saved_uncommitted": saved.is_some()});
        tx.record_event(Some(&info.bead_id), "agent_freed", None, Some(note), None)?;
        Ok(DoneReport {
            agent: info.address.clone(),
            bead: bead.as_ref().map(|b| b.id.clone()).unwrap_or_default(),
            merge_request: mr_id.clone(),
            branch: Some(branch.clone()),
            commit: commit.clone(),
            commits_ahead: ahead,
            saved_uncommitted: saved.is_some(),
            deferred: closing.is_none() && ahead == 0,
            merge: if mr_id.is_some() { "mr" } else { intent.merge.as_str() },
            landed: landed.clone(),
            target: rig.default_branch.clone(),
            note: direct_note.clone(),
        })
    })
}

/// `--merge direct`: the base branch is fast-forwarded to the work (compare-and-swap), no
/// queue. When it cannot be (the base moved on, a brake holds merges), the work goes through
/// the queue instead — never lost, and the note says why.
fn land_directly(
    ctx: &Ctx,
    rig: &crate::town::RigConfig,
    repo: &std::path::Path,
    branch: &str,
    commit: Option<&str>,
) -> (Option<String>, Option<String>) {
    let queued = |why: String| {
        (
            None,
            Some(format!("{why}; it went to the merge queue instead")),
        )
    };
    if let Ok(Some(why)) =
        crate::work::brakes::Brakes::read(&ctx.reader()).map(|b| b.merge_hold(&rig.name))
    {
        return queued(format!("not landed directly: {why}"));
    }
    let (Some(commit), Ok(base)) = (commit, git::branch_tip(repo, &rig.default_branch)) else {
        return queued("not landed directly: the branches could not be read".into());
    };
    match git::advance(repo, &rig.default_branch, commit, &base) {
        Ok(()) => (Some(commit.to_string()), None),
        Err(_) => queued(format!(
            "{} moved on since {branch} branched from it, so it is not a fast-forward",
            rig.default_branch
        )),
    }
}

/// Inside the transaction: closes the last steps of the hooked work's molecule, and the
/// molecule itself when it only guided a work bead (a hooked root goes to the merge queue
/// like any bead).
fn finish_molecule(tx: &mut crate::ledger::Tx<'_>, bead: &Bead) -> Result<()> {
    let Some(root) = molecule::root_of(&tx.reader(), bead)? else {
        return Ok(());
    };
    let m = molecule::view(&tx.reader(), &root)?;
    let (closable, missing) = molecule::done_check(&m);
    if !missing.is_empty() {
        return Err(molecule::unfinished_error(&m, &missing));
    }
    let mut out = crate::work::beads::CloseOutcome::default();
    for step in &closable {
        crate::work::beads::close_in(tx, step, Some("closed by gt done"), &mut out)?;
    }
    if root != bead.id {
        crate::work::beads::close_in(tx, &root, Some("the work it guided is done"), &mut out)?;
    }
    Ok(())
}

/// Inside the transaction: the agent still holds what it held when `done` began. A parallel
/// `gt done`, or `sling --force` moving the bead away, makes this one stop.
fn still_holds(
    tx: &mut crate::ledger::Tx<'_>,
    info: &AgentInfo,
    bead: Option<&Bead>,
) -> Result<()> {
    let me = tx.reader().require(&info.bead_id)?;
    let hook = me.hook_bead.filter(|h| !h.is_empty());
    if hook != info.hook {
        return Err(Error::invalid(format!(
            "{}'s hook changed while `gt done` ran (now {}); nothing was recorded",
            info.address,
            hook.as_deref().unwrap_or("empty")
        )));
    }
    if let Some(b) = bead {
        let cur = tx.reader().require(&b.id)?;
        if cur.status != crate::ledger::Status::Hooked
            || cur.assignee.as_deref() != Some(info.address.as_str())
        {
            return Err(Error::invalid(format!(
                "{} is no longer on {}'s hook (status {}, assignee {}); nothing was recorded",
                b.id,
                info.address,
                cur.status,
                cur.assignee.as_deref().unwrap_or("none")
            )));
        }
    }
    Ok(())
}

/// Whether `bead` already has a `commit` event for `commit` (from the watcher or `gt done`).
pub fn commit_recorded(tx: &crate::ledger::Tx<'_>, bead: &str, commit: &str) -> Result<bool> {
    Ok(tx.reader().events(Some(bead), 500)?.iter().any(|e| {
        e.event_type == "commit" && e.new_value.as_deref().is_some_and(|v| v.contains(commit))
    }))
}

/// A molecule's steps are the agent's checklist: done before `done`.
fn checklist_done(ctx: &Ctx, bead: &Bead) -> Result<()> {
    if let Some(root) = molecule::root_of(&ctx.reader(), bead)? {
        let m = molecule::view(&ctx.reader(), &root)?;
        let (_, missing) = molecule::done_check(&m);
        if !missing.is_empty() {
            return Err(molecule::unfinished_error(&m, &missing));
        }
    }
    Ok(())
}

/// A remote agent's `save_uncommitted`, then its branch fetched from its host; the commit
/// made there, if one was.
fn bring_back(
    ctx: &Ctx,
    info: &AgentInfo,
    rig: &crate::town::RigConfig,
    host: &str,
    worktree: &std::path::Path,
    branch: &str,
    label: &str,
) -> Result<Option<String>> {
    let (message, author, email) = uncommitted_message(info, rig, label);
    let p = crate::work::hosts::remote::place(ctx, host)?;
    let made = crate::work::hosts::remote::bring_back(
        ctx,
        &p,
        &rig.name,
        worktree,
        branch,
        &message,
        (&author, &email),
    )?;
    let repo = ctx.town.paths.rig_repo(&rig.name);
    Ok(made.then(|| git::branch_tip(&repo, branch).ok()).flatten())
}

fn uncommitted_message(
    info: &AgentInfo,
    rig: &crate::town::RigConfig,
    label: &str,
) -> (String, String, String) {
    let message = format!(
        "{label}: work left uncommitted by {}\n\nCommitted by `gt done` so that nothing is lost.",
        info.address
    );
    let email = format!("{}@{}.{}.gt.local", info.name, info.role, rig.name);
    let author = format!("{} ({} of {}, gt)", info.name, info.role, rig.name);
    (message, author, email)
}

/// Commits what the agent left uncommitted (nothing is lost), as the agent; the commit made.
fn save_uncommitted(
    info: &AgentInfo,
    rig: &crate::town::RigConfig,
    worktree: &std::path::Path,
    label: &str,
) -> Result<Option<String>> {
    let (message, author, email) = uncommitted_message(info, rig, label);
    git::commit_all_as(worktree, &message, Some((&author, &email))).map_err(|e| {
        Error::failed(format!(
            "could not commit the work left in {}: {e}",
            worktree.display()
        ))
    })
}

/// The merge-request bead for `branch`, and the source bead waiting for it; the request's id.
fn queue_merge_in(
    tx: &mut crate::ledger::Tx<'_>,
    rig: &crate::town::RigConfig,
    info: &AgentInfo,
    branch: &str,
    commit: Option<&str>,
    ahead: usize,
    bead: Option<&Bead>,
) -> Result<String> {
    let id = tx.new_id(&rig.prefix, &format!("merge {branch}"))?;

    let now = tx.now().to_string();
    let meta = serde_json::json!({
        "branch": branch,
        "target": rig.default_branch,
        "commit": commit,
        "source_bead": bead.map(|b| b.id.clone()),
        "worker": info.address,
        "commits": ahead,
    });
    let what = bead
        .map(|b| format!("{}: {}", b.id, b.title))
        .unwrap_or_else(|| format!("work of {}", info.address));
    let mr = Bead {
        id: id.clone(),
        title: format!("Merge {branch}: {what}"),
        description: Some(format!(
            "Branch {branch} ({ahead} commit(s), tip {}) by {} for {what}, to land on {}.",
            commit.unwrap_or("?"),
            info.address,
            rig.default_branch
        )),
        status: crate::ledger::Status::Open.into(),
        priority: bead.map(|b| b.priority).unwrap_or(2),
        issue_type: "merge-request".into(),
        created_at: now.clone(),
        updated_at: now,
        created_by: Some(info.address.clone()),
        metadata: Some(meta.to_string()),
        ..Bead::default()
    };
    tx.insert_bead(&mr)?;
    if let Some(b) = &bead {
        let old = tx.reader().require(&b.id)?;
        let mut new = old.clone();
        new.assignee = None;
        new.status = crate::ledger::Status::InProgress.into();
        tx.update_bead(&old, new, "done")?;
        tx.add_label(&b.id, PENDING_MERGE)?;
        tx.add_comment(
            &b.id,
            &format!(
                "gt done by {}: merge request {id} for {branch} ({ahead} commit(s))",
                info.address
            ),
        )?;
    }
    Ok(id)
}
