//! Review before landing. A rig (`merge.review`), a convoy or a bead (label `review:human`
//! or `review:auto`; the bead's own beats its convoy's, which beats the rig's) can ask for a
//! person's approval: such a merge request is built and gated alone, and when green it
//! waits (label `review-waiting`) instead of landing. `gt mq approve` lets the refinery land
//! it (built and gated again onto the default branch as it is then: what lands is always
//! what was tested); `gt mq send-back` closes it and gives the bead back to its polecat with
//! the comment, by mail and on the bead.

use super::queue::QueueItem;
use crate::ledger::Bead;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::beads::{CloseOutcome, close_in};
use crate::work::sling::done::PENDING_MERGE;
use crate::{Error, Result};

/// Label choosing the policy on a bead or a convoy: `review:human`, `review:auto`.
pub const POLICY_PREFIX: &str = "review:";
/// Gates passed; waiting for a person.
pub const WAITING: &str = "review-waiting";
/// A person approved it; the refinery lands it.
pub const APPROVED: &str = "review-approved";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    Auto,
    Human,
}

impl Policy {
    pub fn parse(s: &str) -> Result<Policy> {
        match s.trim() {
            "auto" => Ok(Policy::Auto),
            "human" => Ok(Policy::Human),
            other => Err(Error::invalid(format!(
                "review policy {other:?}: say auto (land when the gates pass) or human (wait for a person's approval)"
            ))),
        }
    }
}

fn label_policy(labels: &[String]) -> Option<Policy> {
    labels
        .iter()
        .filter_map(|l| l.strip_prefix(POLICY_PREFIX))
        .find_map(|p| Policy::parse(p).ok())
}

/// The policy for `item`, and where it came from (bead, convoy or rig).
pub fn policy(ctx: &Ctx, rig: &RigConfig, item: &QueueItem) -> Result<(Policy, String)> {
    let r = ctx.reader();
    if let Some(src) = &item.source_bead {
        if let Some(p) = label_policy(&r.labels(src)?) {
            return Ok((p, format!("bead {src}")));
        }
        for convoy in r.convoys_tracking(src, true)? {
            if let Some(p) = label_policy(&r.labels(&convoy)?) {
                return Ok((p, format!("convoy {convoy}")));
            }
        }
    }
    let p = Policy::parse(&ctx.setting("merge.review", Some(rig))?.as_str())?;
    Ok((p, format!("rig {}", rig.name)))
}

/// Whether `item` still needs a person before it may land.
pub fn needs_person(ctx: &Ctx, rig: &RigConfig, item: &QueueItem) -> Result<bool> {
    Ok(item.review.as_deref() != Some(APPROVED) && policy(ctx, rig, item)?.0 == Policy::Human)
}

/// Gates green for a merge request that needs a person: it waits, open, with what was tested.
pub(super) fn hold(ctx: &mut Ctx, item: &QueueItem, head: &str, base: &str) -> Result<bool> {
    ctx.write(|tx| {
        let old = tx.reader().require(&item.id)?;
        let approved = tx.reader().labels(&item.id)?.iter().any(|l| l == APPROVED);
        let mut new = old.clone();
        new.status = crate::ledger::Status::Open.into();
        if old.is_closed() {
            return Ok(false);
        }
        if approved {
            // Approved while it was tested: it lands with the next batch.
            tx.update_bead(&old, new, "review_approved_meanwhile")?;
            return Ok(false);
        }
        let mut meta: serde_json::Value = old
            .metadata
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_else(|| serde_json::json!({}));
        meta["reviewed_build"] = serde_json::json!({"commit": head, "onto": base});
        new.metadata = Some(meta.to_string());
        tx.update_bead(&old, new, "review_waiting")?;
        tx.add_label(&item.id, WAITING)?;
        tx.record_event(
            Some(&item.id),
            "review_waiting",
            None,
            Some(
                serde_json::json!({"commit": head, "onto": base, "source_bead": item.source_bead}),
            ),
            None,
        )?;
        Ok(true)
    })
}

