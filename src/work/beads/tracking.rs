//! Convoys tracking beads, at the transaction level: making one, and what a bead's status
//! change does to the convoys tracking it in the same transaction — the last tracked bead
//! closing lands the convoy, a reopened one reopens it. (Below convoy/ so that closing a bead
//! or slinging one never reaches up to the convoy use cases.)

use crate::Result;
use crate::ledger::{Bead, Dependency, Tx, is_done_status};

/// The close reason of a convoy that landed because every tracked bead closed.
pub const LANDED_REASON: &str = "landed: every tracked bead is closed";

/// Label on a landed convoy the deacon has not announced yet.
pub const ANNOUNCE_LABEL: &str = "landing-unannounced";

/// After `closed_id` closed: lands every open convoy tracking it whose beads are now all
/// closed. Returns the convoys that landed.
pub fn land_if_complete(tx: &mut Tx<'_>, closed_id: &str) -> Result<Vec<String>> {
    let mut landed = Vec::new();
    for convoy in tx.reader().convoys_tracking(closed_id, true)? {
        if land_convoy_if_complete(tx, &convoy)? {
            landed.push(convoy);
        }
    }
    Ok(landed)
}

/// Lands `convoy` if every bead it tracks is closed; whether it landed.
pub fn land_convoy_if_complete(tx: &mut Tx<'_>, convoy: &str) -> Result<bool> {
    let c = tx.reader().require(convoy)?;
    if c.is_closed() {
        return Ok(false);
    }
    let tracked = tx.reader().tracked(convoy)?;
    let complete = !tracked.is_empty()
        && tracked
            .iter()
            .all(|t| t.status.as_deref().is_some_and(is_done_status));
    if !complete {
        return Ok(false);
    }
    let mut new = c.clone();
    new.status = crate::ledger::Status::Closed.into();
    new.closed_at = Some(tx.now().to_string());
    new.close_reason = Some(LANDED_REASON.into());
    tx.update_bead(&c, new, "closed")?;
    // The deacon announces the landing (once) and takes the label off in the same
    // transaction as the mail.
    tx.add_label(convoy, ANNOUNCE_LABEL)?;
    let detail = serde_json::json!({"tracked": tracked.len()});
    tx.record_event(Some(convoy), "convoy_landed", None, Some(detail), None)?;
    Ok(true)
}

/// After `id` reopened: convoys that had landed because of it are open again.
pub fn reopen_landed_tracking(tx: &mut Tx<'_>, id: &str) -> Result<()> {
    for convoy in tx.reader().convoys_tracking(id, false)? {
        let c = tx.reader().require(&convoy)?;
        if c.is_closed() && c.close_reason.as_deref() == Some(LANDED_REASON) {
            reopen_convoy(tx, &c)?;
        }
    }
    Ok(())
}

/// Reopens a landed convoy (a tracked bead reopened or was added).
pub fn reopen_convoy(tx: &mut Tx<'_>, c: &Bead) -> Result<()> {
    let mut new = c.clone();
    new.status = crate::ledger::Status::Open.into();
    new.closed_at = None;
    new.close_reason = None;
    tx.update_bead(c, new, "reopened")?;
    // A landing undone before it was announced is not announced; the next one will be.
    tx.remove_label(&c.id, ANNOUNCE_LABEL)?;
    tx.record_event(Some(&c.id), "convoy_reopened", None, None, None)?;
    Ok(())
}

/// Creates a convoy inside a transaction (members already checked); returns its id.
pub fn create_in(tx: &mut Tx<'_>, title: &str, ids: &[String]) -> Result<String> {
    {
        let title = title.to_string();
        let id = tx.new_convoy_id(&title)?;
        let now = tx.now().to_string();
        let bead = Bead {
            id: id.clone(),
            title: title.clone(),
            status: crate::ledger::Status::Open.into(),
            priority: 2,
            issue_type: "convoy".into(),
            created_at: now.clone(),
            updated_at: now,
            created_by: Some(tx.actor().to_string()),
            ..Bead::default()
        };
        tx.insert_bead(&bead)?;
        for member in ids {
            let d = tracks(tx, &id, member);
            tx.add_dep(&d)?;
        }
        if !ids.is_empty() {
            land_convoy_if_complete(tx, &id)?;
        }
        Ok(id)
    }
}

/// The `tracks` dependency of a convoy on a bead.
pub fn tracks(tx: &Tx<'_>, convoy: &str, id: &str) -> Dependency {
    Dependency {
        issue_id: convoy.to_string(),
        depends_on_id: id.to_string(),
        kind: "tracks".into(),
        created_at: Some(tx.now().to_string()),
        created_by: Some(tx.actor().to_string()),
        extra: Default::default(),
    }
}
