//! A nudge to many agents: a rig (`shop/`), a group (`@crew`, `@polecats`, `@town`, the
//! town's `[mail]` groups), a pattern (`shop/polecats/*`, `*` matching one segment), or every
//! agent with a running session (`gt broadcast`). Each message goes through the one confirmed
//! path of a single nudge (`delivery::nudge`: inert, pasted, verified, queued when busy), a
//! few agents at a time, and each agent's outcome is reported.

use crate::work::Ctx;
use crate::work::agents::{self, AgentInfo, delivery};
use crate::work::mail::address;
use crate::{Error, Result};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

/// Deliveries under way at once: each mostly waits on a screen, and each polls tmux.
const PARALLEL: usize = 4;

/// Whether a nudge target names a group rather than one agent.
pub fn is_group(target: &str) -> bool {
    let t = target.trim();
    t.ends_with('/') || t.starts_with('@') || t.contains('*')
}

/// One agent's outcome: `delivered`, `queued` (busy: it gets it at its next idle prompt),
/// `failed` (with the reason), or `skipped` (no running session to deliver into).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgentOutcome {
    pub agent: String,
    pub state: String,
    /// The message's id (`gt nudge --status <id>`); none when nothing was queued.
    pub id: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub delivered: usize,
    pub queued: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// What a group nudge or a broadcast did, agent by agent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroupReport {
    pub target: String,
    pub results: Vec<AgentOutcome>,
    pub summary: Summary,
}

/// How the messages go: the wait for a busy agent, and whether a still-queued message is
/// handed to a background deliverer.
#[derive(Debug, Clone, Copy)]
pub struct Sending {
    pub wait: Duration,
    pub background: bool,
}

/// `gt nudge <group> <text>`: every agent the group names; those without a running session
/// are skipped (and said so). A group naming nobody, or nobody running, is bad input.
pub fn nudge_group(
    ctx: &mut Ctx,
    target: &str,
    sender: &str,
    text: &str,
    how: Sending,
) -> Result<GroupReport> {
    let target = target.trim();
    let members = group(ctx, target, sender)?;
    if members.is_empty() {
        return Err(Error::invalid(format!(
            "{target:?} names no agent (patterns match whole segments: shop/polecats/*, */crew/*; `gt agents` lists them); nothing was sent"
        )));
    }
    let running = running(ctx)?;
    let (live, skipped): (Vec<AgentInfo>, Vec<AgentInfo>) = members
        .into_iter()
        .partition(|a| running.get(&a.address) == Some(&true));
    if live.is_empty() {
        return Err(Error::invalid(format!(
            "none of the {} agent(s) {target:?} names has a running session (`gt agent start` starts one); nothing was sent",
            skipped.len()
        )));
    }
    let skipped = skipped
        .into_iter()
        .map(|a| AgentOutcome {
            reason: Some(match running.get(&a.address) {
                Some(_) => "its program has exited (no session to deliver into)".into(),
                None => "no running session".into(),
            }),
            agent: a.address,
            state: "skipped".into(),
            id: None,
        })
        .collect();
    send_all(ctx, target, live, skipped, sender, text, how)
}

/// `gt broadcast <text>`: every agent (of `rig`, or of the town) with a running session,
/// except the sender.
pub fn broadcast(
    ctx: &mut Ctx,
    rig: Option<&str>,
    sender: &str,
    text: &str,
    how: Sending,
) -> Result<GroupReport> {
    if let Some(r) = rig {
        ctx.town.rig(r)?;
    }
    let running = running(ctx)?;
    let live: Vec<AgentInfo> = agents::list(&ctx.reader(), rig)?
        .into_iter()
        .filter(|a| a.address != sender && running.get(&a.address) == Some(&true))
        .collect();
    if live.is_empty() {
        return Err(Error::invalid(format!(
            "no agent{} has a running session; nothing was sent",
            rig.map(|r| format!(" of rig {r}")).unwrap_or_default()
        )));
    }
    let target = match rig {
        Some(r) => format!("every running agent of {r}"),
        None => "every running agent".to_string(),
    };
    send_all(ctx, &target, live, Vec::new(), sender, text, how)
}

