//! The refinery's merge queue for one rig: merge requests (priority, then age) are built onto
//! the default branch in the refinery worktree, checked by the rig's gate commands, and landed
//! with a compare-and-swap of the branch ref. A red gate or a conflict sends the work back to
//! its bead with the reason; nothing is deleted.
//!
//! One refinery per rig at a time (a file lock). A merge request found `in_progress` when the
//! lock is taken was being worked by a refinery that died: it is simply built again.

use super::Ctx;
use super::beads::{CloseOutcome, close_in};
use super::done::PENDING_MERGE;
use crate::fsutil::LockGuard;
use crate::ledger::{Bead, ListFilter};
use crate::town::RigConfig;
use crate::{Error, Result, git};
use serde::Serialize;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use super::attention::MERGE_FAILED;

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: i64,
    pub branch: String,
    pub commit: Option<String>,
    pub source_bead: Option<String>,
    pub worker: Option<String>,
    pub failed: bool,
    pub created_at: String,
}

fn item(b: &Bead, labels: &[String]) -> QueueItem {
    let meta: serde_json::Value = b
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let s = |k: &str| meta[k].as_str().map(str::to_string);
    QueueItem {
        id: b.id.clone(),
        title: b.title.clone(),
        status: b.status.clone(),
        priority: b.priority,
        branch: s("branch").unwrap_or_default(),
        commit: s("commit"),
        source_bead: s("source_bead"),
        worker: s("worker"),
        failed: labels.iter().any(|l| l == MERGE_FAILED),
        created_at: b.created_at.clone(),
    }
}

/// Unfinished merge requests of a rig: interrupted ones first, then priority, then age.
pub fn queue(ctx: &Ctx, rig: &RigConfig) -> Result<Vec<QueueItem>> {
    let r = ctx.reader();
    let list = r.list(&ListFilter {
        types: vec!["merge-request".into()],
        statuses: vec!["open".into(), "in_progress".into()],
        prefix: Some(rig.prefix.clone()),
        all: true,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for s in list {
        if let Some(b) = r.bead(&s.id)? {
            out.push(item(&b, &r.labels(&b.id)?));
        }
    }
    out.sort_by(|a, b| {
        (a.status != "in_progress", a.priority, &a.created_at).cmp(&(
            b.status != "in_progress",
            b.priority,
            &b.created_at,
        ))
    });
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Merged {
        mr: String,
        commit: String,
        source_bead: Option<String>,
        landed: Vec<String>,
    },
    GateFailed {
        mr: String,
        gate: String,
        tail: String,
    },
    Conflict {
        mr: String,
        files: Vec<String>,
    },
}

/// Works the next merge request of `rig`; None when the queue is empty.
pub fn process_next(ctx: &mut Ctx, rig: &RigConfig) -> Result<Option<Outcome>> {
    let lock = ctx
        .town
        .paths
        .locks_dir()
        .join(format!("refinery-{}.lock", rig.name));
    let _only_one = LockGuard::acquire(&lock)?;
    let Some(next) = queue(ctx, rig)?.into_iter().find(|i| !i.failed) else {
        return Ok(None);
    };
    claim(ctx, &next.id)?;
    let wt = ctx.town.paths.refinery_dir(&rig.name);
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let strategy = match ctx.setting("merge.strategy", Some(rig))?.as_str().as_str() {
        "merge" => git::Strategy::Merge,
        _ => git::Strategy::Rebase,
    };
    let tip = next
        .commit
        .clone()
        .unwrap_or_else(|| format!("refs/heads/{}", next.branch));
    let prepared = git::prepare(&wt, &tip, &rig.default_branch, strategy)?;
    let (head, base) = match prepared {
        git::Prepared::Conflict { files } => {
            let why = format!(
                "{} does not apply cleanly onto {}: conflicts in {}",
                next.branch,
                rig.default_branch,
                files.join(", ")
            );
            send_back(ctx, &next, &why)?;
            return Ok(Some(Outcome::Conflict { mr: next.id, files }));
        }
        git::Prepared::Ready { head, base } => (head, base),
    };
    for gate in gates(rig)? {
        let (ok, tail) = run_gate(&wt, &gate, gate_timeout(rig))?;
        if !ok {
            let why = format!("gate `{gate}` failed:\n{tail}");
            send_back(ctx, &next, &why)?;
            return Ok(Some(Outcome::GateFailed {
                mr: next.id,
                gate,
                tail,
            }));
        }
    }
    git::advance(&repo, &rig.default_branch, &head, &base)?;
    let landed = ctx.write(|tx| {
        let mut out = CloseOutcome::default();
        let why = format!("merged onto {} as {}", rig.default_branch, short(&head));
        close_in(tx, &next.id, Some(&why), &mut out)?;
        if let Some(src) = &next.source_bead
            && tx.reader().bead(src)?.is_some()
        {
            tx.remove_label(src, PENDING_MERGE)?;
            close_in(tx, src, Some(&why), &mut out)?;
        }
        tx.record_event(
            Some(&next.id),
            "merged",
            None,
            Some(serde_json::json!({"commit": head, "branch": next.branch, "source_bead": next.source_bead})),
            None,
        )?;
        Ok(out.landed)
    })?;
    Ok(Some(Outcome::Merged {
        mr: next.id,
        commit: head,
        source_bead: next.source_bead,
        landed,
    }))
}

/// The first 10 characters of a commit id, as shown to people.
pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

/// Marks the merge request as being worked (a second refinery would be stopped by the lock;
/// this tells people and a restarted refinery where it was).
fn claim(ctx: &mut Ctx, id: &str) -> Result<()> {
    ctx.write(|tx| {
        let old = tx.reader().require(id)?;
        if old.status == "in_progress" {
            return Ok(());
        }
        let mut new = old.clone();
        new.status = "in_progress".into();
        tx.update_bead(&old, new, "merge_started")?;
        Ok(())
    })
}

/// A red gate or a conflict: the merge request is marked failed (it stays, for `gt mq retry`
/// or `reject`), the source bead goes back to open work with the reason, and the worker is
/// told by mail.
fn send_back(ctx: &mut Ctx, mr: &QueueItem, why: &str) -> Result<()> {
    ctx.write(|tx| {
        let old = tx.reader().require(&mr.id)?;
        let mut new = old.clone();
        new.status = "open".into();
        tx.update_bead(&old, new, "merge_failed")?;
        tx.add_label(&mr.id, MERGE_FAILED)?;
        tx.add_comment(&mr.id, why)?;
        if let Some(src) = &mr.source_bead
            && let Some(old) = tx.reader().bead(src)?
            && !old.is_closed()
        {
            let mut new = old.clone();
            new.status = "open".into();
            new.assignee = None;
            tx.update_bead(&old, new, "merge_failed")?;
            tx.remove_label(src, PENDING_MERGE)?;
            tx.add_comment(
                src,
                &format!(
                    "merge request {} failed; the work is back to do: {why}",
                    mr.id
                ),
            )?;
        }
        Ok(())
    })?;
    if let Some(worker) = &mr.worker {
        let req = super::mail::SendRequest {
            to: vec![worker.clone()],
            cc: Vec::new(),
            subject: format!(
                "Merge failed: {}",
                mr.source_bead.as_deref().unwrap_or(&mr.branch)
            ),
            body: format!(
                "The refinery could not land {} ({}).\n\n{why}\n\nYour branch is untouched. Fix it, commit, and run `gt done` again once the bead is on your hook.",
                mr.branch, mr.id
            ),
            priority: None,
            reply_to: None,
        };
        if let Err(e) = super::mail::send(ctx, "refinery", &req) {
            tracing::warn!(error = %e, "could not mail the worker about a failed merge");
            ctx.warnings
                .push(format!("warning: {worker} could not be told by mail: {e}"));
        }
    }
    Ok(())
}

/// `gates = ["cargo test", …]` from rig.toml.
fn gates(rig: &RigConfig) -> Result<Vec<String>> {
    match rig.raw.get("gates") {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    Error::invalid(format!(
                        "rig {}: `gates` must be a list of command strings",
                        rig.name
                    ))
                })
            })
            .collect(),
        Some(_) => Err(Error::invalid(format!(
            "rig {}: `gates` must be a list of command strings",
            rig.name
        ))),
    }
}

