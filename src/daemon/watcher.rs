//! The hook watcher: file events (debounced) from each rig's branch refs and the town's `.gt/`
//! turned into ledger events and early rounds — a commit on an agent's branch is a sign of
//! life for the witness and a line in the feed; a ledger change wakes the refinery. The
//! signals that can change a verdict (tmux's pane-died hook, a runtime's report) wake the
//! witness at once, past the debouncer: crash → verdict and hook event → verdict ≤ 1 s
//! (DESIGN §12) leave no 300 ms to wait for quiet.

use super::runner::Shared;
use crate::work::{Ctx, agents::heartbeat};
use crate::{Error, Result};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const NAME: &str = "watcher";

pub fn run(shared: &Arc<Shared>) -> Result<()> {
    let mut ctx = Ctx::open(&shared.root)?;
    ctx.actor = "watcher".into();
    let _signals = watch_signals(shared, &ctx.town.paths.runtime_dir())?;
    let (tx, rx) = channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(Duration::from_millis(300), None, tx)
        .map_err(|e| Error::failed(format!("no file watcher: {e}")))?;
    let runtime_dir = ctx.town.paths.runtime_dir();
    debouncer
        .watch(&runtime_dir, RecursiveMode::NonRecursive)
        .map_err(|e| Error::failed(format!("cannot watch {}: {e}", runtime_dir.display())))?;
    // rig → its repository, watched once each; new rigs are picked up as they appear.
    let mut repos: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut tips: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut commits_seen = 0usize;
    let mut watched: BTreeSet<PathBuf> = BTreeSet::new();
    let mut next_scan = Instant::now();
    let mut pids = super::pid_watch::PidWatch::default();
    while !shared.stopping() {
        pids.look(shared);
        if Instant::now() >= next_scan {
            ctx.reload_town()?;
            for rig in ctx.town.rigs()? {
                if !repos.contains_key(&rig.name) {
                    let repo = ctx.town.paths.rig_repo(&rig.name);
                    match debouncer.watch(crate::git::refs_dir(&repo), RecursiveMode::Recursive) {
                        Ok(()) => {
                            repos.insert(rig.name.clone(), repo);
                        }
                        Err(e) => {
                            tracing::warn!(rig = %rig.name, error = %e, "branch refs not watched")
                        }
                    }
                }
                // Workers' files: an agent editing quietly is alive. New worktrees are picked
                // up here too.
                for dir in worktree_dirs(&ctx, &rig.name) {
                    if watched.contains(&dir) {
                        continue;
                    }
                    match debouncer.watch(&dir, RecursiveMode::NonRecursive) {
                        Ok(()) => {
                            watched.insert(dir);
                        }
                        Err(e) => {
                            tracing::warn!(dir = %dir.display(), error = %e, "not watched")
                        }
                    }
                }
            }
            watched.retain(|d| d.is_dir());
            shared.ticked(NAME, summary(&repos, commits_seen));
            next_scan = Instant::now() + Duration::from_secs(10);
        }
        let events = match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(Ok(ev)) => ev,
            Ok(Err(errs)) => {
                tracing::warn!(errors = ?errs, "file watcher errors");
                continue;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::failed("the file watcher stopped"));
            }
        };
        let paths: BTreeSet<PathBuf> = events
            .into_iter()
            .filter(|e| !matches!(e.event.kind, notify::EventKind::Access(_)))
            .flat_map(|e| e.event.paths)
            .collect();
        let mut ledger_changed = false;
        let mut edited: BTreeSet<String> = BTreeSet::new();
        for p in &paths {
            if p.parent() == Some(runtime_dir.as_path()) {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                ledger_changed |= name.starts_with("ledger.db");
                continue;
            }
            for (rig, repo) in &repos {
                if let Some(branch) = crate::git::branch_of_ref_file(repo, p) {
                    commits_seen += branch_moved(&mut ctx, shared, rig, repo, &branch, &mut tips);
                } else if let Some(agent) = worker_of_path(&ctx, rig, p) {
                    edited.insert(agent);
                }
            }
        }
        for agent in std::mem::take(&mut edited) {
            heartbeat::touch(&ctx.town.paths, &agent);
        }
        for w in std::mem::take(&mut ctx.warnings) {
            tracing::warn!(duty = NAME, "{w}");
        }
        if ledger_changed {
            for rig in repos.keys() {
                shared.poke(&format!("refinery:{rig}"));
            }
            shared.poke("deacon");
        }
        shared.ticked(NAME, summary(&repos, commits_seen));
    }
    Ok(())
}

/// The witness to wake for a file of `.gt/` named `name`: every rig's for tmux's pane-died
/// hook (an agent's program just exited), one rig's for a runtime's report that may change a
/// verdict (`runtime_events`).
fn woken_by(name: &str) -> Option<Wake<'_>> {
    if name == "pane-died" {
        return Some(Wake::AllWitnesses);
    }
    crate::work::agents::runtime_events::rig_of_signal(name).map(Wake::Witness)
}

#[derive(Debug, PartialEq, Eq)]
enum Wake<'a> {
    AllWitnesses,
    Witness(&'a str),
}

/// Watches `.gt/` for the signals in `woken_by`, undebounced: each one pokes its witness the
/// moment the file is touched. Dropping the watcher stops it.
fn watch_signals(
    shared: &Arc<Shared>,
    dir: &std::path::Path,
) -> Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let shared = shared.clone();
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        if matches!(ev.kind, notify::EventKind::Access(_)) {
            return;
        }
        for p in &ev.paths {
            match p.file_name().and_then(|n| n.to_str()).and_then(woken_by) {
                Some(Wake::AllWitnesses) => shared.poke_all("witness:"),
                Some(Wake::Witness(rig)) => shared.poke(&format!("witness:{rig}")),
                None => {}
            }
        }
    })
    .map_err(|e| Error::failed(format!("no file watcher: {e}")))?;
    w.watch(dir, RecursiveMode::NonRecursive)
        .map_err(|e| Error::failed(format!("cannot watch {}: {e}", dir.display())))?;
    Ok(w)
}

