//! `gt compact`: bounded growth of the ledger. Removes what is past its time-to-live and
//! finished (closed wisps and finished molecules' steps, ended delivery records, old events)
//! and summarises long-closed beads, then gives the freed pages back to the file system. The
//! deacon runs it every `deacon.compact_every` (see `run_if_due`). What exactly goes and
//! what always stays is said in `ledger::compact`.

use super::Ctx;
use crate::ledger::compact::{CompactCounts, Cutoffs, FileBytes};
use crate::{Error, Result};
use serde::Serialize;

/// Config key of the last compaction's time (RFC 3339), so a restarted deacon keeps the
/// cadence instead of compacting at once.
pub const LAST_RUN_KEY: &str = "gt.compact.last_run";

/// The time-to-live settings, as given.
#[derive(Debug, Clone, Serialize)]
pub struct Ttls {
    pub wisp_ttl: String,
    pub event_ttl: String,
    pub delivery_ttl: String,
    pub compact_after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompactReport {
    pub dry_run: bool,
    pub at: String,
    pub ttls: Ttls,
    /// Removed and summarised (or, for a dry run, what would be).
    #[serde(flatten)]
    pub counts: CompactCounts,
    pub bytes_before: FileBytes,
    pub bytes_after: FileBytes,
    /// The ledger was converted to incremental auto-vacuum by this run (one VACUUM).
    pub converted: bool,
}

fn span(ctx: &Ctx, key: &str) -> Result<(String, chrono::Duration)> {
    let r = ctx.setting(key, None)?;
    let text = r.as_str();
    // Checked again here: the value was read as a span, but say so if it was not.
    let d = crate::time::parse_span(&text)
        .map_err(|e| Error::invalid(format!("{key} ({}): {e}", r.source)))?;
    let d = chrono::Duration::from_std(d)
        .map_err(|_| Error::invalid(format!("{key} is too long: {text:?}")))?;
    Ok((text, d))
}

/// Compacts the ledger now (or, with `dry_run`, says what it would do and writes nothing).
pub fn compact(ctx: &mut Ctx, dry_run: bool) -> Result<CompactReport> {
    // Every setting is read before anything is written: a bad one is bad input.
    let (wisp_ttl, wisp) = span(ctx, "ledger.wisp_ttl")?;
    let (event_ttl, event) = span(ctx, "ledger.event_ttl")?;
    let (delivery_ttl, delivery) = span(ctx, "ledger.delivery_ttl")?;
    let (compact_after, after) = span(ctx, "ledger.compact_after")?;
    let now = ctx.now();
    let cut = |d: chrono::Duration| crate::time::format(now - d);
    let cutoffs = Cutoffs {
        wisps: cut(wisp),
        events: cut(event),
        deliveries: cut(delivery),
        summarise: cut(after),
    };
    let ttls = Ttls {
        wisp_ttl,
        event_ttl,
        delivery_ttl,
        compact_after,
    };
    let bytes_before = ctx.ledger.file_bytes()?;
    if dry_run {
        let counts = ctx.reader().compact_plan(&cutoffs)?;
        return Ok(CompactReport {
            dry_run,
            at: crate::time::format(now),
            ttls,
            counts,
            bytes_before,
            bytes_after: bytes_before,
            converted: false,
        });
    }
    let stamp = crate::time::format(now);
    let counts = ctx.write(|tx| {
        let counts = tx.compact(&cutoffs)?;
        tx.set_config(LAST_RUN_KEY, Some(&stamp))?;
        Ok(counts)
    })?;
    // An older ledger is converted once (a VACUUM, which also gives every free page back);
    // after that, only the pages this run freed are given back.
    let converted = !ctx.ledger.is_incremental()?;
    if converted {
        ctx.ledger.make_incremental()?;
    } else {
        ctx.ledger.reclaim()?;
    }
    let bytes_after = ctx.ledger.file_bytes()?;
    tracing::info!(
        ?counts,
        before = bytes_before.total(),
        after = bytes_after.total(),
        converted,
        "ledger compacted"
    );
    Ok(CompactReport {
        dry_run,
        at: stamp,
        ttls,
        counts,
        bytes_before,
        bytes_after,
        converted,
    })
}

/// Why the deacon did not compact on this pass (None: it did, or it was not due).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skipped {
    /// The town's emergency stop is on: nothing is removed while a person looks into it.
    Estop,
}

/// Compacts when `deacon.compact_every` has passed since the last run recorded in the
/// ledger (by the deacon or `gt compact`); None when it was not due.
pub fn run_if_due(ctx: &mut Ctx) -> Result<Option<std::result::Result<CompactReport, Skipped>>> {
    let (_, every) = span(ctx, "deacon.compact_every")?;
    let last = ctx
        .reader()
        .config_get(LAST_RUN_KEY)?
        .and_then(|t| crate::time::parse(&t));
    if last.is_some_and(|t| ctx.now() - t < every) {
        return Ok(None);
    }
    if super::brakes::Brakes::read(&ctx.reader())?
        .estop_of(None)
        .is_some()
    {
        return Ok(Some(Err(Skipped::Estop)));
    }
    Ok(Some(Ok(compact(ctx, false)?)))
}
