//! Several accounts per runtime: each an API key (any environment) or a configuration
//! directory of its own, declared in town.toml —
//!
//! ```toml
//! [accounts]
//! rotate = true                 # a rate-limited agent's next session takes the next account
//!
//! [accounts.claude.work]
//! env = { ANTHROPIC_API_KEY = "sk-ant-…" }
//!
//! [accounts.claude.personal]
//! config_dir = "~/.claude-personal"
//! ```
//!
//! New sessions use the selected account (`gt account use`), or the first; an account seen
//! rate-limited is passed over (with `rotate`) until its limit is over. Which account a
//! session runs on is recorded with the session.

use crate::agent::Runtime;
use crate::work::Ctx;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// The variable naming the account a session runs on (its hooks record it).
pub const ACCOUNT_ENV: &str = "GT_ACCOUNT";

/// How long an account seen rate-limited is passed over when the runtime did not say.
const LIMITED_SECS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub runtime: String,
    pub name: String,
    /// Variable names only: values are secrets.
    pub env_keys: Vec<String>,
    #[serde(skip)]
    pub env: BTreeMap<String, String>,
    pub config_dir: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSpec {
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    config_dir: Option<String>,
}

/// Every account of every runtime, in the order town.toml gives them.
pub fn all(ctx: &Ctx) -> Result<Vec<Account>> {
    let Some(table) = ctx.town.config.raw.get("accounts") else {
        return Ok(Vec::new());
    };
    let bad = |m: String| Error::invalid(format!("town.toml [accounts]: {m}"));
    let table = table
        .as_table()
        .ok_or_else(|| bad("must be a table".into()))?;
    let mut out = Vec::new();
    for (runtime, v) in table {
        if runtime == "rotate" {
            continue;
        }
        let accounts = v.as_table().ok_or_else(|| {
            bad(format!(
                "[accounts.{runtime}] must hold one table per account"
            ))
        })?;
        for (name, spec) in accounts {
            let spec: AccountSpec = spec.clone().try_into().map_err(|e| {
                bad(format!(
                    "[accounts.{runtime}.{name}]: {e} (an account has `env` and/or `config_dir`)"
                ))
            })?;
            if spec.env.is_empty() && spec.config_dir.is_none() {
                return Err(bad(format!(
                    "[accounts.{runtime}.{name}] sets neither `env` nor `config_dir`"
                )));
            }
            out.push(Account {
                runtime: runtime.clone(),
                name: name.clone(),
                env_keys: spec.env.keys().cloned().collect(),
                env: spec.env,
                config_dir: spec.config_dir,
            });
        }
    }
    Ok(out)
}

fn selected_key(runtime: &str) -> String {
    format!("gt.account.{runtime}.selected")
}

fn limited_key(runtime: &str, name: &str) -> String {
    format!("gt.account.{runtime}.{name}.limited_until")
}

/// Until when an account is passed over (None: it is not).
pub fn limited_until(ctx: &Ctx, runtime: &str, name: &str) -> Result<Option<String>> {
    let until = ctx.reader().config_get(&limited_key(runtime, name))?;
    let now = ctx.now();
    Ok(until.filter(|u| crate::time::parse(u).is_some_and(|t| t > now)))
}

/// The account new sessions of `rt` use: the selected one (or the first); with
/// `accounts.rotate`, the first after it that is not rate-limited (the selected one when all
/// are). None: the runtime has no accounts (its own configuration is used).
pub fn for_new_session(ctx: &Ctx, rt: &str) -> Result<Option<Account>> {
    let mine: Vec<Account> = all(ctx)?.into_iter().filter(|a| a.runtime == rt).collect();
    if mine.is_empty() {
        return Ok(None);
    }
    let selected = ctx.reader().config_get(&selected_key(rt))?;
    let start = mine
        .iter()
        .position(|a| Some(&a.name) == selected.as_ref())
        .unwrap_or(0);
    if rotates(ctx)? {
        for i in 0..mine.len() {
            let a = &mine[(start + i) % mine.len()];
            if limited_until(ctx, rt, &a.name)?.is_none() {
                return Ok(Some(a.clone()));
            }
        }
    }
    Ok(mine.into_iter().nth(start))
}

pub fn rotates(ctx: &Ctx) -> Result<bool> {
    Ok(ctx.setting("accounts.rotate", None)?.as_bool())
}

