//! The use cases shared by the CLI, the workspace and the daemons, one folder per capability:
//! `town` (install, rigs, settings, up), `beads` (and import/export, escalations), `convoy`,
//! `molecule`, `formulas`, `sling` (with hooks and `done`), `agents` (sessions, delivery,
//! crew, polecats, the mayor, runtimes), `mail`, `refinery`, `witness`, `deacon`,
//! `scheduler`, `views` (what is shown), `doctor`. This file holds `Ctx`: a town opened for
//! work.

pub mod agents;
pub mod beads;
pub mod brakes;
pub mod compact;
pub mod convoy;
pub mod costs;
pub mod deacon;
pub mod doctor;
pub mod formulas;
pub mod hosts;
pub mod mail;
pub mod molecule;
pub mod refinery;
pub mod scheduler;
pub mod sling;
pub mod town;
pub mod views;
pub mod witness;

use crate::ledger::{Ledger, Reader, Tx, export};
use crate::town::{RigConfig, Town, settings};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A town opened for work: its config, its ledger, and who is acting.
pub struct Ctx {
    pub town: Town,
    pub ledger: Ledger,
    /// The agent (or `overseer`, the human) on whose behalf changes are made.
    pub actor: String,
    pub cwd: PathBuf,
    /// Things the user should hear about that did not make the command fail.
    pub warnings: Vec<String>,
    /// `-c key=value` settings given on the command line (the highest config layer).
    overrides: Vec<(String, String)>,
    /// Wall-clock time for every decision that depends on it (see `time::Clock`).
    clock: crate::time::Clock,
    /// town.toml's modification time when `town` was read (see `follow_town`).
    town_read: Option<std::time::SystemTime>,
    /// After a write, leave `.beads/issues.jsonl` to the town's follower (the gt command line
    /// and the workspace) instead of rewriting its lines before returning (library callers:
    /// they cannot start a `gt` process of their own).
    pub export_in_background: bool,
}

pub(crate) fn town_toml_mtime(town: &Town) -> Option<std::time::SystemTime> {
    std::fs::metadata(town.paths.town_toml())
        .and_then(|m| m.modified())
        .ok()
}

/// `$GT_AGENT` and `$BD_ACTOR` name who acts: they end up in the ledger, in mail, in file
/// names (heartbeats). Anything but a name is refused (bad input) before a command runs.
fn check_actor_env() -> Result<()> {
    for var in ["GT_AGENT", "BD_ACTOR"] {
        let Ok(v) = std::env::var(var) else { continue };
        let v = v.trim();
        let fine = v.len() <= 128
            && !v.contains("..")
            && !v.starts_with('/')
            // A person's name in $BD_ACTOR may have blanks; an agent's address has none.
            && v.chars().all(|c| {
                c.is_ascii_alphanumeric() || "._-/@+".contains(c) || (c == ' ' && var == "BD_ACTOR")
            });
        if !fine {
            return Err(Error::invalid(format!(
                "${var} is {:?}, which is not an agent's name (letters, digits and . _ - / @ +, at most 128, no ..)",
                crate::inert::for_terminal(v)
            )));
        }
    }
    Ok(())
}

