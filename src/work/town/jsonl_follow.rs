//! Keeping `.beads/issues.jsonl` current without a pass over it per write. A write only marks
//! its beads, in its own transaction; the town's *follower* rewrites the marked lines once a
//! burst of writes has had a moment to settle: the supervisor while it runs, otherwise a
//! short-lived background `gt bead flush --follow`, started by the first write that finds no
//! follower. Whoever holds `locks/export-follower.lock` is the follower, and it looks for
//! marks once more after letting go, so a write that saw the lock held is never stranded.
//! Whoever needs the file complete *now* (`gt bead flush`, the deacon's commit) syncs it
//! directly.

use crate::Result;
use crate::fsutil::LockGuard;
use crate::ledger::export::SyncOutcome;
use crate::work::Ctx;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long writes get to settle before the file is rewritten: a burst shares one rewrite.
pub const SETTLE: Duration = Duration::from_millis(200);
/// A rewrite takes at most one part in this many of the follower's time, so a huge file is
/// rewritten less often rather than constantly.
const PACE: u32 = 4;

/// Whether this process may start `gt` followers: true in the gt program itself (set by its
/// `main`), false for library callers (benches, tests), whose writes rewrite the lines
/// before returning — their executable is not `gt`.
static IN_BACKGROUND: AtomicBool = AtomicBool::new(false);

/// Called once by the gt program: its writes leave the file to the town's follower.
pub fn follow_in_background() {
    IN_BACKGROUND.store(true, Ordering::Relaxed);
}

pub fn in_background() -> bool {
    IN_BACKGROUND.load(Ordering::Relaxed)
}

fn follower_lock(ctx: &Ctx) -> PathBuf {
    ctx.town.paths.locks_dir().join("export-follower.lock")
}

/// Where a follower that could not write the file says why, for the next command to tell
/// the person (a background process has no terminal); removed by the next good write.
fn problem_file(ctx: &Ctx) -> PathBuf {
    ctx.town.paths.runtime_dir().join("export-problem")
}

