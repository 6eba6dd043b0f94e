//! Agent sessions as their runtimes name them: recorded from the runtime's session-start and
//! session-end reports (with the work on the agent's hook), and their token usage read from
//! the runtime's transcript a little at a time — from where the last read stopped, never the
//! whole file again.

use super::{AgentInfo, runtime_events::HookKind};
use crate::Result;
use crate::agent::transcript;
use crate::ledger::{SessionRow, SessionStart, TurnUsage};
use crate::work::Ctx;
use std::io::{Read, Seek, SeekFrom};

/// More than this is read over several calls (a huge transcript never sits in memory whole).
const READ_CHUNK: u64 = 32 << 20;

/// What a runtime's report means for the agent's sessions: a start records the session (and
/// ends the agent's earlier one), an end closes it; every report reads what the transcript
/// gained since the last one.
pub fn on_event(
    ctx: &mut Ctx,
    info: &AgentInfo,
    kind: HookKind,
    session_id: Option<&str>,
    transcript: Option<&str>,
    reason: Option<&str>,
    account: Option<&str>,
) -> Result<()> {
    let Some(id) = session_id.filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let known = ctx.reader().session(id)?.is_some();
    if kind == HookKind::SessionStart || !known {
        let role = info.role.as_str();
        let start = SessionStart {
            id,
            agent: &info.address,
            rig: info.rig.as_deref(),
            role: Some(role),
            runtime: info.runtime.as_deref(),
            bead: info.hook.as_deref(),
            transcript,
            account,
        };
        ctx.write(|tx| Ok(tx.start_session(&start)?))?;
    }
    if let Some(row) = ctx.reader().session(id)? {
        // Between `gt done` and the end of its turn nothing is hooked: still the session's work.
        let bead = info.hook.clone().or_else(|| row.bead.clone());
        ingest(ctx, &row, bead.as_deref())?;
    }
    if kind == HookKind::SessionEnd {
        let why = reason.unwrap_or("ended");
        ctx.write(|tx| Ok(tx.end_session(id, why)?))?;
    }
    Ok(())
}

