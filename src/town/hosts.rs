//! `hosts.toml` in the town's root: the other machines the town runs agents on. Kept whole
//! (toml_edit) so keys this version does not know survive a change.

use super::{TownError, TownPaths};
use std::path::PathBuf;

/// The town's own machine, always there: no host may take its name.
pub const LOCAL: &str = "local";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostConfig {
    pub name: String,
    pub url: String,
    /// How many agents may run there at once (0: no limit).
    pub max_agents: u32,
    pub added_at: String,
}

fn path(paths: &TownPaths) -> PathBuf {
    paths.root.join("hosts.toml")
}

/// Every host, in name order. A malformed entry is an error naming it (never skipped: an
/// agent placed there would run nowhere).
pub fn load(paths: &TownPaths) -> Result<Vec<HostConfig>, TownError> {
    let p = path(paths);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TownError::io(&p, e)),
    };
    let bad = |message: String| TownError::BadConfig {
        path: p.display().to_string(),
        message,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let Some(hosts) = table.get("hosts") else {
        return Ok(Vec::new());
    };
    let hosts = hosts
        .as_table()
        .ok_or_else(|| bad("`hosts` must be a table".into()))?;
    let mut out = Vec::new();
    for (name, v) in hosts {
        validate_name(name).map_err(|e| bad(e.to_string()))?;
        let t = v
            .as_table()
            .ok_or_else(|| bad(format!("hosts.{name} must be a table")))?;
        let url = t
            .get("url")
            .and_then(|u| u.as_str())
            .ok_or_else(|| bad(format!("hosts.{name} has no url")))?;
        let max = t
            .get("max_agents")
            .and_then(|m| m.as_integer())
            .unwrap_or(0);
        out.push(HostConfig {
            name: name.clone(),
            url: url.to_string(),
            max_agents: u32::try_from(max)
                .map_err(|_| bad(format!("hosts.{name}.max_agents must be 0 or more")))?,
            added_at: t
                .get("added_at")
                .and_then(|a| a.as_str())
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(out)
}

/// A host's name: lower-case letters, digits and `-`, not `local`.
pub fn validate_name(name: &str) -> Result<(), TownError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(TownError::BadName {
            what: "host name",
            name: name.to_string(),
            rule: "lower-case letters, digits and -, up to 32, starting with a letter or digit"
                .into(),
        });
    }
    if name == LOCAL {
        return Err(TownError::BadName {
            what: "host name",
            name: name.to_string(),
            rule: "`local` is the town's own machine".into(),
        });
    }
    Ok(())
}

/// Adds (or replaces) a host.
pub fn put(paths: &TownPaths, h: &HostConfig) -> Result<(), TownError> {
    edit(paths, |doc| {
        let hosts = doc
            .entry("hosts")
            .or_insert(toml_edit::table())
            .as_table_mut()
            .ok_or("`hosts` is not a table")?;
        hosts.set_implicit(true);
        let mut t = toml_edit::Table::new();
        t["url"] = toml_edit::value(&h.url);
        t["max_agents"] = toml_edit::value(i64::from(h.max_agents));
        t["added_at"] = toml_edit::value(&h.added_at);
        hosts.insert(&h.name, toml_edit::Item::Table(t));
        Ok(())
    })
}

/// Removes a host; whether it was there.
pub fn remove(paths: &TownPaths, name: &str) -> Result<bool, TownError> {
    let mut was = false;
    edit(paths, |doc| {
        if let Some(hosts) = doc.get_mut("hosts").and_then(|h| h.as_table_mut()) {
            was = hosts.remove(name).is_some();
        }
        Ok(())
    })?;
    Ok(was)
}

fn edit(
    paths: &TownPaths,
    f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), &'static str>,
) -> Result<(), TownError> {
    let p = path(paths);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# The machines this town runs agents on (`gt host add`).\n".to_string()
        }
        Err(e) => return Err(TownError::io(&p, e)),
    };
    let bad = |message: String| TownError::BadConfig {
        path: p.display().to_string(),
        message,
    };
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| bad(e.to_string()))?;
    f(&mut doc).map_err(|m| bad(m.to_string()))?;
    super::write_atomic(&p, doc.to_string().as_bytes())
}