/// Why the last rewrite of the file failed, while it still does.
pub fn problem(ctx: &Ctx) -> Option<String> {
    std::fs::read_to_string(problem_file(ctx))
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The wait before the next rewrite, given how long the last one took.
fn pause_after(last: Duration) -> Duration {
    SETTLE.max(last * PACE)
}

/// After a write: makes sure a follower will bring the file up to date, starting one in the
/// background when there is none. Costs a lock probe, and a process start only when no
/// follower is running.
pub fn request(ctx: &mut Ctx) {
    if let Some(p) = problem(ctx) {
        ctx.warnings.push(format!(
            "warning: the change is saved in the ledger, but {} is not being updated: {p}",
            ctx.town.paths.issues_jsonl().display()
        ));
    }
    let lock = follower_lock(ctx);
    match LockGuard::try_acquire(&lock) {
        Ok(None) => {}
        Ok(Some(probe)) => {
            drop(probe);
            if let Err(e) = spawn_follower(ctx) {
                tracing::warn!(error = %e, "cannot start the issues.jsonl follower");
                ctx.warnings.push(format!(
                    "warning: the change is saved in the ledger, but nothing could be started to update {} ({e}); `gt bead flush` does it",
                    ctx.town.paths.issues_jsonl().display()
                ));
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot probe the issues.jsonl follower lock"),
    }
}

fn spawn_follower(ctx: &Ctx) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let root = ctx.town.root();
    let mut child = Command::new(crate::fsutil::gt_exe())
        .args(["--batch", "bead", "flush", "--follow"])
        .current_dir(root)
        .env("GT_TOWN", root)
        // Not on an agent's behalf: its rewrite is no sign of life of the agent that wrote.
        .env_remove("GT_AGENT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C meant for the command does not stop the follower.
        .process_group(0)
        .spawn()?;
    // A long-lived caller (the workspace) reaps it; a short one exits first and init does.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// Brings the file up to date now, whoever else is following (serialized by the export lock).
pub fn flush_now(ctx: &mut Ctx) -> Result<SyncOutcome> {
    if !enabled(ctx) {
        return Ok(SyncOutcome::UpToDate);
    }
    let scope = ctx.export_scope(false);
    let jsonl = ctx.town.paths.issues_jsonl();
    let lock = ctx.town.paths.export_lock();
    let problem = problem_file(ctx);
    let ledger = &mut ctx.ledger;
    let res = crate::fsutil::with_lock(&lock, || -> Result<SyncOutcome> {
        sweep_stale_temps(&jsonl);
        Ok(crate::ledger::export::sync(ledger, &jsonl, scope)?)
    });
    match &res {
        Ok(_) => {
            if problem.exists() {
                let _ = std::fs::remove_file(&problem);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "issues.jsonl not updated");
            let _ = crate::fsutil::write_atomic(&problem, e.to_string().as_bytes());
        }
    }
    res
}

/// Temp files of rewrites whose process died (kill -9, a power cut) mid-way. Called under
/// the export lock: no other rewrite of the file is running, so any such file is stale.
fn sweep_stale_temps(jsonl: &std::path::Path) {
    let (Some(dir), Some(name)) = (jsonl.parent(), jsonl.file_name().and_then(|n| n.to_str()))
    else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        if n.starts_with(&prefix) && n.ends_with(".tmp") {
            tracing::info!(file = %n, "removing the temp file of an interrupted rewrite");
            let _ = std::fs::remove_file(e.path());
        }
    }
}

pub fn enabled(ctx: &Ctx) -> bool {
    ctx.setting("ledger.export_jsonl", None)
        .map(|r| r.as_bool())
        .unwrap_or(true)
}

/// The background follower (`gt bead flush --follow`): holds the follower lock while marks
/// remain, rewriting after each settle; returns how many rewrites it made when none is left
/// (at once when another follower holds the lock).
pub fn follow(ctx: &mut Ctx) -> Result<usize> {
    let lock = follower_lock(ctx);
    let mut rewrites = 0;
    loop {
        let Some(guard) = LockGuard::try_acquire(&lock)? else {
            return Ok(rewrites);
        };
        let mut last = Duration::ZERO;
        loop {
            std::thread::sleep(pause_after(last));
            if !ctx.reader().export_pending()? {
                break;
            }
            let t = Instant::now();
            // A file that cannot be written now (a foreign bead in it, a full disk) is said
            // by the next command; the marks stay for the next try.
            if flush_now(ctx).is_err() {
                return Ok(rewrites);
            }
            rewrites += 1;
            last = t.elapsed();
        }
        drop(guard);
        if !ctx.reader().export_pending()? {
            return Ok(rewrites);
        }
    }
}

/// The supervisor's follower duty: the follower for as long as `stopping` says no.
pub fn serve(ctx: &mut Ctx, stopping: &dyn Fn() -> bool) -> Result<()> {
    let lock = follower_lock(ctx);
    // A background follower may hold the lock for a moment: take over when it lets go.
    let guard = loop {
        if stopping() {
            return Ok(());
        }
        if let Some(g) = LockGuard::try_acquire(&lock)? {
            break g;
        }
        std::thread::sleep(SETTLE);
    };
    let mut next = Instant::now();
    while !stopping() {
        // One look per settle time: a burst marked since the last look has had that long to
        // settle, and an idle supervisor does not query the ledger twenty times a second.
        std::thread::sleep(SETTLE);
        if Instant::now() < next || !ctx.reader().export_pending()? {
            continue;
        }
        let t = Instant::now();
        let wrote = flush_now(ctx);
        // Failing, it tries again after a longer pause (the problem is on record meanwhile).
        let pause = if wrote.is_ok() {
            pause_after(t.elapsed())
        } else {
            Duration::from_secs(10)
        };
        next = Instant::now() + pause;
    }
    drop(guard);
    if ctx.reader().export_pending()? {
        flush_now(ctx)?;
    }
    Ok(())
}
