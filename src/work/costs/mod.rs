//! Tokens and their cost: usage read from the runtimes' transcripts (see
//! `agents::sessions`), summed by agent, bead, rig, convoy, role or day, priced per model;
//! and the budgets that hold new work back when crossed.

pub mod budget;
pub mod prices;

use crate::ledger::UsageKey;
use crate::work::Ctx;
use crate::{Error, Result};
use prices::{Prices, Tokens};
use serde::Serialize;
use std::collections::BTreeMap;

/// The ways `gt costs` sums usage.
pub const BY: &[(&str, UsageKey)] = &[
    ("agent", UsageKey::Agent),
    ("bead", UsageKey::Bead),
    ("rig", UsageKey::Rig),
    ("convoy", UsageKey::Convoy),
    ("role", UsageKey::Role),
    ("day", UsageKey::Day),
    ("session", UsageKey::Session),
];

pub fn parse_by(s: &str) -> Result<UsageKey> {
    BY.iter()
        .find(|(n, _)| *n == s)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            let names: Vec<&str> = BY.iter().map(|(n, _)| *n).collect();
            Error::invalid(format!(
                "cannot sum costs by {s:?}; by one of {}",
                names.join(", ")
            ))
        })
}

fn by_name(key: UsageKey) -> &'static str {
    BY.iter().find(|(_, k)| *k == key).map_or("?", |(n, _)| *n)
}

/// The first UTC day `since` names: `today`, `Nd` (the last N days, today included) or a
/// date (YYYY-MM-DD).
pub fn parse_since(ctx: &Ctx, since: &str) -> Result<String> {
    let today = ctx.now().date_naive();
    let day = if since == "today" {
        Some(today)
    } else if let Some(n) = since.strip_suffix('d').and_then(|n| n.parse::<u32>().ok()) {
        n.checked_sub(1)
            .and_then(|back| today.checked_sub_days(chrono::Days::new(u64::from(back))))
    } else {
        chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").ok()
    };
    day.map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| {
            Error::invalid(format!(
                "--since {since:?}: give `today`, a number of days (`7d`) or a date (2026-12-01)"
            ))
        })
}

/// Usage and cost of one key (or of everything).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CostLine {
    pub key: String,
    pub sessions: i64,
    pub turns: i64,
    pub input: i64,
    pub output: i64,
    pub cache_write: i64,
    pub cache_read: i64,
    /// None: some of its tokens are of a model without a price (named in `unpriced_models`).
    pub cost_usd: Option<f64>,
    /// The cost of the tokens whose model has a price.
    pub priced_usd: f64,
    pub models: Vec<String>,
    pub unpriced_models: Vec<String>,
}

impl CostLine {
    fn add(&mut self, model: &str, t: Tokens, turns: i64, prices: &Prices) {
        self.turns += turns;
        self.input += t.input;
        self.output += t.output;
        self.cache_write += t.cache_write;
        self.cache_read += t.cache_read;
        if !self.models.iter().any(|m| m == model) {
            self.models.push(model.to_string());
        }
        match prices.of(model) {
            Some(p) => self.priced_usd += p.cost(t),
            None if !self.unpriced_models.iter().any(|m| m == model) => {
                self.unpriced_models.push(model.to_string());
            }
            None => {}
        }
        self.cost_usd = self
            .unpriced_models
            .is_empty()
            .then_some(round_micro(self.priced_usd));
    }
}

/// Dollars to the micro-dollar (sums of products of floats are otherwise printed with noise).
fn round_micro(usd: f64) -> f64 {
    (usd * 1_000_000.0).round() / 1_000_000.0
}

#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    pub by: &'static str,
    pub since: Option<String>,
    /// When the shipped prices were taken (the town's own prices override them).
    pub prices_taken: String,
    pub lines: Vec<CostLine>,
    pub total: CostLine,
}

pub fn prices(ctx: &Ctx) -> Result<Prices> {
    Prices::load(ctx.town.config.raw.get("prices"))
}

/// `gt costs`: usage and cost by `key`, from the day `since` on.
pub fn report(ctx: &Ctx, key: UsageKey, since: Option<&str>) -> Result<CostReport> {
    report_priced(ctx, &prices(ctx)?, key, since)
}

