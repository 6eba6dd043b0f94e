//! `town.toml` and `rig.toml`: typed views over the raw TOML, which is kept whole so that keys
//! this version does not know survive a rewrite.

use super::TownError;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct TownConfig {
    pub name: String,
    pub raw: toml::Table,
}

#[derive(Debug, Clone)]
pub struct RigConfig {
    pub name: String,
    pub url: String,
    pub prefix: String,
    pub default_branch: String,
    pub raw: toml::Table,
}

fn load_table(path: &Path) -> Result<toml::Table, TownError> {
    let text = std::fs::read_to_string(path).map_err(|e| TownError::io(path, e))?;
    text.parse::<toml::Table>()
        .map_err(|e| TownError::BadConfig {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}

fn required_str(table: &toml::Table, key: &str, path: &Path) -> Result<String, TownError> {
    match table.get(key) {
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(TownError::BadConfig {
            path: path.display().to_string(),
            message: format!("`{key}` must be a string"),
        }),
        None => Err(TownError::BadConfig {
            path: path.display().to_string(),
            message: format!("missing `{key}`"),
        }),
    }
}

impl TownConfig {
    pub fn load(path: &Path) -> Result<Self, TownError> {
        let raw = load_table(path)?;
        let name = required_str(&raw, "name", path)?;
        Ok(TownConfig { name, raw })
    }

    /// The text of a new `town.toml`.
    pub fn initial_text(name: &str, owner: &str, created_at: &str) -> String {
        let mut doc = toml_edit::DocumentMut::new();
        doc["name"] = toml_edit::value(name);
        doc["owner"] = toml_edit::value(owner);
        doc["created_at"] = toml_edit::value(created_at);
        doc["default_agent"] = toml_edit::value("claude");
        let mut text = String::from(
            "# Gas Town configuration. `gt config list` shows every setting and where it comes from.\n",
        );
        text.push_str(&doc.to_string());
        text
    }
}

impl RigConfig {
    pub fn load(path: &Path) -> Result<Self, TownError> {
        let raw = load_table(path)?;
        Ok(RigConfig {
            name: required_str(&raw, "name", path)?,
            url: required_str(&raw, "url", path)?,
            prefix: required_str(&raw, "prefix", path)?,
            default_branch: required_str(&raw, "default_branch", path)?,
            raw,
        })
    }

    /// The text of a new `rig.toml`.
    pub fn initial_text(
        name: &str,
        url: &str,
        prefix: &str,
        default_branch: &str,
        created_at: &str,
    ) -> String {
        let mut doc = toml_edit::DocumentMut::new();
        doc["name"] = toml_edit::value(name);
        doc["url"] = toml_edit::value(url);
        doc["prefix"] = toml_edit::value(prefix);
        doc["default_branch"] = toml_edit::value(default_branch);
        doc["created_at"] = toml_edit::value(created_at);
        let mut text = String::from(
            "# Rig configuration. `gt config list --rig <name>` shows effective settings.\n",
        );
        text.push_str(&doc.to_string());
        text
    }
}