/// The agents (with a ledger record) a group target names, the sender excepted.
fn group(ctx: &Ctx, target: &str, sender: &str) -> Result<Vec<AgentInfo>> {
    let all: Vec<AgentInfo> = agents::list(&ctx.reader(), None)?
        .into_iter()
        .filter(|a| a.address != sender)
        .collect();
    let known: BTreeSet<String> = all.iter().map(|a| a.address.clone()).collect();
    let names: BTreeSet<String> = if let Some(g) = target.strip_prefix('@') {
        address::group_members(ctx, g, &known)?
            .into_iter()
            .collect()
    } else if target.contains('*') {
        // A pattern is checked like an address, segment by segment.
        known
            .iter()
            .filter(|a| address::pattern_matches(target, a))
            .cloned()
            .collect()
    } else {
        let rig = target.trim_end_matches('/');
        if rig.is_empty() || rig.contains('/') {
            return Err(Error::invalid(format!(
                "{target:?} is not a rig: write <rig>/ (every agent of the rig) or a pattern such as {rig}/* "
            )));
        }
        ctx.town.rig(rig)?;
        all.iter()
            .filter(|a| a.rig.as_deref() == Some(rig))
            .map(|a| a.address.clone())
            .collect()
    };
    Ok(all
        .into_iter()
        .filter(|a| names.contains(&a.address))
        .collect())
}

/// Each agent's window as tmux lists it: true when its program runs, false when it exited;
/// absent when it has no window.
fn running(ctx: &Ctx) -> Result<std::collections::HashMap<String, bool>> {
    let mut out = std::collections::HashMap::new();
    for p in ctx.tmux().panes()? {
        if let Some(a) = p.agent {
            let alive = out.get(&a).copied().unwrap_or(false) || !p.dead;
            out.insert(a, alive);
        }
    }
    Ok(out)
}

/// Checks the text against every runtime first (a refusal is bad input: nothing is sent to
/// anyone), then delivers to each, `PARALLEL` at a time, each on its own ledger connection.
fn send_all(
    ctx: &mut Ctx,
    target: &str,
    live: Vec<AgentInfo>,
    skipped: Vec<AgentOutcome>,
    sender: &str,
    text: &str,
    how: Sending,
) -> Result<GroupReport> {
    for a in &live {
        let rt = delivery::runtime_of(ctx, a)?;
        delivery::inert(&rt, text)
            .map_err(|e| Error::invalid(format!("{e} (for {}); nothing was sent", a.address)))?;
    }
    let workers = live.len().min(PARALLEL);
    let mut ctxs = Vec::with_capacity(workers.saturating_sub(1));
    for _ in 1..workers {
        ctxs.push(ctx.sibling()?);
    }
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<AgentOutcome>>> = Mutex::new(vec![None; live.len()]);
    let work = |c: &mut Ctx| loop {
        let i = {
            let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
            let i = *n;
            *n += 1;
            i
        };
        let Some(a) = live.get(i) else { return };
        let o = one(c, &a.address, sender, text, how);
        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(o);
    };
    std::thread::scope(|s| {
        for c in ctxs.iter_mut() {
            s.spawn(|| work(c));
        }
        work(ctx);
    });
    let mut results: Vec<AgentOutcome> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .zip(&live)
        .map(|(o, a)| {
            o.unwrap_or_else(|| AgentOutcome {
                agent: a.address.clone(),
                state: "failed".into(),
                id: None,
                reason: Some("its delivery did not run (a worker stopped)".into()),
            })
        })
        .collect();
    results.extend(skipped);
    results.sort_by(|a, b| a.agent.cmp(&b.agent));
    let mut summary = Summary::default();
    for r in &results {
        match r.state.as_str() {
            "delivered" => summary.delivered += 1,
            "queued" => summary.queued += 1,
            "skipped" => summary.skipped += 1,
            _ => summary.failed += 1,
        }
    }
    Ok(GroupReport {
        target: target.to_string(),
        results,
        summary,
    })
}

/// One agent's nudge, as a single `gt nudge` makes it; an error is that agent's failure.
fn one(ctx: &mut Ctx, agent: &str, sender: &str, text: &str, how: Sending) -> AgentOutcome {
    match delivery::nudge(ctx, agent, sender, text, how.wait, how.background) {
        Ok(r) => {
            let state = match r.state {
                delivery::DeliveryState::Delivered => "delivered",
                delivery::DeliveryState::Queued => "queued",
                delivery::DeliveryState::Failed => "failed",
                // Not an end state: not vouched for as delivered.
                s => {
                    return AgentOutcome {
                        agent: r.agent,
                        state: "failed".into(),
                        id: Some(r.id),
                        reason: Some(format!(
                            "its arrival was not confirmed (left {s}; `gt nudge --status {}`)",
                            r.id
                        )),
                    };
                }
            };
            AgentOutcome {
                agent: r.agent,
                state: state.into(),
                id: Some(r.id),
                reason: r.reason,
            }
        }
        Err(e) => AgentOutcome {
            agent: agent.to_string(),
            state: "failed".into(),
            id: None,
            reason: Some(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_told_from_single_agents() {
        assert!(is_group("shop/"));
        assert!(is_group("@crew"));
        assert!(is_group("shop/polecats/*"));
        assert!(!is_group("shop/polecats/ash"));
        assert!(!is_group("shop/ash"));
        assert!(!is_group("mayor"));
    }
}
