//! `gt install`: create (or repair) a town.

use crate::ledger::Ledger;
use crate::town::{self, TownConfig, TownError, TownPaths};
use crate::{Error, Result, git};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Lines every town's `.gitignore` has: runtime state and the rigs' git data stay out of the
/// town repository; `town.toml`, `rig.toml` files and `.beads/` go in.
const GITIGNORE_LINES: &[&str] = &[
    "/.gt/",
    "/*/.repo.git/",
    "/*/refinery/",
    "/*/polecats/",
    "/*/crew/",
    "/mayor/CLAUDE.md",
    "/mayor/AGENTS.md",
    "/mayor/GEMINI.md",
];

#[derive(Debug, Clone, serde::Serialize)]
pub struct InstallReport {
    pub root: PathBuf,
    pub name: String,
    /// What this run created (empty when repairing a complete town).
    pub created: Vec<String>,
    pub repaired: bool,
}

fn default_owner() -> String {
    std::env::var("GIT_AUTHOR_EMAIL")
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "overseer".into())
}

/// Creates a town at `path`. Refuses an existing town (unless `force`, which only adds what is
/// missing and never rewrites config) and any path inside another town.
pub fn install(path: &Path, force: bool) -> Result<InstallReport> {
    let root = absolute(path)?;
    if let Some(parent) = root.parent()
        && let Some(outer) = town::enclosing_town(parent)
    {
        return Err(TownError::InsideTown {
            path: root,
            town: outer,
        }
        .into());
    }
    let paths = TownPaths::new(root.clone());
    let exists = paths.town_toml().is_file();
    if exists && !force {
        return Err(TownError::AlreadyTown { path: root }.into());
    }
    if root.exists() && !root.is_dir() {
        return Err(Error::invalid(format!(
            "{} exists and is not a directory",
            root.display()
        )));
    }
    if !exists && root.is_dir() {
        if let Some(inner) = town_below(&root, 2) {
            return Err(Error::invalid(format!(
                "{} contains the town at {}; a town cannot contain another town",
                root.display(),
                inner.display()
            )));
        }
        let non_empty = std::fs::read_dir(&root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty && !force {
            return Err(Error::invalid(format!(
                "{} is not empty; a town wants a directory of its own \
                 (give a new path, or --force to make this one a town)",
                root.display()
            )));
        }
    }
    let mut created = Vec::new();
    let mut mkdir = |dir: PathBuf, label: &str| -> Result<()> {
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
            created.push(label.to_string());
        }
        Ok(())
    };
    mkdir(root.clone(), "town directory")?;
    mkdir(paths.runtime_dir(), ".gt/")?;
    mkdir(paths.logs_dir(), ".gt/logs/")?;
    mkdir(paths.locks_dir(), ".gt/locks/")?;
    mkdir(paths.beads_dir(), ".beads/")?;
    mkdir(paths.mayor_dir(), "mayor/")?;

    let name = root
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("town")
        .to_string();
    if !exists {
        let text = TownConfig::initial_text(&name, &default_owner(), &crate::time::now());
        town::write_atomic(&paths.town_toml(), text.as_bytes())?;
        created.push("town.toml".into());
    }
    let config = TownConfig::load(&paths.town_toml())?;

    if ensure_gitignore(&paths.gitignore())? {
        created.push(".gitignore".into());
    }
    let ledger_existed = paths.ledger_db().is_file();
    let mut ledger = Ledger::open(&paths.ledger_db(), Duration::from_secs(10))?;
    if !ledger_existed {
        created.push(".gt/ledger.db".into());
    }
    if let Some(r) = crate::work::town::ledger_io::bootstrap(&mut ledger, &paths.issues_jsonl())? {
        created.push(format!(
            "ledger filled with {} beads from .beads/issues.jsonl",
            r.issues
        ));
    }
    if !paths.issues_jsonl().is_file() {
        crate::ledger::export::sync(
            &mut ledger,
            &paths.issues_jsonl(),
            crate::ledger::export::Scope::default(),
        )?;
        created.push(".beads/issues.jsonl".into());
    }
    if !git::is_repo(&root) {
        git::init_repo(&root)?;
        created.push("git repository".into());
    }
    git::commit_paths(
        &root,
        &["town.toml", ".gitignore", ".beads"],
        "gt install: new town",
    )?;
    Ok(InstallReport {
        root,
        name: config.name,
        created,
        repaired: exists,
    })
}

/// Adds our lines to `.gitignore`, keeping the user's. Returns whether the file was created.
fn ensure_gitignore(path: &Path) -> Result<bool> {
    let existing = if path.exists() {
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("read {}", path.display()), e))?
    } else {
        String::new()
    };
    let created = !path.exists();
    let have: Vec<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&&str> = GITIGNORE_LINES
        .iter()
        .filter(|l| !have.contains(l))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if existing.is_empty() {
        text.push_str("# Gas Town runtime state and the rigs' git data (tracked elsewhere)\n");
    }
    for l in missing {
        text.push_str(l);
        text.push('\n');
    }
    town::write_atomic(path, text.as_bytes())?;
    Ok(created)
}

/// A `town.toml` up to `depth` levels below `dir`, if any.
fn town_below(dir: &Path, depth: usize) -> Option<PathBuf> {
    if depth == 0 {
        return None;
    }
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        if p.is_dir() && !p.is_symlink() {
            if p.join("town.toml").is_file() {
                return Some(p);
            }
            if let Some(found) = town_below(&p, depth - 1) {
                return Some(found);
            }
        }
    }
    None
}

fn absolute(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("current directory", e))?
            .join(path)
    };
    // Resolve `..` and symlinks of the part that exists, so town discovery sees real paths.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(n), Some(p)) => {
                rest.push(n.to_os_string());
                existing = p.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for n in rest.into_iter().rev() {
        if n == ".." {
            out.pop();
        } else if n != "." {
            out.push(n);
        }
    }
    Ok(out)
}
