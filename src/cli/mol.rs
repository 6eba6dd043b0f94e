//! `gt mol …`: molecules in the ledger.

use super::output::{Out, Tone};
use crate::Result;
use crate::work::molecule::{self, MolView, StepState};
use crate::work::{Ctx, formulas, molecule::steps};

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: MolCmd) -> Result<()> {
    match cmd {
        MolCmd::Pour {
            formula,
            vars,
            rig,
            for_bead,
        } => pour(out, ctx, formula, vars, rig, for_bead),
        MolCmd::Status { id } => {
            let m = molecule::find(ctx, id.as_deref())?;
            status(out, &m)
        }
        MolCmd::Step(MolStepCmd::Done { step, mol, force }) => {
            let d = steps::step_done(ctx, &step, mol.as_deref(), force)?;
            if out.json {
                return out.json_ser(&super::json::One::new("step_done", &d));
            }
            if out.batch {
                return out.line(format!("{}\t{}", d.bead, d.now_ready.join(",")));
            }
            if d.already {
                out.line(format!("Step {} ({}) was already done", d.step, d.bead))?;
            } else {
                out.line(format!("Step {} ({}) done", d.step, d.bead))?;
            }
            if d.complete {
                let tail = if d.root_closed {
                    format!("molecule {} is closed", d.molecule)
                } else {
                    "commit, then run `gt done`".to_string()
                };
                out.line(format!("Every step of {} is done: {tail}", d.molecule))
            } else if d.now_ready.is_empty() {
                out.line("Nothing new is ready (`gt mol status` shows what is left)")
            } else {
                out.line(format!("Ready now: {}", d.now_ready.join(", ")))
            }
        }
        MolCmd::Burn { id } => {
            let b = steps::burn(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::One::new("burned", &b));
            }
            out.line(format!(
                "Burned molecule {}: {} bead(s) removed",
                b.molecule, b.removed
            ))
        }
        MolCmd::Squash { id } => {
            let s = steps::squash(ctx, &id)?;
            if out.json {
                return out.json_ser(&super::json::One::new("squashed", &s));
            }
            out.line(format!(
                "Squashed molecule {}: {}/{} steps done{}; the root keeps the summary",
                s.molecule,
                s.done,
                s.steps,
                if s.skipped.is_empty() {
                    String::new()
                } else {
                    format!(", skipped: {}", s.skipped.join(", "))
                }
            ))
        }
    }
}

/// `gt mol pour`: create a molecule: a root bead and one step bead per formula step, in one transaction.
fn pour(
    out: &mut Out,
    ctx: &mut Ctx,
    formula: String,
    vars: Vec<String>,
    rig: Option<String>,
    for_bead: Option<String>,
) -> Result<()> {
    let vars = formulas::parse_vars(&vars)?;
    let p = formulas::pour(ctx, &formula, &vars, rig.as_deref(), for_bead.as_deref())?;
    if out.json {
        return out.json_ser(&super::json::One::new("poured", &p));
    }
    if out.batch {
        return out.line(&p.root);
    }
    out.line(format!(
        "Poured {} ({} steps) as molecule {}{}",
        p.formula,
        p.steps.len(),
        p.root,
        p.attached_to
            .as_deref()
            .map(|w| format!(" for {w}"))
            .unwrap_or_default()
    ))?;
    out.line(format!(
        "  see it with `gt mol status {}`; sling it with `gt sling {} <rig>`",
        p.root, p.root
    ))
}

fn status(out: &mut Out, m: &MolView) -> Result<()> {
    if out.json {
        let ready: Vec<&str> = m.ready().map(|s| s.key.as_str()).collect();
        #[derive(serde::Serialize)]
        struct MolDoc<'a> {
            molecule: &'a MolView,
            ready: Vec<&'a str>,
            done: usize,
            total: usize,
            complete: bool,
        }
        return out.json_ser(&MolDoc {
            molecule: m,
            ready,
            done: m.done_count(),
            total: m.steps.len(),
            complete: m.is_complete(),
        });
    }
    if out.batch {
        for s in &m.steps {
            let state = match s.state {
                StepState::Done => "done",
                StepState::Ready => "ready",
                StepState::Blocked => "blocked",
            };
            out.line(format!("{}\t{}\t{state}\t{}", s.bead, s.key, s.title))?;
        }
        return Ok(());
    }
    out.line(format!(
        "{}  {}  [{}{}]  {}/{} steps done",
        m.root,
        m.title,
        m.formula.as_deref().unwrap_or("?"),
        m.holder
            .as_deref()
            .map(|h| format!(", held by {h}"))
            .unwrap_or_default(),
        m.done_count(),
        m.steps.len()
    ))?;
    let rows: Vec<Vec<String>> = m
        .steps
        .iter()
        .map(|s| {
            let state = match s.state {
                StepState::Done => out.paint(Tone::Good, "done"),
                StepState::Ready => out.paint(Tone::Bold, "ready"),
                StepState::Blocked => out.paint(Tone::Dim, "waiting"),
            };
            vec![
                s.key.clone(),
                state,
                s.title.clone(),
                s.needs.join(","),
                s.bead.clone(),
            ]
        })
        .collect();
    out.table(&["STEP", "STATE", "TITLE", "NEEDS", "BEAD"], &rows)?;
    let ready: Vec<&str> = m.ready().map(|s| s.key.as_str()).collect();
    if m.is_complete() {
        out.line("Every step is done.")
    } else if ready.is_empty() {
        out.line("Nothing is ready: open steps wait on beads outside the molecule.")
    } else {
        out.line(format!("Ready now: {}", ready.join(", ")))
    }
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MolCmd {
    /// Create a molecule: a root bead and one step bead per formula step, in one transaction.
    Pour {
        formula: String,
        /// A variable: `--var name=value`; repeatable.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// The rig whose prefix the beads take (default: the working directory's rig, else hq).
        #[arg(long)]
        rig: Option<String>,
        /// Pour it for this work bead (the molecule guides that bead's work).
        #[arg(long = "for", value_name = "BEAD")]
        for_bead: Option<String>,
    },
    /// Steps with their state and what is ready now (default: the molecule on your hook).
    Status { id: Option<String> },
    /// Step commands: `gt mol step done <step>`.
    #[command(subcommand)]
    Step(MolStepCmd),
    /// Remove an unfinished molecule and its steps.
    Burn { id: String },
    /// Close a molecule, keeping only its root with a summary of every step.
    Squash { id: String },
}

#[derive(Debug, Subcommand)]
pub enum MolStepCmd {
    /// Close a step (by step id like `implement`, or by bead id); shows what is ready next.
    Done {
        step: String,
        /// The molecule (default: the one on your hook); needed only for a step id.
        #[arg(long)]
        mol: Option<String>,
        /// Close it even though steps it needs are still open.
        #[arg(long)]
        force: bool,
    },
}
