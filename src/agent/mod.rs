//! Agents: runtimes (presets and the town's own), the simulator, roles, addresses, names,
//! and reading an agent's screen.

pub mod address;
pub mod liveness;
pub mod names;
pub mod procs;
pub mod roles;
pub mod runtime;
pub mod screen;
pub mod sim;
pub mod startup;
pub mod transcript;

pub use address::{Address, Role};
pub use runtime::{PromptMode, Runtime};

use crate::town::{RigConfig, Town};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("unknown agent runtime {name:?}; known: {}", known.join(", "))]
    UnknownRuntime { name: String, known: Vec<String> },
    #[error("{file}: {message}")]
    BadConfig { file: String, message: String },
}

/// Every runtime this town can start: the presets, replaced or joined by `[agents.*]` of
/// town.toml.
pub fn runtimes(town: &Town) -> Result<BTreeMap<String, Runtime>, AgentError> {
    let mut all = runtime::presets();
    let own = runtime::from_table(town.config.raw.get("agents")).map_err(|message| {
        AgentError::BadConfig {
            file: town.paths.town_toml().display().to_string(),
            message,
        }
    })?;
    all.extend(own);
    Ok(all)
}

pub fn runtime_named(town: &Town, name: &str) -> Result<Runtime, AgentError> {
    let mut all = runtimes(town)?;
    all.remove(name).ok_or_else(|| AgentError::UnknownRuntime {
        name: name.to_string(),
        known: runtimes(town)
            .map(|m| m.into_keys().collect())
            .unwrap_or_default(),
    })
}

/// Which runtime a role uses: `--agent` > rig.toml `role_agents` > town.toml `role_agents` >
/// `default_agent` (itself layered: env > rig > town > user > built-in).
pub fn runtime_for_role(
    town: &Town,
    rig: Option<&RigConfig>,
    role: &str,
    flag: Option<&str>,
    default_agent: &str,
) -> Result<Runtime, AgentError> {
    let role_agent = |raw: &toml::Table| {
        raw.get("role_agents")
            .and_then(|t| t.get(role))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let name = flag
        .map(str::to_string)
        .or_else(|| rig.and_then(|r| role_agent(&r.raw)))
        .or_else(|| role_agent(&town.config.raw))
        .unwrap_or_else(|| default_agent.to_string());
    runtime_named(town, &name)
}
