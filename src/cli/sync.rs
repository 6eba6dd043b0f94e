//! `gt sync [--remote NAME]` — this town's beads shared with other towns through git — and
//! `gt merge-jsonl`, the merge driver git runs for the beads file.

use super::output::Out;
use crate::Result;
use crate::work::Ctx;
use std::path::Path;

pub fn sync_cmd(out: &mut Out, ctx: &mut Ctx, remote: &str) -> Result<()> {
    let r = crate::work::town::sync::sync(ctx, remote)?;
    if out.json {
        return out.json(serde_json::json!({ "sync": r }));
    }
    let committed = if r.committed {
        "this town's changes committed, "
    } else {
        ""
    };
    let merged = if r.merged {
        "other towns' beads merged, "
    } else {
        ""
    };
    out.line(format!(
        "Synced with {}: {committed}{merged}pushed; {} bead(s) taken from the merged file",
        r.remote, r.imported
    ))?;
    if !r.deleted_elsewhere.is_empty() {
        out.line(format!(
            "Deleted in another town, kept here (a sync never deletes a bead; your next sync shares it again): {}",
            r.deleted_elsewhere.join(", ")
        ))?;
    }
    if !r.kept_newer.is_empty() {
        out.line(format!(
            "Kept as they are here (changed since the export): {}",
            r.kept_newer.join(", ")
        ))?;
    }
    Ok(())
}

/// Writes the merged file over OURS and says nothing (git reads only the exit status).
pub fn merge_jsonl_cmd(out: &mut Out, base: &Path, ours: &Path, theirs: &Path) -> Result<()> {
    let n = crate::work::town::export_merge::merge_files(base, ours, theirs)?;
    if out.json {
        return out.json(serde_json::json!({ "merged": { "beads": n } }));
    }
    Ok(())
}
