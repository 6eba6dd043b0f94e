//! town.toml, every rig (rig.toml, bare repository, default branch, refinery worktree) and
//! every setting's value.

use super::Check;
use crate::town::settings::{self, SETTINGS};
use crate::town::{RigConfig, Town, names};
use crate::{Result, git};
use std::collections::BTreeMap;

pub(super) fn check(town: &Town, fix: bool) -> Vec<Check> {
    let mut out = vec![town_toml(town)];
    let rigs = rigs(town, fix, &mut out);
    out.push(settings_check(town, &rigs));
    out
}

fn town_toml(town: &Town) -> Check {
    match crate::agent::runtimes(town) {
        Ok(r) => Check::ok(
            "town.toml",
            format!(
                "town {:?}; {} agent runtimes known",
                town.config.name,
                r.len()
            ),
        ),
        Err(e) => Check::error(
            "town.toml",
            e.to_string(),
            "fix the [agents] table (`gt config agent list`, `gt config agent set`)",
        ),
    }
}

/// Every directory of the town holding a rig.toml (or a rig's repository); returns the rigs
/// that read.
fn rigs(town: &Town, fix: bool, out: &mut Vec<Check>) -> Vec<RigConfig> {
    let root = town.root();
    let mut dirs: Vec<String> = match std::fs::read_dir(root) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(e) => {
            out.push(Check::error(
                "rigs",
                format!("cannot read {}: {e}", root.display()),
                "check the town directory's permissions",
            ));
            return Vec::new();
        }
    };
    dirs.sort();
    let mut good = Vec::new();
    for dir in dirs {
        let name = format!("rig {dir}");
        let toml = town.paths.rig_toml(&dir);
        if !toml.is_file() {
            let marker = town
                .paths
                .rig_dir(&dir)
                .join(crate::work::town::rig::ADDING_MARKER);
            if marker.is_file() {
                let mut c = Check::error(
                    name,
                    format!("{dir}/ is what an interrupted `gt rig add` left (no rig.toml yet)"),
                    format!("remove {dir}/ (a partial clone; nothing else is in it), then `gt rig add` again"),
                )
                .fixable();
                if fix {
                    let path = town.paths.rig_dir(&dir);
                    c.outcome(
                        std::fs::remove_dir_all(&path)
                            .map_err(|e| crate::Error::io(format!("remove {}", path.display()), e)),
                    );
                }
                out.push(c);
                continue;
            }
            if town.paths.rig_repo(&dir).exists() {
                out.push(Check::warn(
                    name,
                    format!("{dir}/ has a rig repository but no rig.toml (an unfinished `gt rig add`?)"),
                    format!("`gt rig remove --force {dir}` deletes it; or add it again with `gt rig add`"),
                ));
            }
            continue;
        }
        let rig = match RigConfig::load(&toml) {
            Ok(r) => r,
            Err(e) => {
                out.push(Check::error(
                    name,
                    e.to_string(),
                    format!("edit {} by hand", toml.display()),
                ));
                continue;
            }
        };
        if rig.name != dir {
            out.push(Check::error(
                name,
                format!("{} names the rig {:?}", toml.display(), rig.name),
                format!("set name = {dir:?} in it: a rig is known by its directory"),
            ));
            continue;
        }
        let problems = rig_problems(town, &rig, fix);
        if problems.is_empty() {
            out.push(Check::ok(
                name,
                format!(
                    "prefix {}, repository, branch {}, refinery worktree",
                    rig.prefix, rig.default_branch
                ),
            ));
        }
        out.extend(problems);
        good.push(rig);
    }
    let mut by_prefix: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in &good {
        by_prefix.entry(&r.prefix).or_default().push(&r.name);
    }
    for (prefix, rigs) in by_prefix.iter().filter(|(_, r)| r.len() > 1) {
        out.push(Check::error(
            "rigs",
            format!("rigs {} share the bead prefix {prefix:?}", rigs.join(", ")),
            "give each rig its own `prefix` in rig.toml (beads route to rigs by prefix)",
        ));
    }
    good
}

