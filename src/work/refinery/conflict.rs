//! When a merge request cannot land: a red gate (or a branch that is gone) sends the work
//! back; a conflict, per `merge.on_conflict`, makes a conflict-resolution bead — linked to
//! the bead that conflicted, which it blocks — and slings it to a polecat of the rig
//! (`sling`), only makes it (`bead`), or sends the work back like a red gate (`send-back`).
//!
//! Every path marks the merge request `merge-failed` (it stays, for `gt mq retry` or
//! `reject`), puts the source bead back to open work, and tells the worker by mail.

use crate::Result;
use crate::ledger::{Bead, ListFilter, Tx};
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::beads::merge_request::MERGE_FAILED;
use crate::work::beads::new_dep;
use crate::work::refinery::queue::{Outcome, QueueItem, short};
use crate::work::sling::SlingOptions;
use crate::work::sling::done::PENDING_MERGE;

/// Label of the beads the refinery makes to resolve a conflict.
pub const CONFLICT_RESOLUTION: &str = "conflict-resolution";
/// A resolution bead made but not yet slung (a refinery killed in between slings it next time).
const SLING_PENDING: &str = "sling-pending";

/// What the worker is told.
pub(in crate::work) enum SendBack {
    Failed,
    Conflict { resolution: String, sling: bool },
}

/// The merge request is marked failed and the work goes back, with the reason; the worker
/// is mailed.
pub(in crate::work) fn send_back(
    ctx: &mut Ctx,
    mr: &QueueItem,
    why: &str,
    kind: SendBack,
) -> Result<()> {
    // The mail goes in the same transaction as the failure: a refinery killed in between
    // cannot leave the worker untold.
    if let Some(req) = worker_mail(mr, why, &kind) {
        match crate::work::mail::send_and(ctx, "refinery", &req, |tx| send_back_in(tx, mr, why)) {
            Ok(_) => return Ok(()),
            // Written, only the agent's notification failed: the mail is in its inbox.
            Err(e) if marked_failed(ctx, &mr.id) => {
                tracing::warn!(error = %e, "the worker was mailed but not notified");
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not mail the worker about a failed merge");
                if let Some(w) = &mr.worker {
                    ctx.warnings
                        .push(format!("warning: {w} could not be told by mail: {e}"));
                }
            }
        }
    }
    ctx.write(|tx| send_back_in(tx, mr, why))
}

fn marked_failed(ctx: &Ctx, mr: &str) -> bool {
    ctx.reader()
        .labels(mr)
        .is_ok_and(|l| l.iter().any(|x| x == MERGE_FAILED))
}

fn send_back_in(tx: &mut Tx<'_>, mr: &QueueItem, why: &str) -> Result<()> {
    let old = tx.reader().require(&mr.id)?;
    if old.is_closed() {
        // Rejected or superseded while it was tested: nothing to send back.
        return Ok(());
    }
    let mut new = old.clone();
    new.status = crate::ledger::Status::Open.into();
    tx.update_bead(&old, new, "merge_failed")?;
    tx.add_label(&mr.id, MERGE_FAILED)?;
    tx.add_comment(&mr.id, why)?;
    // Only a bead still waiting on this merge (not one slung again meanwhile).
    if let Some(src) = &mr.source_bead
        && let Some(old) = tx.reader().bead(src)?
        && old.status == crate::ledger::Status::InProgress
        && tx.reader().labels(src)?.iter().any(|l| l == PENDING_MERGE)
    {
        let mut new = old.clone();
        new.status = crate::ledger::Status::Open.into();
        new.assignee = None;
        tx.update_bead(&old, new, "merge_failed")?;
        tx.remove_label(src, PENDING_MERGE)?;
        tx.add_comment(
            src,
            &format!(
                "merge request {} failed; the work is back to do: {why}",
                mr.id
            ),
        )?;
    }
    Ok(())
}

/// The mail telling the worker why its merge failed (None without a worker).
fn worker_mail(
    mr: &QueueItem,
    why: &str,
    kind: &SendBack,
) -> Option<crate::work::mail::SendRequest> {
    let worker = mr.worker.as_ref()?;
    let what = mr.source_bead.as_deref().unwrap_or(&mr.branch);
    let (subject, next) = match kind {
        SendBack::Failed => (
            format!("Merge failed: {what}"),
            "Your branch is untouched. Fix it, commit, and run `gt done` again once the bead is on your hook.".to_string(),
        ),
        SendBack::Conflict { resolution, sling } => (
            format!("Merge conflict: {what}"),
            format!(
                "Your branch is untouched. The conflict is to be resolved through {resolution}{}; when that lands, {what} is closed with it.",
                if *sling { ", slung to a polecat" } else { " (not slung: take it with `gt sling`)" }
            ),
        ),
    };
    Some(crate::work::mail::SendRequest {
        to: vec![worker.clone()],
        cc: Vec::new(),
        subject,
        body: format!(
            "The refinery could not land {} ({}).\n\n{why}\n\n{next}",
            mr.branch, mr.id
        ),
        priority: None,
        reply_to: None,
    })
}

