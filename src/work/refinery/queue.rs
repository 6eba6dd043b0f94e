//! The merge queue as the ledger holds it: merge-request beads of a rig, in order, and what
//! processing one came to.

use crate::Result;
use crate::ledger::{Bead, ListFilter};
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::beads::merge_request::MERGE_FAILED;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: i64,
    pub branch: String,
    pub commit: Option<String>,
    pub source_bead: Option<String>,
    pub worker: Option<String>,
    pub failed: bool,
    /// The conflict-resolution bead made for it, if it conflicted.
    pub resolution_bead: Option<String>,
    /// `review-waiting` (gates passed, a person decides) or `review-approved`.
    pub review: Option<String>,
    pub created_at: String,
    /// The branch it lands onto (None: the rig's default branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What an interrupted landing was moving the default branch to (crash recovery).
    #[serde(skip)]
    pub(super) landing: Option<String>,
}

pub(super) fn item(b: &Bead, labels: &[String]) -> QueueItem {
    let meta: serde_json::Value = b
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let s = |k: &str| meta[k].as_str().map(str::to_string);
    QueueItem {
        id: b.id.clone(),
        title: b.title.clone(),
        status: b.status.clone(),
        priority: b.priority,
        branch: s("branch").unwrap_or_default(),
        commit: s("commit"),
        source_bead: s("source_bead"),
        worker: s("worker"),
        failed: labels.iter().any(|l| l == MERGE_FAILED),
        resolution_bead: s("resolution_bead"),
        review: labels
            .iter()
            .find(|l| *l == super::review::WAITING || *l == super::review::APPROVED)
            .cloned(),
        created_at: b.created_at.clone(),
        target: s("target"),
        landing: meta["landing"]["commit"].as_str().map(str::to_string),
    }
}

/// The rig's merge requests in these statuses (with that label, if given).
pub(in crate::work) fn merge_requests(
    ctx: &Ctx,
    rig: &RigConfig,
    statuses: &[&str],
    label: Option<&str>,
) -> Result<Vec<QueueItem>> {
    let r = ctx.reader();
    let list = r.list(&ListFilter {
        types: vec!["merge-request".into()],
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
        label: label.map(str::to_string),
        prefix: Some(rig.prefix.clone()),
        all: true,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for s in list {
        if let Some(b) = r.bead(&s.id)? {
            out.push(item(&b, &r.labels(&b.id)?));
        }
    }
    Ok(out)
}

/// Unfinished merge requests of a rig: interrupted ones first, then priority, then age.
pub fn queue(ctx: &Ctx, rig: &RigConfig) -> Result<Vec<QueueItem>> {
    let mut out = merge_requests(ctx, rig, &["open", "in_progress"], None)?;
    out.sort_by(|a, b| {
        (
            a.status != crate::ledger::Status::InProgress,
            a.priority,
            &a.created_at,
        )
            .cmp(&(
                b.status != crate::ledger::Status::InProgress,
                b.priority,
                &b.created_at,
            ))
    });
    Ok(out)
}

/// What one call of [`process`] did, one entry per merge request (plus cleanup and push).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Merged {
        mr: String,
        /// The commit this merge request was built as (what the default branch holds for it).
        commit: String,
        source_bead: Option<String>,
        /// Convoys that landed with it.
        landed: Vec<String>,
        /// The merge requests it was first tested with (empty: tested alone).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        batch: Vec<String>,
        /// Its batch was red and was split to find the bad member(s).
        bisected: bool,
        /// Its work was on the default branch already (a landing interrupted by a crash, or
        /// a change someone else made too): closed, nothing moved.
        already_merged: bool,
        /// Beads closed along with it: the work a conflict-resolution bead carried.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        also_closed: Vec<String>,
    },
    /// Gates passed; it waits for a person's approval (`gt mq approve` / `send-back`).
    AwaitingReview {
        mr: String,
        source_bead: Option<String>,
        /// The commit that was built and tested.
        commit: String,
    },
    GateFailed {
        mr: String,
        source_bead: Option<String>,
        gate: String,
        tail: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        batch: Vec<String>,
        bisected: bool,
    },
    Conflict {
        mr: String,
        source_bead: Option<String>,
        files: Vec<String>,
        /// `merge.on_conflict`: sling, bead or send-back.
        policy: String,
        /// The conflict-resolution bead (None with send-back).
        resolution: Option<String>,
        /// The polecat it was slung to.
        slung_to: Option<String>,
    },
    /// The merge request could not be built at all (its branch or commit is gone).
    Failed {
        mr: String,
        reason: String,
    },
    /// Polecats and branches removed because their work landed; what was kept, and why.
    Cleaned {
        polecats: Vec<String>,
        branches: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        kept: Vec<Kept>,
    },
    Pushed {
        remote: String,
        commit: String,
    },
    /// The default branch landed locally but could not be pushed; retried on a later call.
    PushFailed {
        remote: String,
        commit: String,
        error: String,
    },
}

impl Outcome {
    /// The merge request this outcome is about (None for cleanup and push).
    pub fn merge_request(&self) -> Option<&str> {
        match self {
            Outcome::Merged { mr, .. }
            | Outcome::AwaitingReview { mr, .. }
            | Outcome::GateFailed { mr, .. }
            | Outcome::Conflict { mr, .. }
            | Outcome::Failed { mr, .. } => Some(mr),
            _ => None,
        }
    }
}

/// The first 10 characters of a commit id, as shown to people.
pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

/// A branch (or worktree) the cleanup left, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    pub branch: String,
    pub reason: String,
}
