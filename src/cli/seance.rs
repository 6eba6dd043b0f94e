//! `gt seance`: an agent's or a bead's past sessions, what one of them did, and a question
//! put to a copy of it.

use super::output::{Out, or_dash};
use crate::Result;
use crate::agent::transcript::one_line;
use crate::work::Ctx;
use crate::work::agents::{seance, seance_ask};
use clap::Args;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct SeanceArgs {
    /// An agent (also one that is gone) or a bead.
    pub target: String,
    /// This session (its runtime's id) instead of the latest.
    #[arg(long)]
    pub session: Option<String>,
    /// Only list the sessions, newest first.
    #[arg(long, conflicts_with = "ask")]
    pub list: bool,
    /// Ask a copy of the session this question and print its answer.
    #[arg(long)]
    pub ask: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 180, value_parser = super::args::at_most::<{ super::args::DAY }>)]
    pub wait: u64,
}

pub fn seance_cmd(out: &mut Out, ctx: &mut Ctx, a: SeanceArgs) -> Result<()> {
    if a.list {
        let list = seance::sessions_of(ctx, &a.target)?;
        return out.list(
            "sessions",
            &list,
            &format!("{} has no recorded session.", a.target),
            &["session", "agent", "bead", "started", "ended", "why"],
            |_, s| {
                vec![
                    s.id.clone(),
                    s.agent.clone(),
                    or_dash(s.bead.as_deref()),
                    s.started_at.clone(),
                    or_dash(s.ended_at.as_deref()),
                    or_dash(s.end_reason.as_deref()),
                ]
            },
        );
    }
    let row = seance::pick(ctx, &a.target, a.session.as_deref())?;
    let s = seance::read(row);
    if let Some(q) = &a.ask {
        let answer = seance_ask::ask(ctx, &s, q, Duration::from_secs(a.wait))?;
        if out.json {
            return out.json_ser(&super::json::One::new("answer", &answer));
        }
        return out.line(answer.answer);
    }
    if out.json {
        return out.json_ser(&super::json::One::new("seance", &s));
    }
    show(out, &s)
}

fn show(out: &mut Out, s: &seance::Seance) -> Result<()> {
    let r = &s.session;
    out.line(format!(
        "Session {} of {} ({}), on {}",
        r.id,
        r.agent,
        or_dash(r.runtime.as_deref()),
        or_dash(r.bead.as_deref())
    ))?;
    out.line(format!(
        "  started {}, {}",
        r.started_at,
        match (&r.ended_at, &r.end_reason) {
            (Some(t), Some(why)) => format!("ended {t} ({why})"),
            (Some(t), None) => format!("ended {t}"),
            _ => "still open".to_string(),
        }
    ))?;
    let Some(x) = &s.summary else {
        return out.line(format!(
            "  (no transcript to read: {})",
            s.unreadable.as_deref().unwrap_or("unknown")
        ));
    };
    out.line(format!(
        "  {} prompt(s), {} answer(s), {} tool call(s)",
        x.prompts.len(),
        x.answers,
        x.tool_calls.len()
    ))?;
    out.line("Prompts:")?;
    for p in &x.prompts {
        out.line(format!("  > {}", one_line(p, 150)))?;
    }
    out.line("Tool calls:")?;
    for t in &x.tool_calls {
        out.line(format!("  {}: {}", t.tool, t.what))?;
    }
    if !x.files_changed.is_empty() {
        out.line(format!("Files changed: {}", x.files_changed.join(", ")))?;
    }
    if !x.files_read.is_empty() {
        out.line(format!("Files read: {}", x.files_read.join(", ")))?;
    }
    out.line(format!(
        "Last words: {}",
        x.last_words.as_deref().unwrap_or("(none)")
    ))
}
