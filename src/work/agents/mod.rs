//! The agents of a town as the ledger knows them: one agent bead each (type `agent`,
//! ephemeral, id `<prefix>-<rig>-<role>-<name>`), carrying state, hook, runtime and worktree.

pub mod delivery;

pub mod accounts;
pub mod control;
pub mod crew;
pub mod departed;
pub mod heartbeat;
pub mod hook_config;
pub mod live;
pub mod mayor;
pub mod polecat;
pub mod polecat_remove;
pub mod polecat_stale;
pub mod runtime_events;
pub mod runtime_tools;
pub mod runtimes;
pub mod screen_activity;
pub mod seance;
pub mod seance_ask;
pub mod session;
pub mod sessions;
pub mod startup;

use super::Ctx;
use crate::agent::{Address, Role};
use crate::ledger::{Bead, Reader, Tx};
use crate::{Error, Result};
use serde_json::json;
use std::path::PathBuf;

/// An agent's record state (its bead's `agent_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentState {
    /// Free for work (nothing on its hook).
    Idle,
    /// Work on its hook.
    Working,
    /// Gone (its record kept for history; never listed).
    Removed,
    /// Something this version does not know, or a window the ledger has no record of.
    Unknown,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Idle => "idle",
            AgentState::Working => "working",
            AgentState::Removed => "removed",
            AgentState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> AgentState {
        match s {
            "idle" => AgentState::Idle,
            "working" => AgentState::Working,
            "removed" => AgentState::Removed,
            _ => AgentState::Unknown,
        }
    }
}

impl From<&str> for AgentState {
    fn from(s: &str) -> Self {
        AgentState::parse(s)
    }
}

impl std::fmt::Display for AgentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the ledger records about an agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgentInfo {
    pub address: String,
    pub role: Role,
    pub rig: Option<String>,
    pub name: String,
    /// The agent bead.
    pub bead_id: String,
    /// `idle` or `working` (`removed` agents are not listed).
    pub state: AgentState,
    /// The bead on its hook.
    pub hook: Option<String>,
    pub runtime: Option<String>,
    pub worktree: Option<PathBuf>,
    pub branch: Option<String>,
    /// When its record last changed (hooked, freed, started), as RFC 3339.
    pub updated_at: String,
    /// Extra runtime arguments its work was slung with (`gt sling --args`), for each of
    /// the work's sessions.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub session_args: Vec<String>,
    /// The town's host it runs on (`gt host`); None: this machine. Its worktree is there.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
}

pub fn agent_bead_id(prefix: &str, rig: &str, role: &str, name: &str) -> String {
    format!("{prefix}-{rig}-{role}-{name}")
}

