//! The runtime's side of its hooks: what gt gives a session so that the runtime runs
//! `gt agent event <kind> --for <dialect>` — a settings file in the session's directory
//! (Claude Code's `.claude/settings.local.json`, Gemini CLI's `.gemini/settings.json`; a file
//! of the user's own keeps everything but gt's entries, and stays out of git) or arguments of
//! that one invocation (Codex `-c hooks.<Event>=…`). Never the user's global files.

use super::runtime_events::HookKind;
use crate::agent::runtime::HookDialect;
use crate::{Error, Result};
use serde_json::{Value, json};
use std::path::Path;

/// The runtime's own name for an event (None: it has no such hook).
pub fn event_name(dialect: HookDialect, kind: HookKind) -> Option<&'static str> {
    Some(match (dialect, kind) {
        (_, HookKind::SessionStart) => "SessionStart",
        (_, HookKind::SessionEnd) => "SessionEnd",
        (HookDialect::GeminiSettings, HookKind::PromptSubmit) => "BeforeAgent",
        (_, HookKind::PromptSubmit) => "UserPromptSubmit",
        (HookDialect::GeminiSettings, HookKind::TurnEnd) => "AfterAgent",
        (_, HookKind::TurnEnd) => "Stop",
        (HookDialect::CodexArgs, HookKind::NeedsInput) => "PermissionRequest",
        (_, HookKind::NeedsInput) => "Notification",
        (HookDialect::GeminiSettings, HookKind::Compact) => "PreCompress",
        (_, HookKind::Compact) => "PreCompact",
    })
}

/// The dialect's name on gt's command line (`--for`).
pub fn dialect_name(dialect: HookDialect) -> &'static str {
    match dialect {
        HookDialect::ClaudeSettings => "claude-settings",
        HookDialect::CodexArgs => "codex-args",
        HookDialect::GeminiSettings => "gemini-settings",
    }
}

pub fn parse_dialect(name: &str) -> Option<HookDialect> {
    [
        HookDialect::ClaudeSettings,
        HookDialect::CodexArgs,
        HookDialect::GeminiSettings,
    ]
    .into_iter()
    .find(|d| dialect_name(*d) == name)
}

/// The file gt writes in the session's directory (None: the dialect takes arguments).
pub fn hooks_file(dialect: HookDialect) -> Option<&'static str> {
    match dialect {
        HookDialect::ClaudeSettings => Some(".claude/settings.local.json"),
        HookDialect::GeminiSettings => Some(".gemini/settings.json"),
        HookDialect::CodexArgs => None,
    }
}

/// The command a hook runs (`gt` being `exe`).
fn command(dialect: HookDialect, kind: HookKind, exe: &Path) -> Result<String> {
    let gt = shlex::try_quote(&exe.to_string_lossy())
        .map(|q| q.into_owned())
        .map_err(|e| Error::invalid(format!("gt's path cannot be quoted: {e}")))?;
    Ok(format!(
        "{gt} --batch agent event {} --for {}",
        kind.as_str(),
        dialect_name(dialect)
    ))
}

/// Arguments of the runtime's invocation that set its hooks (Codex: one `-c` override per
/// event; hooks given this way run only with `--dangerously-bypass-hook-trust`, which the
/// polecats' autonomous mode has no use for otherwise).
pub fn hook_args(dialect: HookDialect, exe: &Path) -> Result<Vec<String>> {
    if dialect != HookDialect::CodexArgs {
        return Ok(Vec::new());
    }
    let mut args = vec!["--dangerously-bypass-hook-trust".to_string()];
    for kind in HookKind::ALL {
        let Some(name) = event_name(dialect, kind) else {
            continue;
        };
        // A TOML value: the command as a TOML basic string.
        let cmd = toml::Value::String(command(dialect, kind, exe)?).to_string();
        args.push("-c".into());
        args.push(format!(
            "hooks.{name}=[{{hooks=[{{type=\"command\",command={cmd}}}]}}]"
        ));
    }
    Ok(args)
}

/// Environment the dialect needs in the session (Gemini CLI reads a project's settings, and
/// so its hooks, only in a folder it trusts: the agent's own worktree is trusted for it).
pub fn hook_env(dialect: HookDialect) -> Vec<(String, String)> {
    match dialect {
        HookDialect::GeminiSettings => {
            vec![("GEMINI_CLI_TRUST_WORKSPACE".into(), "true".into())]
        }
        _ => Vec::new(),
    }
}

