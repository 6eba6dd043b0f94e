use std::path::PathBuf;

pub const TOWN_TOML: &str = "town.toml";

/// Where everything of a town lives (DESIGN.md §3).
#[derive(Debug, Clone)]
pub struct TownPaths {
    pub root: PathBuf,
}

impl TownPaths {
    pub fn new(root: PathBuf) -> Self {
        TownPaths { root }
    }

    pub fn town_toml(&self) -> PathBuf {
        self.root.join(TOWN_TOML)
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.root.join(".gt")
    }

    pub fn ledger_db(&self) -> PathBuf {
        self.runtime_dir().join("ledger.db")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.runtime_dir().join("logs")
    }

    pub fn locks_dir(&self) -> PathBuf {
        self.runtime_dir().join("locks")
    }

    /// Held (an OS file lock) by the one supervisor of the town while it runs.
    pub fn daemon_lock(&self) -> PathBuf {
        self.runtime_dir().join("daemon.lock")
    }

    /// The supervisor's own files: its status report and each daemon's saved state.
    pub fn daemon_dir(&self) -> PathBuf {
        self.runtime_dir().join("daemon")
    }

    /// Written by the running supervisor every few seconds: pid, kind, each daemon's state.
    pub fn daemon_status(&self) -> PathBuf {
        self.daemon_dir().join("status.json")
    }

    /// One file per agent, touched by every `gt` command the agent runs (its heartbeat).
    pub fn heartbeats_dir(&self) -> PathBuf {
        self.runtime_dir().join("heartbeats")
    }

    pub fn beads_dir(&self) -> PathBuf {
        self.root.join(".beads")
    }

    pub fn issues_jsonl(&self) -> PathBuf {
        self.beads_dir().join("issues.jsonl")
    }

    pub fn mayor_dir(&self) -> PathBuf {
        self.root.join("mayor")
    }

    pub fn gitignore(&self) -> PathBuf {
        self.root.join(".gitignore")
    }

    pub fn rig_dir(&self, rig: &str) -> PathBuf {
        self.root.join(rig)
    }

    pub fn rig_toml(&self, rig: &str) -> PathBuf {
        self.rig_dir(rig).join("rig.toml")
    }

    pub fn rig_repo(&self, rig: &str) -> PathBuf {
        self.rig_dir(rig).join(".repo.git")
    }

    pub fn refinery_dir(&self, rig: &str) -> PathBuf {
        self.rig_dir(rig).join("refinery")
    }

    pub fn polecats_dir(&self, rig: &str) -> PathBuf {
        self.rig_dir(rig).join("polecats")
    }

    pub fn crew_dir(&self, rig: &str) -> PathBuf {
        self.rig_dir(rig).join("crew")
    }
}
