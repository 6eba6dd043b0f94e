//! `gt agents` and `gt whoami`: the town's agents and who is asking.

use super::output::{Out, Tone, or_dash};
use crate::Result;
use crate::work::agents::live::SessionState;
use crate::work::{Ctx, agents, agents::live};
use serde_json::json;

pub fn agents_cmd(out: &mut Out, ctx: &mut Ctx, rig: Option<String>) -> Result<()> {
    if let Some(r) = &rig {
        ctx.town.rig(r)?;
    }
    let list = live::agents(ctx, rig.as_deref())?;
    out.list(
        "agents",
        &list,
        "No agents yet. Start one with: gt sling <bead> <rig>",
        &[
            "AGENT", "RUNTIME", "SESSION", "VERDICT", "STATE", "HOOK", "WINDOW", "QUEUED",
        ],
        |out, v| {
            let session = match v.exit_status {
                Some(s) => format!("exited ({s})"),
                None => v.session.to_string(),
            };
            let tone = match v.session {
                SessionState::Working => Tone::Warn,
                SessionState::Idle => Tone::Good,
                SessionState::Exited | SessionState::NoSession => Tone::Bad,
                _ => Tone::Dim,
            };
            vec![
                v.info.address.clone(),
                or_dash(v.info.runtime.as_deref()),
                out.paint(tone, &session),
                format!("{} ({})", v.verdict.as_str(), v.reason),
                v.info.state.to_string(),
                or_dash(v.info.hook.as_deref()),
                or_dash(v.window.as_deref()),
                if v.queued_messages > 0 {
                    v.queued_messages.to_string()
                } else {
                    "-".into()
                },
            ]
        },
    )
}

pub fn whoami(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let me = agents::whoami(ctx);
    if out.json {
        return out
            .json(json!({ "agent": me.to_string(), "role": me.role(), "rig": me.rig(), "town": ctx.town.config.name, "root": ctx.town.root() }));
    }
    out.line(format!(
        "{} ({}{}) in town {} at {}",
        me,
        me.role(),
        me.rig().map(|r| format!(" of {r}")).unwrap_or_default(),
        ctx.town.config.name,
        ctx.town.root().display()
    ))
}
