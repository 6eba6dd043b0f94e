//! What the witness saw and did in its last round, saved per rig under `.gt/daemon/` so
//! `gt witness status` and the workspace can show it without asking the supervisor.

use super::classify::Verdict;
use super::policy::{Action, Memory, Policy};
use crate::Result;
use crate::work::{Ctx, agents::live};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AgentReport {
    pub address: String,
    pub verdict: Verdict,
    pub reason: String,
    pub hook: Option<String>,
    pub human_attached: bool,
    pub action: Action,
    /// What carrying out the action gave (or why it failed); None when there was nothing to do.
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub rig: String,
    /// Unix time of the round.
    pub at: i64,
    pub policy: Policy,
    pub agents: Vec<AgentReport>,
    #[serde(default)]
    pub memory: BTreeMap<String, Memory>,
    /// How long the round took, in milliseconds.
    #[serde(default)]
    pub took_ms: u64,
    /// The processes of the agents it saw running (not saved: the watcher's to look at).
    #[serde(skip)]
    pub live_pids: Vec<u32>,
}

fn path(ctx: &Ctx, rig: &str) -> PathBuf {
    ctx.town
        .paths
        .daemon_dir()
        .join(format!("witness-{rig}.json"))
}

fn memory_path(ctx: &Ctx, rig: &str) -> PathBuf {
    ctx.town
        .paths
        .daemon_dir()
        .join(format!("witness-{rig}.memory.json"))
}

/// Saved the moment the witness acts, so a witness that dies mid-round still knows it
/// restarted or escalated someone (no second escalation, no lost backoff).
pub fn save_memory(ctx: &Ctx, rig: &str, memory: &BTreeMap<String, Memory>) {
    write_json(ctx, &memory_path(ctx, rig), memory);
}

pub fn load_memory(ctx: &Ctx, rig: &str) -> BTreeMap<String, Memory> {
    std::fs::read_to_string(memory_path(ctx, rig))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn save(ctx: &Ctx, report: &Report) {
    write_json(ctx, &path(ctx, &report.rig), report);
}

fn write_json<T: serde::Serialize>(ctx: &Ctx, file: &Path, value: &T) {
    let res = serde_json::to_vec_pretty(value)
        .map_err(std::io::Error::other)
        .and_then(|bytes| {
            std::fs::create_dir_all(ctx.town.paths.daemon_dir())?;
            crate::fsutil::write_atomic(file, &bytes)
        });
    if let Err(e) = res {
        tracing::warn!(file = %file.display(), error = %e, "cannot save the witness's state");
    }
}

/// The last saved round of the rig's witness, if one ran.
pub fn load(ctx: &Ctx, rig: &str) -> Option<Report> {
    let text = std::fs::read_to_string(path(ctx, rig)).ok()?;
    match serde_json::from_str(&text) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(rig, error = %e, "unreadable witness report; ignoring it");
            None
        }
    }
}

/// Verdicts computed now, without acting (when no witness runs).
pub fn observe(ctx: &Ctx, rig: &crate::town::RigConfig) -> Result<Report> {
    let policy = Policy::for_rig(ctx, rig)?;
    let agents = live::agents(ctx, Some(&rig.name))?
        .into_iter()
        .filter(|v| !v.info.bead_id.is_empty())
        .map(|v| AgentReport {
            address: v.info.address,
            verdict: v.verdict,
            reason: v.reason,
            hook: v.info.hook,
            human_attached: v.human_attached,
            action: Action::None("no witness is running (`gt up` starts one)".into()),
            outcome: None,
        })
        .collect();
    Ok(Report {
        rig: rig.name.clone(),
        at: ctx.unix_now(),
        policy,
        agents,
        memory: BTreeMap::new(),
        took_ms: 0,
        live_pids: Vec::new(),
    })
}