/// An open merge request, or a clear error.
fn require_open(ctx: &Ctx, id: &str) -> Result<(Bead, Vec<String>)> {
    let b = crate::work::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "merge-request" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a merge request",
            b.issue_type
        )));
    }
    if b.is_closed() {
        return Err(Error::invalid(format!(
            "{id} is closed ({}); nothing to review",
            b.close_reason.as_deref().unwrap_or("closed")
        )));
    }
    let labels = ctx.reader().labels(id)?;
    Ok((b, labels))
}

/// What `gt mq approve` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Approved {
    pub merge_request: String,
    pub source_bead: Option<String>,
    /// It had passed its gates and was waiting (false: approved ahead of its test; it lands
    /// when the gates pass).
    pub was_waiting: bool,
}

/// `gt mq approve <mr>`: the refinery may land it (after its gates pass on the default
/// branch as it is then).
pub fn approve(ctx: &mut Ctx, id: &str, who: &str) -> Result<Approved> {
    let (mr, labels) = require_open(ctx, id)?;
    if labels.iter().any(|l| l == super::MERGE_FAILED) {
        return Err(Error::invalid(format!(
            "{id} failed its gates or could not be built; it cannot be approved as it is (`gt mq show {id}` says why; `gt mq retry {id}` tests it again)"
        )));
    }
    let was_waiting = labels.iter().any(|l| l == WAITING);
    let item = super::queue::item(&mr, &labels);
    ctx.write(|tx| {
        tx.remove_label(id, WAITING)?;
        tx.add_label(id, APPROVED)?;
        tx.add_comment(id, &format!("approved by {who}"))?;
        tx.record_event(
            Some(id),
            "review_approved",
            None,
            Some(serde_json::json!({"by": who, "source_bead": item.source_bead})),
            None,
        )?;
        Ok(())
    })?;
    Ok(Approved {
        merge_request: id.to_string(),
        source_bead: item.source_bead,
        was_waiting,
    })
}

/// What `gt mq send-back` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentBack {
    pub merge_request: String,
    pub source_bead: Option<String>,
    /// The polecat the bead went back to (None: it is open for anyone; `why_not` says why).
    pub returned_to: Option<String>,
    pub why_not: Option<String>,
    /// The mail that carried the comment.
    pub mail: Option<String>,
}

