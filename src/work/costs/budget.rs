//! Budgets: `budget.daily_usd` for the town's UTC day, and a convoy's own budget (label
//! `budget:<usd>`, set by `gt convoy budget`). A crossed budget holds back new work — slings
//! to a rig wait in the scheduler's queue, the queue is not worked — while running agents go
//! on; Attention says which budget and by how much.

use super::{spent_by, today};
use crate::ledger::UsageKey;
use crate::work::Ctx;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// The label prefix of a convoy's budget.
pub const BUDGET_PREFIX: &str = "budget:";

/// A budget that is used up.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Crossed {
    /// `daily`, or the convoy's id.
    pub budget: String,
    pub limit_usd: f64,
    pub spent_usd: f64,
    pub over_usd: f64,
}

impl Crossed {
    fn new(budget: &str, limit: f64, spent: f64) -> Crossed {
        Crossed {
            budget: budget.to_string(),
            limit_usd: limit,
            spent_usd: spent,
            over_usd: spent - limit,
        }
    }

    pub fn describe(&self) -> String {
        let what = if self.budget == "daily" {
            "today's budget (budget.daily_usd)".to_string()
        } else {
            format!("convoy {}'s budget", self.budget)
        };
        format!(
            "{what} of ${:.2} is spent: ${:.2}, ${:.2} over",
            self.limit_usd,
            self.spent_usd,
            self.over_usd.max(0.0)
        )
    }
}

fn daily_limit(ctx: &Ctx) -> Result<Option<f64>> {
    let limit = ctx.setting("budget.daily_usd", None)?.as_f64();
    Ok((limit > 0.0).then_some(limit))
}

/// Open convoys with a budget, and the budget.
fn convoy_limits(ctx: &Ctx) -> Result<Vec<(String, f64)>> {
    Ok(ctx
        .reader()
        .open_labelled_like(BUDGET_PREFIX)?
        .into_iter()
        .filter_map(|(convoy, label)| {
            let limit = parse_usd(label.strip_prefix(BUDGET_PREFIX)?).ok()?;
            Some((convoy, limit))
        })
        .collect())
}

/// Today's budget, when it is used up.
pub fn daily(ctx: &Ctx) -> Result<Option<Crossed>> {
    let Some(limit) = daily_limit(ctx)? else {
        return Ok(None);
    };
    let day = today(ctx);
    let spent: f64 = spent_by(ctx, UsageKey::Day, Some(&day))?
        .get(&day)
        .copied()
        .unwrap_or(0.0);
    Ok((spent >= limit).then(|| Crossed::new("daily", limit, spent)))
}

/// Open convoys whose budget is used up.
pub fn convoys(ctx: &Ctx) -> Result<Vec<Crossed>> {
    let limits = convoy_limits(ctx)?;
    if limits.is_empty() {
        return Ok(Vec::new());
    }
    let spent = spent_by(ctx, UsageKey::Convoy, None)?;
    Ok(convoys_crossed(limits, &spent))
}

fn convoys_crossed(limits: Vec<(String, f64)>, spent: &BTreeMap<String, f64>) -> Vec<Crossed> {
    limits
        .into_iter()
        .filter_map(|(convoy, limit)| {
            let s = spent.get(&convoy).copied().unwrap_or(0.0);
            (s >= limit).then(|| Crossed::new(&convoy, limit, s))
        })
        .collect()
}

/// Every budget used up now (daily first).
pub fn crossed(ctx: &Ctx) -> Result<Vec<Crossed>> {
    let mut out: Vec<Crossed> = daily(ctx)?.into_iter().collect();
    out.extend(convoys(ctx)?);
    Ok(out)
}

/// Every budget used up, judged from figures already read: today's spending and each
/// convoy's (priced dollars).
pub fn crossed_given(
    ctx: &Ctx,
    today_usd: f64,
    convoy_usd: &BTreeMap<String, f64>,
) -> Result<Vec<Crossed>> {
    let mut out: Vec<Crossed> = daily_limit(ctx)?
        .filter(|l| today_usd >= *l)
        .map(|l| Crossed::new("daily", l, today_usd))
        .into_iter()
        .collect();
    out.extend(convoys_crossed(convoy_limits(ctx)?, convoy_usd));
    Ok(out)
}

/// The used-up budget that holds `bead` back (the day's, or that of a convoy tracking it).
pub fn holding(ctx: &Ctx, bead: &str) -> Result<Option<Crossed>> {
    if let Some(d) = daily(ctx)? {
        return Ok(Some(d));
    }
    let tracking = ctx.reader().convoys_tracking(bead, true)?;
    if tracking.is_empty() {
        return Ok(None);
    }
    Ok(convoys(ctx)?
        .into_iter()
        .find(|c| tracking.contains(&c.budget)))
}

/// Sets (or with None, removes) a convoy's budget.
pub fn set_for_convoy(ctx: &mut Ctx, convoy: &str, usd: Option<f64>) -> Result<()> {
    crate::work::beads::require(ctx, &ctx.reader(), convoy).and_then(|b| {
        if b.issue_type == "convoy" {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{convoy} is a {}, not a convoy",
                b.issue_type
            )))
        }
    })?;
    let old: Vec<String> = ctx
        .reader()
        .labels(convoy)?
        .into_iter()
        .filter(|l| l.starts_with(BUDGET_PREFIX))
        .collect();
    ctx.write(|tx| {
        for l in &old {
            tx.remove_label(convoy, l)?;
        }
        if let Some(v) = usd {
            tx.add_label(convoy, &format!("{BUDGET_PREFIX}{v}"))?;
        }
        Ok(())
    })
}

/// Dollars as a person types them (`25`, `7.50`, `$12`); zero or more.
pub fn parse_usd(text: &str) -> Result<f64> {
    match text.trim().trim_start_matches('$').parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(Error::invalid(format!(
            "{text:?} is not an amount of dollars (like 25 or 7.50)"
        ))),
    }
}
