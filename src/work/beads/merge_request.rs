//! Merge requests as beads (type `merge-request`): which are open, which carry a bead's
//! finished work, and the labels the work lifecycle and the merge queue put on them.

use crate::Result;
use crate::ledger::Bead;

/// Label on a bead whose work is done and waiting in the merge queue.
pub const PENDING_MERGE: &str = "pending-merge";

/// Label the merge queue puts on a merge request it could not land.
pub const MERGE_FAILED: &str = "merge-failed";

/// Merge requests not yet landed or closed, with their metadata.
pub fn open_merge_requests(
    r: &crate::ledger::Reader<'_>,
) -> Result<Vec<(Bead, serde_json::Value)>> {
    let open = r.list(&crate::ledger::ListFilter {
        types: vec!["merge-request".into()],
        statuses: vec![
            crate::ledger::Status::Open.into(),
            crate::ledger::Status::InProgress.into(),
        ],
        all: true,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for s in open {
        let Some(b) = r.bead(&s.id)? else {
            continue;
        };
        let meta: serde_json::Value = b
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default();
        out.push((b, meta));
    }
    Ok(out)
}

/// An open merge request for this branch at this commit, if one exists.
pub fn open_merge_request(
    tx: &mut crate::ledger::Tx<'_>,
    branch: &str,
    commit: Option<&str>,
) -> Result<Option<String>> {
    Ok(open_merge_requests(&tx.reader())?
        .into_iter()
        .find(|(_, m)| m["branch"].as_str() == Some(branch) && m["commit"].as_str() == commit)
        .map(|(b, _)| b.id))
}

/// The open merge request carrying `bead`'s finished work, if any. One that failed (red
/// gate, conflict) does not count: the work is back to do.
pub fn pending_merge_of(r: &crate::ledger::Reader<'_>, bead: &str) -> Result<Option<String>> {
    for (b, m) in open_merge_requests(r)? {
        if m["source_bead"].as_str() == Some(bead) && !failed(r, &b.id)? {
            return Ok(Some(b.id));
        }
    }
    Ok(None)
}

fn failed(r: &crate::ledger::Reader<'_>, mr: &str) -> Result<bool> {
    Ok(r.labels(mr)?.iter().any(|l| l == MERGE_FAILED))
}

/// `bead` is worked on again (`sling --force`): its waiting merge requests are closed as
/// superseded, so the old branch can never land over the new work, and the label goes.
/// Returns the merge requests as they were before.
/// Without `all`, only failed ones go (a bead slung again after its merge failed).
pub fn supersede_merge_requests(
    tx: &mut crate::ledger::Tx<'_>,
    bead: &str,
    all: bool,
) -> Result<Vec<Bead>> {
    let mut closed = Vec::new();
    for (mr, m) in open_merge_requests(&tx.reader())? {
        if m["source_bead"].as_str() != Some(bead) || !(all || failed(&tx.reader(), &mr.id)?) {
            continue;
        }
        let mut new = mr.clone();
        new.status = crate::ledger::Status::Closed.into();
        new.closed_at = Some(tx.now().to_string());
        new.close_reason = Some(if all {
            format!("superseded: {bead} was slung again with --force")
        } else {
            format!("superseded: {bead} was slung again after this merge failed")
        });
        tx.update_bead(&mr, new, "closed")?;
        closed.push(mr);
    }
    tx.remove_label(bead, PENDING_MERGE)?;
    Ok(closed)
}
