//! The ledger snapshot: every `deacon.commit_secs` the town's git repository gets a commit of
//! `.beads/issues.jsonl`, `town.toml` and each rig's `rig.toml` — only those paths, and only
//! when one of them changed (never an empty commit).

use super::{DeaconReport, DeaconState};
use crate::work::Ctx;
use crate::{Result, git};
use std::time::{Duration, Instant};

const AUTHOR: (&str, &str) = ("gt deacon", "deacon@gt.local");

pub(super) fn commit_if_due(ctx: &mut Ctx, state: &mut DeaconState, report: &mut DeaconReport) {
    let every = match ctx.setting("deacon.commit_secs", None) {
        Ok(r) => Duration::from_secs(r.as_int().max(10) as u64),
        Err(e) => {
            report.errors.push(format!("ledger commit: {e}"));
            return;
        }
    };
    if state.last_commit.is_some_and(|t| t.elapsed() < every) {
        return;
    }
    // Tried once per period, whatever the outcome: a broken repository is reported each
    // period, not every pass.
    state.last_commit = Some(Instant::now());
    match commit(ctx) {
        Ok(sha) => report.ledger_commit = sha,
        Err(e) => report.errors.push(format!("ledger commit: {e}")),
    }
}

/// Commits the snapshot now; the new commit, or None when nothing changed.
pub fn commit(ctx: &mut Ctx) -> Result<Option<String>> {
    // Whatever an earlier failure left unexported goes in first.
    ctx.sync_export();
    let root = ctx.town.root().to_path_buf();
    if !git::is_repo(&root) {
        return Err(crate::Error::failed(format!(
            "{} is not a git repository (`gt install --force` makes it one)",
            root.display()
        )));
    }
    let jsonl = ".beads/issues.jsonl".to_string();
    let mut paths: Vec<String> = vec![jsonl.clone(), "town.toml".into()];
    for rig in ctx.town.rigs()? {
        paths.push(format!("{}/rig.toml", rig.name));
    }
    // Only files that exist: a missing one would be committed as deleted.
    paths.retain(|p| root.join(p).is_file());
    let beads = std::fs::read_to_string(root.join(&jsonl))
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .unwrap_or(0);
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let message = format!("gt deacon: ledger snapshot ({beads} beads)");
    Ok(git::commit_paths_as(&root, &refs, &message, Some(AUTHOR))?)
}