fn summary(repos: &BTreeMap<String, PathBuf>, commits: usize) -> String {
    format!("{} rigs watched; {commits} commits seen", repos.len())
}

/// A branch ref changed: when an agent's branch got a new commit, say so in the feed, count
/// it as the agent's sign of life and let the rig's witness look now. Returns 1 for a commit.
fn branch_moved(
    ctx: &mut Ctx,
    shared: &Shared,
    rig: &str,
    repo: &std::path::Path,
    branch: &str,
    tips: &mut BTreeMap<(String, String), String>,
) -> usize {
    let Ok(tip) = crate::git::branch_tip(repo, branch) else {
        return 0; // deleted, or mid-write: nothing to report
    };
    let key = (rig.to_string(), branch.to_string());
    let before = tips.insert(key, tip.clone());
    if before.as_deref() == Some(tip.as_str()) {
        return 0;
    }
    let agent = agent_of_branch(rig, branch);
    // A branch seen for the first time at the default branch's tip was just made (a sling):
    // no new commit. A known branch that moved got one, even if it already landed (a
    // fast-forward merge leaves the default branch at the same commit).
    let base = ctx
        .town
        .rig(rig)
        .ok()
        .and_then(|r| crate::git::branch_tip(repo, &r.default_branch).ok());
    if agent.is_none() || (before.is_none() && base.as_deref() == Some(tip.as_str())) {
        return 0;
    }
    let bead = branch
        .strip_prefix("polecat/")
        .and_then(|r| r.split('/').nth(1));
    if let Some(a) = &agent {
        heartbeat::touch(&ctx.town.paths, a);
    }
    shared.poke(&format!("witness:{rig}"));
    let detail = serde_json::json!({"rig": rig, "branch": branch, "commit": tip, "agent": agent});
    let subject = bead.map(str::to_string);
    let res = ctx.write(|tx| {
        // Only beads the ledger knows get the event attached; others go town-wide.
        let on = match &subject {
            Some(b) if tx.reader().exists(b)? => Some(b.as_str()),
            _ => None,
        };
        // `gt done` records the commit it queues; one event per commit.
        if let Some(b) = on
            && crate::work::sling::done::commit_recorded(tx, b, &tip)?
        {
            return Ok(());
        }
        Ok(tx.record_event(on, "commit", None, Some(detail), None)?)
    });
    if let Err(e) = res {
        tracing::warn!(error = %e, "cannot record a commit event");
    }
    1
}

/// Folders that show a worker editing, without watching whole trees (`target/` or
/// `node_modules/` would take thousands of inotify watches): each worktree's top folder and
/// the folders directly in it, at most `PER_WORKTREE`.
fn worktree_dirs(ctx: &Ctx, rig: &str) -> Vec<PathBuf> {
    const PER_WORKTREE: usize = 32;
    const SKIP: &[&str] = &["target", "node_modules", "dist", "build", "vendor"];
    let mut out = Vec::new();
    for base in [
        ctx.town.paths.polecats_dir(rig),
        ctx.town.paths.crew_dir(rig),
    ] {
        let Ok(trees) = std::fs::read_dir(&base) else {
            continue;
        };
        for tree in trees.flatten().map(|e| e.path()).filter(|p| p.is_dir()) {
            let subs: Vec<PathBuf> = std::fs::read_dir(&tree)
                .map(|d| {
                    d.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_dir())
                        .filter(|p| {
                            p.file_name()
                                .and_then(|n| n.to_str())
                                .is_some_and(|n| !n.starts_with('.') && !SKIP.contains(&n))
                        })
                        .take(PER_WORKTREE)
                        .collect()
                })
                .unwrap_or_default();
            out.push(tree);
            out.extend(subs);
        }
    }
    out
}

/// The agent whose worktree holds `path` (`<rig>/polecats/<name>/…` or `<rig>/crew/<name>/…`);
/// git's own files inside a worktree are not the agent's doing.
fn worker_of_path(ctx: &Ctx, rig: &str, path: &std::path::Path) -> Option<String> {
    for (dir, role) in [
        (ctx.town.paths.polecats_dir(rig), "polecats"),
        (ctx.town.paths.crew_dir(rig), "crew"),
    ] {
        let Ok(rel) = path.strip_prefix(&dir) else {
            continue;
        };
        let mut parts = rel.components().filter_map(|c| c.as_os_str().to_str());
        let name = parts.next()?;
        if parts.next() == Some(".git") {
            return None;
        }
        return Some(format!("{rig}/{role}/{name}"));
    }
    None
}

/// `polecat/<name>/<bead>` → `<rig>/polecats/<name>`; `crew/<name>` → `<rig>/crew/<name>`.
fn agent_of_branch(rig: &str, branch: &str) -> Option<String> {
    let mut parts = branch.split('/');
    match (parts.next(), parts.next()) {
        (Some("polecat"), Some(name)) => Some(format!("{rig}/polecats/{name}")),
        (Some("crew"), Some(name)) => Some(format!("{rig}/crew/{name}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signals_wake_their_witnesses() {
        assert_eq!(woken_by("pane-died"), Some(Wake::AllWitnesses));
        assert_eq!(woken_by("runtime-event.shop"), Some(Wake::Witness("shop")));
        assert_eq!(woken_by("ledger.db-wal"), None);
        assert_eq!(woken_by("runtime-event."), None);
    }
}