fn report_priced(
    ctx: &Ctx,
    prices: &Prices,
    key: UsageKey,
    since: Option<&str>,
) -> Result<CostReport> {
    let r = ctx.reader();
    let mut lines: BTreeMap<String, CostLine> = BTreeMap::new();
    let mut total = CostLine::default();
    for row in r.usage_by(key, since)? {
        let t = Tokens {
            input: row.input,
            output: row.output,
            cache_write: row.cache_write,
            cache_read: row.cache_read,
        };
        let line = lines.entry(row.key.clone()).or_insert_with(|| CostLine {
            key: row.key.clone(),
            ..CostLine::default()
        });
        line.add(&row.model, t, row.turns, prices);
        total.add(&row.model, t, row.turns, prices);
    }
    for (k, n) in r.usage_sessions(Some(key), since)? {
        if let Some(l) = lines.get_mut(&k) {
            l.sessions = n;
        }
    }
    total.sessions = r
        .usage_sessions(None, since)?
        .first()
        .map_or(0, |(_, n)| *n);
    total.key = "total".into();
    total.priced_usd = round_micro(total.priced_usd);
    let mut lines: Vec<CostLine> = lines.into_values().collect();
    for l in &mut lines {
        l.priced_usd = round_micro(l.priced_usd);
    }
    Ok(CostReport {
        by: by_name(key),
        since: since.map(str::to_string),
        prices_taken: prices.taken.clone(),
        lines,
        total,
    })
}

/// Cost per key (priced tokens only) from `since` on — what the budgets and the workspace read.
pub fn spent_by(ctx: &Ctx, key: UsageKey, since: Option<&str>) -> Result<BTreeMap<String, f64>> {
    Ok(report(ctx, key, since)?
        .lines
        .into_iter()
        .map(|l| (l.key, l.priced_usd))
        .collect())
}

/// Today's UTC day.
pub fn today(ctx: &Ctx) -> String {
    ctx.now().format("%Y-%m-%d").to_string()
}

/// Tokens and dollars (None: some tokens are of an unpriced model).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Spend {
    pub tokens: i64,
    pub usd: Option<f64>,
}

impl Spend {
    fn of(l: &CostLine) -> Spend {
        Spend {
            tokens: l.input + l.output + l.cache_write + l.cache_read,
            usd: l.cost_usd,
        }
    }

    /// `$3.40`, or `$?` when the cost is unknown.
    pub fn dollars(&self) -> String {
        match self.usd {
            _ if self.tokens == 0 => "$0".to_string(),
            Some(u) if u >= 100.0 => format!("${u:.0}"),
            Some(u) => format!("${u:.2}"),
            None => "$?".to_string(),
        }
    }
}

/// What the workspace shows of costs: per agent, per convoy, today's total, and the budgets
/// that are used up.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CostSummary {
    pub by_agent: BTreeMap<String, Spend>,
    pub by_convoy: BTreeMap<String, Spend>,
    pub today: Spend,
    pub budgets: Vec<budget::Crossed>,
}

/// Three reports (prices read once); the budgets are judged from the same figures.
pub fn summary(ctx: &Ctx) -> Result<CostSummary> {
    let prices = prices(ctx)?;
    let day = today(ctx);
    let agents = report_priced(ctx, &prices, UsageKey::Agent, None)?;
    let convoys = report_priced(ctx, &prices, UsageKey::Convoy, None)?;
    let today = report_priced(ctx, &prices, UsageKey::Day, Some(&day))?.total;
    let spend = |r: &CostReport| -> BTreeMap<String, Spend> {
        r.lines
            .iter()
            .filter(|l| !l.key.is_empty())
            .map(|l| (l.key.clone(), Spend::of(l)))
            .collect()
    };
    let convoy_usd: BTreeMap<String, f64> = convoys
        .lines
        .iter()
        .map(|l| (l.key.clone(), l.priced_usd))
        .collect();
    Ok(CostSummary {
        by_agent: spend(&agents),
        by_convoy: spend(&convoys),
        budgets: budget::crossed_given(ctx, today.priced_usd, &convoy_usd)?,
        today: Spend::of(&today),
    })
}
