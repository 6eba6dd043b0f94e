//! Rigs: add (bare clone + refinery worktree), list, show, remove.

use crate::fsutil;
use crate::ledger::ListFilter;
use crate::town::{RigConfig, names};
use crate::work::Ctx;
use crate::{Error, Result, git};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct AddRig {
    pub name: String,
    pub source: String,
    pub prefix: Option<String>,
    pub branch: Option<String>,
}

/// Whether `source` names a remote rather than a local path, by git's own rule: a URL
/// (`scheme://…`), or scp-like `[user@]host:path` with no `/` before the colon — unless a
/// local path of that name exists.
fn is_remote(source: &str, cwd: &Path) -> bool {
    if source.contains("://") {
        return true;
    }
    match source.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/') && !cwd.join(source).exists(),
        None => false,
    }
}

/// Refuses sources git could read as options, and URLs carrying a password (rig.toml, which
/// records the URL, is committed to the town repository).
fn check_source(source: &str) -> Result<()> {
    if source.trim().is_empty() {
        return Err(Error::invalid(
            "the repository URL or path is empty; name the repository the rig works on",
        ));
    }
    if source.starts_with('-') {
        return Err(Error::invalid(format!(
            "{source:?} is not a repository URL or path (it starts with '-')"
        )));
    }
    if let Some((_, rest)) = source.split_once("://") {
        let authority = rest.split('/').next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && userinfo.contains(':')
        {
            return Err(Error::invalid(
                "the URL contains a password, which would be written to rig.toml and committed; \
                     use a credential helper or an SSH URL instead",
            ));
        }
    }
    Ok(())
}

pub fn add(ctx: &mut Ctx, req: AddRig) -> Result<RigConfig> {
    names::validate_rig_name(&req.name)?;
    if let Some(p) = &req.prefix {
        names::validate_prefix(p)?;
    }
    check_source(&req.source)?;
    let url = if is_remote(&req.source, &ctx.cwd) {
        req.source.clone()
    } else {
        let p = ctx.cwd.join(&req.source);
        if !p.exists() {
            return Err(Error::invalid(format!(
                "{}: no such repository path",
                req.source
            )));
        }
        let p = p
            .canonicalize()
            .map_err(|e| Error::io(req.source.clone(), e))?;
        let town_root = ctx
            .town
            .root()
            .canonicalize()
            .unwrap_or(ctx.town.root().to_path_buf());
        // The town's own repository is never a rig (its polecats would commit town.toml).
        if p == town_root {
            return Err(Error::invalid(format!(
                "{} is the town itself; a rig works on a project's repository",
                p.display()
            )));
        }
        if !git::is_repo(&p) {
            return Err(Error::invalid(format!(
                "{}: not a git repository",
                p.display()
            )));
        }
        p.display().to_string()
    };
    let secs = ctx
        .setting("rig.clone_timeout_secs", None)
        .map(|r| r.as_int())
        .unwrap_or(600);
    let clone_limit = std::time::Duration::from_secs(secs.max(1) as u64);
    let lock = ctx.town.paths.rigs_lock();
    let town = ctx.town.clone();
    let rig = fsutil::with_lock(&lock, || -> Result<RigConfig> {
        let dir = town.paths.rig_dir(&req.name);
        if dir.exists() {
            let hint = if town.paths.rig_toml(&req.name).is_file() {
                format!(
                    "pick another rig name, or `gt rig remove {}` first",
                    req.name
                )
            } else {
                format!(
                    "it has no rig.toml (an unfinished `gt rig add`?); delete it with `gt rig remove --force {}`",
                    req.name
                )
            };
            return Err(Error::invalid(format!(
                "{} already exists; {hint}",
                dir.display()
            )));
        }
        let taken: Vec<(String, String)> = town
            .rigs()?
            .into_iter()
            .map(|r| (r.prefix, r.name))
            .collect();
        let prefix = match &req.prefix {
            Some(p) => {
                if let Some((_, owner)) = taken.iter().find(|(tp, _)| tp == p) {
                    return Err(Error::invalid(format!(
                        "prefix {p:?} is already used by rig {owner:?}; pick another with --prefix"
                    )));
                }
                p.clone()
            }
            None => names::prefix_candidates(&req.name)
                .into_iter()
                .find(|c| !taken.iter().any(|(tp, _)| tp == c))
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "no free prefix for {:?}; give one with --prefix",
                        req.name
                    ))
                })?,
        };
        // From here on a failure removes everything this command made.
        let result = create_rig_dir(
            &town.paths.rig_dir(&req.name),
            &req,
            &url,
            &prefix,
            &town,
            clone_limit,
        );
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    })?;
    let note = serde_json::json!({"rig": rig.name, "prefix": rig.prefix, "url": rig.url});
    ctx.write(|tx| Ok(tx.record_event(None, "rig_added", None, Some(note), None)?))?;
    let _ = git::commit_paths(
        ctx.town.root(),
        &[&format!("{}/rig.toml", rig.name)],
        &format!("gt rig add {}", rig.name),
    );
    Ok(rig)
}

