//! `gt mq …` and `gt refinery run`.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::Ctx;
use crate::work::refinery::{self, Outcome};

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: MqCmd) -> Result<()> {
    match cmd {
        MqCmd::List { rig } => list(out, ctx, rig),
        MqCmd::Integration(cmd) => super::integration::run(out, ctx, cmd),
        MqCmd::Show { id } => {
            let (i, comments) = refinery::show(ctx, &id)?;
            if out.json {
                #[derive(serde::Serialize)]
                struct MrDoc<'a, C> {
                    merge_request: &'a refinery::QueueItem,
                    comments: &'a [C],
                }
                return out.json_ser(&MrDoc {
                    merge_request: &i,
                    comments: &comments,
                });
            }
            out.line(format!("{}  {}  [{}]", i.id, i.title, i.status))?;
            out.line(format!(
                "branch {}  commit {}  bead {}  worker {}",
                i.branch,
                or_dash(i.commit.as_deref()),
                or_dash(i.source_bead.as_deref()),
                or_dash(i.worker.as_deref())
            ))?;
            if let Some(r) = &i.resolution_bead {
                out.line(format!("conflict-resolution bead {r}"))?;
            }
            for c in comments {
                out.line(format!("\n{c}"))?;
            }
            Ok(())
        }
        MqCmd::Retry { id } => {
            refinery::retry(ctx, &id)?;
            out.line(format!("{id} is back in the merge queue"))
        }
        MqCmd::Reject { id, reason } => {
            refinery::reject(ctx, &id, reason.as_deref())?;
            out.line(format!("{id} was rejected; its branch is kept"))
        }
        MqCmd::Policy { id, policy } => {
            let p = refinery::review::set_policy(ctx, &id, &policy)?;
            out.line(match p {
                Some(refinery::review::Policy::Human) => {
                    format!("{id}: its work waits for a person's approval after its gates pass")
                }
                Some(refinery::review::Policy::Auto) => {
                    format!("{id}: its work lands when its gates pass")
                }
                None => format!("{id}: the rig's merge.review decides again"),
            })
        }
        MqCmd::Approve { id } => {
            let who = ctx.actor.clone();
            let a = refinery::review::approve(ctx, &id, &who)?;
            if out.json {
                return out.json_ser(&super::json::One::new("approved", &a));
            }
            if a.was_waiting {
                out.line(format!(
                    "Approved {id}: the refinery lands it after its gates pass on the default branch as it is now"
                ))
            } else {
                out.line(format!(
                    "Approved {id} ahead of its test: it lands once its gates pass"
                ))
            }
        }
        MqCmd::SendBack { id, message } => {
            let who = ctx.actor.clone();
            let s = refinery::review::send_back(ctx, &id, &message, &who)?;
            if out.json {
                return out.json_ser(&super::json::One::new("sent_back", &s));
            }
            out.line(format!("Sent {id} back; it will not land"))?;
            match (&s.returned_to, &s.why_not) {
                (Some(a), _) => out.line(format!(
                    "  {} is back on {a}'s hook with your comment (mail {})",
                    or_dash(s.source_bead.as_deref()),
                    or_dash(s.mail.as_deref())
                )),
                (None, Some(w)) => out.line(format!("  {w}")),
                (None, None) => Ok(()),
            }
        }
    }
}

/// `gt mq list`: unfinished merge requests of a rig (or every rig), in the order they are worked.
fn list(out: &mut Out, ctx: &mut Ctx, rig: Option<String>) -> Result<()> {
    let rigs = match rig {
        Some(r) => vec![ctx.town.rig(&r)?],
        None => ctx.town.rigs()?,
    };
    let mut items = Vec::new();
    let mut pushes = Vec::new();
    for r in &rigs {
        items.extend(refinery::queue(ctx, r)?);
        pushes.extend(refinery::push_status(ctx, r)?);
    }
    let pending: Vec<_> = pushes.iter().filter(|p| p.push_pending).collect();
    if out.json {
        #[derive(serde::Serialize)]
        struct QueueDoc<'a> {
            count: usize,
            queue: &'a [refinery::QueueItem],
            push_pending: bool,
            push: &'a [refinery::PushStatus],
        }
        return out.json_ser(&QueueDoc {
            count: items.len(),
            queue: &items,
            push_pending: !pending.is_empty(),
            push: &pushes,
        });
    }
    for p in &pending {
        out.line(format!(
            "push pending: {} {} → {} ({}){}",
            p.rig,
            p.branch,
            p.remote,
            refinery::short(&p.commit),
            p.error
                .as_deref()
                .map(|e| format!("; last attempt failed: {e}"))
                .unwrap_or_default()
        ))?;
    }
    if items.is_empty() {
        return out.line("The merge queue is empty.");
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let state = if i.failed {
                "failed".to_string()
            } else if i.review.as_deref() == Some(refinery::review::WAITING) {
                "review".to_string()
            } else if i.status == crate::ledger::Status::InProgress {
                "merging".to_string()
            } else {
                "queued".to_string()
            };
            vec![
                i.id.clone(),
                state,
                format!("P{}", i.priority),
                i.branch.clone(),
                or_dash(i.source_bead.as_deref()),
                or_dash(i.worker.as_deref()),
            ]
        })
        .collect();
    out.table(&["MR", "STATE", "PRI", "BRANCH", "BEAD", "WORKER"], &rows)
}

