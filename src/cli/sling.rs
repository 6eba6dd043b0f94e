//! `gt sling`: put work on an agent's hook and start it (or queue it).

use super::output::{Out, or_dash};
use crate::work::{Ctx, scheduler, sling};
use crate::{Error, Result};
use clap::Args;
use serde_json::json;

pub fn sling(out: &mut Out, ctx: &mut Ctx, a: SlingArgs) -> Result<()> {
    let mut items = a.items;
    let target = items.pop().unwrap_or_default();
    let message = match (a.message, a.stdin) {
        (Some(m), false) => Some(m),
        (None, true) => Some(read_stdin()?),
        _ => None,
    };
    let args = match &a.args {
        Some(text) => shlex::split(text)
            .ok_or_else(|| Error::invalid(format!("--args {text:?}: unbalanced quotes")))?,
        None => Vec::new(),
    };
    let merge = a
        .merge
        .as_deref()
        .map(sling::intent::MergeMode::parse)
        .transpose()?
        .unwrap_or_default();
    let opts = sling::SlingOptions {
        agent: a.agent,
        no_convoy: a.no_convoy,
        force: a.force,
        formula: a.formula,
        no_formula: a.no_formula,
        vars: crate::work::formulas::parse_vars(&a.vars)?,
        intent: sling::intent::Intent {
            message,
            args,
            base_branch: a.base_branch,
            merge,
        },
        dry_run: a.dry_run,
    };
    if opts.dry_run && items.len() != 1 {
        return Err(Error::invalid("--dry-run takes one bead"));
    }
    if opts.dry_run {
        // Through the scheduler, as the real sling goes: it may say "would wait".
        let s = match scheduler::sling_or_queue(ctx, &items[0], &target, &opts)? {
            scheduler::Outcome::Slung(s) => s,
            scheduler::Outcome::Queued(q) => {
                if out.json {
                    return out.json(json!({ "dry_run": q }));
                }
                out.line(format!(
                    "Would queue {} for {} at position {}: {}",
                    q.bead, q.target, q.position, q.reason
                ))?;
                return out.line("  (dry run: nothing was written)");
            }
        };
        if out.json {
            return out.json(json!({ "dry_run": s }));
        }
        out.line(format!(
            "Would sling {} to {} ({}, {}), branch {} from {}, merge: {}{}",
            s.bead,
            s.agent,
            s.runtime,
            if s.reused {
                "reused idle polecat"
            } else {
                "new polecat"
            },
            or_dash(s.branch.as_deref()),
            or_dash(s.base_branch.as_deref()),
            s.merge.unwrap_or("mr"),
            s.convoy
                .as_deref()
                .map(|c| format!(", convoy {c}"))
                .unwrap_or_else(|| ", a new convoy".into())
        ))?;
        return out.line("  (dry run: nothing was written)");
    }
    let results = scheduler::sling_many(ctx, &items, &target, &opts)?;
    let mut first_error: Option<Error> = None;
    let mut ok = Vec::new();
    let mut queued = Vec::new();
    let mut failed = Vec::new();
    for (bead, r) in items.iter().zip(results) {
        match r {
            Ok(scheduler::Outcome::Slung(s)) => ok.push(s),
            Ok(scheduler::Outcome::Queued(q)) => queued.push(q),
            Err(e) => {
                failed.push(json!({"bead": bead, "code": e.exit_code(), "error": e.to_string()}));
                if !out.json && items.len() > 1 {
                    super::output::say(&format!("sling {bead}: {e}"));
                }
                first_error.get_or_insert(e);
            }
        }
    }
    if out.json {
        out.json(json!({ "slung": ok, "queued": queued, "failed": failed }))?;
    } else {
        for q in &queued {
            if out.batch {
                out.line(format!("{}\tqueued\t{}", q.bead, q.position))?;
            } else {
                let again = if q.already { " (already queued)" } else { "" };
                out.line(format!(
                    "Queued {} for {} at position {}{again}: {}; the deacon slings it when a polecat is free (`gt scheduler status`)",
                    q.bead, q.target, q.position, q.reason
                ))?;
            }
        }
        for s in &ok {
            if out.batch {
                out.line(format!("{}\t{}", s.bead, s.agent))?;
            } else if s.already {
                out.line(format!(
                    "{} is already on {}'s hook; nothing to do",
                    s.bead, s.agent
                ))?;
            } else {
                let how = if s.reused {
                    "reused idle polecat"
                } else {
                    "new polecat"
                };
                out.line(format!(
                    "Slung {} to {} ({}, {how})",
                    s.bead, s.agent, s.runtime
                ))?;
                out.line(format!(
                    "  branch {}  convoy {}  window {}",
                    or_dash(s.branch.as_deref()),
                    or_dash(s.convoy.as_deref()),
                    or_dash(s.window.as_deref())
                ))?;
                if let Some(m) = &s.molecule {
                    out.line(format!(
                        "  molecule {m}: the agent works through its steps (`gt mol status {m}`)"
                    ))?;
                }
                if let Some(from) = &s.moved_from {
                    let what = if from.contains("/polecats/") {
                        "its session was stopped; its worktree and branch are kept"
                    } else {
                        "it was told by message"
                    };
                    out.line(format!("  moved from {from} ({what})"))?;
                }
            }
        }
    }
    match first_error {
        // Several beads: each failure was reported on its own line (or in the JSON); the
        // exit code still tells scripts something failed.
        Some(e) if items.len() == 1 && out.json => Err(Error::Silent(e.exit_code())),
        Some(e) if items.len() > 1 => Err(Error::Failed(format!(
            "{} of {} bead(s) could not be slung (first: {e})",
            failed.len(),
            items.len()
        ))),
        Some(e) => Err(e),
        None => Ok(()),
    }
}

