//! `gt costs`: tokens and their cost, by agent, bead, rig, convoy, role, day or session.

use super::output::Out;
use crate::Result;
use crate::work::{Ctx, costs};
use clap::Args;

#[derive(Debug, Args)]
pub struct CostsArgs {
    /// Sum by agent, bead, rig, convoy, role, day or session.
    #[arg(long, default_value = "agent")]
    pub by: String,
    /// From this UTC day on: `today`, `7d` (the last seven days) or a date (2026-12-01).
    #[arg(long)]
    pub since: Option<String>,
}

pub fn costs_cmd(out: &mut Out, ctx: &mut Ctx, a: CostsArgs) -> Result<()> {
    let key = costs::parse_by(&a.by)?;
    let since = a
        .since
        .as_deref()
        .map(|s| costs::parse_since(ctx, s))
        .transpose()?;
    let report = costs::report(ctx, key, since.as_deref())?;
    if out.json {
        return out.json_ser(&report);
    }
    if report.lines.is_empty() && !out.batch {
        return out.line("No token usage recorded yet (runtimes with hooks report it).");
    }
    let row = |l: &costs::CostLine| -> Vec<String> {
        vec![
            if l.key.is_empty() {
                "(none)".to_string()
            } else {
                l.key.clone()
            },
            l.sessions.to_string(),
            l.turns.to_string(),
            l.input.to_string(),
            l.output.to_string(),
            l.cache_write.to_string(),
            l.cache_read.to_string(),
            dollars(l),
        ]
    };
    let mut rows: Vec<Vec<String>> = report.lines.iter().map(row).collect();
    rows.push(row(&report.total));
    out.table(
        &[
            report.by,
            "sessions",
            "turns",
            "input",
            "output",
            "cache write",
            "cache read",
            "cost",
        ],
        &rows,
    )?;
    if !out.batch {
        let unpriced = &report.total.unpriced_models;
        if !unpriced.is_empty() {
            out.line(format!(
                "No price for {}: its cost is unknown (set [prices.\"<model>\"] in town.toml).",
                unpriced.join(", ")
            ))?;
        }
        out.line(format!(
            "Prices as published on {} unless town.toml sets its own.",
            report.prices_taken
        ))?;
    }
    Ok(())
}

/// `$1.2345`, or `unknown (+$0.10 priced)` when some model has no price.
pub fn dollars(l: &costs::CostLine) -> String {
    match l.cost_usd {
        Some(c) => format!("${c:.4}"),
        None if l.priced_usd > 0.0 => format!("unknown (≥ ${:.4})", l.priced_usd),
        None => "unknown".to_string(),
    }
}
