//! What a runtime tells gt directly, through its own hook mechanism: session start (with its
//! session id), a prompt submitted, a turn finished, waiting for a person, compaction, session
//! end. gt writes the hook configuration into the session's directory when it starts the
//! session (never the user's global files, kept out of git); the runtime then runs
//! `gt agent event <kind>` with its payload on stdin, and the event is recorded on the agent.

use crate::work::Ctx;
use crate::work::agents;
use crate::{Error, Result};
use serde_json::{Value, json};

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
    Ok(r.last_event(agent_bead, EVENT_TYPE)?.map(|e| last_of(&e)))
}

/// `last` for many agents at once (by agent bead), in one ledger statement.
pub fn last_many(
    r: &crate::ledger::Reader<'_>,
    agent_beads: &[String],
) -> Result<std::collections::HashMap<String, LastEvent>> {
    Ok(r.last_events(agent_beads, EVENT_TYPE)?
        .into_iter()
        .map(|(bead, e)| (bead, last_of(&e)))
        .collect())
}

fn last_of(e: &crate::ledger::Event) -> LastEvent {
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
}

/// A turn reported begun (a session start, a prompt, a compaction) and not yet ended, this recently:
/// beyond it, a runtime that never reported its turn's end is not waited for.
const MID_TURN_SECS: i64 = 120;

/// The agent's runtime reported a turn begun and not its end (it is still answering): gt
/// lets it finish before stopping it, so its last words reach its transcript. False for
/// runtimes that report nothing.
pub fn mid_turn(ctx: &Ctx, agent_bead: &str) -> Result<bool> {
    let Some(last) = last(&ctx.reader(), agent_bead)? else {
        return Ok(false);
    };
    // A compaction happens inside a turn (Gemini CLI reports one before each model call).
    let begun = [
        HookKind::SessionStart,
        HookKind::PromptSubmit,
        HookKind::Compact,
    ]
    .iter()
    .any(|k| last.event == k.as_str());
    let age = crate::time::parse(&last.at).map_or(i64::MAX, |t| ctx.unix_now() - t.timestamp());
    Ok(begun && age <= MID_TURN_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_their_names_only() {
        for k in HookKind::ALL {
            assert_eq!(HookKind::parse(k.as_str()).ok(), Some(k));
        }
        assert!(HookKind::parse("SessionStart").is_err());
    }
}
