//! `gt doctor`: checks the tools, the town's config, the ledger, worktrees, windows and the
//! supervisor's files. With `fix` it repairs only what cannot lose anything, and says what it
//! left and why. A second `fix` finds nothing left to do.

mod config;
mod daemon;
mod ghosts;
mod hooks;
mod hosts;
mod ledger_lock;
mod privacy;
mod runtimes;
mod tools;
mod windows;
mod worktrees;

use super::Ctx;
use crate::ledger::Ledger;
use crate::town::{Town, TownPaths, settings};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Error,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Error => "error",
        }
    }
}

/// One finding (or one clean bill for an area).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// The area: tmux, git, town.toml, rig <name>, settings, ledger, hooks, worktrees,
    /// windows, daemon.
    pub name: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// For a problem: what `--fix` does when `fixable`, else what the person has to do.
    pub action: Option<String>,
    pub fixable: bool,
    pub fixed: bool,
    /// `--fix` tried and failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_error: Option<String>,
}

impl Check {
    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Ok, detail, None)
    }

    pub fn warn(
        name: impl Into<String>,
        detail: impl Into<String>,
        action: impl Into<String>,
    ) -> Check {
        Check::new(name, Status::Warn, detail, Some(action.into()))
    }

    pub fn error(
        name: impl Into<String>,
        detail: impl Into<String>,
        action: impl Into<String>,
    ) -> Check {
        Check::new(name, Status::Error, detail, Some(action.into()))
    }

    fn new(
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        action: Option<String>,
    ) -> Check {
        Check {
            name: name.into(),
            status,
            detail: detail.into(),
            action,
            fixable: false,
            fixed: false,
            fix_error: None,
        }
    }

    /// `--fix` does what `action` says.
    fn fixable(mut self) -> Check {
        self.fixable = true;
        self
    }

    /// Records the outcome of the fix.
    fn outcome(&mut self, res: Result<()>) {
        match res {
            Ok(()) => self.fixed = true,
            Err(e) => self.fix_error = Some(e.to_string()),
        }
    }

    /// A problem that is still there (errors count against the exit code).
    pub fn open_problem(&self) -> bool {
        self.status != Status::Ok && !self.fixed
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    /// No error is left (warnings may be).
    pub ok: bool,
}

impl Report {
    fn new(checks: Vec<Check>) -> Report {
        let ok = !checks.iter().any(|c| c.status == Status::Error && !c.fixed);
        Report { checks, ok }
    }
}

/// Checks the town around `cwd` (or `$GT_TOWN`); with `fix`, repairs what is safe.
/// Outside a town this is an error (bad input); a town whose config or ledger does not open
/// is reported, not refused.
/// `ui_warnings`: what the workspace's keymap and theme loaders said of the user's files
/// (gathered by the caller, which knows those formats).
pub fn run(
    cwd: &Path,
    overrides: &[String],
    fix: bool,
    ui_warnings: Vec<String>,
) -> Result<Report> {
    let overrides = super::parse_overrides(overrides)?;
    let root = find_root(cwd)?;
    let limits =
        Town::open(&root).map_or_else(|_| Default::default(), |t| crate::logging::limits_for(&t));
    crate::logging::init(&root, limits);
    let paths = TownPaths::new(root.clone());
    let mut checks = tools::check();
    checks.push(ui_files(ui_warnings));
    checks.push(privacy::check(&paths, fix));
    checks.extend(ghosts::check(&root, fix));
    let town = match Town::open(&root) {
        Ok(t) => t,
        Err(e) => {
            checks.push(Check::error(
                "town.toml",
                e.to_string(),
                format!(
                    "edit {} by hand; the ledger, worktree and window checks need it",
                    paths.town_toml().display()
                ),
            ));
            checks.push(daemon::check(&paths, fix));
            return Ok(Report::new(checks));
        }
    };
    checks.extend(config::check(&town, fix));
    let (mut ctx, bootstrap) = match open(town, cwd, overrides) {
        Ok(opened) => opened,
        Err(e) => {
            checks.push(Check::error(
                "ledger",
                format!("the ledger does not open: {e}"),
                format!(
                    "move {} aside and run any gt command: a new ledger is filled from {} \
                     (agents, deliveries and other unexported state are lost)",
                    paths.ledger_db().display(),
                    paths.issues_jsonl().display()
                ),
            ));
            checks.push(daemon::check(&paths, fix));
            return Ok(Report::new(checks));
        }
    };
    if let Some(locked) = ledger_lock::check(&mut ctx) {
        // Every fix below would wait for the lock and fail: report, fix nothing more.
        checks.push(hooks::integrity(&mut ctx, false, bootstrap));
        checks.push(locked);
        checks.push(daemon::check(&paths, false));
        return Ok(Report::new(checks));
    }
    checks.push(hooks::integrity(&mut ctx, fix, bootstrap));
    checks.extend(hooks::check(&mut ctx, fix));
    checks.extend(worktrees::check(&ctx, fix));
    checks.extend(windows::check(&ctx, fix));
    checks.extend(runtimes::check(&ctx));
    checks.extend(hosts::check(&ctx, fix));
    checks.push(daemon::check(&paths, fix));
    if fix {
        tracing::info!(
            fixed = checks.iter().filter(|c| c.fixed).count(),
            left = checks.iter().filter(|c| c.open_problem()).count(),
            "gt doctor --fix"
        );
    }
    Ok(Report::new(checks))
}

