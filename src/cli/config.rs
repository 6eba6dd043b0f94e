//! `gt config …`.

use super::args::AgentConfigCmd;
use super::args::ConfigCmd;
use super::output::Out;
use crate::town::settings::{Scope, display_value, lookup};
use crate::tui::{keymap, theme};
use crate::work::agents::runtimes::{self, AgentSpec};
use crate::work::{Ctx, town::config};
use crate::{Error, Result};
use serde_json::json;
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
            runtimes::set_default(ctx, &name)?;
            if out.json {
                return out.json(json!({ "default_agent": name }));
            }
            out.line(format!("default_agent = {name} (in town.toml)"))
        }
        ConfigCmd::Get { key, rig } => {
            let r = config::get(ctx, &key, rig.as_deref())?;
            if out.json {
                out.json(json!({ "key": r.key, "value": toml_to_json(&r.value), "layer": r.layer.name(), "source": r.source }))
            } else {
                out.line(r.as_str())
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
            } else {
                out.line(format!("{key} = {value} (in {})", path.display()))
            }
        }
        ConfigCmd::Unset { key, rig, user } => {
            let removed = config::unset(ctx, scope(&rig, user), rig.as_deref(), &key)?;
            if out.json {
                out.json(json!({ "key": key, "removed": removed }))
            } else if removed {
                out.line(format!("{key} removed"))
            } else {
                out.line(format!("{key} was not set there"))
            }
        }
        ConfigCmd::List { rig } => {
            let all = config::list(ctx, rig.as_deref())?;
            if out.json {
                let items: Vec<_> = all
                    .iter()
                    .map(|r| json!({ "key": r.key, "value": toml_to_json(&r.value), "layer": r.layer.name(), "source": r.source }))
                    .collect();
                return out.json(json!({ "settings": items }));
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
            return out.json(json!({ "kind": kind, "name": name, "text": text }));
        }
        return out.line(text.trim_end_matches('\n'));
    };
    let cwd = std::env::current_dir().map_err(|e| Error::io("read the current folder", e))?;
    let town = crate::town::Town::discover(&cwd).ok();
    let town_root = town.as_ref().map(|t| t.root().to_path_buf());
    let target = crate::work::town::output_path::check(
        &cwd,
        town_root.as_deref(),
        path,
        crate::work::town::output_path::Kind::Other,
        force,
    )?;
    crate::fsutil::write_atomic(&target, text.as_bytes())
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    if out.json {
        return out.json(json!({ "kind": kind, "name": name, "file": path }));
    }
    out.line(format!("Wrote the {name} {kind} to {}", path.display()))
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
        AgentConfigCmd::Set(a) => {
            let super::args::AgentSetArgs {
                name,
                command_line,
                prompt,
                prompt_flag,
                ready_marker,
                busy_marker,
                busy_markers,
                busy_patterns,
                placeholders,
                instruction_file,
                startup_timeout,
                urgent_interrupts,
                escape_cancels,
                env,
                process_names,
                command_chars,
                refuse_chars,
                neutralize,
                submit_delay_ms,
                set,
                unset,
            } = *a;
            let rt = runtimes::set(
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
                    escape_cancels,
                    env,
                    process_names,
                    placeholders,
                    busy_markers,
                    busy_patterns,
                    command_chars,
                    refuse_chars,
                    neutralize,
                    submit_delay_ms,
                    set,
                    unset,
                },
            )?;
            if out.json {
                return out.json(json!({ "runtime": rt }));
            }
            let what = if rt.builtin {
                format!(
                    "the {} preset with the town's {} (in town.toml)",
                    rt.name,
                    if rt.town_fields.is_empty() {
                        "settings removed".to_string()
                    } else {
                        rt.town_fields.join(", ")
                    }
                )
            } else {
                "in town.toml".into()
            };
            out.line(format!(
                "Runtime {} = {} ({what})",
                rt.name,
                rt.command_line()
            ))?;
            if rt.ready_marker.is_none() && rt.input_anchor.is_none() {
                out.line(
                    "  no --ready-marker: deliveries to it are checked only by screen changes",
                )?;
            }
            Ok(())
        }
        AgentConfigCmd::Check { name } => {
            let r = crate::work::agents::runtime_tools::check::check(ctx, &name)?;
            if out.json {
                out.json(json!({ "check": r }))?;
            } else {
                out.line(format!("{}: {}", r.runtime, r.command))?;
                match (&r.version, &r.version_error) {
                    (Some(v), _) => out.line(format!("  version: {v}")),
                    (None, Some(e)) => out.line(format!("  version: unknown ({e})")),
                    _ => out.line("  version: unknown"),
                }?;
                out.line(format!(
                    "  verified by gt's suite: {}",
                    r.verified
                        .as_deref()
                        .map(|v| format!("against {v}"))
                        .unwrap_or_else(|| "no".into())
                ))?;
                let answered = if r.answered_dialogs.is_empty() {
                    "none".to_string()
                } else {
                    r.answered_dialogs.join(", ")
                };
                out.line(format!("  dialogs gt answered: {answered}"))?;
                match (&r.failure, r.waited_ms) {
                    (None, Some(ms)) => out.line(format!("  reached its prompt in {ms} ms")),
                    (Some(f), _) => out.line(format!("  did not reach its prompt: {f}")),
                    _ => out.line("  did not reach its prompt"),
                }?;
                if let Some(t) = &r.trap {
                    out.line(format!("  trap: {t}"))?;
                }
            }
            if r.reached_prompt {
                Ok(())
            } else {
                Err(Error::failed(format!(
                    "{} did not reach its prompt (see above)",
                    r.runtime
                )))
            }
        }
        AgentConfigCmd::Prepare { name, yes } => {
            let rt = crate::agent::runtime_named(&ctx.town, &name)?;
            if rt.prepare.is_empty() {
                return Err(Error::invalid(format!(
                    "the {name} runtime lists no config changes to prepare"
                )));
            }
            let home = std::env::var_os("HOME")
                .map(std::path::PathBuf::from)
                .ok_or_else(|| Error::invalid("HOME is not set"))?;
            let changes = if yes {
                crate::work::agents::runtime_tools::prepare::apply(&rt, &home)?
            } else {
                crate::work::agents::runtime_tools::prepare::plan(&rt, &home)?
            };
            if out.json {
                return out.json(json!({ "runtime": name, "written": yes, "changes": changes }));
            }
            if changes.is_empty() {
                return out.line(format!(
                    "{name}: nothing to change; its config already has it all"
                ));
            }
            for c in &changes {
                out.line(format!(
                    "{} {}: {} = {} ({})",
                    if yes { "set" } else { "would set" },
                    c.file.display(),
                    c.key,
                    c.to,
                    c.why
                ))?;
            }
            if !yes {
                out.line("run again with --yes to write these")?;
            }
            Ok(())
        }
        AgentConfigCmd::List => {
            let list = runtimes::list(ctx)?;
            if out.json {
                return out.json(json!({ "runtimes": list }));
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        match (r.builtin, r.town_fields.is_empty()) {
                            (true, true) => "built-in".into(),
                            (true, false) => "built-in+town".into(),
                            _ => "town".into(),
                        },
                        r.prompt.as_str().to_string(),
                        r.instruction_file.clone().unwrap_or_else(|| "-".into()),
                        r.verified
                            .as_deref()
                            .map(|v| format!("yes, {v}"))
                            .unwrap_or_else(|| "no".into()),
                        r.command_line(),
                    ]
                })
                .collect();
            out.table(
                &[
                    "NAME",
                    "FROM",
                    "PROMPT",
                    "INSTRUCTIONS",
                    "VERIFIED",
                    "COMMAND",
                ],
                &rows,
            )
        }
        AgentConfigCmd::Remove { name } => {
            runtimes::remove(ctx, &name)?;
            if out.json {
                return out.json(json!({ "removed": name }));
            }
            out.line(format!("Removed runtime {name}"))
        }
    }
}
