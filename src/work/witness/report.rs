//! What the witness saw and did in its last round, saved per rig under `.gt/daemon/` so
//! `gt witness status` and the workspace can show it without asking the supervisor.

use super::classify::Verdict;
use super::policy::{Action, Memory, Policy};
use crate::Result;
use crate::work::{Ctx, live};
use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AgentReport {
    pub address: String,
    pub verdict: Verdict,
    pub reason: String,
    pub hook: Option<String>,
    pub human_attached: bool,
    #[serde(skip_deserializing, default = "no_action")]
    pub action: Action,
    /// What carrying out the action gave (or why it failed); None when there was nothing to do.
    pub outcome: Option<String>,
}

fn no_action() -> Action {
    Action::None(String::new())
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub rig: String,
    /// Unix time of the round.
    pub at: i64,
    #[serde(skip_deserializing, default = "Report::no_policy")]
    pub policy: Policy,
    pub agents: Vec<AgentReport>,
    #[serde(default)]
    pub memory: BTreeMap<String, Memory>,
}

impl Report {
    fn no_policy() -> Policy {
        Policy {
            interval_secs: 0,
            stall_after_secs: 0,
            recovery: super::Recovery::Report,
            grace_secs: 0,
            max_restarts: 0,
            restart_window_secs: 0,
            backoff_secs: 0,
        }
    }
}

fn path(ctx: &Ctx, rig: &str) -> std::path::PathBuf {
    ctx.town
        .paths
        .daemon_dir()
        .join(format!("witness-{rig}.json"))
}

pub fn save(ctx: &Ctx, report: &Report) {
    let file = path(ctx, &report.rig);
    let res = serde_json::to_vec_pretty(report)
        .map_err(std::io::Error::other)
        .and_then(|bytes| {
            std::fs::create_dir_all(ctx.town.paths.daemon_dir())?;
            crate::fsutil::write_atomic(&file, &bytes)
        });
    if let Err(e) = res {
        tracing::warn!(file = %file.display(), error = %e, "cannot save the witness report");
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
pub async fn observe(ctx: &Ctx, rig: &crate::town::RigConfig) -> Result<Report> {
    let policy = Policy::for_rig(ctx, rig)?;
    let agents = live::agents(ctx, Some(&rig.name))
        .await?
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
        at: chrono::Utc::now().timestamp(),
        policy,
        agents,
        memory: BTreeMap::new(),
    })
}
