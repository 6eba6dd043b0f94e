//! `gt config …`.

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
                return out.json_ser(&super::json::One::new("default_agent", &name));
            }
            out.line(format!("default_agent = {name} (in town.toml)"))
        }
        ConfigCmd::Get { key, rig } => {
            let r = config::get(ctx, &key, rig.as_deref())?;
            if out.json {
                out.json_ser(&SettingDoc::of(&r))
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
        ConfigCmd::Unset { key, rig, user } => unset(out, ctx, key, rig, user),
        ConfigCmd::List { rig } => list(out, ctx, rig),
        ConfigCmd::Dump {
            kind,
            name,
            out: file,
            force,
        } => dump(out, &kind, name.as_deref(), file.as_deref(), force),
    }
}

/// `gt config unset`: remove a setting from town.toml (or rig.toml / user config).
fn unset(out: &mut Out, ctx: &mut Ctx, key: String, rig: Option<String>, user: bool) -> Result<()> {
    let removed = config::unset(ctx, scope(&rig, user), rig.as_deref(), &key)?;
    if out.json {
        out.json(json!({ "key": key, "removed": removed }))
    } else if removed {
        out.line(format!("{key} removed"))
    } else {
        out.line(format!("{key} was not set there"))
    }
}

/// `gt config list`: every setting with its effective value and source.
fn list(out: &mut Out, ctx: &mut Ctx, rig: Option<String>) -> Result<()> {
    let all = config::list(ctx, rig.as_deref())?;
    if out.json {
        let items: Vec<_> = all.iter().map(SettingDoc::of).collect();
        return out.json_ser(&super::json::One::new("settings", &items));
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
        AgentConfigCmd::Set(a) => runtime_set(out, ctx, *a),
        AgentConfigCmd::Check { name } => {
            let r = crate::work::agents::runtime_tools::check::check(ctx, &name)?;
            if out.json {
                out.json_ser(&super::json::One::new("check", &r))?;
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
        AgentConfigCmd::Prepare { name, yes } => prepare(out, ctx, name, yes),
        AgentConfigCmd::List => runtime_list(out, ctx),
        AgentConfigCmd::Remove { name } => {
            runtimes::remove(ctx, &name)?;
            if out.json {
                return out.json_ser(&super::json::One::new("removed", &name));
            }
            out.line(format!("Removed runtime {name}"))
        }
    }
}

/// `gt config agent set`: define or change a runtime (checked whole before it is written).
fn runtime_set(out: &mut Out, ctx: &mut Ctx, a: super::args::AgentSetArgs) -> Result<()> {
    let rt = runtimes::set(ctx, &spec_of(a))?;
    if out.json {
        return out.json_ser(&super::json::One::new("runtime", &rt));
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
        out.line("  no --ready-marker: deliveries to it are checked only by screen changes")?;
    }
    Ok(())
}

/// The runtime fields `gt config agent set` was given.
fn spec_of(a: super::args::AgentSetArgs) -> AgentSpec {
    AgentSpec {
        name: a.name,
        command_line: a.command_line,
        prompt: a.prompt,
        prompt_flag: a.prompt_flag,
        ready_marker: a.ready_marker,
        busy_marker: a.busy_marker,
        instruction_file: a.instruction_file,
        startup_timeout: a.startup_timeout,
        urgent_interrupts: a.urgent_interrupts,
        escape_cancels: a.escape_cancels,
        env: a.env,
        process_names: a.process_names,
        placeholders: a.placeholders,
        busy_markers: a.busy_markers,
        busy_patterns: a.busy_patterns,
        command_chars: a.command_chars,
        refuse_chars: a.refuse_chars,
        neutralize: a.neutralize,
        submit_delay_ms: a.submit_delay_ms,
        set: a.set,
        unset: a.unset,
    }
}

/// `gt config agent prepare`: make the changes a runtime's preset lists to its own config files in your home
/// directory (e.g. Claude Code's first-run onboarding); shows them first without --yes.
fn prepare(out: &mut Out, ctx: &mut Ctx, name: String, yes: bool) -> Result<()> {
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

/// `gt config agent list`: every runtime: built-in presets and the town's own, and which the suite verified.
fn runtime_list(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let list = runtimes::list(ctx)?;
    if out.json {
        return out.json_ser(&super::json::One::new("runtimes", &list));
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

// ---- command-line grammar of these commands (clap) ----

use super::args::{DAY, at_most};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The town's agent runtimes (built-in presets plus its own).
    #[command(subcommand)]
    Agent(AgentConfigCmd),
    /// Set the runtime agents use when no role-specific one is configured.
    DefaultAgent { name: String },
    /// Effective value of a setting and where it comes from.
    Get {
        key: String,
        #[arg(long)]
        rig: Option<String>,
    },
    /// Set a setting in town.toml (or rig.toml with --rig, or your user config with --user).
    Set {
        key: String,
        value: String,
        #[arg(long, conflicts_with = "user")]
        rig: Option<String>,
        #[arg(long)]
        user: bool,
    },
    /// Remove a setting from town.toml (or rig.toml / user config).
    Unset {
        key: String,
        #[arg(long, conflicts_with = "user")]
        rig: Option<String>,
        #[arg(long)]
        user: bool,
    },
    /// Every setting with its effective value and source.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// Print a built-in keymap or theme, to start your own keymap.toml / theme.toml from.
    Dump {
        /// What to print: keymap or theme.
        kind: String,
        /// Which one: a theme (dark, light, high-contrast; default dark) or keymap (default).
        #[arg(long)]
        name: Option<String>,
        /// Write it to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentConfigCmd {
    /// Define a runtime, or change fields of a preset or of the town's own:
    /// `gt config agent set mycodex "codex --model o3"`, `gt config agent set claude --env IS_SANDBOX=1`.
    Set(Box<AgentSetArgs>),
    /// Every runtime: built-in presets and the town's own, and which the suite verified.
    List,
    /// Remove one of the town's own runtimes (or the town's changes to a preset).
    Remove { name: String },
    /// Start a runtime once in a scratch window: which dialogs it met, whether it reached
    /// its prompt.
    Check { name: String },
    /// Make the changes a runtime's preset lists to its own config files in your home
    /// directory (e.g. Claude Code's first-run onboarding); shows them first without --yes.
    Prepare {
        name: String,
        /// Write them (without it, only say what would change).
        #[arg(long)]
        yes: bool,
    },
}

/// `gt config agent set`: every field of a runtime.
#[derive(Debug, Args)]
pub struct AgentSetArgs {
    pub name: String,
    /// The program and its arguments (needed for a new runtime).
    pub command_line: Option<String>,
    /// How the first prompt is given: arg, flag or paste.
    #[arg(long)]
    pub prompt: Option<String>,
    /// The flag before the first prompt (with --prompt flag), e.g. --prompt-flag --prompt.
    #[arg(long, allow_hyphen_values = true)]
    pub prompt_flag: Option<String>,
    /// Text that starts its input line (enables confirmed delivery).
    #[arg(long, allow_hyphen_values = true)]
    pub ready_marker: Option<String>,
    /// Text visible while it works.
    #[arg(long, allow_hyphen_values = true)]
    pub busy_marker: Option<String>,
    /// More texts that mean it works (repeatable).
    #[arg(long = "busy-text", allow_hyphen_values = true)]
    pub busy_markers: Vec<String>,
    /// A regular expression that matches a line shown while it works (repeatable).
    #[arg(long = "busy-pattern", allow_hyphen_values = true)]
    pub busy_patterns: Vec<String>,
    /// Hint text its empty input shows (repeatable).
    #[arg(long = "placeholder", allow_hyphen_values = true)]
    pub placeholders: Vec<String>,
    /// File it reads instructions from (CLAUDE.md, AGENTS.md, …).
    #[arg(long)]
    pub instruction_file: Option<String>,
    /// Seconds to wait for its first prompt (default 60).
    #[arg(long, value_parser = at_most::<DAY>)]
    pub startup_timeout: Option<u64>,
    /// Escape stops its work, and urgent mail may interrupt it that way.
    #[arg(long)]
    pub urgent_interrupts: bool,
    /// Whether Escape stops its current work (true or false).
    #[arg(long)]
    pub escape_cancels: Option<bool>,
    /// KEY=VALUE for its sessions' environment (repeatable); KEY= removes a variable.
    #[arg(long, allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// A process name it runs as (repeatable; default: its command's, plus node for Node scripts).
    #[arg(long = "process-name")]
    pub process_names: Vec<String>,
    /// Leading characters it treats as commands (e.g. "!/").
    #[arg(long, allow_hyphen_values = true)]
    pub command_chars: Option<String>,
    /// Leading characters gt refuses for it (no prefix makes them text there).
    #[arg(long, allow_hyphen_values = true)]
    pub refuse_chars: Option<String>,
    /// What makes such text plain: space or word_joiner.
    #[arg(long)]
    pub neutralize: Option<String>,
    /// Milliseconds to wait between a paste and Enter.
    #[arg(long)]
    pub submit_delay_ms: Option<u64>,
    /// Any field as FIELD=<TOML value> (repeatable), e.g. --field 'dialogs=[{name="x", screen=["Trust?"], keys=["Enter"], answer="trust_worktree"}]'.
    #[arg(long = "field", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// A field the town stops setting (repeatable): a preset's own value comes back.
    #[arg(long)]
    pub unset: Vec<String>,
}

/// One setting as `gt config get --json` and `gt config list --json` show it.
#[derive(serde::Serialize)]
struct SettingDoc<'a> {
    key: &'a str,
    value: serde_json::Value,
    layer: &'a str,
    source: &'a str,
}

impl<'a> SettingDoc<'a> {
    fn of(r: &'a crate::town::settings::Resolved) -> Self {
        SettingDoc {
            key: r.key,
            value: toml_to_json(&r.value),
            layer: r.layer.name(),
            source: &r.source,
        }
    }
}