/// The environment an account gives a session of `rt` (its variables, its configuration
/// directory, and its name for the session's record).
pub fn env_of(a: &Account, rt: &Runtime) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = a.env.clone().into_iter().collect();
    if let (Some(dir), Some(var)) = (&a.config_dir, &rt.config_dir_env) {
        let dir = match dir.strip_prefix("~/") {
            Some(rest) => std::env::var("HOME")
                .map(|h| format!("{h}/{rest}"))
                .unwrap_or_else(|_| dir.clone()),
            None => dir.clone(),
        };
        env.push((var.clone(), dir));
    }
    env.push((ACCOUNT_ENV.into(), a.name.clone()));
    env
}

/// `gt account use <runtime> <name>`.
pub fn select(ctx: &mut Ctx, runtime: &str, name: &str) -> Result<Account> {
    let found = all(ctx)?
        .into_iter()
        .find(|a| a.runtime == runtime && a.name == name);
    let Some(a) = found else {
        let known: Vec<String> = all(ctx)?
            .into_iter()
            .filter(|a| a.runtime == runtime)
            .map(|a| a.name)
            .collect();
        return Err(Error::invalid(format!(
            "{runtime} has no account {name:?} in town.toml{}",
            if known.is_empty() {
                " (declare one under [accounts.<runtime>.<name>])".to_string()
            } else {
                format!("; it has: {}", known.join(", "))
            }
        )));
    };
    let key = selected_key(runtime);
    ctx.write(|tx| {
        tx.set_config(&key, Some(name))?;
        tx.record_event(
            None,
            "account_selected",
            None,
            Some(serde_json::json!({"runtime": runtime, "account": name})),
            None,
        )?;
        Ok(())
    })?;
    Ok(a)
}

/// An account's runtime refused it (rate limit): passed over until `reset` (a time the
/// runtime gave: `13s`, `5m`, `2h`), else for an hour.
pub fn mark_limited(ctx: &mut Ctx, runtime: &str, name: &str, reset: Option<&str>) -> Result<()> {
    let secs = reset
        .and_then(|r| crate::time::parse_span(r).ok())
        .map_or(LIMITED_SECS, |d| d.as_secs() as i64)
        .max(60);
    let until = crate::time::format(ctx.now() + chrono::Duration::seconds(secs));
    let key = limited_key(runtime, name);
    let note = serde_json::json!({"runtime": runtime, "account": name, "until": until});
    ctx.write(|tx| {
        tx.set_config(&key, Some(&until))?;
        tx.record_event(None, "account_limited", None, Some(note), None)?;
        Ok(())
    })
}

/// One account as `gt account list|status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    pub selected: bool,
    /// New sessions of its runtime use it now.
    pub next: bool,
    pub limited_until: Option<String>,
    /// Agents whose open session runs on it.
    pub agents: Vec<String>,
}

pub fn list(ctx: &Ctx) -> Result<Vec<AccountView>> {
    let accounts = all(ctx)?;
    let open = ctx
        .reader()
        .recent_sessions(&crate::time::format(ctx.now()))?;
    let mut out = Vec::new();
    for a in &accounts {
        let selected = ctx.reader().config_get(&selected_key(&a.runtime))?;
        let next = for_new_session(ctx, &a.runtime)?.is_some_and(|n| n.name == a.name);
        let first = accounts
            .iter()
            .find(|x| x.runtime == a.runtime)
            .is_some_and(|x| x.name == a.name);
        out.push(AccountView {
            selected: selected.as_deref() == Some(a.name.as_str()) || (selected.is_none() && first),
            next,
            limited_until: limited_until(ctx, &a.runtime, &a.name)?,
            agents: open
                .iter()
                .filter(|s| s.ended_at.is_none() && s.account.as_deref() == Some(&a.name))
                .filter(|s| s.runtime.as_deref() == Some(&a.runtime))
                .map(|s| s.agent.clone())
                .collect(),
            account: a.clone(),
        });
    }
    Ok(out)
}

/// A rate-limited agent: with `accounts.rotate`, the account its session runs on is passed
/// over from now on (until its limit is likely over), and the account its next session
/// would take is returned — None when rotation is off, its account is not known, or no
/// other account is free.
pub fn on_rate_limited(ctx: &mut Ctx, agent: &super::AgentInfo) -> Result<Option<String>> {
    if !rotates(ctx)? {
        return Ok(None);
    }
    let Some(session) = ctx
        .reader()
        .sessions(Some(&agent.address), None, 1)?
        .into_iter()
        .find(|s| s.ended_at.is_none())
    else {
        return Ok(None);
    };
    let (Some(runtime), Some(current)) = (session.runtime.clone(), session.account.clone()) else {
        return Ok(None);
    };
    if limited_until(ctx, &runtime, &current)?.is_none() {
        mark_limited(ctx, &runtime, &current, None)?;
    }
    Ok(for_new_session(ctx, &runtime)?
        .map(|a| a.name)
        .filter(|next| *next != current))
}
