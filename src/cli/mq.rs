//! `gt mq …` and `gt refinery run`.

use super::args::{MqCmd, RefineryCmd};
use super::io;
use super::output::{Out, or_dash};
use crate::Result;
use crate::work::Ctx;
use crate::work::refinery::{self, Outcome};
use serde_json::json;

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: MqCmd) -> Result<()> {
    match cmd {
        MqCmd::List { rig } => {
            let rigs = match rig {
                Some(r) => vec![ctx.town.rig(&r)?],
                None => ctx.town.rigs()?,
            };
            let mut items = Vec::new();
            for r in &rigs {
                items.extend(refinery::queue(ctx, r)?);
            }
            if out.json {
                return out
                    .json(json!({ "count": items.len(), "queue": items }))
                    .map_err(io);
            }
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    let state = if i.failed {
                        "failed".to_string()
                    } else if i.status == "in_progress" {
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
                .map_err(io)
        }
        MqCmd::Show { id } => {
            let (i, comments) = refinery::show(ctx, &id)?;
            if out.json {
                return out
                    .json(json!({ "merge_request": i, "comments": comments }))
                    .map_err(io);
            }
            out.line(format!("{}  {}  [{}]", i.id, i.title, i.status))
                .map_err(io)?;
            out.line(format!(
                "branch {}  commit {}  bead {}  worker {}",
                i.branch,
                or_dash(i.commit.as_deref()),
                or_dash(i.source_bead.as_deref()),
                or_dash(i.worker.as_deref())
            ))
            .map_err(io)?;
            for c in comments {
                out.line(format!("\n{c}")).map_err(io)?;
            }
            Ok(())
        }
        MqCmd::Retry { id } => {
            refinery::retry(ctx, &id)?;
            out.line(format!("{id} is back in the merge queue"))
                .map_err(io)
        }
        MqCmd::Reject { id, reason } => {
            refinery::reject(ctx, &id, reason.as_deref())?;
            out.line(format!("{id} was rejected; its branch is kept"))
                .map_err(io)
        }
    }
}

pub fn refinery(out: &mut Out, ctx: &mut Ctx, cmd: RefineryCmd) -> Result<()> {
    let RefineryCmd::Run { rig, once } = cmd;
    let rig = ctx.town.rig(&rig)?;
    let mut done = Vec::new();
    while let Some(o) = refinery::process_next(ctx, &rig)? {
        if !out.json {
            let line = match &o {
                Outcome::Merged {
                    mr,
                    commit,
                    source_bead,
                    landed,
                    ..
                } => format!(
                    "merged {mr} ({}) as {}{}",
                    or_dash(source_bead.as_deref()),
                    refinery::short(commit),
                    if landed.is_empty() {
                        String::new()
                    } else {
                        format!("; convoy landed: {}", landed.join(", "))
                    }
                ),
                Outcome::GateFailed { mr, gate, .. } => {
                    format!("{mr} failed gate `{gate}`; the work went back with the reason")
                }
                Outcome::Conflict { mr, files } => {
                    format!("{mr} conflicts ({}); the work went back", files.join(", "))
                }
            };
            out.line(line).map_err(io)?;
        }
        done.push(o);
        if once {
            break;
        }
    }
    if out.json {
        return out.json(json!({ "processed": done })).map_err(io);
    }
    if done.is_empty() {
        out.line("The merge queue is empty.").map_err(io)?;
    }
    Ok(())
}