/// A conflict, handled per `merge.on_conflict`.
pub(in crate::work) fn on_conflict(
    ctx: &mut Ctx,
    rig: &RigConfig,
    mr: &QueueItem,
    files: Vec<String>,
) -> Result<Outcome> {
    let policy = ctx.setting("merge.on_conflict", Some(rig))?.as_str();
    let why = format!(
        "{} does not apply cleanly onto {}: conflicts in {}",
        mr.branch,
        rig.default_branch,
        files.join(", ")
    );
    if policy == "send-back" {
        send_back(ctx, mr, &why, SendBack::Failed)?;
        return Ok(Outcome::Conflict {
            mr: mr.id.clone(),
            source_bead: mr.source_bead.clone(),
            files,
            policy,
            resolution: None,
            slung_to: None,
        });
    }
    let sling = policy == "sling";
    // The worker's mail names the resolution bead, so it is written in the transaction that
    // makes that bead: a refinery killed in between cannot leave the worker untold.
    let draft = SendBack::Conflict {
        resolution: String::new(),
        sling,
    };
    let mail = worker_mail(mr, &why, &draft).and_then(|req| {
        match crate::work::mail::Outgoing::prepare(ctx, "refinery", &req) {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::warn!(error = %e, "could not address the worker about a conflict");
                ctx.warnings.push(format!(
                    "warning: {} could not be told by mail: {e}",
                    req.to.join(", ")
                ));
                None
            }
        }
    });
    let (resolution, free, written) = ctx.write(|tx| {
        let (id, free) = resolution_in(tx, rig, mr, &files, sling)?;
        let comment = format!("{why}. Conflict-resolution bead: {id}");
        send_back_in(tx, mr, &comment)?;
        let kind = SendBack::Conflict {
            resolution: id.clone(),
            sling,
        };
        let written = match (&mail, worker_mail(mr, &why, &kind)) {
            (Some(out), Some(req)) => Some(out.write(tx, &req.body)?),
            _ => None,
        };
        Ok((id, free, written))
    })?;
    if let (Some(out), Some(w)) = (&mail, written)
        && let Err(e) = out.notify(ctx, w)
    {
        // Written; only the agent's notification failed: the mail is in its inbox.
        tracing::warn!(error = %e, "the worker was mailed about a conflict but not notified");
        ctx.warnings.push(format!(
            "warning: the conflict mail is in the worker's inbox but it was not notified: {e}"
        ));
    }
    let slung_to = if sling && free {
        sling_resolution(ctx, rig, &resolution)
    } else {
        None
    };
    Ok(Outcome::Conflict {
        mr: mr.id.clone(),
        source_bead: mr.source_bead.clone(),
        files,
        policy,
        resolution: Some(resolution),
        slung_to,
    })
}

