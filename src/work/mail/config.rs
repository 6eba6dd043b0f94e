//! `gt mail list|group|queue`: the town's mailing lists, groups and queues (town.toml `[mail]`).

use crate::town::settings;
use crate::work::Ctx;
use crate::work::mail::address;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    List,
    Group,
    Queue,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::List => "lists",
            Kind::Group => "groups",
            Kind::Queue => "queues",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub name: String,
    /// List members, group patterns, or queue workers.
    pub members: Vec<String>,
}

pub fn entries(ctx: &Ctx, kind: Kind) -> Vec<Entry> {
    let Some(t) = ctx
        .town
        .config
        .raw
        .get("mail")
        .and_then(|m| m.get(kind.key()))
        .and_then(|t| t.as_table())
    else {
        return Vec::new();
    };
    t.iter()
        .map(|(name, v)| {
            let list = match kind {
                Kind::Queue => v
                    .get("workers")
                    .cloned()
                    .unwrap_or(toml::Value::Array(Vec::new())),
                _ => v.clone(),
            };
            Entry {
                name: name.clone(),
                members: list
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Adds members (list: addresses that exist; group: patterns; queue: worker patterns).
pub fn add(ctx: &mut Ctx, kind: Kind, name: &str, members: &[String]) -> Result<Entry> {
    crate::work::validate_simple_name("name", name)?;
    if kind == Kind::List {
        if members.is_empty() {
            return Err(Error::invalid("a list needs at least one address"));
        }
        let known = address::known_addresses(ctx)?;
        for m in members {
            address::canonical(ctx, m, &known)?;
        }
    }
    if kind == Kind::Group
        && ["town", "crew", "polecats", "witnesses", "refineries"].contains(&name)
    {
        return Err(Error::invalid(format!("@{name} is built in")));
    }
    let mut current = entries(ctx, kind)
        .into_iter()
        .find(|e| e.name == name)
        .map(|e| e.members)
        .unwrap_or_default();
    for m in members {
        if !current.contains(m) {
            current.push(m.clone());
        }
    }
    let mut arr = toml_edit::Array::new();
    for m in &current {
        arr.push(m.clone());
    }
    let item = match kind {
        Kind::Queue => {
            let mut t = toml_edit::InlineTable::new();
            t.insert("workers", toml_edit::Value::Array(arr));
            toml_edit::value(t)
        }
        _ => toml_edit::value(arr),
    };
    settings::set_mail_entry(&ctx.town, kind.key(), name, Some(item))?;
    ctx.reload_town()?;
    Ok(Entry {
        name: name.to_string(),
        members: current,
    })
}

/// Removes members, or the whole entry when none are given.
pub fn remove(ctx: &mut Ctx, kind: Kind, name: &str, members: &[String]) -> Result<()> {
    let Some(entry) = entries(ctx, kind).into_iter().find(|e| e.name == name) else {
        return Err(Error::invalid(format!(
            "no {} named {name:?}",
            kind.key().trim_end_matches('s')
        )));
    };
    if members.is_empty() {
        settings::set_mail_entry(&ctx.town, kind.key(), name, None)?;
    } else {
        let left: Vec<String> = entry
            .members
            .into_iter()
            .filter(|m| !members.contains(m))
            .collect();
        let mut arr = toml_edit::Array::new();
        for m in &left {
            arr.push(m.clone());
        }
        let item = match kind {
            Kind::Queue => {
                let mut t = toml_edit::InlineTable::new();
                t.insert("workers", toml_edit::Value::Array(arr));
                toml_edit::value(t)
            }
            _ => toml_edit::value(arr),
        };
        settings::set_mail_entry(&ctx.town, kind.key(), name, Some(item))?;
    }
    ctx.reload_town()
}
