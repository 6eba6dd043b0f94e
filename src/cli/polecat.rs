//! `gt polecat`: the rig's workers.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::{Ctx, agents, agents::polecat};
use clap::Subcommand;

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
    }
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
}
