//! `gt crew …`.

use super::output::Out;
use crate::work::{Ctx, agents::crew, agents::live, agents::polecat_remove};
use crate::{Error, Result};

pub fn crew_cmd(out: &mut Out, ctx: &mut Ctx, cmd: CrewCmd) -> Result<()> {
    match cmd {
        CrewCmd::Add {
            name,
            rig,
            agent,
            no_start,
        } => {
            let a = crew::add(ctx, &rig, &name, agent.as_deref(), !no_start)?;
            if out.json {
                return out.json_ser(&super::json::One::new("crew", &a));
            }
            out.line(format!(
                "Added {} (branch {}, worktree {})",
                a.address,
                a.branch,
                a.worktree.display()
            ))?;
            if let Some(l) = &a.launched {
                out.line(format!(
                    "  running in window {}; `gt crew at {}` to join it",
                    l.window, a.address
                ))?;
            }
            Ok(())
        }
        CrewCmd::List { rig } => {
            let list = crew::list(ctx, rig.as_deref())?;
            super::polecat::worker_list(
                out,
                "crew",
                &list,
                "No crew. Add one with: gt crew add <name> --rig <rig>",
                "CREW",
            )
        }
        CrewCmd::Start { agent } => {
            let l = crew::start(ctx, &agent, None)?;
            if out.json {
                return out.json_ser(&super::json::One::new("crew", &l));
            }
            let how = if l.already {
                "already running"
            } else {
                "started"
            };
            out.line(format!("{} {how} in window {}", l.agent, l.window))
        }
        CrewCmd::Stop { agent, force } => {
            let stopped = crew::stop(ctx, &agent, force)?;
            if out.json {
                return out.json_ser(&super::json::One::new("stopped", &stopped));
            }
            out.line(if stopped {
                format!("Stopped {agent}")
            } else {
                format!("{agent} was not running")
            })
        }
        CrewCmd::At { agent } => {
            if out.batch {
                return Err(Error::invalid(
                    "attaching needs a terminal; it cannot run in --batch mode",
                ));
            }
            live::attach(ctx, &agent)
        }
        CrewCmd::Remove { agent, force } => {
            let r: polecat_remove::RemoveReport = crew::remove(ctx, &agent, force)?;
            if out.json {
                return out.json_ser(&super::json::One::new("removed", &r));
            }
            super::polecat::print_removed(out, &r)
        }
    }
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum CrewCmd {
    /// Add a crew member: worktree <rig>/crew/<name> on branch crew/<name>, and its window.
    Add {
        name: String,
        #[arg(long)]
        rig: String,
        #[arg(long)]
        agent: Option<String>,
        /// Create the workspace without starting a session.
        #[arg(long)]
        no_start: bool,
    },
    /// Crew members (of one rig with --rig) with their state and branch.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// Start a crew member's session in its workspace (a no-op when it is running).
    Start { agent: String },
    /// Stop a crew member's session; its workspace and branch stay.
    Stop {
        agent: String,
        /// Stop it even when someone is attached to its window.
        #[arg(long)]
        force: bool,
    },
    /// Attach to a crew member's window.
    At { agent: String },
    /// Remove a crew member; refuses to lose unmerged or uncommitted work without --force.
    Remove {
        agent: String,
        #[arg(long)]
        force: bool,
    },
}
