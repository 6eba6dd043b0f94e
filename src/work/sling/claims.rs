//! Claims: towns that share beads (`gt sync`) hook a bead in at most one town at a time.
//! With `sync.claims` on, a sling first publishes its claim on the shared branch (a file per
//! bead, one commit pushed on top of the remote's); a bead another town claimed first is
//! refused here with who has it — a lost race is said, never silently doubled. A town gives
//! a claim up at its next sync once the bead is no longer hooked there. Also the shared
//! repository itself (`.gt/sync/<remote>/`), which `gt sync` uses too.

use crate::work::Ctx;
use crate::{Error, Result};
use std::collections::BTreeSet;

/// This town's identity among the towns sharing a remote (made once, kept in `.gt/sync/`).
pub fn town_id(ctx: &Ctx) -> Result<String> {
    let path = ctx.town.paths.runtime_dir().join("sync").join("town-id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() {
            return Ok(id.to_string());
        }
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("make .gt/sync", e))?;
    }
    crate::fsutil::write_atomic(&path, id.as_bytes())
        .map_err(|e| Error::io("write .gt/sync/town-id", e))?;
    Ok(id)
}

/// What a claim file holds.
pub fn content(ctx: &Ctx, me: &str, agent: &str) -> String {
    serde_json::json!({
        "town": me,
        "name": ctx.town.config.name,
        "agent": agent,
        "at": crate::time::now(),
    })
    .to_string()
}

pub fn is_mine(content: &str, me: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(content)
        .ok()
        .is_some_and(|v| v["town"] == me)
}

/// The refusal of a bead another town claimed first.
pub fn taken(bead: &str, theirs: &str) -> Error {
    let v: serde_json::Value = serde_json::from_str(theirs).unwrap_or_default();
    let s = |k: &str| crate::inert::for_terminal(v[k].as_str().unwrap_or("?"));
    Error::invalid(format!(
        "{bead} is claimed by town {} ({}, since {}): it is hooked there; nothing was done here",
        s("name"),
        s("agent"),
        s("at")
    ))
}

/// The beads hooked in this town's ledger.
pub fn held_here(ctx: &Ctx) -> Result<BTreeSet<String>> {
    let list = ctx.reader().list(&crate::ledger::ListFilter {
        statuses: vec![crate::ledger::Status::Hooked.into()],
        all: true,
        ..Default::default()
    })?;
    Ok(list.into_iter().map(|b| b.id).collect())
}

/// The town's repository for sharing through `remote` (`.gt/sync/<remote>/`), made once,
/// with gt's merge driver for the beads file.
pub fn sync_dir(ctx: &Ctx, remote: &str) -> Result<std::path::PathBuf> {
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
    let Some(url) = crate::git::share::remote_url(&root, remote) else {
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
    crate::git::share::prepare(&dir, &url, &driver)?;
    Ok(dir)
}

/// Before a sling hooks `bead` for `who`: its claim published on the shared branch, when
/// this town claims (`sync.claims`). Refused (exit 2, nothing hooked) when another town
/// holds it.
pub fn claim_for_sling(ctx: &Ctx, bead: &str, who: &str) -> Result<()> {
    if !ctx.setting("sync.claims", None)?.as_bool() {
        return Ok(());
    }
    let safe = !bead.is_empty()
        && !bead.starts_with('.')
        && bead
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !safe {
        return Err(Error::invalid(format!(
            "{:?} cannot be claimed (not a bead id)",
            crate::inert::for_terminal(bead)
        )));
    }
    let remote = ctx.setting("sync.remote", None)?.as_str();
    let dir = sync_dir(ctx, &remote)?;
    let me = town_id(ctx)?;
    let text = content(ctx, &me, who);
    match crate::git::share::publish_claim(&dir, bead, &text, |c| is_mine(c, &me))? {
        crate::git::share::Claimed::Published => Ok(()),
        crate::git::share::Claimed::Taken(theirs) => Err(taken(bead, &theirs)),
    }
}
