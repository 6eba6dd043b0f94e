//! `gt convoy stage | launch | check`: convoys from a plan (rendering only; the decisions
//! are in work/convoy/plan.rs, launch.rs and check.rs).

use super::output::{Out, Tone};
use crate::work::Ctx;
use crate::work::convoy::check::{self, Finding};
use crate::work::convoy::launch;
use crate::work::convoy::plan::{self, StageRequest, Wave};
use crate::{Error, Result};

/// `gt convoy stage <epic|beads…> [--rig] [--title] [--dry-run]`.
pub fn stage(out: &mut Out, ctx: &mut Ctx, req: StageRequest) -> Result<()> {
    let s = plan::stage(ctx, &req)?;
    if out.json {
        return out.json_ser(&serde_json::json!({ "staged": s }));
    }
    if out.batch {
        if let Some(c) = &s.convoy {
            out.line(c)?;
        }
        for w in &s.plan.waves {
            for b in &w.beads {
                out.line(format!("{}\t{}\t{}", w.wave, b.id, b.title))?;
            }
        }
        return Ok(());
    }
    let from = s
        .epic
        .as_deref()
        .map(|e| format!(" from epic {e}"))
        .unwrap_or_default();
    match &s.convoy {
        Some(c) => out.line(format!(
            "Staged convoy {c}: {} ({} bead(s){from}, rig {})",
            s.title, s.tracked, s.rig
        ))?,
        None => out.line(format!(
            "Would stage {} ({} bead(s){from}, rig {}):",
            s.title, s.tracked, s.rig
        ))?,
    }
    waves(out, &s.plan.waves)?;
    if !s.plan.closed.is_empty() {
        out.line(format!(
            "  already closed (tracked, in no wave): {}",
            s.plan.closed.join(", ")
        ))?;
    }
    for h in &s.plan.held {
        let line = format!(
            "  {} is held back by unfinished work outside the convoy: {}",
            h.bead,
            h.by.join(", ")
        );
        out.line(out.paint(Tone::Warn, &line))?;
    }
    match &s.convoy {
        Some(c) => out.line(format!("Launch it with: gt convoy launch {c}")),
        None => out.line("  (dry run: nothing was written)"),
    }
}

fn waves(out: &mut Out, waves: &[Wave]) -> Result<()> {
    for w in waves {
        let head = out.paint(Tone::Bold, &format!("  wave {}:", w.wave));
        out.line(head)?;
        for b in &w.beads {
            let after = if b.after.is_empty() {
                String::new()
            } else {
                format!("  (after {})", b.after.join(", "))
            };
            out.line(format!(
                "    {} [{}] {}{after}",
                b.id,
                out.status(&b.status),
                b.title
            ))?;
        }
    }
    Ok(())
}

/// `gt convoy launch <convoy>`.
pub fn launch(out: &mut Out, ctx: &mut Ctx, convoy: &str) -> Result<()> {
    let l = launch::launch(ctx, convoy)?;
    if out.json {
        out.json_ser(&serde_json::json!({ "launched": l }))?;
    } else {
        let again = if l.already { " (launched before)" } else { "" };
        out.line(format!(
            "Launched convoy {}: {} — {} wave(s) to rig {}{again}",
            l.convoy,
            l.title,
            l.waves.len(),
            l.rig
        ))?;
        if let Some(why) = &l.held {
            let line = format!(
                "  nothing slung now: {why}; the deacon slings its ready beads once that is lifted"
            );
            out.line(out.paint(Tone::Warn, &line))?;
        }
        for s in &l.slung {
            out.line(format!("  slung {} to {}", s.bead, s.agent))?;
        }
        for q in &l.queued {
            out.line(format!(
                "  queued {} at position {}: {}",
                q.bead, q.position, q.reason
            ))?;
        }
        for f in &l.failed {
            let line = format!("  {} could not be slung: {}", f.bead, f.error);
            out.line(out.paint(Tone::Bad, &line))?;
        }
        if !l.in_hand.is_empty() {
            out.line(format!("  already in hand: {}", l.in_hand.join(", ")))?;
        }
        for w in &l.waiting {
            let wave = w.wave.map(|n| format!("wave {n}, ")).unwrap_or_default();
            let on = if w.on.is_empty() {
                String::new()
            } else {
                format!("waits on {}", w.on.join(", "))
            };
            out.line(format!("  waiting: {} ({wave}{on}) {}", w.bead, w.title))?;
        }
        if !l.waiting.is_empty() {
            out.line(
                "The deacon slings each waiting bead as what it waits on closes (`gt up` runs it).",
            )?;
        }
    }
    if l.failed.is_empty() {
        Ok(())
    } else {
        // Launched, and the rest was said; the deacon tries the failed ones again.
        Err(Error::failed(format!(
            "{} of the ready bead(s) of {} could not be slung (the deacon tries again on its rounds)",
            l.failed.len(),
            l.convoy
        )))
    }
}

/// `gt convoy check [--land]`: findings are a report, not a failure (exit 0; `clean` in JSON).
pub fn check(out: &mut Out, ctx: &mut Ctx, land: bool) -> Result<()> {
    let r = check::check(ctx, land)?;
    if out.json {
        return out.json_ser(&serde_json::json!({ "check": r, "clean": r.is_clean() }));
    }
    {
        for id in &r.landed {
            out.line(format!("Landed {id}: every tracked bead was closed"))?;
        }
        for (kind, list) in [
            ("unlanded", &r.unlanded),
            ("stranded", &r.stranded),
            ("stalled", &r.stalled),
        ] {
            for f in list {
                finding(out, kind, f)?;
            }
        }
        if r.is_clean() && !out.batch {
            out.line("Every open convoy is moving (or waiting on its own work).")?;
        }
    }
    Ok(())
}

fn finding(out: &mut Out, kind: &str, f: &Finding) -> Result<()> {
    if out.batch {
        return out.line(format!("{kind}\t{}\t{}", f.convoy, f.reason));
    }
    let tone = if kind == "stalled" {
        Tone::Bad
    } else {
        Tone::Warn
    };
    let head = out.paint(tone, kind);
    out.line(format!(
        "{head}  {} {} ({}/{} closed, {}): {}",
        f.convoy, f.title, f.closed, f.total, f.mode, f.reason
    ))?;
    if !f.ready.is_empty() {
        out.line(format!("    ready: {}", f.ready.join(", ")))?;
    }
    out.line(format!("    → {}", f.hint))
}
