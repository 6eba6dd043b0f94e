//! `gt mq integration create|status|land <epic>`.

use super::json::One;
use super::output::Out;
use crate::Result;
use crate::work::Ctx;
use crate::work::refinery::integration::{self, IntegrationStatus};
use clap::Subcommand;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: IntegrationCmd) -> Result<()> {
    match cmd {
        IntegrationCmd::Create { epic } => {
            let i = integration::create(ctx, &epic)?;
            if out.json {
                return out.json_ser(&One::new("integration", &i));
            }
            out.line(format!(
                "Made {} from {} in rig {}: the work under {} now branches from it and lands on it",
                i.branch, i.base, i.rig, i.epic
            ))?;
            out.line(format!(
                "  when it is all in: gt mq integration land {}",
                i.epic
            ))
        }
        IntegrationCmd::Status { epic } => {
            let st = integration::status(ctx, &epic)?;
            show(out, &st)
        }
        IntegrationCmd::Land { epic } => {
            let st = integration::land(ctx, &epic)?;
            if out.json {
                return out.json_ser(&One::new("integration", &st));
            }
            out.line(format!(
                "Landed {} onto {} as one merge ({})",
                st.integration.branch,
                st.integration.base,
                st.integration.landed.as_deref().unwrap_or("?")
            ))
        }
    }
}

fn show(out: &mut Out, st: &IntegrationStatus) -> Result<()> {
    if out.json {
        return out.json_ser(&One::new("integration", st));
    }
    let i = &st.integration;
    let state = match &i.landed {
        Some(c) => format!("landed as {c}"),
        None if st.open.is_empty() && st.merge_requests.is_empty() => "ready to land".into(),
        None => "in progress".into(),
    };
    out.line(format!("{} ({}): {state}", i.branch, i.epic))?;
    out.line(format!(
        "  {} of {} beads closed · {} commit(s) ahead of {} · {} merge request(s) headed for it",
        st.done,
        st.total,
        st.ahead,
        i.base,
        st.merge_requests.len()
    ))?;
    if !st.open.is_empty() {
        out.line(format!("  open: {}", st.open.join(", ")))?;
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCmd {
    /// Make `integration/<epic>` from the rig's default branch; the epic's beads branch from
    /// it and land on it from now on.
    #[command(after_help = "Example: gt mq integration create sh-40")]
    Create { epic: String },
    /// The branch, how many of the epic's beads are done, what is still in the queue.
    #[command(after_help = "Example: gt mq integration status sh-40")]
    Status { epic: String },
    /// Bring the branch onto the default branch as one merge (built and gated first), once
    /// every bead of the epic is closed.
    #[command(after_help = "Example: gt mq integration land sh-40")]
    Land { epic: String },
}
