//! `gt config agent set|list|remove|prepare` and `gt config default-agent`: the town's own
//! runtimes, and its changes to the presets. Every field of a runtime can be set from the
//! command line; the result is checked whole before anything is written.

use crate::agent::{self, Runtime, runtime};
use crate::town::settings;
use crate::work::Ctx;
use crate::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct AgentSpec {
    pub name: String,
    /// The program and its arguments; needed for a new runtime, optional for a preset or one
    /// the town already has (then only the given fields change).
    pub command_line: Option<String>,
    pub prompt: Option<String>,
    pub prompt_flag: Option<String>,
    pub ready_marker: Option<String>,
    pub busy_marker: Option<String>,
    pub instruction_file: Option<String>,
    /// Seconds to wait for its first prompt.
    pub startup_timeout: Option<u64>,
    /// Escape stops its work, and urgent messages may use that.
    pub urgent_interrupts: bool,
    pub escape_cancels: Option<bool>,
    /// `KEY=VALUE` for its sessions' environment; `KEY=` removes a variable.
    pub env: Vec<String>,
    pub process_names: Vec<String>,
    pub placeholders: Vec<String>,
    pub busy_markers: Vec<String>,
    pub busy_patterns: Vec<String>,
    pub command_chars: Option<String>,
    pub refuse_chars: Option<String>,
    pub neutralize: Option<String>,
    pub submit_delay_ms: Option<u64>,
    /// `KEY=<TOML value>` for any field (`dialogs=[…]`, `paste.queued=["…"]`).
    pub set: Vec<String>,
    /// Fields the town's entry stops setting (a preset's value comes back).
    pub unset: Vec<String>,
}

/// Defines a runtime, or changes the given fields of a preset or of the town's own.
pub fn set(ctx: &mut Ctx, spec: &AgentSpec) -> Result<Runtime> {
    crate::work::validate_simple_name("runtime name", &spec.name)?;
    let existing: Option<toml::Table> = ctx
        .town
        .config
        .raw
        .get("agents")
        .and_then(|a| a.get(&spec.name))
        .and_then(|t| t.as_table())
        .cloned();
    let preset = runtime::presets().contains_key(&spec.name);
    if existing.is_none() && !preset && spec.command_line.is_none() {
        return Err(Error::invalid(format!(
            "{:?} is not a runtime yet: give its command line, e.g. gt config agent set {} \"my-agent --flag\"",
            spec.name, spec.name
        )));
    }
    check_choices(spec)?;
    let mut t = existing.unwrap_or_default();
    if let Some(line) = &spec.command_line {
        apply_command_line(&mut t, line, spec, preset)?;
    }
    apply_fields(&mut t, spec)?;
    // Checked whole (merged over the preset) before anything is written.
    let mut one = toml::Table::new();
    one.insert(spec.name.clone(), toml::Value::Table(t.clone()));
    let checked = runtime::from_table(Some(&toml::Value::Table(one)))
        .map_err(Error::invalid)?
        .remove(&spec.name)
        .ok_or_else(|| Error::failed("the runtime vanished while being checked"))?;
    write(ctx, &spec.name, &t)?;
    ctx.reload_town()?;
    Ok(checked)
}

/// The values that must be one of a few words.
fn check_choices(spec: &AgentSpec) -> Result<()> {
    if let Some(p) = spec.prompt.as_deref()
        && crate::agent::PromptMode::parse(p).is_none()
    {
        return Err(Error::invalid(format!(
            "--prompt must be arg, flag or paste, not {p:?}"
        )));
    }
    if let Some(n) = spec.neutralize.as_deref()
        && !matches!(n, "space" | "word_joiner")
    {
        return Err(Error::invalid(format!(
            "--neutralize must be space or word_joiner, not {n:?}"
        )));
    }
    Ok(())
}

