//! `gt polecat`: the rig's workers.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::agents::polecat_stale;
use crate::work::town::polecat_gc;
use crate::work::{Ctx, agents, agents::polecat};
use clap::Subcommand;
use std::time::Duration;

pub fn polecat_cmd(out: &mut Out, ctx: &mut Ctx, cmd: PolecatCmd) -> Result<()> {
    match cmd {
        PolecatCmd::List { rig } => list(out, ctx, rig),
        PolecatCmd::Show { agent } => {
            let p = polecat::show(ctx, &agent)?;
            if out.json {
                return out.json_ser(&super::json::One::new("polecat", &p));
            }
            out.line(format!(
                "{}  ({}, runtime {})",
                p.agent.address,
                p.agent.state,
                or_dash(p.agent.runtime.as_deref())
            ))?;
            out.line(format!("  hook: {}", or_dash(p.agent.hook.as_deref())))?;
            out.line(format!("  branch: {}", or_dash(p.agent.branch.as_deref())))?;
            out.line(format!(
                "  worktree: {}",
                p.agent
                    .worktree
                    .as_ref()
                    .map(|w| w.display().to_string())
                    .unwrap_or_else(|| "-".into())
            ))?;
            out.line(format!(
                "  uncommitted files: {}   commits not merged: {}",
                p.dirty_files
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
                p.commits_ahead
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into())
            ))
        }
        PolecatCmd::Remove { agent, force } => {
            let r = agents::polecat_remove::remove(ctx, &agent, force)?;
            if out.json {
                return out.json_ser(&super::json::One::new("removed", &r));
            }
            print_removed(out, &r)
        }
        PolecatCmd::Stale { rig, behind, idle } => stale(out, ctx, rig, behind, idle),
        PolecatCmd::Gc { rig, all, dry_run } => {
            gc(out, ctx, &polecat_gc::GcOptions { rig, all, dry_run })
        }
    }
}

/// `gt polecat stale`: each stale polecat with why.
fn stale(
    out: &mut Out,
    ctx: &mut Ctx,
    rig: Option<String>,
    behind: usize,
    idle: Duration,
) -> Result<()> {
    let list = polecat_stale::stale(ctx, rig.as_deref(), behind, idle)?;
    let count = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    out.list(
        "stale",
        &list,
        "No stale polecats.",
        &["POLECAT", "STATE", "SESSION", "BEHIND", "IDLE", "WHY"],
        |_, p| {
            vec![
                p.agent.clone(),
                p.state.to_string(),
                p.session.to_string(),
                count(p.behind),
                p.idle_secs
                    .map(crate::time::human_duration)
                    .unwrap_or_else(|| "?".into()),
                p.reasons.join("; "),
            ]
        },
    )
}

/// `gt polecat gc`: one line per polecat removed (or that would be) and per polecat kept.
fn gc(out: &mut Out, ctx: &mut Ctx, opts: &polecat_gc::GcOptions) -> Result<()> {
    let r = polecat_gc::gc(ctx, opts)?;
    if out.json {
        return out.json_ser(&r);
    }
    let verb = if r.dry_run { "Would remove" } else { "Removed" };
    for c in &r.removed {
        let mut also = Vec::new();
        if c.window_closed {
            also.push("its window closed".to_string());
        }
        if let Some(b) = &c.branch_removed {
            also.push(format!("branch {b} deleted"));
        }
        let also = if also.is_empty() {
            String::new()
        } else {
            format!("; {}", also.join(", "))
        };
        out.line(format!("{verb} {}: {}{also}", c.agent, c.why))?;
    }
    for k in &r.kept {
        out.line(format!("Kept {}: {}", k.agent, k.reasons.join("; ")))?;
    }
    let (removed, would) = if r.dry_run {
        ("would be removed", " (dry run: nothing changed)")
    } else {
        ("removed", "")
    };
    out.line(format!(
        "{} {removed}, {} kept{would}",
        r.removed.len(),
        r.kept.len()
    ))
}

/// `gt polecat list`: polecats with their state, hook, branch and unsaved work.
fn list(out: &mut Out, ctx: &mut Ctx, rig: Option<String>) -> Result<()> {
    let list = polecat::list(ctx, rig.as_deref())?;
    worker_list(out, "polecats", &list, "No polecats.", "POLECAT")
}

/// Workers (polecats or crew) with their hook and what their worktree holds.
pub(super) fn worker_list(
    out: &mut Out,
    name: &'static str,
    list: &[crate::work::agents::polecat::PolecatView],
    empty: &str,
    heading: &str,
) -> Result<()> {
    let count = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    out.list(
        name,
        list,
        empty,
        &[heading, "STATE", "HOOK", "BRANCH", "DIRTY", "AHEAD"],
        |_, p| {
            vec![
                p.agent.address.clone(),
                p.agent.state.to_string(),
                or_dash(p.agent.hook.as_deref()),
                or_dash(p.agent.branch.as_deref()),
                count(p.dirty_files),
                count(p.commits_ahead),
            ]
        },
    )
}

/// What removing a worker did, and what it kept.
pub(super) fn print_removed(
    out: &mut Out,
    r: &crate::work::agents::polecat_remove::RemoveReport,
) -> Result<()> {
    out.line(format!("Removed {}", r.address))?;
    for d in &r.discarded {
        out.line(format!("  discarded (--force): {d}"))?;
    }
    if let Some(b) = &r.branch_kept {
        out.line(format!("  kept branch {b}: its commits are not merged"))?;
    }
    Ok(())
}

// ---- command-line grammar (clap) ----

#[derive(Debug, Subcommand)]
pub enum PolecatCmd {
    /// Polecats with their state, hook, branch and unsaved work.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// One polecat in detail.
    Show { agent: String },
    /// Remove a polecat (its window, worktree and record); refuses to lose work without --force.
    Remove {
        agent: String,
        #[arg(long)]
        force: bool,
    },
    /// Polecats left behind: a branch far behind the rig's default branch, or no sign of
    /// life (screen output, gt call, commit, hook change) for long. Each with why.
    #[command(after_help = "Example:\n  gt polecat stale --rig shop --behind 20 --idle 12h")]
    Stale {
        #[arg(long)]
        rig: Option<String>,
        /// Stale at this many commits behind the default branch.
        #[arg(long, default_value_t = polecat_stale::DEFAULT_BEHIND, value_parser = positive)]
        behind: usize,
        /// Stale after this long without a sign of life (90s, 30m, 12h, 2d).
        #[arg(long, default_value = "24h", value_parser = crate::time::parse_span)]
        idle: Duration,
    },
    /// Remove the finished polecats — idle, nothing on the hook, every commit on the
    /// default branch (or landed through the merge queue), a clean worktree, no session
    /// running — and keep the rest, saying why. Nothing is forced: no work is lost.
    #[command(
        after_help = "Without --rig every rig is collected. By default a polecat whose session is still open \
(idle at its prompt) is kept; --all removes those too, closing the idle session. A working, \
blocked or attached session is always kept.\n\nExample:\n  gt polecat gc --rig shop --dry-run"
    )]
    Gc {
        /// Only this rig (default: every rig).
        #[arg(long)]
        rig: Option<String>,
        /// Also polecats whose session is open and idle at its prompt (the session is closed).
        #[arg(long)]
        all: bool,
        /// Say what would be removed and kept; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A count of at least 1.
fn positive(s: &str) -> std::result::Result<usize, String> {
    match super::args::count(s)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}
