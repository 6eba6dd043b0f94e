//! The event stream, one line each: what happened in the town, who did it, to what.

use crate::Result;
use crate::ledger::Event;
use crate::work::Ctx;
use serde_json::Value;
use std::collections::HashMap;

/// One line of the feed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub subject: Option<String>,
    pub text: String,
}

/// Event types worth a line (per-field bookkeeping is left out).
fn shown(kind: &str) -> bool {
    !matches!(
        kind,
        "label_added"
            | "label_removed"
            | "agent_updated"
            | "escalation_routed"
            | "imported"
            | "reimported"
    )
}

/// A runtime's report of a prompt or a turn's end: one per turn of every agent, which would
/// drown the feed (the agent's row shows the last one).
fn routine_turn(e: &Event) -> bool {
    e.event_type == "runtime_event"
        && matches!(
            value(&e.new_value)["event"].as_str(),
            Some("prompt-submit" | "turn-end")
        )
}

fn value(s: &Option<String>) -> Value {
    s.as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

fn describe(e: &Event, title: Option<&str>) -> String {
    let new = value(&e.new_value);
    let subject = match (&e.issue_id, title) {
        (Some(id), Some(t)) => format!("{id} \"{t}\""),
        (Some(id), None) => id.clone(),
        (None, _) => String::new(),
    };
    let s = |k: &str| new[k].as_str().unwrap_or("").to_string();
    match e.event_type.as_str() {
        "slung" => format!("slung {subject} → {}", s("agent")),
        "done" => format!("finished {subject}; its branch is queued for merge"),
        "agent_freed" => format!("{} is free", s("agent")),
        "mail_sent" => format!(
            "mail {} → {}: {}",
            s("from"),
            new["to"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default(),
            s("subject")
        ),
        "convoy_landed" => format!("convoy {subject} landed"),
        "escalated" => format!("escalation ({}) {subject}", s("severity")),
        "escalation_acked" => format!("acknowledged {subject}"),
        "handoff" => format!("{} handed off to a fresh session", s("agent")),
        "runtime_event" => format!("its runtime reports {}", s("event")),
        "stop_reminder" => format!(
            "{} was reminded of {} (stopped without gt done)",
            s("agent"),
            s("bead")
        ),
        k if k.starts_with("delivery_") => {
            let id = new["delivery"].as_i64().unwrap_or_default();
            let agent = new["agent"]
                .as_str()
                .map(|a| format!(" to {a}"))
                .unwrap_or_default();
            let why = new["reason"]
                .as_str()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            format!(
                "message {id}{agent} {}{why}",
                k.trim_start_matches("delivery_")
            )
        }
        "rig_added" => format!("rig {} added", s("rig")),
        "created" => format!("created {subject}"),
        "closed" => format!("closed {subject}"),
        other => format!("{} {subject}", other.replace('_', " "))
            .trim_end()
            .to_string(),
    }
}

/// The id of the town's newest event (0: none yet), where following the feed starts.
pub fn last_event_id(ctx: &Ctx) -> Result<i64> {
    Ok(ctx
        .reader()
        .events(None, 1)?
        .last()
        .map(|e| e.id)
        .unwrap_or(0))
}

/// Lines of the events after `after_id` (and not older than `since`), oldest first (at most
/// `limit` events read): following the feed.
pub fn lines(ctx: &Ctx, since: Option<&str>, after_id: i64, limit: usize) -> Result<Vec<FeedLine>> {
    let events = ctx.reader().events_after(after_id, since, limit)?;
    let mut titles = HashMap::new();
    Ok(to_lines(ctx, events, &mut titles))
}

/// The newest `limit` lines (not older than `since`), oldest first: what the feed shows now.
/// Read backwards a page at a time, so a long history costs no more than its last page.
pub fn latest(ctx: &Ctx, since: Option<&str>, limit: usize) -> Result<Vec<FeedLine>> {
    const PAGE: usize = 500;
    let mut titles = HashMap::new();
    let mut out: Vec<FeedLine> = Vec::new();
    let mut before = i64::MAX;
    while out.len() < limit {
        let page = ctx.reader().events_before(before, since, PAGE)?;
        let Some(oldest) = page.first().map(|e| e.id) else {
            break;
        };
        let full = page.len() == PAGE;
        let mut lines = to_lines(ctx, page, &mut titles);
        lines.append(&mut out);
        out = lines;
        if !full {
            break;
        }
        before = oldest;
    }
    let skip = out.len().saturating_sub(limit);
    Ok(out.split_off(skip))
}

/// Feed lines of `events` (in their order), skipping what is not shown; `titles` keeps the
/// title and type of each bead already looked up.
fn to_lines(
    ctx: &Ctx,
    events: Vec<crate::ledger::Event>,
    titles: &mut HashMap<String, Option<(String, String)>>,
) -> Vec<FeedLine> {
    let mut out = Vec::new();
    for e in events {
        if !shown(&e.event_type) || routine_turn(&e) {
            continue;
        }
        let found = match &e.issue_id {
            Some(id) => titles
                .entry(id.clone())
                .or_insert_with(|| {
                    ctx.reader()
                        .bead(id)
                        .ok()
                        .flatten()
                        .map(|b| (b.title, b.issue_type))
                })
                .clone(),
            None => None,
        };
        // Mail and agent records have their own, better lines (mail_sent, slung, …).
        let machinery = found
            .as_ref()
            .is_some_and(|(_, t)| t == "message" || t == "agent");
        if machinery && matches!(e.event_type.as_str(), "created" | "updated" | "closed") {
            continue;
        }
        let title = found.map(|(t, _)| t);
        out.push(FeedLine {
            id: e.id,
            at: e.created_at.clone(),
            actor: e.actor.clone().unwrap_or_else(|| "-".into()),
            kind: e.event_type.clone(),
            subject: e.issue_id.clone(),
            text: describe(&e, title.as_deref()),
        });
    }
    out
}