/// The runtime's command and arguments from one shell-quoted line.
fn apply_command_line(
    t: &mut toml::Table,
    line: &str,
    spec: &AgentSpec,
    preset: bool,
) -> Result<()> {
    let words = shlex::split(line)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| {
            Error::invalid(format!(
                "cannot read the command line {line:?} (empty, or unbalanced quotes)"
            ))
        })?;
    t.insert("command".into(), words[0].clone().into());
    t.insert("args".into(), words[1..].to_vec().into());
    if spec.process_names.is_empty() {
        t.insert("process_names".into(), process_names_for(&words[0]).into());
    }
    // A new runtime reads like a plain command unless told otherwise.
    if !preset && !t.contains_key("prompt") {
        t.insert("prompt".into(), "arg".into());
    }
    Ok(())
}

/// Every other field given: plain values, lists, the environment and raw `--set`s.
fn apply_fields(t: &mut toml::Table, spec: &AgentSpec) -> Result<()> {
    for (key, v) in [
        ("prompt", &spec.prompt),
        ("prompt_flag", &spec.prompt_flag),
        ("ready_marker", &spec.ready_marker),
        ("busy_marker", &spec.busy_marker),
        ("instruction_file", &spec.instruction_file),
        ("command_chars", &spec.command_chars),
        ("refuse_chars", &spec.refuse_chars),
        ("neutralize", &spec.neutralize),
    ] {
        if let Some(v) = v {
            t.insert(key.into(), v.clone().into());
        }
    }
    for (key, v) in [
        ("process_names", &spec.process_names),
        ("placeholders", &spec.placeholders),
        ("busy_markers", &spec.busy_markers),
        ("busy_patterns", &spec.busy_patterns),
    ] {
        if !v.is_empty() {
            t.insert(key.into(), v.clone().into());
        }
    }
    if let Some(secs) = spec.startup_timeout {
        t.insert("startup_timeout_secs".into(), (secs as i64).into());
    }
    if let Some(ms) = spec.submit_delay_ms {
        set_path(t, "paste.submit_delay_ms", (ms as i64).into())?;
    }
    if let Some(b) = spec.escape_cancels {
        t.insert("escape_cancels".into(), b.into());
    }
    if spec.urgent_interrupts {
        t.insert("escape_cancels".into(), true.into());
        t.insert("urgent_interrupts".into(), true.into());
    }
    for kv in &spec.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("--env wants KEY=VALUE, not {kv:?}")))?;
        if !runtime::valid_env_name(k) {
            return Err(Error::invalid(format!(
                "--env {kv:?}: {k:?} is not an environment variable name"
            )));
        }
        set_path(t, &format!("env.{k}"), v.into())?;
    }
    for kv in &spec.set {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("--set wants FIELD=<TOML value>, not {kv:?}")))?;
        let value: toml::Table = toml::from_str(&format!("v = {v}")).map_err(|e| {
            Error::invalid(format!(
                "--field {k}: {v:?} is not a TOML value (quote strings: {k}='\"text\"'): {e}"
            ))
        })?;
        let value = value
            .get("v")
            .cloned()
            .unwrap_or(toml::Value::Boolean(false));
        set_path(t, k.trim(), value)?;
    }
    for k in &spec.unset {
        unset_path(t, k.trim());
    }
    Ok(())
}

/// Writes `[agents.<name>]` to town.toml (or removes it when nothing is left of it).
fn write(ctx: &Ctx, name: &str, t: &toml::Table) -> Result<()> {
    if t.is_empty() {
        settings::remove_agent_runtime(&ctx.town, name)?;
    } else {
        let text = toml::to_string(t)
            .map_err(|e| Error::failed(format!("cannot write [agents.{}]: {e}", name)))?;
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e| Error::failed(format!("cannot write [agents.{}]: {e}", name)))?;
        settings::set_agent_runtime(&ctx.town, name, doc.as_table().clone())?;
    }
    Ok(())
}