/// `$GT_AGENT`, else `$BD_ACTOR`, else `overseer` (the human).
pub fn current_actor() -> String {
    ["GT_AGENT", "BD_ACTOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "overseer".to_string())
}

impl Ctx {
    /// Finds the town around `cwd` (or `$GT_TOWN`) and opens its ledger.
    pub fn open(cwd: &Path) -> Result<Ctx> {
        Ctx::open_with(cwd, &[])
    }

    /// Like `open`, with `-c key=value` overrides (validated here: a bad one is bad input).
    pub fn open_with(cwd: &Path, overrides: &[String]) -> Result<Ctx> {
        let overrides = parse_overrides(overrides)?;
        check_actor_env()?;
        let town = Town::discover(cwd)?;
        crate::logging::init(town.root(), crate::logging::limits_for(&town));
        let flag = find_override(&overrides, "ledger.busy_timeout_ms");
        let timeout = settings::resolve(&town, None, "ledger.busy_timeout_ms", flag)?.as_int();
        let mut ledger = Ledger::open(
            &town.paths.ledger_db(),
            Duration::from_millis(timeout.max(0) as u64),
        )?;
        let mut warnings = Vec::new();
        if let Some(r) = town::ledger_io::bootstrap(&mut ledger, &town.paths.issues_jsonl())? {
            warnings.push(format!(
                "this town's ledger was empty: imported {} beads from {}",
                r.issues,
                town.paths.issues_jsonl().display()
            ));
        }
        Ok(Ctx {
            town_read: town_toml_mtime(&town),
            export_in_background: town::jsonl_follow::in_background(),
            town,
            ledger,
            actor: current_actor(),
            cwd: cwd.to_path_buf(),
            warnings,
            overrides,
            clock: crate::time::Clock::System,
        })
    }

    /// Another context on the same town — its own ledger connection, the same actor,
    /// overrides and clock — for work done on another thread.
    pub fn sibling(&self) -> Result<Ctx> {
        let mut c = Ctx::open(self.town.root())?;
        c.actor = self.actor.clone();
        c.cwd = self.cwd.clone();
        c.overrides = self.overrides.clone();
        c.set_clock(self.clock.clone());
        Ok(c)
    }

    /// Now, by the town's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Now in Unix seconds, by the town's clock.
    pub fn unix_now(&self) -> i64 {
        self.clock.timestamp()
    }

    pub fn clock(&self) -> &crate::time::Clock {
        &self.clock
    }

    /// Runs this context (and the rows it writes) on `clock`: tests move a manual clock
    /// instead of sleeping.
    pub fn set_clock(&mut self, clock: crate::time::Clock) {
        self.ledger.set_clock(clock.clone());
        self.clock = clock;
    }

    /// Re-reads `town.toml` (after a config change).
    pub fn reload_town(&mut self) -> Result<()> {
        self.town = Town::open(&self.town.paths.root.clone())?;
        self.town_read = town_toml_mtime(&self.town);
        Ok(())
    }

    /// Reads town.toml again when it changed since it was read: a long-lived process (the
    /// workspace) follows `gt config …` run from a shell. A file that does not read now keeps
    /// the last good settings (the error is returned, to be said).
    pub fn follow_town(&mut self) -> Result<()> {
        let now = town_toml_mtime(&self.town);
        if now == self.town_read {
            return Ok(());
        }
        self.town_read = now;
        self.town = Town::open(&self.town.paths.root.clone())?;
        Ok(())
    }

    /// Replaces the command-line overrides (each `--batch -` line has its own).
    pub fn set_overrides(&mut self, raw: &[String]) -> Result<()> {
        self.overrides = parse_overrides(raw)?;
        Ok(())
    }

    /// A setting's effective value through every layer, command-line overrides first.
    pub fn setting(&self, key: &str, rig: Option<&RigConfig>) -> Result<settings::Resolved> {
        let flag = find_override(&self.overrides, key);
        Ok(settings::resolve(&self.town, rig, key, flag)?)
    }

    pub fn reader(&self) -> Reader<'_> {
        self.ledger.reader()
    }

    /// One ledger transaction; `.beads/issues.jsonl` follows (see `export_follow`).
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let actor = self.actor.clone();
        let out = self.ledger.write(&actor, f)?;
        self.export_follow();
        Ok(out)
    }

    /// After a write: the changed lines of `.beads/issues.jsonl` are rewritten by the town's
    /// follower shortly (`work::town::jsonl_follow`), or right now for library callers.
    pub fn export_follow(&mut self) {
        if !town::jsonl_follow::enabled(self) {
            return;
        }
        if self.export_in_background {
            town::jsonl_follow::request(self);
        } else {
            self.sync_export();
        }
    }

    /// What goes into an export: mail only where the town opted in (`ledger.export_mail`).
    pub fn export_scope(&self, ephemeral: bool) -> export::Scope {
        let mail = self
            .setting("ledger.export_mail", None)
            .map(|r| r.as_bool())
            .unwrap_or(false);
        export::Scope { ephemeral, mail }
    }

    /// Rewrites the changed lines of `.beads/issues.jsonl` now. A failure here does not undo
    /// the committed change: the beads stay marked and the next sync catches up; the user is
    /// told.
    pub fn sync_export(&mut self) {
        if let Err(e) = town::jsonl_follow::flush_now(self) {
            let jsonl = self.town.paths.issues_jsonl();
            tracing::warn!(error = %e, "export of issues.jsonl failed");
            self.warnings.push(format!(
                "warning: the change is saved in the ledger, but {} could not be updated: {e}",
                jsonl.display()
            ));
        }
    }

    /// The town's own tmux server. Its name is recorded in `.gt/tmux-socket` (with the town's
    /// canonical path in `.gt/tmux-town`) on first use and read back from then on, so the town
    /// keeps one server however its path is spelled (symlink, trailing slash). A copy of the
    /// town (other path) does not match the record and gets a server of its own.
    pub fn tmux(&self) -> crate::tmux::Server {
        let dir = self.town.paths.runtime_dir();
        let (file, town_file) = (dir.join("tmux-socket"), dir.join("tmux-town"));
        let root = std::fs::canonicalize(self.town.root())
            .unwrap_or_else(|_| self.town.root().to_path_buf());
        let root_text = root.display().to_string();
        let recorded = std::fs::read_to_string(&file).ok();
        let recorded_town = std::fs::read_to_string(&town_file).ok();
        if let (Some(name), Some(town)) = (&recorded, &recorded_town)
            && crate::tmux::is_valid_socket_name(name.trim())
            && town.trim() == root_text
        {
            return crate::tmux::Server::named(name.trim().to_string());
        }
        if recorded.is_some() {
            tracing::info!(file = %file.display(), "the recorded tmux server is not this town's; deriving its own");
        }
        let server = crate::tmux::Server::for_town(&root);
        for (f, text) in [
            (&file, server.socket().to_string()),
            (&town_file, root_text),
        ] {
            if let Err(e) = crate::fsutil::write_atomic(f, text.as_bytes()) {
                tracing::warn!(file = %f.display(), error = %e, "cannot record the tmux server");
            }
        }
        server
    }

    /// The rig a command should default to: the one the working directory is in.
    pub fn current_rig(&self) -> Option<String> {
        self.town.rig_containing(&self.cwd)
    }

    /// The rig that owns beads with `prefix` (None for `hq` and unknown prefixes).
    pub fn rig_for_prefix(&self, prefix: &str) -> Result<Option<RigConfig>> {
        Ok(self.town.rig_for_prefix(prefix)?)
    }
}

/// `key=value` pairs, each key a known setting and each value of its type.
fn parse_overrides(raw: &[String]) -> Result<Vec<(String, String)>> {
    raw.iter()
        .map(|item| {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("-c needs key=value, got {item:?}")))?;
            let setting = settings::lookup(k.trim())?;
            settings::parse_value(setting, v).map_err(Error::Invalid)?;
            Ok((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// A short name for something gt keeps by name (a runtime, a mailing list, a group):
/// letters, digits, '-' and '_', at most 40.
pub(crate) fn validate_simple_name(kind: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid {kind} {name:?}: letters, digits, '-' and '_', at most 40"
        )))
    }
}

fn find_override<'a>(overrides: &'a [(String, String)], key: &str) -> Option<&'a str> {
    overrides
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl From<crate::fsutil::LockError> for Error {
    fn from(e: crate::fsutil::LockError) -> Self {
        Error::Failed(e.to_string())
    }
}

pub use crate::fsutil::gt_exe;
