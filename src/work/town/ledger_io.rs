//! Bringing a bd ledger in, and writing ours out in bd's format.

use crate::ledger::import::{Dialect, ImportReport};
use crate::ledger::{Ledger, export, import};
use crate::work::Ctx;
use crate::{Error, Result};
use std::path::Path;

/// A town cloned from git has `.beads/issues.jsonl` but no `.gt/ledger.db` (it is ignored):
/// the first command to open the new, empty ledger fills it from the file.
pub fn bootstrap(ledger: &mut Ledger, jsonl: &Path) -> Result<Option<ImportReport>> {
    let has_lines = std::fs::metadata(jsonl)
        .map(|m| m.len() > 0)
        .unwrap_or(false);
    if !has_lines || !ledger.reader().is_empty()? {
        return Ok(None);
    }
    let (_, report) = import::import(ledger, "gt", jsonl, |_, _| Ok::<(), Error>(()))?;
    tracing::info!(
        beads = report.issues,
        "ledger bootstrapped from issues.jsonl"
    );
    Ok(Some(report))
}

pub fn import(ctx: &mut Ctx, path: &Path) -> Result<(Dialect, ImportReport)> {
    let path = ctx.cwd.join(path);
    let actor = ctx.actor.clone();
    // Imported closes land convoys and imported reopens reopen them, as any close would.
    let out = import::import(
        &mut ctx.ledger,
        &actor,
        &path,
        |tx, tracked| -> Result<()> {
            for (id, status) in tracked {
                if crate::ledger::is_done_status(status) {
                    crate::work::convoy::land_if_complete(tx, id)?;
                } else {
                    crate::work::convoy::reopen_landed_tracking(tx, id)?;
                }
            }
            Ok(())
        },
    )?;
    ctx.export_follow();
    Ok(out)
}

/// The issue-per-line export of the whole ledger.
pub fn export_bytes(ctx: &Ctx, include_ephemeral: bool) -> Result<Vec<u8>> {
    Ok(export::full_export(
        &ctx.reader(),
        ctx.export_scope(include_ephemeral),
    )?)
}

/// Writes the export to `file`: never over the town's own files or a non-regular file, over
/// an existing file only when it is an earlier export or `force` says so (`output_path`).
pub fn export_to(
    ctx: &mut Ctx,
    file: &Path,
    include_ephemeral: bool,
    force: bool,
) -> Result<usize> {
    let path = crate::work::town::output_path::check(
        &ctx.cwd,
        Some(ctx.town.root()),
        file,
        crate::work::town::output_path::Kind::Export,
        force,
    )?;
    let scope = ctx.export_scope(include_ephemeral);
    let io = |e| Error::io(format!("write {}", path.display()), e);
    let mut out = crate::fsutil::AtomicFile::create(&path).map_err(io)?;
    // Streamed from one snapshot: a million beads never sit in memory at once.
    let n = ctx
        .ledger
        .snapshot(|r| export::write_full_export(r, scope, &mut out))?;
    out.commit().map_err(io)?;
    Ok(n)
}
