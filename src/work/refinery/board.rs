//! The merge queue at a glance, for the workspace: what waits for review, what is being
//! tested, what failed (with the gate's last words), what waits its turn, what landed lately.

use super::queue::{QueueItem, short};
use super::review;
use crate::Result;
use crate::work::Ctx;

/// How many landings the board keeps showing.
const LANDED_SHOWN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// Gates passed; a person decides.
    Review,
    /// Gates failed or it could not be built.
    Failed,
    /// Being built and tested now.
    Testing,
    /// Approved, waiting for its final test.
    Approved,
    Queued,
    Landed,
}

impl QueueState {
    pub fn word(self) -> &'static str {
        match self {
            QueueState::Review => "review",
            QueueState::Failed => "failed",
            QueueState::Testing => "testing",
            QueueState::Approved => "approved",
            QueueState::Queued => "queued",
            QueueState::Landed => "landed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueRow {
    pub id: String,
    pub rig: String,
    pub state: QueueState,
    pub source_bead: Option<String>,
    pub worker: Option<String>,
    pub branch: String,
    /// Failed: the first line of why (the gate and its output's last line); landed: the
    /// commit; else empty.
    pub detail: String,
    pub updated_at: String,
}

/// Every rig's merge requests that are not finished, most pressing first, then the latest
/// landings.
pub fn board(ctx: &Ctx) -> Result<Vec<QueueRow>> {
    let r = ctx.reader();
    let mut out = Vec::new();
    for rig in ctx.town.rigs()? {
        for i in super::queue(ctx, &rig)? {
            let state = state_of(&i);
            let detail = if state == QueueState::Failed {
                r.comments(&i.id)?
                    .last()
                    .map(|c| why_in_short(&c.text))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            out.push(row(&rig.name, &i, state, detail));
        }
    }
    out.sort_by(|a, b| a.state.cmp(&b.state).then(a.updated_at.cmp(&b.updated_at)));
    let mut landed = Vec::new();
    for e in r.events_of_type("merged", LANDED_SHOWN)? {
        let Some(id) = e.issue_id.as_deref() else {
            continue;
        };
        let Some(b) = r.bead(id)? else { continue };
        let note: serde_json::Value = e
            .new_value
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        let rig = ctx
            .rig_for_prefix(crate::ledger::prefix_of(id))?
            .map(|r| r.name)
            .unwrap_or_default();
        let i = super::queue::item(&b, &[]);
        let commit = note["commit"].as_str().unwrap_or_default();
        let mut row = row(
            &rig,
            &i,
            QueueState::Landed,
            format!("as {}", short(commit)),
        );
        row.updated_at = e.created_at.clone();
        landed.push(row);
    }
    out.extend(landed);
    Ok(out)
}

fn state_of(i: &QueueItem) -> QueueState {
    if i.failed {
        QueueState::Failed
    } else if i.review.as_deref() == Some(review::WAITING) {
        QueueState::Review
    } else if i.status == crate::ledger::Status::InProgress {
        QueueState::Testing
    } else if i.review.as_deref() == Some(review::APPROVED) {
        QueueState::Approved
    } else {
        QueueState::Queued
    }
}

fn row(rig: &str, i: &QueueItem, state: QueueState, detail: String) -> QueueRow {
    QueueRow {
        id: i.id.clone(),
        rig: rig.to_string(),
        state,
        source_bead: i.source_bead.clone(),
        worker: i.worker.clone(),
        branch: i.branch.clone(),
        detail,
        updated_at: i.created_at.clone(),
    }
}

/// "gate `cargo test` failed:\n…\nlast line" → "cargo test: last line".
fn why_in_short(text: &str) -> String {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    let last = lines.next_back().unwrap_or_default().trim();
    let gate = first
        .strip_prefix("gate `")
        .and_then(|r| r.split('`').next());
    match gate {
        Some(g) if !last.is_empty() => format!("{g}: {last}"),
        Some(g) => format!("{g} failed"),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reads_as_its_gate_and_last_line() {
        assert_eq!(
            why_in_short("gate `cargo test` failed:\nrunning 3 tests\ntest a ... FAILED\n"),
            "cargo test: test a ... FAILED"
        );
        assert_eq!(why_in_short("gate `make` failed:\n"), "make failed");
        assert_eq!(why_in_short("conflict in a.txt"), "conflict in a.txt");
    }
}
