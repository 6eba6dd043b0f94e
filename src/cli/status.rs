//! `gt status`: the town at a glance.

use super::output::{Out, Tone};
use crate::Result;
use crate::work::{Ctx, views::status};

pub fn status_cmd(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let st = status::status(ctx)?;
    if out.json {
        return out.json_ser(&super::json::One::new("status", &st));
    }
    out.line(out.paint(Tone::Bold, &format!("Town {} at {}", st.town, st.root)))?;
    out.line(format!("supervisor: {}", st.supervisor))?;
    let agents: Vec<String> = st.agents.iter().map(|(k, v)| format!("{v} {k}")).collect();
    out.line(format!(
        "agents: {}",
        if agents.is_empty() {
            "none".into()
        } else {
            agents.join(", ")
        }
    ))?;
    out.line(format!("your mail ({}): {} unread", st.you, st.unread_mail))?;
    out.line("")?;
    let rows: Vec<Vec<String>> = st
        .rigs
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.prefix.clone(),
                r.open_beads.to_string(),
                r.ready.to_string(),
                r.agents.to_string(),
            ]
        })
        .collect();
    out.table(&["RIG", "PREFIX", "OPEN", "READY", "AGENTS"], &rows)?;
    if !st.convoys.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = st
            .convoys
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    format!("{}/{}", c.closed, c.total),
                    c.title.clone(),
                ]
            })
            .collect();
        out.table(&["CONVOY", "DONE", "TITLE"], &rows)?;
    }
    if !st.escalations.is_empty() {
        out.line("")?;
        super::escalate::print_escalations(out, &st.escalations)?;
    }
    if !st.attention.is_empty() {
        out.line("")?;
        out.line(out.paint(Tone::Bold, "Needs attention:"))?;
        for a in &st.attention {
            out.line(format!("  {}", a.text))?;
        }
    }
    Ok(())
}
