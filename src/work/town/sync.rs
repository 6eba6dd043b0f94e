//! `gt sync [--remote NAME]`: the town's beads shared with other towns through a git remote.
//! Only the beads file travels, on a branch of its own (`gt-beads`) in a small repository
//! under `.gt/sync/<remote>/` — two towns' own repositories share no history. Each sync: the
//! ledger's export is committed there, the remote's branch merged in (gt's merge driver:
//! bead by bead, nothing lost), the result pushed and imported into the ledger (a bead the
//! ledger holds in a newer version stays as it is).

use crate::work::Ctx;
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
}

pub fn sync(ctx: &mut Ctx, remote: &str) -> Result<SyncReport> {
    let name_ok = !remote.is_empty()
        && remote
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !remote.starts_with('.');
    if !name_ok {
        return Err(Error::invalid(format!(
            "{:?} is not a git remote name (letters, digits, - _ .)",
            crate::inert::for_terminal(remote)
        )));
    }
    let root = ctx.town.root().to_path_buf();
    let Some(url) = git::share::remote_url(&root, remote) else {
        return Err(Error::invalid(format!(
            "the town's git repository has no remote {remote:?}: add one with `git -C {} remote add {remote} <url>`",
            root.display()
        )));
    };
    let dir = ctx.town.paths.runtime_dir().join("sync").join(remote);
    let driver = format!(
        "'{}' merge-jsonl %O %A %B",
        crate::fsutil::gt_exe().display()
    );
    git::share::prepare(&dir, &url, &driver)?;
    // The ledger as it is now, in the file.
    ctx.sync_export();
    let ours = std::fs::read_to_string(ctx.town.paths.issues_jsonl())
        .map_err(|e| Error::io("read the town's beads file", e))?;
    let file = dir.join(".beads/issues.jsonl");
    let remote_has = git::share::fetch(&dir)?;
    let first = !git::share::has_commits(&dir);
    let content = if first && remote_has {
        // The first sync to a shared remote adds this town's beads to what is there (its
        // own export committed over the remote's would read as the others' beads deleted).
        git::share::start_from_remote(&dir)?;
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
    let committed = git::share::commit(&dir, &format!("gt sync: {}", ctx.town.config.name))?;
    let merged = remote_has && !first;
    if merged {
        git::share::merge_remote(&dir).map_err(|e| {
            Error::failed(format!(
                "the remote's beads could not be merged (nothing changed here): {e}"
            ))
        })?;
    }
    git::share::push(&dir).map_err(|e| {
        Error::failed(format!(
            "the merged beads could not be pushed (another town may have synced meanwhile; run gt sync again): {e}"
        ))
    })?;
    let result = std::fs::read_to_string(&file)
        .map_err(|e| Error::io(format!("read {}", file.display()), e))?;
    let (imported, kept_newer) = if result != ours {
        let (_, r) = super::ledger_io::import(ctx, &file)?;
        (r.issues, r.kept_newer)
    } else {
        (0, Vec::new())
    };
    Ok(SyncReport {
        remote: remote.to_string(),
        merged: merged || (first && remote_has),
        committed,
        pushed: true,
        imported,
        kept_newer,
    })
}