fn meta_str(meta: &serde_json::Value, key: &str) -> Option<String> {
    meta.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

/// Reads an agent bead; None for beads that are not gt agents.
pub fn from_bead(b: &Bead) -> Option<AgentInfo> {
    if b.issue_type != "agent" {
        return None;
    }
    let meta: serde_json::Value = b
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let address = meta_str(&meta, "address")?;
    Some(AgentInfo {
        role: Role::parse(b.role_type.as_deref().unwrap_or_default()),
        rig: b.rig.clone().filter(|r| !r.is_empty()),
        name: meta_str(&meta, "name").unwrap_or_default(),
        bead_id: b.id.clone(),
        state: b
            .agent_state
            .as_deref()
            .map_or(AgentState::Idle, AgentState::parse),
        hook: b.hook_bead.clone().filter(|h| !h.is_empty()),
        runtime: meta_str(&meta, "runtime"),
        worktree: meta_str(&meta, "worktree").map(PathBuf::from),
        branch: meta_str(&meta, "branch"),
        updated_at: b.updated_at.clone(),
        session_args: meta
            .get("session_args")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default(),
        host: meta_str(&meta, "host"),
        address,
    })
}

/// The state of an agent's worktree, wherever it is (on its host for a remote agent); None
/// when it has none or the folder is gone.
pub fn worktree_state(
    ctx: &crate::work::Ctx,
    a: &AgentInfo,
) -> Result<Option<crate::git::WorktreeState>> {
    let Some(wt) = &a.worktree else {
        return Ok(None);
    };
    match &a.host {
        Some(h) => crate::work::hosts::remote::worktree_state(ctx, h, wt),
        None if wt.exists() => Ok(Some(crate::git::worktree_state(wt)?)),
        None => Ok(None),
    }
}

/// Every live (not removed) gt agent, optionally of one rig.
pub fn list(r: &Reader<'_>, rig: Option<&str>) -> Result<Vec<AgentInfo>> {
    let beads = r.list(&crate::ledger::ListFilter {
        types: vec!["agent".into()],
        all: true,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for s in beads {
        if s.status == crate::ledger::Status::Closed {
            continue;
        }
        let Some(b) = r.bead(&s.id)? else { continue };
        if let Some(info) = from_bead(&b)
            && (rig.is_none() || info.rig.as_deref() == rig)
        {
            out.push(info);
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(out)
}

/// The agent with this address, if the ledger knows it.
pub fn find(r: &Reader<'_>, address: &str) -> Result<Option<AgentInfo>> {
    Ok(list(r, None)?.into_iter().find(|a| a.address == address))
}

/// The bead hooked to `address` (status `hooked`, assignee = address).
pub fn hooked_bead(r: &Reader<'_>, address: &str) -> Result<Option<Bead>> {
    let list = r.list(&crate::ledger::ListFilter {
        statuses: vec![crate::ledger::Status::Hooked.into()],
        assignee: Some(address.to_string()),
        all: true,
        ..Default::default()
    })?;
    match list.first() {
        Some(s) => Ok(r.bead(&s.id)?),
        None => Ok(None),
    }
}

/// What a new or updated agent bead holds.
pub struct AgentRecord<'a> {
    pub address: &'a Address,
    pub prefix: &'a str,
    pub name: &'a str,
    pub state: &'a str,
    pub hook: Option<&'a str>,
    pub runtime: &'a str,
    pub worktree: Option<&'a std::path::Path>,
    pub branch: Option<&'a str>,
    /// Extra runtime arguments for the sessions of its work (empty: none).
    pub session_args: &'a [String],
    /// The host it runs on (None: this machine).
    pub host: Option<&'a str>,
}

/// Creates or rewrites the agent bead; returns its id.
pub fn upsert(tx: &mut Tx<'_>, rec: &AgentRecord<'_>) -> Result<String> {
    let rig = rec.address.rig().unwrap_or("hq").to_string();
    // Town roles (mayor, deacon) are `hq-<role>`; rig agents `<prefix>-<rig>-<role>-<name>`.
    let id = match rec.address.rig() {
        Some(_) => agent_bead_id(rec.prefix, &rig, rec.address.role().as_str(), rec.name),
        None => format!("hq-{}", rec.address.role()),
    };
    let mut meta = json!({
        "address": rec.address.to_string(),
        "name": rec.name,
        "runtime": rec.runtime,
        "worktree": rec.worktree.map(|p| p.display().to_string()),
        "branch": rec.branch,
    });
    if !rec.session_args.is_empty() {
        meta["session_args"] = json!(rec.session_args);
    }
    if let Some(h) = rec.host {
        meta["host"] = json!(h);
    }
    let now = tx.now().to_string();
    let mut bead = match tx.reader().bead(&id)? {
        Some(b) => b,
        None => Bead {
            id: id.clone(),
            title: format!("Agent: {}", rec.address),
            status: crate::ledger::Status::Open.into(),
            priority: 2,
            issue_type: "agent".into(),
            created_at: now.clone(),
            updated_at: now,
            created_by: Some(tx.actor().to_string()),
            ephemeral: true,
            rig: rec.address.rig().map(str::to_string),
            role_type: Some(rec.address.role().to_string()),
            ..Bead::default()
        },
    };
    let existed = tx.reader().exists(&id)?;
    let old = bead.clone();
    bead.status = crate::ledger::Status::Open.into();
    bead.closed_at = None;
    bead.agent_state = Some(rec.state.to_string());
    bead.hook_bead = rec.hook.map(str::to_string);
    bead.metadata = Some(meta.to_string());
    if existed {
        tx.update_bead(&old, bead, "agent_updated")?;
    } else {
        tx.insert_bead(&bead)?;
    }
    Ok(id)
}

/// Sets an agent's state and hook (free it: state idle, hook None).
pub fn set_state(
    tx: &mut Tx<'_>,
    agent_bead: &str,
    state: AgentState,
    hook: Option<&str>,
) -> Result<()> {
    let old = tx.reader().require(agent_bead)?;
    let mut new = old.clone();
    new.agent_state = Some(state.as_str().to_string());
    new.hook_bead = hook.map(str::to_string);
    if state == AgentState::Removed {
        new.status = crate::ledger::Status::Closed.into();
        new.closed_at = Some(tx.now().to_string());
        new.close_reason = Some("removed".into());
    }
    tx.update_bead(&old, new, "agent_updated")?;
    Ok(())
}

/// Who is calling: `$GT_AGENT`, else what the working directory says (a polecat or crew
/// worktree, the mayor's folder), else the human (`overseer`).
pub fn whoami(ctx: &Ctx) -> Address {
    if let Ok(a) = std::env::var("GT_AGENT")
        && let Ok(addr) = Address::parse(a.trim())
    {
        return addr;
    }
    let Ok(rel) = ctx.cwd.strip_prefix(ctx.town.root()) else {
        return Address::Overseer;
    };
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str().map(str::to_string))
        .collect();
    match parts.as_slice() {
        [first, ..] if first == "mayor" => Address::Mayor,
        [rig, kind, name, ..] if kind == "polecats" => Address::Polecat {
            rig: rig.clone(),
            name: name.clone(),
        },
        [rig, kind, name, ..] if kind == "crew" => Address::Crew {
            rig: rig.clone(),
            name: name.clone(),
        },
        _ => Address::Overseer,
    }
}

/// The agent an address names, or a clear error.
pub fn require(ctx: &Ctx, address: &str) -> Result<AgentInfo> {
    let parsed = Address::parse(address).map_err(Error::Invalid)?;
    let full = match &parsed {
        Address::Short { rig, name } => Address::Polecat {
            rig: rig.clone(),
            name: name.clone(),
        }
        .to_string(),
        other => other.to_string(),
    };
    find(&ctx.reader(), &full)?.ok_or_else(|| {
        Error::not_found(format!(
            "no agent {address:?} in this town (`gt agents` lists them)"
        ))
    })
}

/// Takes a bead off whatever hook holds it: back to `open`, no assignee.
pub fn unhook_in(tx: &mut Tx<'_>, bead_id: &str) -> Result<()> {
    let Some(old) = tx.reader().bead(bead_id)? else {
        return Ok(());
    };
    if old.status != crate::ledger::Status::Hooked {
        return Ok(());
    }
    let mut new = old.clone();
    new.status = crate::ledger::Status::Open.into();
    new.assignee = None;
    tx.update_bead(&old, new, "unhooked")?;
    Ok(())
}