pub fn refinery(out: &mut Out, ctx: &mut Ctx, cmd: RefineryCmd) -> Result<()> {
    let RefineryCmd::Run { rig, once } = cmd;
    let rig = ctx.town.rig(&rig)?;
    let json = out.json;
    let done = refinery::run(ctx, &rig, once, |o| {
        if !json {
            out.line(describe(o))?;
        }
        Ok(())
    })?;
    if out.json {
        return out.json_ser(&super::json::One::new("processed", &done));
    }
    if done.is_empty() {
        out.line("The merge queue is empty.")?;
    }
    Ok(())
}

/// One line for a person about one outcome.
fn describe(o: &Outcome) -> String {
    let batch = |batch: &Vec<String>, bisected: &bool| match (batch.len(), bisected) {
        (0, _) => String::new(),
        (n, true) => format!(" [batch of {n}, bisected]"),
        (n, false) => format!(" [batch of {n}]"),
    };
    match o {
        Outcome::Merged {
            mr,
            commit,
            source_bead,
            landed,
            batch: b,
            bisected,
            already_merged,
            also_closed,
        } => format!(
            "merged {mr} ({}) as {}{}{}{}{}",
            or_dash(source_bead.as_deref()),
            refinery::short(commit),
            if *already_merged {
                " (already on the default branch)"
            } else {
                ""
            },
            batch(b, bisected),
            if also_closed.is_empty() {
                String::new()
            } else {
                format!("; also closed {}", also_closed.join(", "))
            },
            if landed.is_empty() {
                String::new()
            } else {
                format!("; convoy landed: {}", landed.join(", "))
            }
        ),
        Outcome::GateFailed {
            mr,
            gate,
            batch: b,
            bisected,
            ..
        } => format!(
            "{mr} failed gate `{gate}`{}; the work went back with the reason",
            batch(b, bisected)
        ),
        Outcome::Conflict {
            mr,
            files,
            resolution,
            slung_to,
            ..
        } => match (resolution, slung_to) {
            (Some(r), Some(a)) => format!(
                "{mr} conflicts ({}); resolution bead {r} slung to {a}",
                files.join(", ")
            ),
            (Some(r), None) => format!(
                "{mr} conflicts ({}); resolution bead {r} waits to be slung",
                files.join(", ")
            ),
            _ => format!("{mr} conflicts ({}); the work went back", files.join(", ")),
        },
        Outcome::Failed { mr, reason } => format!("{mr} could not be built: {reason}"),
        Outcome::AwaitingReview {
            mr,
            source_bead,
            commit,
        } => format!(
            "{mr} ({}) passed its gates as {}; it waits for review (`gt diff {mr}`, then `gt mq approve {mr}` or `gt mq send-back {mr} -m \"…\"`)",
            or_dash(source_bead.as_deref()),
            refinery::short(commit)
        ),
        Outcome::Cleaned {
            polecats,
            branches,
            kept,
        } => {
            let mut parts = Vec::new();
            if !polecats.is_empty() {
                parts.push(format!("removed polecats {}", polecats.join(", ")));
            }
            if !branches.is_empty() {
                parts.push(format!("deleted branches {}", branches.join(", ")));
            }
            for k in kept {
                parts.push(format!("kept {} ({})", k.branch, k.reason));
            }
            format!("cleanup: {}", parts.join("; "))
        }
        Outcome::Pushed { remote, commit } => {
            format!("pushed {} to {remote}", refinery::short(commit))
        }
        Outcome::PushFailed {
            remote,
            commit,
            error,
        } => format!(
            "push of {} to {remote} failed (landed locally; retried later): {error}",
            refinery::short(commit)
        ),
    }
}

// ---- command-line grammar of these commands (clap) ----

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MqCmd {
    /// An epic's own branch: its work lands there, then onto the default branch as one merge.
    #[command(subcommand)]
    Integration(super::integration::IntegrationCmd),
    /// Unfinished merge requests of a rig (or every rig), in the order they are worked.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// One merge request with what happened to it.
    Show { id: String },
    /// Put a failed merge request back in the queue.
    Retry { id: String },
    /// Close a merge request without landing it (its branch stays).
    Reject {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Review policy of a bead, or of every bead of a convoy: human (wait for approval after
    /// the gates pass), auto, or default (the rig's merge.review).
    Policy { id: String, policy: String },
    /// Let a merge request waiting for review land (after its gates pass again).
    Approve { id: String },
    /// Send a merge request back to its polecat with a comment (by mail and on the bead).
    SendBack {
        id: String,
        /// What to change.
        #[arg(short, long)]
        message: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RefineryCmd {
    /// Work the rig's merge queue until it is empty (or one request with --once).
    Run {
        #[arg(long)]
        rig: String,
        #[arg(long)]
        once: bool,
    },
}
