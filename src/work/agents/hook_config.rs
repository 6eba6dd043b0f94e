//! The runtime's side of its hooks: what gt gives a session so that the runtime runs
//! `gt agent event <kind> --for <dialect>` — a settings file in the session's directory
//! (Claude Code's `.claude/settings.local.json`, Gemini CLI's `.gemini/settings.json`; a file
//! of the user's own keeps everything but gt's entries, and stays out of git) or arguments of
//! that one invocation (Codex `-c hooks.<Event>=…`). Never the user's global files.

use super::runtime_events::HookKind;
use crate::agent::runtime::HookDialect;
use crate::{Error, Result};
use serde_json::{Map, Value, json};
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
    // (OpenCode's plugin names its own events: see `OPENCODE_PLUGIN`.)
    .filter(|_| dialect != HookDialect::OpencodePlugin)
}

/// The dialect's name on gt's command line (`--for`).
pub fn dialect_name(dialect: HookDialect) -> &'static str {
    match dialect {
        HookDialect::ClaudeSettings => "claude-settings",
        HookDialect::CodexArgs => "codex-args",
        HookDialect::GeminiSettings => "gemini-settings",
        HookDialect::OpencodePlugin => "opencode-plugin",
    }
}

pub fn parse_dialect(name: &str) -> Option<HookDialect> {
    [
        HookDialect::ClaudeSettings,
        HookDialect::CodexArgs,
        HookDialect::GeminiSettings,
        HookDialect::OpencodePlugin,
    ]
    .into_iter()
    .find(|d| dialect_name(*d) == name)
}

/// The files gt writes in the session's directory (none: the dialect takes arguments).
pub fn hooks_files(dialect: HookDialect) -> &'static [&'static str] {
    match dialect {
        HookDialect::ClaudeSettings => &[".claude/settings.local.json"],
        HookDialect::GeminiSettings => &[".gemini/settings.json"],
        HookDialect::OpencodePlugin => &["opencode.json", PLUGIN_FILE],
        HookDialect::CodexArgs => &[],
    }
}

/// OpenCode's plugin, beside the `opencode.json` that names it.
const PLUGIN_FILE: &str = ".gt-opencode.js";

/// The plugin OpenCode loads (`{gt}` becomes gt's path, as a JSON string). It reports the
/// session's start, each prompt, idle (a turn's end), a permission or question waiting for a
/// person, a compaction and each finished answer's tokens. What the session start prints
/// (`gt prime`) goes into every request's system prompt — after a compaction too — and unread
/// mail into the next prompt's; a turn-end answered with a reminder is sent back to the agent
/// as its next prompt. Nothing is exported but the plugin (OpenCode calls every export).
const OPENCODE_PLUGIN: &str = r#"// Written by gt for this worktree's sessions; rewritten at every start.
const GT = {gt};
export const GasTownHooks = async ({ $, client, directory }) => {
  let primed = "";
  let mail = "";
  const report = async (kind, sessionID) => {
    const payload = Buffer.from(JSON.stringify({ session_id: sessionID, cwd: directory }));
    try {
      return await $`${GT} --batch agent event ${kind} --for opencode-plugin < ${payload}`.quiet().nothrow().text();
    } catch {
      return "";
    }
  };
  // An answer's tokens, once it is complete (OpenCode keeps them in its own database).
  const usage = async (m) => {
    if (!m || m.role !== "assistant" || !m.time || !m.time.completed || !m.tokens) return;
    const t = m.tokens;
    const payload = Buffer.from(JSON.stringify({
      session_id: m.sessionID, message_id: m.id, model: m.modelID, at: m.time.completed,
      input: t.input || 0, output: (t.output || 0) + (t.reasoning || 0),
      cache_read: (t.cache && t.cache.read) || 0, cache_write: (t.cache && t.cache.write) || 0,
    }));
    try {
      await $`${GT} --batch agent usage < ${payload}`.quiet().nothrow();
    } catch {}
  };
  // A turn that ended with work hooked and no `gt done`: gt answers with what is left,
  // which goes back to the agent as its next prompt.
  const remind = (sessionID, answer) => {
    let said;
    try { said = JSON.parse(answer); } catch { return; }
    if (!said || said.decision !== "block" || !said.reason) return;
    client.session
      .prompt({ path: { id: sessionID }, body: { parts: [{ type: "text", text: said.reason }] } })
      .catch(() => {});
  };
  return {
    event: async ({ event }) => {
      const p = event.properties || {};
      if (event.type === "session.created") primed = await report("session-start", p.info && p.info.id);
      else if (event.type === "session.idle") remind(p.sessionID, await report("turn-end", p.sessionID));
      else if (event.type === "permission.asked" || event.type === "question.asked") await report("needs-input", p.sessionID);
      else if (event.type === "session.compacted") await report("compact", p.sessionID);
      else if (event.type === "message.updated") await usage(p.info);
    },
    "chat.message": async (input) => {
      mail = await report("prompt-submit", input.sessionID);
    },
    "experimental.chat.system.transform": async (_input, output) => {
      if (primed.trim()) output.system.push(primed);
      // Unread mail goes in with the prompt that follows it, once.
      if (mail.trim()) output.system.push(mail);
      mail = "";
    },
  };
};
"#;

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
    if dialect == HookDialect::OpencodePlugin {
        return write_opencode_plugin(dir, exe);
    }
    let Some(file) = hooks_files(dialect).first() else {
        return Ok(());
    };
    let path = dir.join(file);
    let mut obj = read_json_object(&path)?;
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
    write_json(&path, obj)
}

