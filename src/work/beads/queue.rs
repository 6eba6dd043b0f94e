//! The queue itself: beads labelled `scheduled`, each with its entry (target, options, when)
//! in the bead's `scheduled` field. Order: priority, then time queued.

use crate::ledger::{ListFilter, Reader, Tx};
use crate::work::Ctx;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The label that makes a bead a queue member.
pub const SCHEDULED: &str = "scheduled";
/// The bead field (in `extra`) holding its entry.
const ENTRY_KEY: &str = "scheduled";
/// Ledger config key of the last sequence number given (ties within one second keep order).
const SEQ_KEY: &str = "gt.scheduler.seq";

/// What a queued sling will do once there is room.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub target: String,
    pub queued_at: String,
    #[serde(default)]
    pub seq: i64,
    #[serde(default)]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_convoy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_formula: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    #[serde(
        default,
        skip_serializing_if = "crate::work::beads::intent::Intent::is_plain"
    )]
    pub intent: crate::work::beads::intent::Intent,
}

/// One queued bead as `gt scheduler status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedView {
    pub bead: String,
    pub title: String,
    pub priority: i64,
    pub target: String,
    /// 1 = next.
    pub position: usize,
    pub queued_at: String,
    pub age_secs: i64,
    pub by: String,
}

/// Every queued bead, in the order it will be slung, with its entry (ages as of `now`).
pub fn list(
    r: &Reader<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(QueuedView, Entry)>> {
    let members = r.list(&ListFilter {
        label: Some(SCHEDULED.into()),
        all: true,
        ..Default::default()
    })?;
    let mut rows = Vec::new();
    for m in members {
        // Only open beads wait; anything else is cleaned up when it is next looked at.
        if m.status != crate::ledger::Status::Open {
            continue;
        }
        let Some(b) = r.bead(&m.id)? else { continue };
        let Some(entry) = b
            .extra
            .get(ENTRY_KEY)
            .and_then(|v| serde_json::from_value::<Entry>(v.clone()).ok())
        else {
            continue;
        };
        let age = crate::time::parse(&entry.queued_at)
            .map(|t| (now - t).num_seconds().max(0))
            .unwrap_or(0);
        rows.push((
            QueuedView {
                bead: b.id.clone(),
                title: b.title.clone(),
                priority: b.priority,
                target: entry.target.clone(),
                position: 0,
                queued_at: entry.queued_at.clone(),
                age_secs: age,
                by: entry.by.clone(),
            },
            entry,
        ));
    }
    rows.sort_by(|(a, ea), (b, eb)| {
        (a.priority, &ea.queued_at, ea.seq, &a.bead).cmp(&(
            b.priority,
            &eb.queued_at,
            eb.seq,
            &b.bead,
        ))
    });
    for (i, (v, _)) in rows.iter_mut().enumerate() {
        v.position = i + 1;
    }
    Ok(rows)
}

/// The bead's place in the queue (None: not queued).
pub fn position(r: &Reader<'_>, bead: &str) -> Result<Option<usize>> {
    // The order does not depend on ages: any `now` gives the same position.
    Ok(list(r, chrono::DateTime::UNIX_EPOCH)?
        .into_iter()
        .find(|(v, _)| v.bead == bead)
        .map(|(v, _)| v.position))
}

/// The entry of a queued bead (None: not queued).
pub fn entry_of(r: &Reader<'_>, bead: &str) -> Result<Option<Entry>> {
    if !r.labels(bead)?.iter().any(|l| l == SCHEDULED) {
        return Ok(None);
    }
    Ok(r.bead(bead)?.and_then(|b| {
        b.extra
            .get(ENTRY_KEY)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }))
}

/// Puts a bead in the queue. A fresh entry gets the transaction's time and the next
/// sequence number; a re-queued one keeps its place (`queued_at`, `seq` already set).
pub fn enqueue_in(tx: &mut Tx<'_>, bead: &str, mut entry: Entry) -> Result<Entry> {
    if entry.queued_at.is_empty() {
        let seq = tx
            .reader()
            .config_get(SEQ_KEY)?
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
            + 1;
        tx.set_config(SEQ_KEY, Some(&seq.to_string()))?;
        entry.queued_at = tx.now().to_string();
        entry.seq = seq;
        entry.by = tx.actor().to_string();
    }
    let old = tx.reader().require(bead)?;
    let mut new = old.clone();
    new.extra.insert(
        ENTRY_KEY.into(),
        serde_json::to_value(&entry)
            .map_err(|e| crate::Error::failed(format!("cannot record the queue entry: {e}")))?,
    );
    if new != old {
        tx.update_bead(&old, new, "scheduled")?;
    }
    tx.add_label(bead, SCHEDULED)?;
    Ok(entry)
}

/// Takes a bead out of the queue (its label and its entry); false when it was not queued.
/// `why` goes into the event.
pub fn dequeue_in(tx: &mut Tx<'_>, bead: &str, why: &str) -> Result<bool> {
    let removed = tx.remove_label(bead, SCHEDULED)?;
    if let Some(old) = tx.reader().bead(bead)?
        && old.extra.contains_key(ENTRY_KEY)
    {
        let mut new = old.clone();
        new.extra.remove(ENTRY_KEY);
        tx.update_bead(&old, new, "unscheduled")?;
    }
    if removed {
        let note = json!({ "reason": why });
        tx.record_event(Some(bead), "queue_left", None, Some(note), None)?;
    }
    Ok(removed)
}

/// Takes a queued bead out of the queue (`gt unsling` of a bead that waits).
pub fn unqueue(ctx: &mut Ctx, bead: &str, why: &str) -> Result<bool> {
    if ctx.reader().bead(bead)?.is_none() {
        return Err(Error::not_found(format!("no bead {bead}")));
    }
    ctx.write(|tx| dequeue_in(tx, bead, why))
}