/// The file a folder holds while `gt rig add` makes it (removed once rig.toml is written).
pub const ADDING_MARKER: &str = ".gt-rig-add-in-progress";

fn create_rig_dir(
    dir: &Path,
    req: &AddRig,
    url: &str,
    prefix: &str,
    town: &crate::town::Town,
    clone_limit: std::time::Duration,
) -> Result<RigConfig> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    // Until rig.toml is written this marks the folder as an add in progress: if the process
    // is killed, `gt doctor` finds it and `--fix` removes it.
    let marker = dir.join(ADDING_MARKER);
    std::fs::write(&marker, url)
        .map_err(|e| Error::io(format!("write {}", marker.display()), e))?;
    let repo = town.paths.rig_repo(&req.name);
    git::clone_bare(url, &repo, clone_limit).map_err(|e| match e {
        git::GitError::Command { .. } => Error::failed(format!("could not clone {url}: {e}")),
        other => other.into(),
    })?;
    let branch = match &req.branch {
        Some(b) => {
            if !git::has_branch(&repo, b)? {
                return Err(Error::invalid(format!("{url} has no branch {b:?}")));
            }
            b.clone()
        }
        None => git::default_branch(&repo)?.ok_or_else(|| {
            Error::invalid(format!("{url} has no commits on its default branch; give one with --branch, or commit first"))
        })?,
    };
    git::add_worktree(
        &repo,
        "refinery",
        &town.paths.refinery_dir(&req.name),
        &branch,
    )?;
    for sub in [
        town.paths.polecats_dir(&req.name),
        town.paths.crew_dir(&req.name),
    ] {
        std::fs::create_dir_all(&sub)
            .map_err(|e| Error::io(format!("create {}", sub.display()), e))?;
    }
    let text = RigConfig::initial_text(&req.name, url, prefix, &branch, &crate::time::now());
    crate::town::write_atomic(&town.paths.rig_toml(&req.name), text.as_bytes())?;
    let _ = std::fs::remove_file(&marker);
    Ok(RigConfig::load(&town.paths.rig_toml(&req.name))?)
}

/// A rig with what is in it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RigInfo {
    pub name: String,
    pub prefix: String,
    pub url: String,
    pub default_branch: String,
    pub path: PathBuf,
    pub worktrees: Vec<WorktreeInfo>,
    /// Beads with this rig's prefix that are not closed.
    pub open_beads: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WorktreeInfo {
    /// `refinery`, `polecats/<name>` or `crew/<name>`.
    pub name: String,
    pub path: PathBuf,
    pub branch: Option<String>,
    pub dirty_files: usize,
    /// Set when the worktree could not be read (e.g. its `.git` link is gone).
    pub error: Option<String>,
}

/// The rigs, plus a line for each rig whose rig.toml does not read.
pub fn list(ctx: &Ctx) -> Result<(Vec<RigConfig>, Vec<String>)> {
    let (rigs, broken) = ctx.town.scan_rigs()?;
    Ok((rigs, broken.into_iter().map(|e| e.to_string()).collect()))
}

fn worktrees(ctx: &Ctx, rig: &str) -> Vec<WorktreeInfo> {
    let mut dirs: Vec<(String, PathBuf)> =
        vec![("refinery".into(), ctx.town.paths.refinery_dir(rig))];
    for (group, base) in [
        ("polecats", ctx.town.paths.polecats_dir(rig)),
        ("crew", ctx.town.paths.crew_dir(rig)),
    ] {
        if let Ok(entries) = std::fs::read_dir(&base) {
            let mut names: Vec<String> = entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect();
            names.sort();
            for n in names {
                dirs.push((format!("{group}/{n}"), base.join(&n)));
            }
        }
    }
    dirs.into_iter()
        .filter(|(_, path)| path.exists())
        .map(|(name, path)| match git::worktree_state(&path) {
            Ok(state) => WorktreeInfo {
                name,
                path,
                branch: state.branch,
                dirty_files: state.dirty_files,
                error: None,
            },
            // A broken worktree is reported, not fatal: the rest of the rig is still usable.
            Err(e) => WorktreeInfo {
                name,
                path,
                branch: None,
                dirty_files: 0,
                error: Some(e.to_string()),
            },
        })
        .collect()
}

