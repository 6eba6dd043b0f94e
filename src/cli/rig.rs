//! `gt rig …`.

use super::output::{Out, Tone};
use crate::Result;
use crate::work::Ctx;
use crate::work::brakes::RestKind;
use crate::work::town::rig::{self, AddRig};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: RigCmd) -> Result<()> {
    match cmd {
        RigCmd::Add {
            name,
            source,
            prefix,
            branch,
        } => add(out, ctx, name, source, prefix, branch),
        RigCmd::List => list(out, ctx),
        RigCmd::Show { name } => {
            let info = rig::show(ctx, &name)?;
            if out.json {
                return out.json_ser(&super::json::One::new("rig", &info));
            }
            let head = out.paint(Tone::Bold, &info.name);
            out.line(head)?;
            out.line(format!(
                "  prefix: {}   branch: {}   open beads: {}",
                info.prefix, info.default_branch, info.open_beads
            ))?;
            out.line(format!("  url: {}", info.url))?;
            out.line(format!("  path: {}", info.path.display()))?;
            out.line("")?;
            let rows: Vec<Vec<String>> = info
                .worktrees
                .iter()
                .map(|w| {
                    let dirty = if w.error.is_some() {
                        "unreadable".to_string()
                    } else if w.dirty_files == 0 {
                        "clean".to_string()
                    } else {
                        format!("{} dirty", w.dirty_files)
                    };
                    vec![
                        w.name.clone(),
                        w.branch.clone().unwrap_or_else(|| "-".into()),
                        dirty,
                    ]
                })
                .collect();
            out.table(&["WORKTREE", "BRANCH", "STATE"], &rows)
        }
        RigCmd::Remove { name, force } => remove(out, ctx, name, force),
        RigCmd::Park { name, message } => super::brakes::park(out, ctx, &name, message.as_deref()),
        RigCmd::Unpark { name } => super::brakes::wake(out, ctx, &name, RestKind::Parked),
        RigCmd::Dock {
            name,
            message,
            force,
        } => super::brakes::dock(out, ctx, &name, message.as_deref(), force),
        RigCmd::Undock { name } => super::brakes::wake(out, ctx, &name, RestKind::Docked),
        RigCmd::Status { name } => super::brakes::status(out, ctx, &name),
    }
}

/// `gt rig add`: add a project: bare clone, refinery worktree, rig.toml.
fn add(
    out: &mut Out,
    ctx: &mut Ctx,
    name: String,
    source: String,
    prefix: Option<String>,
    branch: Option<String>,
) -> Result<()> {
    let r = rig::add(
        ctx,
        AddRig {
            name,
            source,
            prefix,
            branch,
        },
    )?;
    if out.json {
        return out
                    .json(json!({ "rig": { "name": r.name, "prefix": r.prefix, "url": r.url, "default_branch": r.default_branch,
                        "path": ctx.town.paths.rig_dir(&r.name) } }));
    }
    out.line(format!(
        "Added rig {} (prefix {}, branch {}) from {}",
        r.name, r.prefix, r.default_branch, r.url
    ))?;
    if !out.batch {
        out.line(format!(
            "  refinery worktree: {}",
            ctx.town.paths.refinery_dir(&r.name).display()
        ))?;
        out.line(format!(
            "  file work with: gt bead create \"<title>\" --rig {}",
            r.name
        ))?;
    }
    Ok(())
}

/// `gt rig list`: list rigs.
fn list(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let (rigs, broken) = rig::list(ctx)?;
    for b in &broken {
        ctx.warnings
            .push(format!("warning: skipped a broken rig: {b}"));
    }
    if out.json {
        let items: Vec<_> = rigs
                    .iter()
                    .map(|r| json!({ "name": r.name, "prefix": r.prefix, "url": r.url, "default_branch": r.default_branch,
                        "path": ctx.town.paths.rig_dir(&r.name) }))
                    .collect();
        return out.json_ser(&super::json::Listing::new("rigs", &items));
    }
    if rigs.is_empty() && !out.batch {
        return out.line("No rigs yet. Add one with: gt rig add <name> <git-url-or-path>");
    }
    let rows: Vec<Vec<String>> = rigs
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.prefix.clone(),
                r.default_branch.clone(),
                r.url.clone(),
            ]
        })
        .collect();
    out.table(&["NAME", "PREFIX", "BRANCH", "URL"], &rows)
}

/// `gt rig remove`: remove a rig's directory (its beads stay in the ledger).
fn remove(out: &mut Out, ctx: &mut Ctx, name: String, force: bool) -> Result<()> {
    let r = rig::remove(ctx, &name, force)?;
    if out.json {
        return out.json_ser(&super::json::One::new("removed", &r));
    }
    out.line(format!("Removed rig {}", r.name))?;
    for d in &r.discarded {
        out.line(format!("  discarded (--force): {d}"))?;
    }
    if r.beads_kept > 0 {
        out.line(format!("  its {} bead(s) stay in the ledger", r.beads_kept))?;
    }
    Ok(())
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RigCmd {
    /// Add a project: bare clone, refinery worktree, rig.toml.
    Add {
        name: String,
        /// Git URL or local path of the repository.
        source: String,
        /// Bead id prefix (derived from the name when not given).
        #[arg(long)]
        prefix: Option<String>,
        /// Default branch (the repository's HEAD when not given).
        #[arg(long)]
        branch: Option<String>,
    },
    /// List rigs.
    List,
    /// Show a rig with its worktrees.
    Show { name: String },
    /// Remove a rig's directory (its beads stay in the ledger).
    Remove {
        name: String,
        /// Remove even if uncommitted or unpushed work would be lost.
        #[arg(long)]
        force: bool,
    },
    /// No new work on the rig (slings refused, queued beads wait); running agents finish
    /// and their work lands.
    #[command(after_help = "Example: gt rig park shop -m \"release freeze\"")]
    Park {
        name: String,
        /// Why (shown by `gt rig status`).
        #[arg(short, long)]
        message: Option<String>,
    },
    /// Let new work onto a parked rig again.
    #[command(after_help = "Example: gt rig unpark shop")]
    Unpark { name: String },
    /// Stop every session of the rig (hooks, worktrees and branches kept); nothing is slung
    /// or merged until it is undocked.
    #[command(after_help = "Example: gt rig dock shop -m \"CI is down\"")]
    Dock {
        name: String,
        #[arg(short, long)]
        message: Option<String>,
        /// Stop windows a person is attached to as well.
        #[arg(long)]
        force: bool,
    },
    /// Undock: start again the sessions docking stopped, each with its hook.
    #[command(after_help = "Example: gt rig undock shop")]
    Undock { name: String },
    /// Whether the rig is active, parked, docked or frozen, and what it has running,
    /// queued and in the merge queue.
    #[command(after_help = "Example: gt rig status shop --json")]
    Status { name: String },
}
