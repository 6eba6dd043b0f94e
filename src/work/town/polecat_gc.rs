//! `gt polecat gc`: removes the polecats that are finished — idle, nothing on the hook, no
//! commit the default branch lacks (or all of them landed through the merge queue), a clean
//! worktree, no session at work — and keeps every other one, saying why. The same removal as
//! `gt polecat remove`, never forced: a kept branch, an open window a person is attached to
//! and unsaved files are never lost.

use crate::agent::Role;
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::agents::live::{self, AgentView, SessionState};
use crate::work::agents::{AgentState, departed, polecat, polecat_remove, runtime_events};
use crate::{Error, Result, git};

/// What `gt polecat gc` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct GcOptions {
    /// One rig; None: every rig.
    pub rig: Option<String>,
    /// Also polecats whose session is still open, idle at its prompt (closed with them).
    /// Without it only polecats with no running session (stopped, exited) are removed.
    pub all: bool,
    /// Say what would be removed; change nothing.
    pub dry_run: bool,
}

/// A polecat removed (or, in a dry run, that would be).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Collected {
    pub agent: String,
    /// Why nothing is lost.
    pub why: String,
    /// Its open (idle) session was closed with it.
    pub window_closed: bool,
    /// Its branch, deleted with it (its work is on the default branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_removed: Option<String>,
}

/// A polecat kept, and every reason.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Kept {
    pub agent: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct GcReport {
    pub dry_run: bool,
    pub all: bool,
    pub removed: Vec<Collected>,
    pub kept: Vec<Kept>,
}

/// Removes the finished polecats of one rig or every rig; keeps the rest with the reasons.
pub fn gc(ctx: &mut Ctx, opts: &GcOptions) -> Result<GcReport> {
    let rigs = match &opts.rig {
        Some(r) => vec![ctx.town.rig(r)?],
        None => ctx.town.rigs()?,
    };
    let mut report = GcReport {
        dry_run: opts.dry_run,
        all: opts.all,
        removed: Vec::new(),
        kept: Vec::new(),
    };
    for rig in rigs {
        // Under the rig lock, so no sling picks a polecat as it goes (a dry run writes
        // nothing, not even the lock file).
        let _lock = if opts.dry_run {
            None
        } else {
            Some(crate::fsutil::LockGuard::acquire(
                &ctx.town.paths.rig_lock(&rig.name),
            )?)
        };
        let views: Vec<AgentView> = live::agents(ctx, Some(&rig.name))?
            .into_iter()
            .filter(|v| v.info.role == Role::Polecat)
            .collect();
        for v in views {
            let agent = v.info.address.clone();
            let ok = match assess(ctx, &rig, &v, opts.all)? {
                Err(reasons) => {
                    report.kept.push(Kept { agent, reasons });
                    continue;
                }
                Ok(ok) => ok,
            };
            let window_open = !v.session.is_gone();
            if opts.dry_run {
                report.removed.push(Collected {
                    agent,
                    why: ok.why,
                    window_closed: window_open,
                    branch_removed: ok.branch,
                });
                continue;
            }
            let pv = polecat::view(ctx, v.info.clone())?;
            match polecat_remove::take_down(
                ctx,
                &rig,
                &pv,
                Role::Polecat,
                false,
                Vec::new(),
                ok.landed_tip.as_deref(),
            ) {
                Ok(r) => report.removed.push(Collected {
                    agent,
                    why: ok.why,
                    window_closed: r.window_killed,
                    branch_removed: r.branch_removed,
                }),
                // Someone attached to its window since it was looked at.
                Err(Error::Invalid(m)) => report.kept.push(Kept {
                    agent,
                    reasons: vec![m],
                }),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(report)
}

/// A polecat that can go without losing anything.
struct Removable {
    why: String,
    /// The landed merge request's tip its branch is at, when that is what makes it safe.
    landed_tip: Option<String>,
    /// Its branch, which goes with it.
    branch: Option<String>,
}

/// Whether the polecat can go without losing anything, or Err(every reason to keep it).
fn assess(
    ctx: &Ctx,
    rig: &RigConfig,
    v: &AgentView,
    all: bool,
) -> Result<std::result::Result<Removable, Vec<String>>> {
    let a = &v.info;
    let mut keep = Vec::new();
    if let Some(h) = &a.hook {
        keep.push(format!("{h} is on its hook"));
    } else if a.state != AgentState::Idle {
        keep.push(format!("its record says {}", a.state));
    }
    if v.human_attached {
        keep.push("someone is attached to its window".to_string());
    }
    match v.session {
        SessionState::NoSession | SessionState::Exited => {}
        SessionState::Idle if all => {}
        SessionState::Idle => keep
            .push("its session is still open, idle at its prompt (--all closes those too)".into()),
        SessionState::Working => keep.push("its session is working".into()),
        SessionState::Blocked => keep.push("its session waits on a dialog or shell".into()),
        SessionState::Starting => keep.push("its session is starting".into()),
        SessionState::Running => {
            keep.push("its session is running (gt cannot read whether it is idle)".into())
        }
    }
    if !v.session.is_gone() && runtime_events::mid_turn(ctx, &a.bead_id)? {
        keep.push("its runtime is still finishing a turn".into());
    }
    if let Some(w) = departed::told_after_finishing(&ctx.reader(), a)? {
        keep.push(w);
    }
    let mut checked_out = None;
    if let Some(wt) = a.worktree.as_ref() {
        match crate::work::agents::worktree_state(ctx, a) {
            Err(e) => keep.push(format!("cannot read its worktree {}: {e}", wt.display())),
            Ok(None) => {}
            Ok(Some(s)) => {
                if s.dirty_files > 0 {
                    keep.push(format!(
                        "{} uncommitted or untracked file(s) in {}",
                        s.dirty_files,
                        wt.display()
                    ));
                }
                checked_out = s.branch;
            }
        }
    }
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let mut why = "it has no branch".to_string();
    let mut landed_tip = None;
    let mut branch = None;
    if let Some(b) = &a.branch {
        if let Some(c) = checked_out.as_ref().filter(|c| *c != b) {
            keep.push(format!("its worktree is on {c}, not its branch {b}"));
        }
        if git::has_branch(&repo, b).unwrap_or(true) {
            match git::commits_ahead(&repo, b, &rig.default_branch) {
                Ok(0) => {
                    why = format!("every commit on {b} is on {}", rig.default_branch);
                    branch = Some(b.clone());
                }
                Ok(n) => {
                    let tip = git::branch_tip(&repo, b).ok();
                    let landed = crate::work::refinery::landed_tips(ctx, rig, b)?
                        .into_iter()
                        .find(|(_, c)| Some(c) == tip.as_ref());
                    match landed {
                        Some((mr, c)) => {
                            why = format!("its work on {b} landed ({mr})");
                            landed_tip = Some(c);
                            branch = Some(b.clone());
                        }
                        None => keep.push(format!(
                            "{n} commit(s) on {b} not merged into {}",
                            rig.default_branch
                        )),
                    }
                }
                Err(e) => keep.push(format!("could not tell whether {b} is merged: {e}")),
            }
        } else {
            why = format!("its branch {b} is gone");
        }
    }
    if keep.is_empty() {
        Ok(Ok(Removable {
            why,
            landed_tip,
            branch,
        }))
    } else {
        Ok(Err(keep))
    }
}
