//! `gt handoff`: a fresh session for an agent, its hook kept.

use super::output::{Out, or_dash};
use crate::Result;
use crate::work::{Ctx, sling::handoff};

pub fn handoff_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    agent: Option<String>,
    note: Option<String>,
) -> Result<()> {
    let r = handoff::handoff(ctx, agent.as_deref(), note.as_deref())?;
    if out.json {
        return out.json_ser(&super::json::One::new("handoff", &r));
    }
    out.line(format!(
        "Handed {} over to a fresh session in window {} (hook {}, note {})",
        r.agent,
        r.window,
        or_dash(r.hook.as_deref()),
        r.mail
    ))
}