/// The user's keymap.toml and theme.toml: a broken entry falls back to the default (the
/// workspace still opens), so it is a warning that names the line to mend.
fn ui_files(warnings: Vec<String>) -> Check {
    if warnings.is_empty() {
        return Check::ok(
            "keymap/theme",
            "the user's keymap.toml and theme.toml read cleanly (or are not there)",
        );
    }
    Check::warn(
        "keymap/theme",
        warnings.join("; "),
        "mend those entries (the workspace uses the defaults for them meanwhile)",
    )
}

/// Every other process on the machine: its pid and its /proc folder.
fn other_processes() -> Vec<(i32, PathBuf)> {
    let me = std::process::id() as i32;
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|p| {
            let pid = p.file_name().to_string_lossy().parse::<i32>().ok()?;
            (pid != me).then(|| (pid, p.path()))
        })
        .collect()
}

/// The town root as every command finds it, without reading `town.toml` (which may be the
/// broken thing).
fn find_root(cwd: &Path) -> Result<PathBuf> {
    if let Some(root) = crate::town::enclosing_town(cwd) {
        return Ok(root);
    }
    if let Some(env) = std::env::var_os("GT_TOWN").filter(|v| !v.is_empty()) {
        let root = PathBuf::from(env);
        if root.join("town.toml").is_file() {
            return Ok(root);
        }
    }
    // Not a town: the same error as any other command gives.
    Town::discover(cwd)
        .map(|t| t.root().to_path_buf())
        .map_err(Error::from)
}

/// A `Ctx` like `Ctx::open_with`, but a bad `ledger.busy_timeout_ms` (reported by the
/// settings check) falls back to the default instead of stopping the doctor. Returns the
/// number of beads imported when the ledger was empty.
fn open(town: Town, cwd: &Path, overrides: Vec<(String, String)>) -> Result<(Ctx, Option<usize>)> {
    let flag = super::find_override(&overrides, "ledger.busy_timeout_ms");
    let timeout = settings::resolve(&town, None, "ledger.busy_timeout_ms", flag)
        .map(|r| r.as_int())
        .unwrap_or(10_000);
    let mut ledger = Ledger::open(
        &town.paths.ledger_db(),
        Duration::from_millis(timeout.max(0) as u64),
    )?;
    let imported = super::town::ledger_io::bootstrap(&mut ledger, &town.paths.issues_jsonl())?
        .map(|r| r.issues);
    Ok((
        Ctx {
            town_read: super::town_toml_mtime(&town),
            town,
            ledger,
            actor: super::current_actor(),
            cwd: cwd.to_path_buf(),
            warnings: Vec::new(),
            overrides,
            clock: crate::time::Clock::System,
            export_in_background: super::town::jsonl_follow::in_background(),
        },
        imported,
    ))
}