/// Writes the dialect's settings file into `dir` (nothing for dialects that take
/// arguments). A file of the user's own is kept: only its `hooks` entries for these events
/// are gt's; a file gt cannot read is refused, never overwritten.
pub fn write_hooks(dialect: HookDialect, dir: &Path, exe: &Path) -> Result<()> {
    let Some(file) = hooks_file(dialect) else {
        return Ok(());
    };
    let path = dir.join(file);
    let mut doc: Value = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Error::invalid(format!(
                "{} is not JSON ({e}); gt will not overwrite it",
                path.display()
            ))
        })?,
        Err(_) => json!({}),
    };
    let Some(obj) = doc.as_object_mut() else {
        return Err(Error::invalid(format!(
            "{} is not a JSON object; gt will not overwrite it",
            path.display()
        )));
    };
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        return Err(Error::invalid(format!(
            "{}: `hooks` is not an object; gt will not overwrite it",
            path.display()
        )));
    };
    for kind in HookKind::ALL {
        let Some(name) = event_name(dialect, kind) else {
            continue;
        };
        let mut entry = json!({ "type": "command", "command": command(dialect, kind, exe)? });
        if dialect == HookDialect::GeminiSettings {
            entry["name"] = json!(format!("gt {}", kind.as_str()));
        }
        hooks.insert(name.into(), json!([{ "hooks": [entry] }]));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("create {}", parent.display()), e))?;
    }
    let text = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))?;
    std::fs::write(&path, text).map_err(|e| Error::io(format!("write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_files_get_every_event_and_keep_the_users_own() {
        for (dialect, events) in [
            (
                HookDialect::ClaudeSettings,
                ["SessionStart", "UserPromptSubmit", "Stop", "Notification"],
            ),
            (
                HookDialect::GeminiSettings,
                ["SessionStart", "BeforeAgent", "AfterAgent", "PreCompress"],
            ),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let file = dir.path().join(hooks_file(dialect).expect("a file"));
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(
                &file,
                r#"{"model": "mine", "hooks": {"PreToolUse": [{"hooks": []}]}}"#,
            )
            .expect("write");
            let exe = Path::new("/opt/my tools/gt");
            write_hooks(dialect, dir.path(), exe).expect("write hooks");
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
            assert_eq!(v["model"], "mine", "the user's settings stay");
            assert!(v["hooks"]["PreToolUse"].is_array(), "the user's hooks stay");
            for e in events {
                let cmd = v["hooks"][e][0]["hooks"][0]["command"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(
                    cmd.starts_with("'/opt/my tools/gt' --batch agent event ")
                        && cmd.ends_with(&format!("--for {}", dialect_name(dialect))),
                    "{e}: {cmd}"
                );
            }
            std::fs::write(&file, "not json").expect("write");
            assert!(write_hooks(dialect, dir.path(), exe).is_err());
            assert_eq!(
                std::fs::read_to_string(&file).expect("read"),
                "not json",
                "a file gt cannot read is left alone"
            );
        }
    }

    #[test]
    fn codex_hooks_are_arguments_of_its_invocation() {
        let args = hook_args(HookDialect::CodexArgs, Path::new("/opt/gt \"x\"")).expect("args");
        assert_eq!(args[0], "--dangerously-bypass-hook-trust");
        let stop = args
            .iter()
            .find(|a| a.starts_with("hooks.Stop="))
            .expect("a Stop hook");
        // The value is TOML Codex parses: the command survives quotes in the path.
        let v: toml::Table = toml::from_str(&stop.replacen("hooks.Stop=", "x=", 1)).expect("toml");
        let cmd = v["x"][0]["hooks"][0]["command"].as_str().expect("command");
        assert_eq!(
            cmd,
            "'/opt/gt \"x\"' --batch agent event turn-end --for codex-args"
        );
        assert!(
            hook_args(HookDialect::ClaudeSettings, Path::new("/gt"))
                .expect("none")
                .is_empty()
        );
    }

    #[test]
    fn dialects_parse_by_their_names() {
        for d in [
            HookDialect::ClaudeSettings,
            HookDialect::CodexArgs,
            HookDialect::GeminiSettings,
        ] {
            assert_eq!(parse_dialect(dialect_name(d)), Some(d));
        }
        assert_eq!(parse_dialect("claude"), None);
    }
}
