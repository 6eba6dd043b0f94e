//! What a runtime tells gt directly, through its own hook mechanism: session start (with its
//! session id), a prompt submitted, a turn finished, waiting for a person, compaction, session
//! end. gt writes the hook configuration into the session's directory when it starts the
//! session (never the user's global files, kept out of git); the runtime then runs
//! `gt agent event <kind>` with its payload on stdin, and the event is recorded on the agent.

use crate::agent::runtime::HookDialect;
use crate::work::Ctx;
use crate::work::agents;
use crate::{Error, Result};
use serde_json::{Value, json};
use std::path::Path;

/// The ledger event type of a runtime's own report.
pub const EVENT_TYPE: &str = "runtime_event";

/// What happened, as gt names it (each runtime's own event names map onto these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookKind {
    SessionStart,
    PromptSubmit,
    TurnEnd,
    NeedsInput,
    Compact,
    SessionEnd,
}

impl HookKind {
    pub const ALL: [HookKind; 6] = [
        HookKind::SessionStart,
        HookKind::PromptSubmit,
        HookKind::TurnEnd,
        HookKind::NeedsInput,
        HookKind::Compact,
        HookKind::SessionEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::SessionStart => "session-start",
            HookKind::PromptSubmit => "prompt-submit",
            HookKind::TurnEnd => "turn-end",
            HookKind::NeedsInput => "needs-input",
            HookKind::Compact => "compact",
            HookKind::SessionEnd => "session-end",
        }
    }

    pub fn parse(s: &str) -> Result<HookKind> {
        HookKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = HookKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::invalid(format!(
                    "unknown runtime event {s:?}; one of {}",
                    names.join(", ")
                ))
            })
    }

    /// Claude Code's name for it.
    fn claude_event(self) -> &'static str {
        match self {
            HookKind::SessionStart => "SessionStart",
            HookKind::PromptSubmit => "UserPromptSubmit",
            HookKind::TurnEnd => "Stop",
            HookKind::NeedsInput => "Notification",
            HookKind::Compact => "PreCompact",
            HookKind::SessionEnd => "SessionEnd",
        }
    }

    /// Whether the runtime takes what the hook prints as context for the agent (the role and
    /// hook from `gt prime`, so an agent knows them even if its beacon was lost).
    pub fn primes(self) -> bool {
        self == HookKind::SessionStart
    }
}

/// The last event a runtime reported for an agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LastEvent {
    pub event: String,
    pub at: String,
    pub session_id: Option<String>,
}

/// Records `kind` for `agent`, with what the runtime's payload says (its session id, its
/// transcript, what started the session). Bad or empty payloads are recorded without them.
/// `account`: the account the runtime's session runs on (its environment says).
pub fn record(
    ctx: &mut Ctx,
    agent: &str,
    kind: HookKind,
    payload: &str,
    account: Option<&str>,
) -> Result<LastEvent> {
    let p: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
    let info = match agents::require(ctx, agent) {
        Ok(info) => info,
        Err(e) => {
            // Removed while its runtime finished a turn: nothing to record on, but the
            // session's last tokens still count.
            if let Some(id) = text("session_id") {
                super::sessions::on_orphan_event(ctx, &id)?;
            }
            return Err(e);
        }
    };
    let detail = json!({
        "agent": info.address,
        // The work the session is on, so a bead's sessions can be found later.
        "bead": info.hook,
        "event": kind.as_str(),
        "session_id": text("session_id"),
        "transcript": text("transcript_path"),
        "source": text("source").or_else(|| text("trigger")),
    });
    record_on(ctx, &info.bead_id, EVENT_TYPE, detail)?;
    signal(ctx, &info, kind);
    super::sessions::on_event(
        ctx,
        &info,
        kind,
        text("session_id").as_deref(),
        text("transcript_path").as_deref(),
        text("reason").as_deref(),
        account,
    )?;
    Ok(LastEvent {
        event: kind.as_str().into(),
        at: ctx.clock().stamp(),
        session_id: text("session_id"),
    })
}

/// The file a report touches so the supervisor's witness of the agent's rig looks at once
/// (the verdict follows a runtime's report within a second, not at the next round).
const SIGNAL_PREFIX: &str = "runtime-event.";

/// The rig whose witness a file of `.gt/` named `name` wakes, if it is a report's signal.
pub fn rig_of_signal(name: &str) -> Option<&str> {
    name.strip_prefix(SIGNAL_PREFIX).filter(|r| !r.is_empty())
}