/// Reads what a session's transcript gained since the last read and adds its usage
/// (attributed to `bead`, the work on the agent's hook now). Returns the answers counted.
pub fn ingest(ctx: &mut Ctx, s: &SessionRow, bead: Option<&str>) -> Result<usize> {
    let Some(path) = s.transcript.as_deref() else {
        return Ok(0);
    };
    let Ok(mut file) = std::fs::File::open(path) else {
        // Gone (a cleaned-up home): what was read stays counted.
        return Ok(0);
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    // A shorter file was replaced: read it again (answers already counted are not counted twice).
    let from = if (s.read_offset as u64) > len {
        0
    } else {
        s.read_offset as u64
    };
    if from == len {
        return Ok(0);
    }
    let mut buf = Vec::new();
    if file.seek(SeekFrom::Start(from)).is_err()
        || file.take(READ_CHUNK).read_to_end(&mut buf).is_err()
    {
        return Ok(0);
    }
    // Only whole lines: the runtime may be writing the next one.
    let Some(end) = buf.iter().rposition(|b| *b == b'\n') else {
        return Ok(0);
    };
    let text = String::from_utf8_lossy(&buf[..=end]);
    let today = ctx.clock().stamp()[..10].to_string();
    let format = transcript_format(ctx, s);
    let (mut answers, model) = transcript::answers_in(format, &text, s.model.as_deref());
    // The first answer of this chunk may continue the last one read before.
    if let (Some(first), Some(last)) = (answers.first(), &s.last_message)
        && first.message_id == *last
    {
        answers.remove(0);
    }
    let last = answers.last().map(|a| a.message_id.clone());
    for a in answers.iter_mut().filter(|a| a.day.is_empty()) {
        a.day = today.clone();
    }
    let offset = from + end as u64 + 1;
    let id = s.id.clone();
    ctx.write(|tx| {
        Ok(tx.add_usage(
            &id,
            bead,
            &answers,
            offset,
            last.as_deref(),
            model.as_deref(),
        )?)
    })
}

/// How the session's runtime writes its transcript (by its hook dialect; Claude Code's
/// format otherwise).
fn transcript_format(ctx: &Ctx, s: &SessionRow) -> transcript::Format {
    let dialect = s
        .runtime
        .as_deref()
        .and_then(|r| crate::agent::runtime_named(&ctx.town, r).ok())
        .and_then(|rt| rt.hooks);
    match dialect {
        Some(crate::agent::runtime::HookDialect::CodexArgs) => transcript::Format::Codex,
        Some(crate::agent::runtime::HookDialect::GeminiSettings) => transcript::Format::Gemini,
        _ => transcript::Format::Claude,
    }
}

/// A runtime writes its transcript a little after the fact (its last answer may land after
/// its stop hook ran, or after gt stopped it): an ended session is still read this long.
const LATE_LINES_SECS: i64 = 600;

/// Reads the new transcript lines of every open or recently ended session (the deacon's
/// round: runtimes that die without reporting their end still get counted). An agent's
/// usage goes to the work on its hook now, else to the session's own bead.
pub fn ingest_open(ctx: &mut Ctx) -> Result<usize> {
    let since = crate::time::format(ctx.now() - chrono::Duration::seconds(LATE_LINES_SECS));
    let sessions = ctx.reader().recent_sessions(&since)?;
    let mut counted = 0;
    for s in sessions {
        let hook = super::find(&ctx.reader(), &s.agent)?
            .and_then(|a| a.hook)
            .or_else(|| s.bead.clone());
        counted += ingest(ctx, &s, hook.as_deref())?;
    }
    Ok(counted)
}

/// A report from a session whose agent is gone (removed while its runtime finished its
/// turn): what the transcript gained is still counted, to the session's bead.
pub fn on_orphan_event(ctx: &mut Ctx, session_id: &str) -> Result<()> {
    if let Some(row) = ctx.reader().session(session_id)? {
        let bead = row.bead.clone();
        ingest(ctx, &row, bead.as_deref())?;
    }
    Ok(())
}

/// Ends the open sessions of an agent whose window is gone, after reading what they left.
pub fn close_all(ctx: &mut Ctx, info: &AgentInfo, reason: &str) -> Result<()> {
    for s in ctx.reader().sessions(Some(&info.address), None, 50)? {
        if s.ended_at.is_none() {
            let bead = info.hook.clone().or_else(|| s.bead.clone());
            ingest(ctx, &s, bead.as_deref())?;
        }
    }
    let address = info.address.clone();
    ctx.write(|tx| Ok(tx.end_sessions_of(&address, reason)?))?;
    Ok(())
}

/// The arguments that make a restart of `info` continue its runtime's last conversation, as
/// `sessions.resume` (rig, then town) says for its role — empty for a fresh session (the
/// default). Its last recorded session is resumed by id where the runtime can
/// (`resume_session_args`), else its latest conversation (`resume_args`).
pub fn resume_args(ctx: &Ctx, info: &AgentInfo, rt: &crate::agent::Runtime) -> Result<Vec<String>> {
    let rig = info.rig.as_deref().map(|r| ctx.town.rig(r)).transpose()?;
    let policy = ctx.setting("sessions.resume", rig.as_ref())?.as_str();
    let wanted = match policy.as_str() {
        "all" => true,
        "crew" => info.role != crate::agent::Role::Polecat,
        _ => false,
    };
    if !wanted {
        return Ok(Vec::new());
    }
    let last = ctx
        .reader()
        .sessions(Some(&info.address), None, 1)?
        .into_iter()
        .next()
        .filter(|s| s.runtime.as_deref() == Some(rt.name.as_str()));
    Ok(match last {
        Some(s) if !rt.resume_session_args.is_empty() => rt
            .resume_session_args
            .iter()
            .map(|a| a.replace("{session}", &s.id))
            .collect(),
        _ => rt.resume_args.clone(),
    })
}

/// Usage a runtime reports itself (OpenCode's plugin: it keeps tokens in its own database,
/// not in a transcript): one answer, counted once by its id, to the agent's hooked work (else
/// the session's).
pub fn add_reported(ctx: &mut Ctx, info: &AgentInfo, payload: &str) -> Result<bool> {
    let p: serde_json::Value = serde_json::from_str(payload)
        .map_err(|e| crate::Error::invalid(format!("the usage report is not JSON: {e}")))?;
    let text = |k: &str| p[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(session), Some(message), Some(model)) =
        (text("session_id"), text("message_id"), text("model"))
    else {
        return Err(crate::Error::invalid(
            "a usage report names its session_id, message_id and model",
        ));
    };
    if ctx.reader().session(&session)?.is_none() {
        on_event(
            ctx,
            info,
            HookKind::SessionStart,
            Some(&session),
            None,
            None,
            None,
        )?;
    }
    let row = ctx.reader().session(&session)?;
    let bead = info
        .hook
        .clone()
        .or_else(|| row.as_ref().and_then(|r| r.bead.clone()));
    let n = |k: &str| p[k].as_u64().unwrap_or(0);
    // OpenCode stamps in milliseconds since the epoch.
    let day = p["at"]
        .as_i64()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_else(|| ctx.now())
        .format("%Y-%m-%d")
        .to_string();
    let turn = TurnUsage {
        message_id: message,
        day,
        model: model.clone(),
        input: n("input"),
        output: n("output"),
        cache_write: n("cache_write"),
        cache_read: n("cache_read"),
    };
    let offset = row.map_or(0, |r| r.read_offset.max(0) as u64);
    let counted = ctx.write(|tx| {
        Ok(tx.add_usage(
            &session,
            bead.as_deref(),
            &[turn],
            offset,
            None,
            Some(&model),
        )?)
    })?;
    Ok(counted == 1)
}
