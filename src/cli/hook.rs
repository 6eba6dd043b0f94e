//! `gt hook` and `gt unsling`: what is on a hook, taking it off.

use super::output::{Out, or_dash};
use crate::ledger::jsonl;
use crate::work::{Ctx, agents, sling::hook};
use crate::{Error, Result};
use serde_json::json;

pub fn hook_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    bead: Option<String>,
    agent: Option<String>,
) -> Result<()> {
    match (bead, agent) {
        (Some(b), Some(a)) => {
            let bead = hook::attach(ctx, &b, &a)?;
            if out.json {
                #[derive(serde::Serialize)]
                struct HookedDoc<'a> {
                    hooked: &'a str,
                    agent: &'a Option<String>,
                }
                return out.json_ser(&HookedDoc {
                    hooked: &bead.id,
                    agent: &bead.assignee,
                });
            }
            out.line(format!(
                "{} is on {}'s hook (no session was started)",
                bead.id,
                or_dash(bead.assignee.as_deref())
            ))
        }
        (Some(_), None) => Err(Error::invalid(
            "give both a bead and an agent: gt hook <bead> <agent>",
        )),
        (None, _) => {
            let me = agents::whoami(ctx).to_string();
            let v = hook::show(ctx, &me)?;
            if out.json {
                let bead = v.bead.as_ref().map(|b| {
                    serde_json::Value::Object(jsonl::export_object(&crate::ledger::BeadRecord {
                        bead: b.clone(),
                        labels: Vec::new(),
                        dependencies: Vec::new(),
                        comments: Vec::new(),
                    }))
                });
                return out
                    .json(json!({ "hook": { "agent": v.agent, "bead": bead, "branch": v.branch, "worktree": v.worktree } }));
            }
            match &v.bead {
                Some(b) => {
                    out.line(format!("{} has {} on its hook: {}", v.agent, b.id, b.title))?;
                    if let Some(br) = &v.branch {
                        out.line(format!(
                            "  branch {br}  worktree {}",
                            or_dash(v.worktree.as_deref())
                        ))?;
                    }
                    Ok(())
                }
                None => out.line(format!("{} has nothing on its hook", v.agent)),
            }
        }
    }
}

pub fn unsling(
    out: &mut Out,
    ctx: &mut Ctx,
    bead: Option<String>,
    agent: Option<String>,
) -> Result<()> {
    let r = hook::unsling(ctx, bead.as_deref(), agent.as_deref())?;
    if out.json {
        return out.json_ser(&super::json::One::new("unslung", &r));
    }
    if r.unqueued {
        return out.line(format!(
            "Took {} out of the scheduler queue; it is open and not slung",
            r.bead
        ));
    }
    out.line(format!(
        "Took {} off {}'s hook; it is open again (the agent's session and worktree are untouched)",
        r.bead,
        r.agent.as_deref().unwrap_or("its holder")
    ))
}
