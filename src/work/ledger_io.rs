//! Bringing a bd ledger in, and writing ours out in bd's format.

use super::Ctx;
use crate::ledger::import::{Dialect, ImportReport};
use crate::ledger::{export, import};
use crate::{Error, Result};
use std::path::Path;

pub fn import(ctx: &mut Ctx, path: &Path) -> Result<(Dialect, ImportReport)> {
    let path = ctx.cwd.join(path);
    let actor = ctx.actor.clone();
    let out = import::import(&mut ctx.ledger, &actor, &path)?;
    ctx.sync_export();
    Ok(out)
}

/// The issue-per-line export of the whole ledger.
pub fn export_bytes(ctx: &Ctx, include_ephemeral: bool) -> Result<Vec<u8>> {
    Ok(export::full_export(&ctx.reader(), include_ephemeral)?)
}

pub fn export_to(ctx: &Ctx, file: &Path, include_ephemeral: bool) -> Result<usize> {
    let bytes = export_bytes(ctx, include_ephemeral)?;
    let path = ctx.cwd.join(file);
    crate::fsutil::write_atomic(&path, &bytes)
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    Ok(bytes.iter().filter(|b| **b == b'\n').count())
}
