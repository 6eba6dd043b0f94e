//! `gt done`: an agent says its work is finished.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::scheduler::Outcome;
use crate::work::{Ctx, sling::done};
use serde_json::json;

pub fn done_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    agent: Option<String>,
    status: Option<String>,
) -> Result<()> {
    let r = done::done(ctx, agent.as_deref(), status.as_deref() == Some("deferred"))?;
    // Work that waited for this one (a convoy formula's synthesis) may go now. The done
    // itself is recorded whatever happens here.
    let mut followups = Vec::new();
    match crate::work::convoy::run::sling_due(ctx) {
        Ok(list) => {
            for s in list {
                match s {
                    Ok(Outcome::Slung(s)) => followups.push(format!(
                        "{} was waiting for this and is now slung to {}",
                        s.bead, s.agent
                    )),
                    Ok(Outcome::Queued(q)) => followups.push(format!(
                        "{} was waiting for this and is now queued for {} at position {} ({})",
                        q.bead, q.target, q.position, q.reason
                    )),
                    Err(e) => followups.push(format!(
                        "warning: work waiting for this could not be slung: {e}"
                    )),
                }
            }
        }
        Err(e) => followups.push(format!(
            "warning: could not check for work waiting on this: {e}"
        )),
    }
    if out.json {
        return out.json(json!({ "done": r, "followups": followups }));
    }
    for f in &followups {
        super::output::say(&f.to_string());
    }
    if r.saved_uncommitted {
        out.line("Committed work that was left uncommitted (nothing is lost).")?;
    }
    if let Some(n) = &r.note {
        out.line(format!("Note: {n}"))?;
    }
    if let Some(c) = &r.landed {
        return out.line(format!(
            "Done: {} landed directly on {} as {c} (no queue). {} is free for the next bead.",
            r.bead, r.target, r.agent
        ));
    }
    if r.merge_request.is_none() && !r.deferred {
        return out.line(format!(
            "Done: {} closed without a merge (merge: {}); {} stays as it is. {} is free.",
            r.bead,
            r.merge,
            or_dash(r.branch.as_deref()),
            r.agent
        ));
    }
    match &r.merge_request {
        Some(mr) => out.line(format!(
            "Done: {} → merge request {mr} ({}, {} commit(s)). {} is free for the next bead.",
            r.bead,
            or_dash(r.branch.as_deref()),
            r.commits_ahead,
            r.agent
        )),
        None => out.line(format!(
            "Done: {} deferred without a merge. {} is free.",
            r.bead, r.agent
        )),
    }
}
