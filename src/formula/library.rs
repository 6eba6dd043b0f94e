//! Finding formulas: rig → town → user → built-in; the first file named `<name>.formula.toml`
//! wins and shadows the rest.

use super::builtin;
use super::compose;
use super::error::FormulaError;
use super::model::{Formula, Kind, Origin};
use super::parse::{Naming, parse_formula};
use super::resolved::Resolved;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const SUFFIX: &str = ".formula.toml";

/// One line of `gt formula list`.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub name: String,
    /// `None` when the file does not parse.
    pub kind: Option<Kind>,
    /// The first non-empty line of the description.
    pub description: String,
    pub origin: Origin,
    /// Resolved step count; `None` when it does not resolve.
    pub steps: Option<usize>,
    /// Later layers holding a formula of the same name, hidden by this one.
    pub shadows: Vec<Origin>,
    pub error: Option<String>,
}

/// The search path for formulas.
#[derive(Debug, Clone)]
pub struct Library {
    dirs: Vec<(Origin, PathBuf)>,
    builtins: bool,
}

struct Found {
    origin: Origin,
    label: Arc<str>,
    text: String,
}

impl Library {
    /// `<town>/<rig>/formulas` (when `rig` is given), `<town>/formulas`, the user's
    /// `~/.config/gt/formulas` (beside the user config file), then the built-ins.
    pub fn new(town_root: &Path, rig: Option<&str>) -> Library {
        let mut dirs = Vec::new();
        if let Some(rig) = rig {
            let d = town_root.join(rig).join("formulas");
            dirs.push((Origin::Rig(d.clone()), d));
        }
        let d = town_root.join("formulas");
        dirs.push((Origin::Town(d.clone()), d));
        if let Some(parent) = crate::town::settings::user_config_path()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            let d = parent.join("formulas");
            dirs.push((Origin::User(d.clone()), d));
        }
        Library {
            dirs,
            builtins: true,
        }
    }

    /// Exactly these dirs (first wins), then the built-ins when `builtins`.
    pub fn from_dirs(dirs: Vec<(Origin, PathBuf)>, builtins: bool) -> Library {
        Library { dirs, builtins }
    }

    /// The dirs searched, in order.
    pub fn dirs(&self) -> &[(Origin, PathBuf)] {
        &self.dirs
    }

    /// Every formula visible, by name. A broken file is listed with its error, not fatal.
    pub fn list(&self) -> Vec<Listed> {
        let mut seen: BTreeMap<String, Vec<Origin>> = BTreeMap::new();
        for (origin, dir) in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<(String, PathBuf)> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let file = e.file_name().into_string().ok()?;
                    let name = file.strip_suffix(SUFFIX)?.to_string();
                    (is_formula_name(&name) && e.path().is_file()).then(|| (name, e.path()))
                })
                .collect();
            names.sort();
            for (name, path) in names {
                seen.entry(name).or_default().push(origin.with_path(path));
            }
        }
        if self.builtins {
            for name in builtin::names() {
                seen.entry(name.to_string())
                    .or_default()
                    .push(Origin::BuiltIn);
            }
        }
        seen.into_iter()
            .filter_map(|(name, mut origins)| {
                if origins.is_empty() {
                    return None;
                }
                let origin = origins.remove(0);
                Some(self.listed(name, origin, origins))
            })
            .collect()
    }

    fn listed(&self, name: String, origin: Origin, shadows: Vec<Origin>) -> Listed {
        let mut l = Listed {
            name,
            kind: None,
            description: String::new(),
            origin,
            steps: None,
            shadows,
            error: None,
        };
        match self.load(&l.name) {
            Ok(f) => {
                l.kind = Some(f.kind);
                l.description = f
                    .description
                    .as_deref()
                    .and_then(|d| d.lines().map(str::trim).find(|x| !x.is_empty()))
                    .unwrap_or_default()
                    .to_string();
                match self.resolve(&l.name) {
                    Ok(r) => {
                        l.kind = Some(r.kind);
                        l.steps = Some(r.steps.len());
                    }
                    Err(e) => l.error = Some(e.to_string()),
                }
            }
            Err(e) => l.error = Some(e.to_string()),
        }
        l
    }

    /// Parse + validate + compose (extends, expand, aspects) + validate the result.
    pub fn resolve(&self, name: &str) -> Result<Resolved, FormulaError> {
        let found = self.find(name)?;
        let f = parse_formula(&found.text, &found.label, Naming::Expect(name))?;
        compose::resolve(self, f, found.origin)
    }

    /// The file as written (for `gt formula show` without `--resolved`).
    pub fn load(&self, name: &str) -> Result<Formula, FormulaError> {
        let found = self.find(name)?;
        parse_formula(&found.text, &found.label, Naming::Expect(name))
    }

    /// Where `name` would be loaded from.
    pub fn origin_of(&self, name: &str) -> Result<Origin, FormulaError> {
        self.find(name).map(|f| f.origin)
    }

    /// Resolve TOML text directly (`file_label` names it in messages). Its name is its
    /// `formula` key, else the label's file name without `.formula.toml`. `extends` and
    /// `[compose]` names are looked up in this library. The origin is `Origin::BuiltIn`
    /// (text made by the program); see `resolve_text_with_origin`.
    pub fn resolve_text(&self, text: &str, file_label: &str) -> Result<Resolved, FormulaError> {
        self.resolve_text_with_origin(text, file_label, Origin::BuiltIn)
    }

    pub fn resolve_text_with_origin(
        &self,
        text: &str,
        file_label: &str,
        origin: Origin,
    ) -> Result<Resolved, FormulaError> {
        let label: Arc<str> = Arc::from(file_label);
        let stem = Path::new(file_label)
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_suffix(SUFFIX))
            .filter(|n| is_formula_name(n));
        let f = parse_formula(text, &label, Naming::Fallback(stem))?;
        compose::resolve(self, f, origin)
    }

    fn find(&self, name: &str) -> Result<Found, FormulaError> {
        if !is_formula_name(name) {
            return Err(FormulaError::BadName {
                name: name.to_string(),
            });
        }
        let file = format!("{name}{SUFFIX}");
        for (origin, dir) in &self.dirs {
            let path = dir.join(&file);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    return Ok(Found {
                        label: Arc::from(path.display().to_string()),
                        origin: origin.with_path(path),
                        text,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(FormulaError::Io { path, source }),
            }
        }
        if self.builtins
            && let Some(text) = builtin::get(name)
        {
            return Ok(Found {
                origin: Origin::BuiltIn,
                label: Arc::from(format!("built-in {file}")),
                text: text.to_string(),
            });
        }
        let mut searched: Vec<String> = self
            .dirs
            .iter()
            .map(|(_, d)| d.display().to_string())
            .collect();
        if self.builtins {
            searched.push("the built-in formulas".to_string());
        }
        Err(FormulaError::NotFound {
            name: name.to_string(),
            searched,
        })
    }
}

/// Letters, digits, `-`, `_`, `.`; not starting with `.` (so no `..` or hidden files).
pub(crate) fn is_formula_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_formula_name("mol-polecat-work"));
        assert!(is_formula_name("towers-of-hanoi-7"));
        assert!(!is_formula_name("../etc/passwd"));
        assert!(!is_formula_name(".hidden"));
        assert!(!is_formula_name(""));
        assert!(!is_formula_name("a/b"));
    }

    #[test]
    fn not_found_names_the_search_path() {
        let lib = Library::from_dirs(
            vec![(Origin::Town("/nowhere".into()), "/nowhere".into())],
            true,
        );
        let err = lib.resolve("no-such-formula").unwrap_err().to_string();
        assert!(err.contains("/nowhere"), "{err}");
        assert!(err.contains("built-in"), "{err}");
        assert!(err.contains("gt formula list"), "{err}");
    }
}