fn rig_problems(town: &Town, rig: &RigConfig, fix: bool) -> Vec<Check> {
    let name = format!("rig {}", rig.name);
    let mut out = Vec::new();
    if let Err(e) = names::validate_prefix(&rig.prefix) {
        out.push(Check::error(
            &name,
            e.to_string(),
            "set a valid `prefix` in rig.toml",
        ));
    }
    let repo = town.paths.rig_repo(&rig.name);
    if !git::is_repo(&repo) {
        out.push(Check::error(
            &name,
            format!("no git repository at {}", repo.display()),
            format!(
                "the rig cannot work without it: `gt rig remove --force {0}`, then `gt rig add {0} {1}`",
                rig.name, rig.url
            ),
        ));
        return out;
    }
    if !matches!(git::has_branch(&repo, &rig.default_branch), Ok(true)) {
        out.push(Check::error(
            &name,
            format!(
                "the default branch {:?} is not in {}",
                rig.default_branch,
                repo.display()
            ),
            format!(
                "set default_branch in rig.toml to one of the repository's branches (`git -C {} branch`)",
                repo.display()
            ),
        ));
        return out;
    }
    let refinery = town.paths.refinery_dir(&rig.name);
    if refinery.exists() {
        if !git::is_repo(&refinery) {
            out.push(Check::error(
                &name,
                format!("{}/refinery is not a git worktree", rig.name),
                "move it aside (gt never deletes it); `gt doctor --fix` then makes the refinery worktree again",
            ));
        }
        return out;
    }
    let mut c = Check::error(
        &name,
        format!("the refinery worktree {}/refinery is missing", rig.name),
        format!(
            "make it again: forget stale worktree registrations (`git worktree prune`), then a worktree of {} there",
            rig.default_branch
        ),
    )
    .fixable();
    if fix {
        c.outcome(remake_refinery(town, rig));
    }
    out.push(c);
    out
}

/// What `gt rig add` does for the refinery, after forgetting the old registration.
fn remake_refinery(town: &Town, rig: &RigConfig) -> Result<()> {
    let repo = town.paths.rig_repo(&rig.name);
    git::prune_worktrees(&repo)?;
    git::add_worktree(
        &repo,
        "refinery",
        &town.paths.refinery_dir(&rig.name),
        &rig.default_branch,
    )?;
    tracing::info!(rig = %rig.name, "gt doctor made the refinery worktree again");
    Ok(())
}

/// Every setting resolves (town level and per rig), and every role's runtime exists.
fn settings_check(town: &Town, rigs: &[RigConfig]) -> Check {
    let mut problems: Vec<String> = Vec::new();
    let mut note = |msg: String| {
        if !problems.contains(&msg) {
            problems.push(msg);
        }
    };
    let scopes: Vec<Option<&RigConfig>> =
        std::iter::once(None).chain(rigs.iter().map(Some)).collect();
    for rig in &scopes {
        for s in SETTINGS {
            if let Err(e) = settings::resolve(town, *rig, s.key, None) {
                note(e.to_string());
            }
        }
        let default_agent = settings::resolve(town, *rig, "default_agent", None)
            .map(|r| r.as_str())
            .unwrap_or_else(|_| "claude".into());
        let roles: &[&str] = if rig.is_some() {
            &["polecat", "crew"]
        } else {
            &["mayor"]
        };
        for role in roles {
            if let Err(e) = crate::agent::runtime_for_role(town, *rig, role, None, &default_agent) {
                let place = rig.map_or("the town".to_string(), |r| format!("rig {}", r.name));
                note(format!("{role} runtime of {place}: {e}"));
            }
        }
    }
    if problems.is_empty() {
        Check::ok(
            "settings",
            format!(
                "{} settings valid in town.toml, {} rig.toml file(s) and the user config; every role's runtime exists",
                SETTINGS.len(),
                rigs.len()
            ),
        )
    } else {
        Check::error(
            "settings",
            problems.join("; "),
            "`gt config set <key> <value>` (or `gt config unset`) writes a valid value; `gt config list` shows where each comes from",
        )
    }
}
