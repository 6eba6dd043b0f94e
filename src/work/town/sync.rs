//! `gt sync [--remote NAME]`: the town's beads shared with other towns through a git remote.
//! Only the beads file travels, on a branch of its own (`gt-beads`) in a small repository
//! under `.gt/sync/<remote>/` — two towns' own repositories share no history. Each sync: the
//! ledger's export is committed there, the remote's branch merged in (gt's merge driver:
//! bead by bead, nothing lost), the result imported into the ledger (a bead the ledger holds
//! in a newer version stays as it is) and pushed. This town's claims on beads it no longer
//! holds (`sling::claims`) are given up on the way.

use crate::work::Ctx;
use crate::work::sling::claims;
use crate::{Error, Result, git};

#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncReport {
    pub remote: String,
    /// The remote had other towns' beads to merge.
    pub merged: bool,
    /// This town's changes were committed.
    pub committed: bool,
    pub pushed: bool,
    /// Beads the ledger took from the merged file.
    pub imported: usize,
    /// Beads the ledger kept because its copy is newer than the merged file's.
    pub kept_newer: Vec<String>,
    /// This town's claims given up (the beads are no longer hooked here).
    pub claims_dropped: Vec<String>,
    /// Beads another town deleted, kept in this ledger and shared again (a deletion does not
    /// travel).
    pub deleted_elsewhere: Vec<String>,
}

pub fn sync(ctx: &mut Ctx, remote: &str) -> Result<SyncReport> {
    let dir = claims::sync_dir(ctx, remote)?;
    let me = claims::town_id(ctx)?;
    let mut tries = 0;
    loop {
        tries += 1;
        match sync_once(ctx, remote, &dir, &me) {
            // Another town pushed between this one's fetch and push: fetch and merge again.
            Err(Retry::Pushed(e)) if tries < 5 => {
                tracing::info!(error = %e, "another town pushed first; syncing again");
            }
            Err(Retry::Pushed(e)) | Err(Retry::Other(e)) => return Err(e),
            Ok(r) => return Ok(r),
        }
    }
}

enum Retry {
    /// The push lost to another town's: fetch and try again.
    Pushed(Error),
    Other(Error),
}

impl From<Error> for Retry {
    fn from(e: Error) -> Self {
        Retry::Other(e)
    }
}

impl From<git::GitError> for Retry {
    fn from(e: git::GitError) -> Self {
        Retry::Other(e.into())
    }
}

fn sync_once(
    ctx: &mut Ctx,
    remote: &str,
    dir: &std::path::Path,
    me: &str,
) -> std::result::Result<SyncReport, Retry> {
    let mine = |c: &str| claims::is_mine(c, me);
    // The ledger as it is now, in the file.
    ctx.sync_export();
    let ours = std::fs::read_to_string(ctx.town.paths.issues_jsonl())
        .map_err(|e| Error::io("read the town's beads file", e))?;
    let file = dir.join(".beads/issues.jsonl");
    let remote_has = git::share::fetch(dir)?;
    let first = !git::share::has_commits(dir);
    let content = if first && remote_has {
        // The first sync to a shared remote adds this town's beads to what is there (its
        // own export committed over the remote's would read as the others' beads deleted).
        git::share::start_from_remote(dir)?;
        let theirs = std::fs::read_to_string(&file).unwrap_or_default();
        crate::ledger::jsonl_merge::merge("", &theirs, &ours)
            .map_err(|e| Error::invalid(format!("cannot merge the beads files: {e}")))?
    } else {
        ours.clone()
    };
    std::fs::create_dir_all(dir.join(".beads"))
        .map_err(|e| Error::io("make the sync repository's .beads", e))?;
    crate::fsutil::write_atomic(&file, content.as_bytes())
        .map_err(|e| Error::io(format!("write {}", file.display()), e))?;
    // This town's claims on beads it no longer holds are given up.
    let held = claims::held_here(ctx)?;
    let stale: Vec<String> = git::share::own_claims(dir, mine)
        .into_iter()
        .map(|(b, _)| b)
        .filter(|b| !held.contains(b))
        .collect();
    git::share::drop_claims(dir, &stale)?;
    let committed = git::share::commit(dir, &format!("gt sync: {}", ctx.town.config.name))?;
    let merged = remote_has && !first;
    if merged && let Err(e) = git::share::merge_remote(dir) {
        return Err(Retry::Other(Error::failed(format!(
            "the remote's beads could not be merged (nothing changed here): {e}"
        ))));
    }
    // Imported before the push: a push that fails leaves a merge whose other side this
    // town's next export must already hold (else that export reads as undoing it).
    let result = std::fs::read_to_string(&file)
        .map_err(|e| Error::io(format!("read {}", file.display()), e))?;
    let (imported, kept_newer) = if result != ours {
        let (_, r) = super::ledger_io::import(ctx, &file)?;
        (r.issues, r.kept_newer)
    } else {
        (0, Vec::new())
    };
    git::share::push(dir).map_err(|e| {
        Retry::Pushed(Error::failed(format!(
            "the merged beads could not be pushed (another town synced meanwhile; run gt sync again): {e}"
        )))
    })?;
    // A bead this town exported that the merge left out was deleted by another town (and
    // not changed here): it is kept in this ledger — never lost — and said. This town's next
    // sync shares it again.
    let after = bead_ids(&result);
    let deleted_elsewhere = bead_ids(&ours)
        .into_iter()
        .filter(|id| !after.contains(id))
        .collect();
    Ok(SyncReport {
        remote: remote.to_string(),
        merged: merged || (first && remote_has),
        committed,
        pushed: true,
        imported,
        kept_newer,
        claims_dropped: stale,
        deleted_elsewhere,
    })
}

/// The ids of a beads file's lines (lines that do not read are not counted).
fn bead_ids(jsonl: &str) -> std::collections::BTreeSet<String> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect()
}