fn gate_timeout(rig: &RigConfig) -> Duration {
    let secs = rig
        .raw
        .get("gate_timeout_secs")
        .and_then(|v| v.as_integer())
        .filter(|n| *n > 0)
        .unwrap_or(600);
    Duration::from_secs(secs as u64)
}

/// Runs one gate with `sh -c` in the worktree; (passed, the last lines of its output).
fn run_gate(wt: &Path, gate: &str, timeout: Duration) -> Result<(bool, String)> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{gate} 2>&1"))
        .current_dir(wt)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(format!("run gate `{gate}`"), e))?;
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Error::io(format!("wait for gate `{gate}`"), e)),
        }
    };
    let out = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    let mut lines: Vec<&str> = out.lines().rev().take(20).collect();
    lines.reverse();
    let mut tail = lines.join("\n");
    match status {
        Some(st) if st.success() => Ok((true, tail)),
        Some(st) => {
            tail.push_str(&format!("\n(exit {})", st.code().unwrap_or(-1)));
            Ok((false, tail))
        }
        None => {
            tail.push_str(&format!("\n(timed out after {} s)", timeout.as_secs()));
            Ok((false, tail))
        }
    }
}

/// `gt mq retry`: a failed merge request goes back in the queue.
pub fn retry(ctx: &mut Ctx, id: &str) -> Result<()> {
    let mr = require_mr(ctx, id)?;
    ctx.write(|tx| {
        tx.remove_label(&mr.id, MERGE_FAILED)?;
        tx.record_event(Some(&mr.id), "merge_retry", None, None, None)?;
        Ok(())
    })
}

/// `gt mq reject`: closes a merge request without landing it; its branch stays.
pub fn reject(ctx: &mut Ctx, id: &str, reason: Option<&str>) -> Result<()> {
    let mr = require_mr(ctx, id)?;
    let why = format!("rejected: {}", reason.unwrap_or("no reason given"));
    ctx.write(|tx| {
        let mut out = CloseOutcome::default();
        close_in(tx, &mr.id, Some(&why), &mut out)?;
        if let Some(src) = item(&mr, &[]).source_bead
            && tx.reader().bead(&src)?.is_some()
        {
            tx.remove_label(&src, PENDING_MERGE)?;
        }
        Ok(())
    })
}

fn require_mr(ctx: &Ctx, id: &str) -> Result<Bead> {
    let b = super::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "merge-request" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a merge request",
            b.issue_type
        )));
    }
    if b.is_closed() {
        return Err(Error::invalid(format!("{id} is closed already")));
    }
    Ok(b)
}

/// One item of the queue with its failure comments, for `gt mq show`.
pub fn show(ctx: &Ctx, id: &str) -> Result<(QueueItem, Vec<String>)> {
    let b = super::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "merge-request" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not a merge request",
            b.issue_type
        )));
    }
    let r = ctx.reader();
    let comments = r.comments(id)?.into_iter().map(|c| c.text).collect();
    Ok((item(&b, &r.labels(id)?), comments))
}