/// A settings file of the user's (or `{}` when there is none); one gt cannot read as a JSON
/// object is refused, never overwritten.
fn read_json_object(path: &Path) -> Result<Map<String, Value>> {
    let doc: Value = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Error::invalid(format!(
                "{} is not JSON ({e}); gt will not overwrite it",
                path.display()
            ))
        })?,
        Err(_) => json!({}),
    };
    match doc {
        Value::Object(m) => Ok(m),
        _ => Err(Error::invalid(format!(
            "{} is not a JSON object; gt will not overwrite it",
            path.display()
        ))),
    }
}

fn write_json(path: &Path, doc: Map<String, Value>) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("create {}", parent.display()), e))?;
    }
    let text = serde_json::to_string_pretty(&Value::Object(doc))
        .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))?;
    std::fs::write(path, text).map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// The plugin file, and `opencode.json` naming it (a file of the user's own keeps all else).
fn write_opencode_plugin(dir: &Path, exe: &Path) -> Result<()> {
    let gt = serde_json::to_string(&exe.to_string_lossy())
        .map_err(|e| Error::invalid(format!("gt's path cannot be written: {e}")))?;
    let plugin = dir.join(PLUGIN_FILE);
    std::fs::write(&plugin, OPENCODE_PLUGIN.replace("{gt}", &gt))
        .map_err(|e| Error::io(format!("write {}", plugin.display()), e))?;
    let path = dir.join("opencode.json");
    let mut obj = read_json_object(&path)?;
    let list = obj.entry("plugin").or_insert_with(|| json!([]));
    let Some(list) = list.as_array_mut() else {
        return Err(Error::invalid(format!(
            "{}: `plugin` is not a list; gt will not overwrite it",
            path.display()
        )));
    };
    let mine = json!(format!("./{PLUGIN_FILE}"));
    if !list.contains(&mine) {
        list.push(mine);
    }
    write_json(&path, obj)
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
            let file = dir.path().join(hooks_files(dialect)[0]);
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
    fn opencode_gets_its_plugin_named_in_the_projects_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("opencode.json"),
            r#"{"plugin": ["theirs"]}"#,
        )
        .expect("write");
        write_hooks(
            HookDialect::OpencodePlugin,
            dir.path(),
            Path::new("/x/g\"t"),
        )
        .expect("w");
        write_hooks(
            HookDialect::OpencodePlugin,
            dir.path(),
            Path::new("/x/g\"t"),
        )
        .expect("w");
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("opencode.json")).expect("read"),
        )
        .expect("json");
        assert_eq!(
            v["plugin"],
            json!(["theirs", "./.gt-opencode.js"]),
            "once, theirs kept"
        );
        let js = std::fs::read_to_string(dir.path().join(PLUGIN_FILE)).expect("plugin");
        assert!(js.contains(r#"const GT = "/x/g\"t";"#), "{js}");
    }

    #[test]
    fn dialects_parse_by_their_names() {
        for d in [
            HookDialect::ClaudeSettings,
            HookDialect::CodexArgs,
            HookDialect::GeminiSettings,
            HookDialect::OpencodePlugin,
        ] {
            assert_eq!(parse_dialect(dialect_name(d)), Some(d));
        }
        assert_eq!(parse_dialect("claude"), None);
    }
}
