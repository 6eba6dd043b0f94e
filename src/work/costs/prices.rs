//! Model prices: shipped defaults (prices.toml, with the date they were taken) joined or
//! replaced by the town's `[prices."<model>"]` tables.

use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    #[serde(default)]
    pub cache_write: f64,
    #[serde(default)]
    pub cache_read: f64,
}

/// Tokens of one kind each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: i64,
    pub output: i64,
    pub cache_write: i64,
    pub cache_read: i64,
}

impl Price {
    /// The cost of `t`, in dollars.
    pub fn cost(&self, t: Tokens) -> f64 {
        (t.input as f64 * self.input
            + t.output as f64 * self.output
            + t.cache_write as f64 * self.cache_write
            + t.cache_read as f64 * self.cache_read)
            / 1_000_000.0
    }
}

#[derive(Debug, Clone)]
pub struct Prices {
    /// When the shipped prices were taken.
    pub taken: String,
    models: BTreeMap<String, Price>,
}

#[derive(Deserialize)]
struct Shipped {
    taken: String,
    models: BTreeMap<String, Price>,
}

impl Prices {
    /// The shipped prices with the town's on top (`[prices]` of town.toml).
    pub fn load(town_prices: Option<&toml::Value>) -> Result<Prices> {
        let shipped: Shipped = toml::from_str(include_str!("prices.toml"))
            .map_err(|e| Error::failed(format!("the shipped prices do not parse: {e}")))?;
        let mut models = shipped.models;
        if let Some(v) = town_prices {
            let own: BTreeMap<String, Price> = v.clone().try_into().map_err(|e| {
                Error::invalid(format!(
                    "town.toml [prices]: {e} (each model takes input, output, cache_write, \
                     cache_read in dollars per million tokens)"
                ))
            })?;
            for (name, p) in &own {
                let fields = [p.input, p.output, p.cache_write, p.cache_read];
                if fields.iter().any(|x| !x.is_finite() || *x < 0.0) {
                    return Err(Error::invalid(format!(
                        "town.toml [prices.{name:?}]: prices are dollars per million tokens, \
                         zero or more"
                    )));
                }
            }
            models.extend(own);
        }
        Ok(Prices {
            taken: shipped.taken,
            models,
        })
    }

    /// The price of `model`: its own entry, else the longest entry its name starts with (a
    /// dated release uses its family's price).
    pub fn of(&self, model: &str) -> Option<Price> {
        if let Some(p) = self.models.get(model) {
            return Some(*p);
        }
        self.models
            .iter()
            .filter(|(k, _)| {
                model.starts_with(k.as_str()) && model[k.len()..].starts_with(['-', '@', ':'])
            })
            .max_by_key(|(k, _)| k.len())
            .map(|(_, p)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dated_model_uses_its_familys_price_and_the_town_overrides() {
        let p = Prices::load(None).expect("shipped");
        let sonnet = p.of("claude-sonnet-4-5-20250929").expect("priced");
        assert_eq!(sonnet.input, 3.0);
        assert_eq!(p.of("gpt-5-mini-2025").expect("mini").input, 0.25);
        assert!(p.of("claude-sonnet-45").is_none(), "not a family member");
        assert!(p.of("scripted-model").is_none());
        let own: toml::Value =
            toml::from_str("[\"scripted-model\"]\ninput = 2.0\noutput = 4.0").expect("toml");
        let p = Prices::load(Some(&own)).expect("town");
        let t = Tokens {
            input: 1_000_000,
            output: 500_000,
            ..Tokens::default()
        };
        assert_eq!(p.of("scripted-model").expect("priced").cost(t), 4.0);
        let bad: toml::Value = toml::from_str("[m]\ninput = -1.0\noutput = 1.0").expect("toml");
        assert!(Prices::load(Some(&bad)).is_err());
        let typo: toml::Value = toml::from_str("[m]\ninptu = 1.0").expect("toml");
        assert!(Prices::load(Some(&typo)).is_err());
    }
}
