//! `gt compact [--dry-run]`: what the ledger's compaction removed and summarised, and the
//! ledger file's size before and after.

use super::output::Out;
use crate::Result;
use crate::work::Ctx;
use crate::work::compact::{self, CompactReport};

pub fn compact_cmd(out: &mut Out, ctx: &mut Ctx, dry_run: bool) -> Result<()> {
    let report = compact::compact(ctx, dry_run)?;
    if out.json {
        return out.json_ser(&super::json::One::new("compact", &report));
    }
    for l in lines(&report) {
        out.line(l)?;
    }
    Ok(())
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// The report as lines of text (also the deacon's, when it compacted).
pub(super) fn lines(r: &CompactReport) -> Vec<String> {
    let c = &r.counts;
    let (verb, sverb) = if r.dry_run {
        ("would remove", "would summarise")
    } else {
        ("removed", "summarised")
    };
    let mut out = vec![format!(
        "{verb}: {} closed wisp(s), {} step(s) of finished molecules, {} event(s), {} delivery record(s)",
        c.wisps, c.steps, c.events, c.deliveries
    )];
    if c.relations > 0 {
        out.push(format!(
            "  with {} label(s), edge(s) and comment(s) of the removed beads",
            c.relations
        ));
    }
    out.push(format!(
        "{sverb}: {} bead(s) closed over {} ago ({} comment(s) folded; {} bytes of text → {})",
        c.summarised,
        r.ttls.compact_after,
        c.comments_folded,
        c.text_bytes_before,
        c.text_bytes_after
    ));
    if c.kept_depended > 0 {
        out.push(format!(
            "kept: {} wisp(s) past their time-to-live that open work depends on or a hook names",
            c.kept_depended
        ));
    }
    out.push(format!(
        "time-to-live: wisps {}, events {}, deliveries {}",
        r.ttls.wisp_ttl, r.ttls.event_ttl, r.ttls.delivery_ttl
    ));
    if r.dry_run {
        out.push(format!(
            "ledger file: {} ({} free inside); dry run, nothing written",
            mb(r.bytes_before.total()),
            mb(r.bytes_before.free)
        ));
    } else {
        out.push(format!(
            "ledger file: {} before, {} after{}",
            mb(r.bytes_before.total()),
            mb(r.bytes_after.total()),
            if r.converted {
                " (converted to incremental vacuum: the file now gives freed space back)"
            } else {
                ""
            }
        ));
    }
    out
}
