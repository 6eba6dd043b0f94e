//! `gt config agent set|list|remove` and `gt config default-agent`: the town's own runtimes.

use super::Ctx;
use crate::agent::{self, PromptMode, Runtime};
use crate::town::settings;
use crate::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct AgentSpec {
    pub name: String,
    pub command_line: String,
    pub prompt: Option<String>,
    pub prompt_flag: Option<String>,
    pub ready_marker: Option<String>,
    pub busy_marker: Option<String>,
    pub instruction_file: Option<String>,
    /// Seconds to wait for its first prompt.
    pub startup_timeout: Option<u64>,
    /// Escape stops its work, and urgent messages may use that.
    pub urgent_interrupts: bool,
}

/// Defines (or redefines) a runtime from a command line.
pub fn set(ctx: &mut Ctx, spec: &AgentSpec) -> Result<Runtime> {
    super::validate_simple_name("runtime name", &spec.name)?;
    let words = shlex::split(&spec.command_line)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| {
            Error::invalid(format!(
                "cannot read the command line {:?} (empty, or unbalanced quotes)",
                spec.command_line
            ))
        })?;
    let prompt = match spec.prompt.as_deref() {
        None => PromptMode::Arg,
        Some(p) => PromptMode::parse(p).ok_or_else(|| {
            Error::invalid(format!("--prompt must be arg, flag or paste, not {p:?}"))
        })?,
    };
    if prompt == PromptMode::Flag && spec.prompt_flag.is_none() {
        return Err(Error::invalid("--prompt flag needs --prompt-flag <flag>"));
    }
    let mut t = toml_edit::Table::new();
    t.insert("command", toml_edit::value(words[0].clone()));
    let mut args = toml_edit::Array::new();
    for w in &words[1..] {
        args.push(w.clone());
    }
    t.insert("args", toml_edit::value(args));
    t.insert(
        "prompt",
        toml_edit::value(match prompt {
            PromptMode::Arg => "arg",
            PromptMode::Flag => "flag",
            PromptMode::Paste => "paste",
        }),
    );
    for (key, v) in [
        ("prompt_flag", &spec.prompt_flag),
        ("ready_marker", &spec.ready_marker),
        ("busy_marker", &spec.busy_marker),
        ("instruction_file", &spec.instruction_file),
    ] {
        if let Some(v) = v {
            t.insert(key, toml_edit::value(v.clone()));
        }
    }
    if let Some(secs) = spec.startup_timeout {
        if !(1..=3600).contains(&secs) {
            return Err(Error::invalid(format!(
                "--startup-timeout must be 1 to 3600 seconds, not {secs}"
            )));
        }
        t.insert("startup_timeout_secs", toml_edit::value(secs as i64));
    }
    if spec.urgent_interrupts {
        t.insert("escape_cancels", toml_edit::value(true));
        t.insert("urgent_interrupts", toml_edit::value(true));
    }
    let base = std::path::Path::new(&words[0])
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(&words[0])
        .to_string();
    let mut names = toml_edit::Array::new();
    names.push(base);
    t.insert("process_names", toml_edit::value(names));
    settings::set_agent_runtime(&ctx.town, &spec.name, t)?;
    ctx.reload_town()?;
    Ok(agent::runtime_named(&ctx.town, &spec.name)?)
}

pub fn list(ctx: &Ctx) -> Result<Vec<Runtime>> {
    Ok(agent::runtimes(&ctx.town)?.into_values().collect())
}

pub fn remove(ctx: &mut Ctx, name: &str) -> Result<()> {
    if !settings::remove_agent_runtime(&ctx.town, name)? {
        let builtin = agent::runtime::presets().contains_key(name);
        return Err(Error::invalid(if builtin {
            format!("{name} is a built-in runtime; only the town's own runtimes can be removed")
        } else {
            format!("no runtime {name:?} is defined in town.toml")
        }));
    }
    ctx.reload_town()
}

/// Sets `default_agent` in town.toml after checking the runtime exists.
pub fn set_default(ctx: &mut Ctx, name: &str) -> Result<()> {
    agent::runtime_named(&ctx.town, name)?;
    super::config::set(ctx, settings::Scope::Town, None, "default_agent", name)?;
    Ok(())
}