// ---- command-line grammar (clap) ----

#[derive(Debug, Args)]
pub struct SlingArgs {
    /// One or more bead ids, then the target (a rig, `<rig>/polecats/<name>` or `<rig>/<name>`).
    #[arg(required = true, num_args = 2.., value_name = "BEAD… TARGET")]
    pub items: Vec<String>,
    /// Runtime to start (overrides role_agents / default_agent).
    #[arg(long)]
    pub agent: Option<String>,
    /// Do not create a `Work: <title>` convoy for untracked beads.
    #[arg(long)]
    pub no_convoy: bool,
    /// Move a bead that is on another agent's hook; to a rig, also start it now even when
    /// the scheduler is full or paused.
    #[arg(long)]
    pub force: bool,
    /// Pour this formula for the bead (the agent works through its steps).
    #[arg(long, conflicts_with = "no_formula")]
    pub formula: Option<String>,
    /// Pour no formula, even when `sling.formula` names one.
    #[arg(long)]
    pub no_formula: bool,
    /// A formula variable: `--var name=value`; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Instructions that go with the work (the agent reads them in `gt prime`).
    #[arg(short, long, conflicts_with = "stdin")]
    pub message: Option<String>,
    /// Read the instructions from stdin.
    #[arg(long)]
    pub stdin: bool,
    /// Extra arguments for the runtime, for this work's sessions (split like a shell would,
    /// never given to one): `--args "--model fast"`.
    #[arg(long, allow_hyphen_values = true)]
    pub args: Option<String>,
    /// Branch from and land onto this branch instead of the rig's default branch.
    #[arg(long, value_name = "BRANCH")]
    pub base_branch: Option<String>,
    /// How the finished work lands: mr (the merge queue, default), direct (fast-forward,
    /// no queue), local (kept on its branch) or none (no merge).
    #[arg(long, value_name = "MODE")]
    pub merge: Option<String>,
    /// Say what would happen (polecat, branch, base, merge); write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Instructions from stdin (at most 16 KiB are taken; more is refused by the intent's check).
fn read_stdin() -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Error::invalid(format!("--stdin: {e}")))?;
    Ok(text)
}

/// `gt assign <crew> "<title>"`: file a bead and hook it to a crew member.
pub fn assign(out: &mut Out, ctx: &mut Ctx, a: AssignArgs) -> Result<()> {
    let message = match (a.message, a.stdin) {
        (Some(m), false) => Some(m),
        (None, true) => Some(read_stdin()?),
        _ => None,
    };
    let opts = sling::SlingOptions {
        intent: sling::intent::Intent {
            message,
            ..Default::default()
        },
        ..Default::default()
    };
    let bead = crate::work::beads::NewBead {
        title: a.title,
        description: a.description,
        issue_type: a.kind,
        priority: a.priority,
        labels: Vec::new(),
        parent: None,
        rig: None,
        assignee: None,
    };
    let r = sling::assign::assign(ctx, &a.crew, bead, &opts)?;
    if out.json {
        return out.json(json!({ "assigned": r }));
    }
    match &r.slung {
        Some(s) => out.line(format!("Filed {} and hooked it to {}", r.bead, s.agent)),
        None => out.line(format!("Filed {}", r.bead)),
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: gt assign shop/crew/bo \"Fix the login redirect\" -m \"see issue 12\""
)]
pub struct AssignArgs {
    /// The crew member (`<rig>/crew/<name>` or `<rig>/<name>`).
    pub crew: String,
    /// The new bead's title.
    pub title: String,
    #[arg(short, long)]
    pub description: Option<String>,
    #[arg(long = "type")]
    pub kind: Option<String>,
    #[arg(short, long)]
    pub priority: Option<i64>,
    /// Instructions that go with the work (shown in its `gt prime`).
    #[arg(short, long, conflicts_with = "stdin")]
    pub message: Option<String>,
    /// Read the instructions from stdin.
    #[arg(long)]
    pub stdin: bool,
}
