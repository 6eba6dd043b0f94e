//! Mail addresses: agents, `overseer`, `<rig>/` (everyone in a rig), `list:<name>` (a fixed
//! fan-out list), `queue:<name>` (one copy, claimed by one worker), `@group` and patterns such
//! as `<rig>/polecats/*`. Lists, groups and queues live in town.toml under `[mail]`.

use crate::agent::Address;
use crate::work::Ctx;
use crate::work::agents;
use crate::work::agents::departed;
use crate::{Error, Result};
use std::collections::BTreeSet;

/// Where one copy of a message goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recipient {
    /// An agent address or `overseer`.
    Mailbox(String),
    /// A shared queue; one worker claims the copy.
    Queue(String),
    /// An agent that is gone: its copy is kept for the overseer, saying why.
    Forwarded { gone: String, why: String },
}

impl Recipient {
    /// The assignee of the message bead.
    pub fn assignee(&self) -> String {
        match self {
            Recipient::Mailbox(a) => a.clone(),
            Recipient::Queue(q) => format!("queue:{q}"),
            Recipient::Forwarded { .. } => departed::FORWARD_TO.to_string(),
        }
    }
}

/// Every address mail can reach directly: live agents, the town roles, and each rig's
/// supervisors.
pub fn known_addresses(ctx: &Ctx) -> Result<BTreeSet<String>> {
    let mut out: BTreeSet<String> = ["overseer", "mayor", "deacon"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for a in agents::list(&ctx.reader(), None)? {
        out.insert(a.address);
    }
    for rig in ctx.town.rigs()? {
        out.insert(format!("{}/witness", rig.name));
        out.insert(format!("{}/refinery", rig.name));
    }
    Ok(out)
}

fn mail_table<'a>(ctx: &'a Ctx, kind: &str) -> Option<&'a toml::Table> {
    ctx.town.config.raw.get("mail")?.get(kind)?.as_table()
}

fn string_list(v: &toml::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `*` matches one path segment (`gastown/polecats/*`, `*/crew/*`).
pub fn pattern_matches(pattern: &str, address: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let a: Vec<&str> = address.split('/').collect();
    p.len() == a.len() && p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a)
}

/// The members of a built-in or configured `@group` among `known` addresses.
pub(in crate::work) fn group_members(
    ctx: &Ctx,
    name: &str,
    known: &BTreeSet<String>,
) -> Result<Vec<String>> {
    let patterns: Vec<String> = match name {
        "town" => return Ok(known.iter().filter(|a| *a != "overseer").cloned().collect()),
        "crew" => vec!["*/crew/*".into()],
        "polecats" => vec!["*/polecats/*".into()],
        "witnesses" => vec!["*/witness".into()],
        "refineries" => vec!["*/refinery".into()],
        _ => match mail_table(ctx, "groups").and_then(|t| t.get(name)) {
            Some(v) => string_list(v),
            None => {
                return Err(Error::invalid(format!(
                    "unknown group @{name}; built in: @town @crew @polecats @witnesses @refineries; add your own with `gt mail group add {name} <pattern>…`"
                )));
            }
        },
    };
    Ok(known
        .iter()
        .filter(|a| patterns.iter().any(|p| pattern_matches(p, a) || p == *a))
        .cloned()
        .collect())
}

/// Resolves one address to its recipients. Unknown addresses, empty groups and lists are bad
/// input: nothing is sent.
pub fn resolve(ctx: &Ctx, address: &str) -> Result<Vec<Recipient>> {
    let known = known_addresses(ctx)?;
    let address = address.trim();
    if let Some(q) = address.strip_prefix("queue:") {
        if mail_table(ctx, "queues").and_then(|t| t.get(q)).is_none() {
            return Err(Error::invalid(format!(
                "unknown queue {q:?}; create it with `gt mail queue add {q} [--worker <pattern>]…`"
            )));
        }
        return Ok(vec![Recipient::Queue(q.to_string())]);
    }
    let members: Vec<String> = if let Some(l) = address.strip_prefix("list:") {
        let Some(v) = mail_table(ctx, "lists").and_then(|t| t.get(l)) else {
            return Err(Error::invalid(format!(
                "unknown list {l:?}; create it with `gt mail list add {l} <address>…`"
            )));
        };
        let members = string_list(v);
        for m in &members {
            if !known.contains(m) {
                return Err(Error::invalid(format!(
                    "list {l:?} names {m:?}, which is not a known address"
                )));
            }
        }
        members
    } else if let Some(g) = address.strip_prefix('@') {
        group_members(ctx, g, &known)?
    } else if address.contains('*') {
        known
            .iter()
            .filter(|a| pattern_matches(address, a))
            .cloned()
            .collect()
    } else if let Some(rig) = address.strip_suffix('/').filter(|r| !r.contains('/')) {
        ctx.town.rig(rig)?;
        known
            .iter()
            .filter(|a| a.starts_with(&format!("{rig}/")))
            .cloned()
            .collect()
    } else {
        match canonical(ctx, address, &known) {
            Ok(a) => vec![a],
            // Someone writing to an agent that finished and was removed (a reply to its
            // Done mail): the message is kept, not refused.
            Err(e) => match departed::former(ctx, address)? {
                Some(d) => {
                    return Ok(vec![Recipient::Forwarded {
                        gone: d.address,
                        why: d.why,
                    }]);
                }
                None => return Err(e),
            },
        }
    };
    if members.is_empty() {
        return Err(Error::invalid(format!(
            "{address:?} reaches nobody right now; nothing was sent"
        )));
    }
    Ok(members.into_iter().map(Recipient::Mailbox).collect())
}

/// An agent address as stored (`<rig>/<name>` becomes the polecat or crew member it names).
pub fn canonical(ctx: &Ctx, address: &str, known: &BTreeSet<String>) -> Result<String> {
    let parsed = Address::parse(address).map_err(Error::Invalid)?;
    let full = match &parsed {
        Address::Short { rig, name } => {
            let crew = format!("{rig}/crew/{name}");
            if known.contains(&crew) {
                crew
            } else {
                format!("{rig}/polecats/{name}")
            }
        }
        Address::Rig { rig } if ctx.town.rig(rig).is_ok() => {
            return Err(Error::invalid(format!(
                "{rig:?} is a rig, not a mailbox; write {rig}/ to reach everyone in it"
            )));
        }
        other => other.to_string(),
    };
    if known.contains(&full) {
        Ok(full)
    } else {
        Err(Error::invalid(format!(
            "unknown address {address:?}: no such agent in this town (`gt agents` lists them)"
        )))
    }
}

/// Resolves every address and de-duplicates the recipients (one copy each).
pub fn resolve_all(ctx: &Ctx, addresses: &[String]) -> Result<Vec<Recipient>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for a in addresses {
        for r in resolve(ctx, a)? {
            if seen.insert(r.clone()) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(pattern_matches(
            "gastown/polecats/*",
            "gastown/polecats/ash"
        ));
        assert!(pattern_matches("*/crew/*", "beads/crew/max"));
        assert!(!pattern_matches("*/crew/*", "beads/polecats/max"));
        assert!(!pattern_matches("gastown/*", "gastown/polecats/ash"));
        assert!(pattern_matches("*/witness", "gastown/witness"));
    }
}