/// `gt mq send-back <mr> -m <comment>`: the merge request is closed unlanded, the comment
/// goes onto the bead and to the polecat by mail, and the bead goes back on its hook (its
/// branch and commits kept) — or, when the polecat is gone, back to open work.
pub fn send_back(ctx: &mut Ctx, id: &str, comment: &str, who: &str) -> Result<SentBack> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(Error::invalid(
            "say what to change (-m \"…\"): the comment is what the polecat works from",
        ));
    }
    let (mr, labels) = require_open(ctx, id)?;
    let item = super::queue::item(&mr, &labels);
    let what = item
        .source_bead
        .clone()
        .unwrap_or_else(|| item.branch.clone());
    // Only a polecat free to take it back is told to do the work again; one that went on to
    // other work keeps it, and the bead is open work for anyone (the comment is on it).
    let worker = item.worker.clone().filter(|w| {
        crate::work::agents::find(&ctx.reader(), w)
            .ok()
            .flatten()
            .is_some_and(|a| a.hook.is_none())
    });
    let why = format!("sent back by {who} in review: {comment}");
    // The comment reaches the worker in the same transaction as the close: never one
    // without the other.
    let mail_req = worker.as_ref().map(|w| crate::work::mail::SendRequest {
        to: vec![w.clone()],
        cc: Vec::new(),
        subject: format!("Changes requested: {what}"),
        body: format!(
            "{who} reviewed {} ({id}) and sent it back:\n\n{comment}\n\nYour branch and commits are kept. Make the change, commit, and run `gt done` again.",
            item.branch
        ),
        priority: Some("high".into()),
        reply_to: None,
    });
    let src = item.source_bead.clone();
    let close = |tx: &mut crate::ledger::Tx<'_>| -> Result<()> {
        // Read again inside the write: the refinery may have begun landing it meanwhile.
        let now = tx.reader().require(id)?;
        let landing = now
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
            .is_some_and(|m| m["landing"].is_object());
        if now.is_closed() || now.status == crate::ledger::Status::InProgress || landing {
            return Err(Error::invalid(format!(
                "{id} is being tested or landed right now (or already is); nothing was sent back — look again with `gt mq show {id}`"
            )));
        }
        let mut out = CloseOutcome::default();
        close_in(tx, id, Some(&why), &mut out)?;
        tx.remove_label(id, WAITING)?;
        tx.record_event(
            Some(id),
            "review_sent_back",
            None,
            Some(serde_json::json!({"by": who, "comment": comment, "source_bead": src})),
            None,
        )?;
        if let Some(s) = &src
            && tx.reader().bead(s)?.is_some()
        {
            tx.remove_label(s, PENDING_MERGE)?;
            tx.add_comment(s, &format!("review of {id}: {comment} — {who}"))?;
            let old = tx.reader().require(s)?;
            if !old.is_closed() {
                let mut new = old.clone();
                new.status = crate::ledger::Status::Open.into();
                new.assignee = None;
                tx.update_bead(&old, new, "review_sent_back")?;
            }
        }
        Ok(())
    };
    let mail = match &mail_req {
        Some(req) => Some(
            crate::work::mail::send_and(ctx, "refinery", req, close)?
                .ids
                .into_iter()
                .next()
                .unwrap_or_default(),
        ),
        None => {
            ctx.write(close)?;
            None
        }
    };
    // Back on the same polecat's hook: its worktree switches to the same branch, commits
    // and all, and its session starts again with the bead.
    let (returned_to, why_not) = match (&worker, &item.source_bead) {
        (Some(w), Some(s)) => match crate::work::sling::sling(ctx, s, w, &Default::default()) {
            Ok(slung) => (Some(slung.agent), None),
            Err(e) => (
                None,
                Some(format!(
                    "could not give {s} back to {w}: {e}; it is open work"
                )),
            ),
        },
        (None, _) if item.worker.is_some() => (
            None,
            Some(format!(
                "{} is not free to take it back (on other work, or gone); {what} is open work for anyone, with your comment on it",
                item.worker.as_deref().unwrap_or("its worker")
            )),
        ),
        (None, _) => (
            None,
            Some(format!(
                "{} is gone; {what} is open work for anyone",
                item.worker.as_deref().unwrap_or("its worker")
            )),
        ),
        (Some(_), None) => (None, Some("no bead to give back".into())),
    };
    Ok(SentBack {
        merge_request: id.to_string(),
        source_bead: item.source_bead,
        returned_to,
        why_not,
        mail,
    })
}

/// `gt mq policy <bead|convoy> auto|human|default`: the review policy of one bead or of a
/// convoy's beads (`default`: the rig's `merge.review` again). Nothing is written on bad input.
pub fn set_policy(ctx: &mut Ctx, id: &str, policy: &str) -> Result<Option<Policy>> {
    let wanted = match policy.trim() {
        "default" => None,
        p => Some(Policy::parse(p)?),
    };
    let b = crate::work::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type == "merge-request" {
        return Err(Error::invalid(format!(
            "{id} is a merge request; set the policy on its bead or convoy (or approve it: `gt mq approve {id}`)"
        )));
    }
    let old: Vec<String> = ctx
        .reader()
        .labels(id)?
        .into_iter()
        .filter(|l| l.starts_with(POLICY_PREFIX))
        .collect();
    ctx.write(|tx| {
        for l in &old {
            tx.remove_label(id, l)?;
        }
        if let Some(p) = wanted {
            let name = match p {
                Policy::Auto => "auto",
                Policy::Human => "human",
            };
            tx.add_label(id, &format!("{POLICY_PREFIX}{name}"))?;
        }
        Ok(())
    })?;
    Ok(wanted)
}
