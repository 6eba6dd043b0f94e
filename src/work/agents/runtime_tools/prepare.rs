//! `gt config agent prepare <runtime>`: the changes a preset lists to the runtime's own
//! config files (JSON under the user's home), made only when the user asks — shown first,
//! other keys kept, nothing else touched.

use crate::agent::{Runtime, runtime::Prepare};
use crate::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub file: PathBuf,
    pub key: String,
    pub from: Option<Value>,
    pub to: Value,
    pub why: String,
}

/// What `prepare` would change (nothing when every key already has its value).
pub fn plan(rt: &Runtime, home: &Path) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    for p in &rt.prepare {
        let file = file_of(p, home);
        let current = read_json(&file)?;
        for (k, v) in &p.set {
            let to = to_json(v);
            let from = current.get(k).cloned();
            if from.as_ref() != Some(&to) {
                out.push(Change {
                    file: file.clone(),
                    key: k.clone(),
                    from,
                    to,
                    why: p.why.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Makes the planned changes; returns them.
pub fn apply(rt: &Runtime, home: &Path) -> Result<Vec<Change>> {
    let changes = plan(rt, home)?;
    for file in changes
        .iter()
        .map(|c| &c.file)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let mut doc = read_json(file)?;
        for c in changes.iter().filter(|c| &c.file == file) {
            doc.insert(c.key.clone(), c.to.clone());
        }
        let text = serde_json::to_string_pretty(&Value::Object(doc))
            .map_err(|e| Error::failed(format!("cannot write {}: {e}", file.display())))?;
        write_private(file, text.as_bytes())?;
    }
    Ok(changes)
}

fn file_of(p: &Prepare, home: &Path) -> PathBuf {
    home.join(p.file.trim_start_matches("~/"))
}

fn read_json(file: &Path) -> Result<serde_json::Map<String, Value>> {
    match std::fs::read_to_string(file) {
        Ok(text) if text.trim().is_empty() => Ok(serde_json::Map::new()),
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(Error::failed(format!(
                "{} is not a JSON object; left as it is (fix or move it first)",
                file.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(serde_json::Map::new()),
        Err(e) => Err(Error::io(format!("read {}", file.display()), e)),
    }
}

fn to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Written whole (a reader never sees half), a new file readable by its owner only.
fn write_private(file: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let existed = file.exists();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    }
    crate::fsutil::write_atomic(file, bytes)
        .map_err(|e| Error::io(format!("write {}", file.display()), e))?;
    if !existed {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("chmod {}", file.display()), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runtime::presets;

    #[test]
    fn keys_are_merged_into_the_file_and_others_kept() {
        let home = tempfile::tempdir().expect("tempdir");
        let claude = presets()["claude"].clone();
        let file = home.path().join(".claude.json");
        std::fs::write(&file, r#"{"theme":"dark","projects":{"/x":{"a":1}}}"#).expect("write");
        let planned = plan(&claude, home.path()).expect("plan");
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].key, "hasCompletedOnboarding");
        apply(&claude, home.path()).expect("apply");
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
        assert_eq!(v["hasCompletedOnboarding"], true);
        assert_eq!(v["theme"], "dark");
        assert_eq!(v["projects"]["/x"]["a"], 1);
        assert!(
            plan(&claude, home.path()).expect("plan").is_empty(),
            "a second run changes nothing"
        );
        std::fs::write(&file, "not json").expect("write");
        assert!(apply(&claude, home.path()).is_err());
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "not json");
    }
}