pub fn show(ctx: &Ctx, name: &str) -> Result<RigInfo> {
    let rig = ctx.town.rig(name)?;
    let open_beads = ctx
        .reader()
        .list(&ListFilter {
            prefix: Some(rig.prefix.clone()),
            ..ListFilter::default()
        })?
        .len();
    Ok(RigInfo {
        worktrees: worktrees(ctx, name),
        path: ctx.town.paths.rig_dir(name),
        name: rig.name,
        prefix: rig.prefix,
        url: rig.url,
        default_branch: rig.default_branch,
        open_beads,
    })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoveReport {
    pub name: String,
    /// Work that was present and removed anyway (only with --force).
    pub discarded: Vec<String>,
    /// Beads of this rig, kept in the ledger.
    pub beads_kept: usize,
}

/// What removing the rig would lose: dirty or unreadable worktrees, branches with unpushed
/// commits, commits on detached HEADs, stashes.
pub fn at_risk(ctx: &Ctx, name: &str) -> Vec<String> {
    let mut risks = Vec::new();
    for wt in worktrees(ctx, name) {
        if let Some(e) = &wt.error {
            risks.push(format!("{} cannot be read ({e})", wt.name));
        } else if wt.dirty_files > 0 {
            risks.push(format!(
                "{} has {} uncommitted file(s)",
                wt.name, wt.dirty_files
            ));
        }
    }
    let repo = ctx.town.paths.rig_repo(name);
    if repo.exists() {
        match git::local_branches(&repo) {
            Ok(branches) => {
                risks.extend(branches.into_iter().filter(|b| b.unpushed > 0).map(|b| {
                    format!(
                        "branch {} has {} commit(s) not on the remote",
                        b.name, b.unpushed
                    )
                }))
            }
            Err(e) => risks.push(format!("the rig's repository cannot be read ({e})")),
        }
        match git::loose_work(&repo) {
            Ok(found) => risks.extend(found),
            Err(e) => risks.push(format!("the rig's worktrees cannot be inspected ({e})")),
        }
    }
    risks
}

/// Removes a rig's directory. Refuses while anything would be lost unless `force`; with
/// `force` it also clears away an unfinished `rig add` (a directory without rig.toml).
/// The rig's beads stay in the ledger.
pub fn remove(ctx: &mut Ctx, name: &str, force: bool) -> Result<RemoveReport> {
    names::validate_rig_name(name)?;
    let dir = ctx.town.paths.rig_dir(name);
    let half_made = dir.is_dir() && !ctx.town.paths.rig_toml(name).is_file();
    let prefix = if half_made {
        if !force {
            return Err(Error::invalid(format!(
                "{} has no rig.toml (an unfinished `gt rig add`?); delete it with `gt rig remove --force {name}`",
                dir.display()
            )));
        }
        None
    } else {
        Some(ctx.town.rig(name)?.prefix)
    };
    let lock = ctx.town.paths.rigs_lock();
    let risks = fsutil::with_lock(&lock, || -> Result<Vec<String>> {
        let risks = at_risk(ctx, name);
        if !risks.is_empty() && !force {
            return Err(Error::invalid(format!(
                "rig {name} has work that would be lost:\n  {}\nLand or push it first, or use --force to discard it",
                risks.join("\n  ")
            )));
        }
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Error::io(format!("remove {}", dir.display()), e))?;
        Ok(risks)
    })?;
    let beads_kept = match prefix {
        Some(p) => ctx
            .reader()
            .list(&ListFilter {
                prefix: Some(p),
                all: true,
                ..ListFilter::default()
            })?
            .len(),
        None => 0,
    };
    let note = serde_json::json!({"rig": name, "discarded": risks});
    ctx.write(|tx| Ok(tx.record_event(None, "rig_removed", None, Some(note), None)?))?;
    let _ = git::commit_paths(
        ctx.town.root(),
        &[&format!("{name}/rig.toml")],
        &format!("gt rig remove {name}"),
    );
    Ok(RemoveReport {
        name: name.to_string(),
        discarded: risks,
        beads_kept,
    })
}
