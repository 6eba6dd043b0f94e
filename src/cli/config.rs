//! `gt config …`.

use super::args::AgentConfigCmd;
use super::args::ConfigCmd;
use super::io;
use super::output::Out;
use crate::town::settings::{Scope, display_value, lookup};
use crate::tui::{keymap, theme};
use crate::work::agent_config::{self, AgentSpec};
use crate::work::{Ctx, config};
use crate::{Error, Result};
use serde_json::json;
use std::io::Write;
use std::path::Path;

fn scope(rig: &Option<String>, user: bool) -> Scope {
    match (rig, user) {
        (Some(_), _) => Scope::Rig,
        (None, true) => Scope::User,
        (None, false) => Scope::Town,
    }
}

pub fn run(out: &mut Out, ctx: &mut Ctx, cmd: ConfigCmd) -> Result<()> {
    match cmd {
        ConfigCmd::Agent(c) => agent(out, ctx, c),
        ConfigCmd::DefaultAgent { name } => {
            agent_config::set_default(ctx, &name)?;
            if out.json {
                return out.json(json!({ "default_agent": name })).map_err(io);
            }
            out.line(format!("default_agent = {name} (in town.toml)"))
                .map_err(io)
        }
        ConfigCmd::Get { key, rig } => {
            let r = config::get(ctx, &key, rig.as_deref())?;
            if out.json {
                out.json(json!({ "key": r.key, "value": toml_to_json(&r.value), "layer": r.layer.name(), "source": r.source }))
                    .map_err(io)
            } else {
                out.line(r.as_str()).map_err(io)
            }
        }
        ConfigCmd::Set {
            key,
            value,
            rig,
            user,
        } => {
            let path = config::set(ctx, scope(&rig, user), rig.as_deref(), &key, &value)?;
            if out.json {
                out.json(json!({ "key": key, "value": value, "file": path }))
                    .map_err(io)
            } else {
                out.line(format!("{key} = {value} (in {})", path.display()))
                    .map_err(io)
            }
        }
        ConfigCmd::Unset { key, rig, user } => {
            let removed = config::unset(ctx, scope(&rig, user), rig.as_deref(), &key)?;
            if out.json {
                out.json(json!({ "key": key, "removed": removed }))
                    .map_err(io)
            } else if removed {
                out.line(format!("{key} removed")).map_err(io)
            } else {
                out.line(format!("{key} was not set there")).map_err(io)
            }
        }
        ConfigCmd::List { rig } => {
            let all = config::list(ctx, rig.as_deref())?;
            if out.json {
                let items: Vec<_> = all
                    .iter()
                    .map(|r| json!({ "key": r.key, "value": toml_to_json(&r.value), "layer": r.layer.name(), "source": r.source }))
                    .collect();
                return out.json(json!({ "settings": items })).map_err(io);
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|r| {
                    let help = lookup(r.key).map(|s| s.help).unwrap_or("");
                    vec![
                        r.key.to_string(),
                        display_value(&r.value),
                        r.layer.name().to_string(),
                        help.to_string(),
                    ]
                })
                .collect();
            out.table(&["KEY", "VALUE", "FROM", "MEANING"], &rows)
                .map_err(io)
        }
        ConfigCmd::Dump {
            kind,
            name,
            out: file,
            force,
        } => dump(out, &kind, name.as_deref(), file.as_deref(), force),
    }
}

/// `gt config dump keymap|theme`: the embedded file, verbatim. Needs no town.
pub fn dump(
    out: &mut Out,
    kind: &str,
    name: Option<&str>,
    file: Option<&Path>,
    force: bool,
) -> Result<()> {
    let (name, text) = match kind {
        "keymap" => match name.unwrap_or("default") {
            "default" => ("default", keymap::DEFAULT_TOML),
            other => {
                return Err(Error::invalid(format!(
                    "unknown keymap {other:?}; the built-in keymap is \"default\""
                )));
            }
        },
        "theme" => {
            let n = name.unwrap_or(theme::DEFAULT_THEME);
            let text = theme::embedded(n).ok_or_else(|| {
                Error::invalid(format!(
                    "unknown theme {n:?}; themes: {}",
                    theme::theme_names()
                ))
            })?;
            (n, text)
        }
        other => {
            return Err(Error::invalid(format!(
                "unknown kind {other:?}; dump keymap or theme"
            )));
        }
    };
    let Some(path) = file else {
        if out.json {
            return out
                .json(json!({ "kind": kind, "name": name, "text": text }))
                .map_err(io);
        }
        return out.line(text.trim_end_matches('\n')).map_err(io);
    };
    let what = format!("write {}", path.display());
    if force {
        std::fs::write(path, text).map_err(|e| Error::io(what, e))?;
    } else {
        // create_new: no window between checking for the file and writing it.
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::invalid(format!(
                    "{} already exists; nothing written (add --force to replace it)",
                    path.display()
                )));
            }
            Err(e) => return Err(Error::io(what, e)),
        };
        f.write_all(text.as_bytes())
            .map_err(|e| Error::io(what, e))?;
    }
    if out.json {
        return out
            .json(json!({ "kind": kind, "name": name, "file": path }))
            .map_err(io);
    }
    out.line(format!("Wrote the {name} {kind} to {}", path.display()))
        .map_err(io)
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        other => json!(display_value(other)),
    }
}

fn agent(out: &mut Out, ctx: &mut Ctx, cmd: AgentConfigCmd) -> Result<()> {
    match cmd {
        AgentConfigCmd::Set {
            name,
            command_line,
            prompt,
            prompt_flag,
            ready_marker,
            busy_marker,
            instruction_file,
            startup_timeout,
            urgent_interrupts,
        } => {
            let rt = agent_config::set(
                ctx,
                &AgentSpec {
                    name,
                    command_line,
                    prompt,
                    prompt_flag,
                    ready_marker,
                    busy_marker,
                    instruction_file,
                    startup_timeout,
                    urgent_interrupts,
                },
            )?;
            if out.json {
                return out.json(json!({ "runtime": rt })).map_err(io);
            }
            out.line(format!(
                "Runtime {} = {} (in town.toml)",
                rt.name,
                rt.command_line()
            ))
            .map_err(io)?;
            if rt.ready_marker.is_none() {
                out.line(
                    "  no --ready-marker: deliveries to it are checked only by screen changes",
                )
                .map_err(io)?;
            }
            Ok(())
        }
        AgentConfigCmd::List => {
            let list = agent_config::list(ctx)?;
            if out.json {
                return out.json(json!({ "runtimes": list })).map_err(io);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        if r.builtin {
                            "built-in".into()
                        } else {
                            "town".into()
                        },
                        format!("{:?}", r.prompt).to_lowercase(),
                        r.instruction_file.clone().unwrap_or_else(|| "-".into()),
                        r.command_line(),
                    ]
                })
                .collect();
            out.table(
                &["NAME", "FROM", "PROMPT", "INSTRUCTIONS", "COMMAND"],
                &rows,
            )
            .map_err(io)
        }
        AgentConfigCmd::Remove { name } => {
            agent_config::remove(ctx, &name)?;
            if out.json {
                return out.json(json!({ "removed": name })).map_err(io);
            }
            out.line(format!("Removed runtime {name}")).map_err(io)
        }
    }
}
