//! `gt escalate …`.

use super::output::{Out, Tone};
use crate::work::Ctx;
use crate::work::mail::escalation::{self, EscalationView};
use crate::{Error, Result};

pub(super) fn print_escalations(out: &mut Out, list: &[EscalationView]) -> Result<()> {
    out.list(
        "escalations",
        list,
        "No open escalations.",
        &["ID", "SEVERITY", "STATUS", "ACKED BY", "FROM", "TITLE"],
        |out, e| {
            let sev = match e.severity.as_str() {
                "critical" | "high" => out.paint(Tone::Bad, &e.severity),
                s => s.to_string(),
            };
            vec![
                e.id.clone(),
                sev,
                e.status.clone(),
                e.acked_by.clone().unwrap_or_else(|| "-".into()),
                e.from.clone(),
                e.title.clone(),
            ]
        },
    )
}

pub fn escalate_cmd(out: &mut Out, ctx: &mut Ctx, a: EscalateArgs) -> Result<()> {
    match a.cmd {
        Some(EscalateCmd::List { unacked, all }) => {
            let list = escalation::list(ctx, unacked, all)?;
            print_escalations(out, &list)
        }
        Some(EscalateCmd::Ack { id }) => {
            let e = escalation::ack(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::One::new("escalation", &e));
            }
            out.line(format!("Acknowledged {} ({})", e.id, e.title))
        }
        Some(EscalateCmd::Close { id, reason }) => {
            let e = escalation::close(ctx, &id, reason.as_deref())?;
            if out.json {
                return out.json_ser(&super::json::One::new("escalation", &e));
            }
            out.line(format!("Closed {}", e.id))
        }
        Some(EscalateCmd::Sweep) => {
            let raised = escalation::sweep(ctx)?;
            if out.json {
                return out.json_ser(&super::json::One::new("raised", &raised));
            }
            out.line(format!("Raised {} escalation(s)", raised.len()))
        }
        None => {
            let (Some(sev), Some(text)) = (a.severity, a.text) else {
                return Err(Error::invalid(
                    "usage: gt escalate -s critical|high|medium|low \"<text>\" [--bead <id>]",
                ));
            };
            let e = escalation::escalate(ctx, &sev, &text, a.bead.as_deref())?;
            if out.json {
                return out.json_ser(&super::json::One::new("escalation", &e));
            }
            out.line(format!("Escalated {} ({}): {}", e.id, e.severity, e.title))?;
            for r in &e.routed {
                out.line(format!("  {r}"))?;
            }
            Ok(())
        }
    }
}

// ---- command-line grammar of these commands (clap) ----

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EscalateArgs {
    #[command(subcommand)]
    pub cmd: Option<EscalateCmd>,
    /// critical, high, medium or low.
    #[arg(short, long)]
    pub severity: Option<String>,
    /// What is blocked, and what is needed.
    pub text: Option<String>,
    /// The bead this is about.
    #[arg(long)]
    pub bead: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EscalateCmd {
    /// Open escalations (raising overdue ones first).
    List {
        #[arg(long)]
        unacked: bool,
        /// Closed ones too.
        #[arg(long)]
        all: bool,
    },
    /// Acknowledge an escalation (it stops rising; it stays open).
    Ack { id: String },
    /// Close an escalation: the blocker is gone.
    Close {
        id: String,
        #[arg(short, long)]
        reason: Option<String>,
    },
    /// Raise overdue, unacknowledged escalations one level (the deacon does this on a cadence).
    Sweep,
}