/// Reports that can change a verdict wake the witness of the agent's rig.
fn signal(ctx: &Ctx, info: &agents::AgentInfo, kind: HookKind) {
    let wakes = matches!(
        kind,
        HookKind::NeedsInput | HookKind::TurnEnd | HookKind::SessionEnd
    );
    if let (true, Some(rig)) = (wakes, &info.rig) {
        let path = ctx
            .town
            .paths
            .runtime_dir()
            .join(format!("{SIGNAL_PREFIX}{rig}"));
        // Best effort: without it the witness still sees the report at its next round.
        let _ = std::fs::write(path, ctx.clock().stamp());
    }
}

/// Records an event of `kind` on an agent's bead.
pub(crate) fn record_on(ctx: &mut Ctx, agent_bead: &str, kind: &str, detail: Value) -> Result<()> {
    ctx.write(|tx| {
        tx.record_event(Some(agent_bead), kind, None, Some(detail), None)?;
        Ok(())
    })
}

/// The last event the runtime of the agent with bead `agent_bead` reported, if any.
pub fn last(r: &crate::ledger::Reader<'_>, agent_bead: &str) -> Result<Option<LastEvent>> {
    Ok(r.last_event(agent_bead, EVENT_TYPE)?.map(|e| {
        let v: Value = e
            .new_value
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        LastEvent {
            event: v["event"].as_str().unwrap_or("?").to_string(),
            at: e.created_at.clone(),
            session_id: v["session_id"].as_str().map(str::to_string),
        }
    }))
}

/// A turn reported begun (a session start or a prompt) and not yet ended, this recently:
/// beyond it, a runtime that never reported its turn's end is not waited for.
const MID_TURN_SECS: i64 = 120;

/// The agent's runtime reported a turn begun and not its end (it is still answering): gt
/// lets it finish before stopping it, so its last words reach its transcript. False for
/// runtimes that report nothing.
pub fn mid_turn(ctx: &Ctx, agent_bead: &str) -> Result<bool> {
    let Some(last) = last(&ctx.reader(), agent_bead)? else {
        return Ok(false);
    };
    let begun = last.event == HookKind::SessionStart.as_str()
        || last.event == HookKind::PromptSubmit.as_str();
    let age = crate::time::parse(&last.at).map_or(i64::MAX, |t| ctx.unix_now() - t.timestamp());
    Ok(begun && age <= MID_TURN_SECS)
}

/// Writes the runtime's hook configuration into `dir` (the session's working directory), so
/// the runtime calls `gt agent event <kind>` (`gt` being `exe`). A file of the user's own is
/// kept: only its `hooks` entries for these events are gt's.
pub fn write_hooks(dialect: HookDialect, dir: &Path, exe: &Path) -> Result<()> {
    match dialect {
        HookDialect::ClaudeSettings => write_claude_settings(dir, exe),
    }
}

/// The file `write_hooks` writes, relative to the session's directory.
pub fn hooks_file(dialect: HookDialect) -> &'static str {
    match dialect {
        HookDialect::ClaudeSettings => ".claude/settings.local.json",
    }
}

fn write_claude_settings(dir: &Path, exe: &Path) -> Result<()> {
    let path = dir.join(hooks_file(HookDialect::ClaudeSettings));
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
    let gt = shlex::try_quote(&exe.to_string_lossy())
        .map(|q| q.into_owned())
        .map_err(|e| Error::invalid(format!("gt's path cannot be quoted: {e}")))?;
    for kind in HookKind::ALL {
        hooks.insert(
            kind.claude_event().into(),
            json!([{ "hooks": [{
                "type": "command",
                "command": format!(
                    "{gt} --batch agent event {} --for claude-settings",
                    kind.as_str()
                ),
            }]}]),
        );
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
    fn claude_settings_get_every_event_and_keep_the_users_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(".claude/settings.local.json");
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(
            &file,
            r#"{"model": "mine", "hooks": {"PreToolUse": [{"hooks": []}]}}"#,
        )
        .expect("write");
        let exe = Path::new("/opt/my tools/gt");
        write_hooks(HookDialect::ClaudeSettings, dir.path(), exe).expect("write hooks");
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
        assert_eq!(v["model"], "mine", "the user's settings stay");
        assert!(v["hooks"]["PreToolUse"].is_array(), "the user's hooks stay");
        for kind in HookKind::ALL {
            let cmd = v["hooks"][kind.claude_event()][0]["hooks"][0]["command"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert_eq!(
                cmd,
                format!(
                    "'/opt/my tools/gt' --batch agent event {} --for claude-settings",
                    kind.as_str()
                )
            );
        }
        std::fs::write(&file, "not json").expect("write");
        assert!(write_hooks(HookDialect::ClaudeSettings, dir.path(), exe).is_err());
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            "not json",
            "a file gt cannot read is left alone"
        );
    }

    #[test]
    fn kinds_parse_by_their_names_only() {
        for k in HookKind::ALL {
            assert_eq!(HookKind::parse(k.as_str()).ok(), Some(k));
        }
        assert!(HookKind::parse("SessionStart").is_err());
    }
}
