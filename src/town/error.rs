use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TownError {
    #[error(
        "not inside a town: no town.toml in {} or any parent, and $GT_TOWN is not set. \
         Create one with `gt install <path>`, or cd into an existing town.",
        cwd.display()
    )]
    NotATown { cwd: PathBuf },
    #[error("$GT_TOWN points at {}, which has no town.toml", path.display())]
    BadTownEnv { path: PathBuf },
    #[error("{} is already a town (town.toml exists); use `gt install --force {}` to repair it", path.display(), path.display())]
    AlreadyTown { path: PathBuf },
    #[error("{} is inside the town at {}; a town cannot contain another town", path.display(), town.display())]
    InsideTown { path: PathBuf, town: PathBuf },
    #[error("invalid {what} {name:?}: {rule}")]
    BadName {
        what: &'static str,
        name: String,
        rule: String,
    },
    #[error("no rig named {name:?}{}", known_list(known))]
    RigNotFound { name: String, known: Vec<String> },
    #[error("{path}: {message}")]
    BadConfig { path: String, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        " (this town has no rigs yet; add one with `gt rig add <name> <url>`)".into()
    } else {
        format!(" (rigs: {})", known.join(", "))
    }
}

impl TownError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        TownError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn is_bad_input(&self) -> bool {
        !matches!(self, TownError::Io { .. } | TownError::BadConfig { .. })
    }
}
