//! Crew: human-directed, long-lived workspaces — a worktree `<rig>/crew/<name>` on branch
//! `crew/<name>` and a window (`crew-<name>`) running the crew runtime. Their work reaches the
//! default branch through `gt done` and the merge queue, like everyone's.

use crate::agent::{self, Address};
use crate::work::Ctx;
use crate::work::agents::polecat::{self, PolecatView};
use crate::work::agents::polecat_remove::{self, RemoveReport};
use crate::work::agents::session::{self, Launched, StartSpec};
use crate::work::agents::{self, AgentRecord};
use crate::{Error, Result, git};
use std::path::PathBuf;

pub fn branch(name: &str) -> String {
    format!("crew/{name}")
}

pub fn window_name(name: &str) -> String {
    format!("crew-{name}")
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CrewAdded {
    pub address: String,
    pub worktree: PathBuf,
    pub branch: String,
    pub launched: Option<Launched>,
}

pub fn add(
    ctx: &mut Ctx,
    rig_name: &str,
    name: &str,
    runtime_flag: Option<&str>,
    start_it: bool,
) -> Result<CrewAdded> {
    polecat::validate_name(name)?;
    let rig = ctx.town.rig(rig_name)?;
    let address = Address::Crew {
        rig: rig.name.clone(),
        name: name.to_string(),
    };
    // Checks, worktree and record under the rig's lock (as slings do): two adds of one name
    // cannot both pass the checks, and git never creates two worktrees of a repo at once.
    let lock = crate::fsutil::LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    if agents::find(&ctx.reader(), &address.to_string())?.is_some() {
        return Err(Error::invalid(format!(
            "{address} already exists (`gt crew start {address}` starts it)"
        )));
    }
    let path = ctx.town.paths.crew_dir(&rig.name).join(name);
    if path.exists() {
        return Err(Error::invalid(format!(
            "{} already exists; remove it or pick another name",
            path.display()
        )));
    }
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let br = branch(name);
    if git::has_branch(&repo, &br)? {
        return Err(Error::invalid(format!(
            "branch {br} already exists in {}; pick another name",
            rig.name
        )));
    }
    let default_agent = ctx.setting("default_agent", Some(&rig))?.as_str();
    let rt = agent::runtime_for_role(&ctx.town, Some(&rig), "crew", runtime_flag, &default_agent)?;
    std::fs::create_dir_all(ctx.town.paths.crew_dir(&rig.name)).map_err(|e| {
        Error::io(
            format!("create {}", ctx.town.paths.crew_dir(&rig.name).display()),
            e,
        )
    })?;
    git::add_worktree_on_new_branch(
        &repo,
        &format!("crew-{name}"),
        &path,
        &br,
        &rig.default_branch,
    )
    .map_err(|e| {
        Error::failed(format!(
            "could not create the worktree {}: {e}",
            path.display()
        ))
    })?;
    let recorded = ctx.write(|tx| {
        agents::upsert(
            tx,
            &AgentRecord {
                address: &address,
                prefix: &rig.prefix,
                name,
                state: "idle",
                hook: None,
                runtime: &rt.name,
                worktree: Some(&path),
                branch: Some(&br),
                session_args: &[],
                host: None,
            },
        )
    });
    if let Err(e) = recorded {
        let _ = git::remove_worktree(&repo, &format!("crew-{name}"), &path);
        let _ = git::delete_branch(&repo, &br);
        return Err(e);
    }
    drop(lock);
    let launched = if start_it {
        Some(start(ctx, &address.to_string(), None)?)
    } else {
        None
    };
    Ok(CrewAdded {
        address: address.to_string(),
        worktree: path,
        branch: br,
        launched,
    })
}

/// Starts (or finds running) a crew member's session.
pub fn start(ctx: &mut Ctx, address: &str, topic: Option<&str>) -> Result<Launched> {
    let info = agents::require(ctx, address)?;
    if info.role != crate::agent::Role::Crew {
        return Err(Error::invalid(format!(
            "{} is a {}, not crew",
            info.address, info.role
        )));
    }
    crate::work::brakes::check_start(&ctx.reader(), info.rig.as_deref())?;
    let rig_name = info
        .rig
        .clone()
        .ok_or_else(|| Error::failed("crew without a rig"))?;
    let addr = Address::parse(&info.address).map_err(Error::Invalid)?;
    let rt = agent::runtime_named(&ctx.town, info.runtime.as_deref().unwrap_or("claude"))?;
    let cwd = info
        .worktree
        .clone()
        .ok_or_else(|| Error::failed(format!("{} has no worktree", info.address)))?;
    let repo = ctx.town.paths.rig_repo(&rig_name);
    let sender = ctx.actor.clone();
    let window = window_name(&info.name);
    let spec = StartSpec {
        address: &addr,
        name: &window,
        cwd: &cwd,
        runtime: &rt,
        bead: info.hook.as_deref(),
        sender: &sender,
        topic: topic.unwrap_or("your workspace is open"),
        repo: Some(&repo),
        resume: &[],
        host: None,
    };
    session::launch(ctx, &spec)
}

pub fn stop(ctx: &mut Ctx, address: &str, force: bool) -> Result<bool> {
    let info = agents::require(ctx, address)?;
    let addr = Address::parse(&info.address).map_err(Error::Invalid)?;
    session::stop(ctx, &addr, force)
}

pub fn list(ctx: &Ctx, rig: Option<&str>) -> Result<Vec<PolecatView>> {
    if let Some(r) = rig {
        ctx.town.rig(r)?;
    }
    agents::list(&ctx.reader(), rig)?
        .into_iter()
        .filter(|a| a.role == crate::agent::Role::Crew)
        .map(|a| polecat::view(ctx, a))
        .collect()
}

pub fn remove(ctx: &mut Ctx, address: &str, force: bool) -> Result<RemoveReport> {
    polecat_remove::remove_worker(ctx, address, crate::agent::Role::Crew, force)
}