/// `a.b.c = value` in `t`, making tables on the way.
fn set_path(t: &mut toml::Table, path: &str, value: toml::Value) -> Result<()> {
    let parts: Vec<&str> = path.split('.').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(Error::invalid(format!("{path:?} is not a field name")));
    }
    let mut cur = t;
    for p in &parts[..parts.len() - 1] {
        let next = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = next
            .as_table_mut()
            .ok_or_else(|| Error::invalid(format!("{p:?} in {path:?} is not a table")))?;
    }
    cur.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

fn unset_path(t: &mut toml::Table, path: &str) {
    match path.split_once('.') {
        Some((head, rest)) => {
            if let Some(inner) = t.get_mut(head).and_then(|v| v.as_table_mut()) {
                unset_path(inner, rest);
                if inner.is_empty() {
                    t.remove(head);
                }
            }
        }
        None => {
            t.remove(path);
        }
    }
}

/// The process names a command runs as: its file name, and `node` when it is a Node script
/// (most agent CLIs from npm), so the witness finds it in the process table.
pub fn process_names_for(command: &str) -> Vec<String> {
    let base = std::path::Path::new(command)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(command)
        .to_string();
    let mut names = vec![base];
    if let Some(path) = resolve(command)
        && node_script(&path)
    {
        names.push("node".into());
    }
    names
}

/// The file `command` runs: itself when it has a slash, else the first match on PATH.
fn resolve(command: &str) -> Option<std::path::PathBuf> {
    if command.contains('/') {
        return Some(command.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(command))
        .find(|p| p.is_file())
}

/// A script whose `#!` line names node.
fn node_script(path: &std::path::Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 128];
    let n = f.read(&mut head).unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]);
    head.starts_with("#!")
        && head
            .lines()
            .next()
            .is_some_and(|l| l.split(['/', ' ']).any(|w| w == "node"))
}

pub fn list(ctx: &Ctx) -> Result<Vec<Runtime>> {
    Ok(agent::runtimes(&ctx.town)?.into_values().collect())
}

pub fn remove(ctx: &mut Ctx, name: &str) -> Result<()> {
    if !settings::remove_agent_runtime(&ctx.town, name)? {
        let builtin = runtime::presets().contains_key(name);
        return Err(Error::invalid(if builtin {
            format!("{name} is a built-in runtime with no changes in town.toml; nothing to remove")
        } else {
            format!("no runtime {name:?} is defined in town.toml")
        }));
    }
    ctx.reload_town()
}

/// Sets `default_agent` in town.toml after checking the runtime exists.
pub fn set_default(ctx: &mut Ctx, name: &str) -> Result<()> {
    agent::runtime_named(&ctx.town, name)?;
    settings::set(
        &ctx.town,
        settings::Scope::Town,
        None,
        "default_agent",
        name,
    )?;
    ctx.reload_town()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_clis_run_as_node() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("fancy-agent");
        std::fs::write(&script, "#!/usr/bin/env node\nconsole.log(1)\n").expect("write");
        let names = process_names_for(&script.display().to_string());
        assert_eq!(names, vec!["fancy-agent".to_string(), "node".to_string()]);
        let bin = dir.path().join("native");
        std::fs::write(&bin, b"\x7fELF....").expect("write");
        assert_eq!(
            process_names_for(&bin.display().to_string()),
            vec!["native".to_string()]
        );
    }

    #[test]
    fn dotted_fields_are_set_and_unset() {
        let mut t = toml::Table::new();
        set_path(&mut t, "paste.submit_delay_ms", 200.into()).expect("set");
        set_path(&mut t, "env.A", "1".into()).expect("set");
        assert_eq!(t["paste"]["submit_delay_ms"].as_integer(), Some(200));
        unset_path(&mut t, "paste.submit_delay_ms");
        assert!(!t.contains_key("paste"));
        assert!(set_path(&mut t, "env..x", 1.into()).is_err());
    }
}