/// The merge request's resolution bead: the one made before (never a second), else a new
/// task bead that blocks the bead that conflicted. Returns it and whether it is free to sling.
fn resolution_in(
    tx: &mut Tx<'_>,
    rig: &RigConfig,
    mr: &QueueItem,
    files: &[String],
    sling: bool,
) -> Result<(String, bool)> {
    let cur = tx.reader().require(&mr.id)?;
    let mut meta: serde_json::Value = cur
        .metadata
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(id) = meta["resolution_bead"].as_str()
        && let Some(b) = tx.reader().bead(id)?
    {
        // Slung again only when nobody has it (not hooked, not waiting to merge, not done).
        let free = b.status == crate::ledger::Status::Open && b.assignee.is_none();
        if free && sling {
            tx.add_label(id, SLING_PENDING)?;
        }
        return Ok((id.to_string(), free));
    }
    let src = match &mr.source_bead {
        Some(s) => tx.reader().bead(s)?,
        None => None,
    };
    let what = src
        .as_ref()
        .map(|b| b.title.clone())
        .unwrap_or_else(|| mr.branch.clone());
    let title = format!("Resolve conflict: {what}");
    let id = tx.new_id(&rig.prefix, &title)?;
    let source = src
        .as_ref()
        .map(|b| format!("{} (\"{}\")", b.id, b.title))
        .unwrap_or_else(|| "work no bead tracks".into());
    let tip = mr.commit.as_deref().map(short).unwrap_or("its tip");
    let description = format!(
        "The refinery could not land merge request {mr_id}: branch {branch} (at {tip}), the work of {source}, \
         does not apply cleanly onto {default}.\n\n\
         Conflicting files:\n{list}\n\n\
         What to do: rebase that work onto {default} in your worktree — for example \
         `git cherry-pick {default}..{branch}` — resolve the conflicts in the files above, keeping what both \
         sides meant, commit, and run `gt done`. When your merge request lands, {closes} closed with it.",
        mr_id = mr.id,
        branch = mr.branch,
        default = rig.default_branch,
        list = files
            .iter()
            .map(|f| format!("- {f}"))
            .collect::<Vec<_>>()
            .join("\n"),
        closes = match &src {
            Some(b) => format!("{} and {} are", b.id, mr.id),
            None => format!("{} is", mr.id),
        },
    );
    let now = tx.now().to_string();
    let bead = Bead {
        id: id.clone(),
        title,
        description: Some(description),
        status: crate::ledger::Status::Open.into(),
        priority: src.as_ref().map(|b| b.priority).unwrap_or(mr.priority),
        issue_type: "task".into(),
        created_at: now.clone(),
        updated_at: now,
        created_by: Some(tx.actor().to_string()),
        metadata: Some(
            serde_json::json!({
                "resolves": {
                    "merge_request": mr.id,
                    "source_bead": mr.source_bead,
                    "branch": mr.branch,
                    "commit": mr.commit,
                    "files": files,
                }
            })
            .to_string(),
        ),
        ..Bead::default()
    };
    tx.insert_bead(&bead)?;
    tx.add_label(&id, CONFLICT_RESOLUTION)?;
    if sling {
        tx.add_label(&id, SLING_PENDING)?;
    }
    if let Some(b) = &src {
        // The conflicted bead waits for its resolution instead of being slung again.
        let dep = new_dep(tx, &b.id, &id, "blocks");
        tx.add_dep(&dep)?;
    }
    meta["resolution_bead"] = serde_json::json!(id);
    let mut new = cur.clone();
    new.metadata = Some(meta.to_string());
    tx.update_bead(&cur, new, "conflict_resolution")?;
    Ok((id, true))
}

/// Slings a resolution bead to a polecat of the rig; the polecat's address, or None (with
/// a comment on the bead saying why) when that failed.
fn sling_resolution(ctx: &mut Ctx, rig: &RigConfig, id: &str) -> Option<String> {
    // The fix lands where the conflicted work was headed (`rig` is the rig as seen from the
    // merge request's target branch: an integration branch stays whole).
    let opts = SlingOptions {
        no_convoy: true,
        intent: crate::work::beads::intent::Intent {
            base_branch: Some(rig.default_branch.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    // A brake on the rig: it stays pending and is slung once the rig takes work again.
    if crate::work::brakes::Brakes::read(&ctx.reader())
        .ok()?
        .sling_refusal(Some(&rig.name))
        .is_some()
    {
        return None;
    }
    // Through the scheduler like any sling to a rig: a limit or a pause holds it in the queue.
    let slung = crate::work::scheduler::sling_or_queue(ctx, id, &rig.name, &opts);
    let (agent, note) = match slung {
        Ok(crate::work::scheduler::Outcome::Slung(s)) => (Some(s.agent), None),
        Ok(crate::work::scheduler::Outcome::Queued(q)) => (
            None,
            Some(format!(
                "queued for a polecat of {} at position {} ({})",
                rig.name, q.position, q.reason
            )),
        ),
        Err(e) => {
            tracing::warn!(bead = %id, error = %e, "could not sling a conflict-resolution bead");
            ctx.warnings
                .push(format!("warning: {id} could not be slung: {e}"));
            (
                None,
                Some(format!(
                    "the refinery could not sling this bead: {e}. Sling it with `gt sling {id} {}`",
                    rig.name
                )),
            )
        }
    };
    let done = ctx.write(|tx| {
        tx.remove_label(id, SLING_PENDING)?;
        if let Some(n) = &note {
            tx.add_comment(id, n)?;
        }
        Ok(())
    });
    if let Err(e) = done {
        tracing::warn!(bead = %id, error = %e, "could not record the sling of a resolution bead");
    }
    agent
}

/// Slings the resolution beads a refinery made but was stopped before slinging.
pub(in crate::work) fn sling_pending(ctx: &mut Ctx, rig: &RigConfig) {
    let pending = ctx.reader().list(&ListFilter {
        label: Some(SLING_PENDING.into()),
        prefix: Some(rig.prefix.clone()),
        statuses: vec![crate::ledger::Status::Open.into()],
        ..Default::default()
    });
    match pending {
        Ok(list) => {
            for b in list {
                sling_resolution(ctx, rig, &b.id);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not look for unslung resolution beads"),
    }
}
