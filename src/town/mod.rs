//! The town on disk: discovery, paths, `town.toml` / `rig.toml`, names and config layers.

mod config;
mod error;
pub mod hosts;
pub mod lock;
pub mod names;
mod paths;
pub mod settings;
pub mod supervisor_status;

pub use config::{RigConfig, TownConfig};
pub use error::TownError;
pub use paths::TownPaths;

use std::path::{Path, PathBuf};

/// A town found on disk, with its parsed `town.toml`.
#[derive(Debug, Clone)]
pub struct Town {
    pub paths: TownPaths,
    pub config: TownConfig,
}

impl Town {
    /// Walks up from `start` to the first directory holding `town.toml`, else uses `$GT_TOWN`.
    pub fn discover(start: &Path) -> Result<Town, TownError> {
        let root = find_root(start)?;
        Town::open(&root)
    }

    pub fn open(root: &Path) -> Result<Town, TownError> {
        let paths = TownPaths::new(root.to_path_buf());
        let config = TownConfig::load(&paths.town_toml())?;
        Ok(Town { paths, config })
    }

    pub fn root(&self) -> &Path {
        &self.paths.root
    }

    /// Every rig of the town, by name (a rig is a directory holding `rig.toml`).
    /// The rigs whose rig.toml reads. A broken one is left out (and logged) so it cannot
    /// stop work on the others; `scan_rigs` reports it.
    pub fn rigs(&self) -> Result<Vec<RigConfig>, TownError> {
        let (rigs, broken) = self.scan_rigs()?;
        for e in broken {
            tracing::warn!(error = %e, "skipping a rig whose rig.toml does not read");
        }
        Ok(rigs)
    }

    /// Every rig directory: the readable rigs, and an error for each unreadable rig.toml.
    pub fn scan_rigs(&self) -> Result<(Vec<RigConfig>, Vec<TownError>), TownError> {
        let mut rigs = Vec::new();
        let mut broken = Vec::new();
        let entries =
            std::fs::read_dir(&self.paths.root).map_err(|e| TownError::io(&self.paths.root, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let rig_toml = path.join("rig.toml");
            if path.is_dir() && rig_toml.is_file() {
                match RigConfig::load(&rig_toml) {
                    Ok(r) => rigs.push(r),
                    Err(e) => broken.push(e),
                }
            }
        }
        rigs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((rigs, broken))
    }

    pub fn rig(&self, name: &str) -> Result<RigConfig, TownError> {
        let rig_toml = self.paths.rig_dir(name).join("rig.toml");
        if !rig_toml.is_file() {
            let known: Vec<String> = self.rigs()?.into_iter().map(|r| r.name).collect();
            return Err(TownError::RigNotFound {
                name: name.to_string(),
                known,
            });
        }
        RigConfig::load(&rig_toml)
    }

    /// The rig whose bead prefix is `prefix`, if any.
    pub fn rig_for_prefix(&self, prefix: &str) -> Result<Option<RigConfig>, TownError> {
        Ok(self.rigs()?.into_iter().find(|r| r.prefix == prefix))
    }

    /// The rig a path lies in (`<town>/<rig>/…`), used as the default `--rig`.
    pub fn rig_containing(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.paths.root).ok()?;
        let first = rel.components().next()?.as_os_str().to_str()?;
        self.paths
            .rig_dir(first)
            .join("rig.toml")
            .is_file()
            .then(|| first.to_string())
    }
}

/// The town root containing `start`, if any, without consulting `$GT_TOWN`.
pub fn enclosing_town(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(paths::TOWN_TOML).is_file())
        .map(Path::to_path_buf)
}

fn find_root(start: &Path) -> Result<PathBuf, TownError> {
    if let Some(root) = enclosing_town(start) {
        return Ok(root);
    }
    if let Some(env) = std::env::var_os("GT_TOWN").filter(|v| !v.is_empty()) {
        let root = PathBuf::from(env);
        if root.join(paths::TOWN_TOML).is_file() {
            return Ok(root);
        }
        return Err(TownError::BadTownEnv { path: root });
    }
    Err(TownError::NotATown {
        cwd: start.to_path_buf(),
    })
}

/// Atomic write with a town error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TownError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|e| TownError::io(path, e))
}
