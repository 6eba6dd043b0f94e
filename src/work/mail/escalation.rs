//! Escalations: a blocker raised to the right place. Each is a bead (type `escalation`),
//! routed by severity as town.toml `[escalation]` says — `bead` (recorded only),
//! `mail:<address>`, or `command:<shell command>` (a desktop notifier, a pager) — and raised
//! one level when nobody acknowledges it in time.
//!
//! ```toml
//! [escalation]
//! critical = ["mail:overseer", "command:notify-send gt \"$GT_ESCALATION_TEXT\""]
//! high = ["mail:mayor"]
//! reescalate_after = "30m"
//! ```

use crate::ledger::{Bead, Dependency};
use crate::work::Ctx;
use crate::work::mail::{self, SendRequest};
use crate::{Error, Result};
use serde_json::{Value, json};
use std::time::Duration;

pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

pub fn parse_severity(s: &str) -> Result<&'static str> {
    SEVERITIES.iter().copied().find(|x| *x == s).ok_or_else(|| {
        Error::invalid(format!(
            "severity must be critical, high, medium or low, not {s:?}"
        ))
    })
}

fn priority_of(severity: &str) -> i64 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        _ => 3,
    }
}

fn next_level(severity: &str) -> Option<&'static str> {
    let i = SEVERITIES.iter().position(|s| *s == severity)?;
    SEVERITIES.get(i + 1).copied()
}

/// "90s", "30m", "2h", "1d", or plain seconds (bad input otherwise).
pub fn parse_duration(s: &str) -> Result<Duration> {
    crate::time::parse_span(s).map_err(Error::invalid)
}

fn config(ctx: &Ctx) -> Option<&toml::Table> {
    ctx.town
        .config
        .raw
        .get("escalation")
        .and_then(|v| v.as_table())
}

/// Where a severity goes: town.toml, else critical → the overseer's mail, high → the
/// mayor's mail, medium and low → recorded only.
pub fn routes(ctx: &Ctx, severity: &str) -> Vec<String> {
    if let Some(list) = config(ctx)
        .and_then(|t| t.get(severity))
        .and_then(|v| v.as_array())
    {
        return list
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
    }
    match severity {
        "critical" => vec!["mail:overseer".into()],
        "high" => vec!["mail:mayor".into()],
        _ => vec!["bead".into()],
    }
}

pub fn reescalate_after(ctx: &Ctx) -> Result<Duration> {
    match config(ctx).and_then(|t| t.get("reescalate_after")) {
        Some(toml::Value::String(s)) => parse_duration(s),
        Some(toml::Value::Integer(i)) => parse_duration(&i.to_string()),
        Some(other) => Err(Error::invalid(format!(
            "escalation.reescalate_after must be a duration, not {other}"
        ))),
        None => Ok(Duration::from_secs(3600)),
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EscalationView {
    pub id: String,
    pub severity: String,
    pub title: String,
    pub text: String,
    pub from: String,
    pub bead: Option<String>,
    pub status: String,
    pub acked_by: Option<String>,
    pub escalated_at: String,
    pub created_at: String,
    /// What routing did (mail ids, command results).
    pub routed: Vec<String>,
}

fn view(b: &Bead) -> EscalationView {
    let m: Value = b
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null);
    EscalationView {
        id: b.id.clone(),
        severity: m["severity"].as_str().unwrap_or("medium").to_string(),
        title: b.title.clone(),
        text: b.description.clone().unwrap_or_default(),
        from: m["from"].as_str().unwrap_or("?").to_string(),
        bead: m["bead"].as_str().map(str::to_string),
        status: b.status.clone(),
        acked_by: m["acked_by"].as_str().map(str::to_string),
        escalated_at: m["escalated_at"]
            .as_str()
            .unwrap_or(&b.created_at)
            .to_string(),
        created_at: b.created_at.clone(),
        routed: m["routed"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn require(ctx: &Ctx, id: &str) -> Result<Bead> {
    let b = crate::work::beads::require(ctx, &ctx.reader(), id)?;
    if b.issue_type != "escalation" {
        return Err(Error::invalid(format!(
            "{id} is a {}, not an escalation",
            b.issue_type
        )));
    }
    Ok(b)
}

pub fn escalate(
    ctx: &mut Ctx,
    severity: &str,
    text: &str,
    bead: Option<&str>,
) -> Result<EscalationView> {
    let severity = parse_severity(severity)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            "say what is wrong: gt escalate -s <severity> \"<text>\"",
        ));
    }
    if let Some(b) = bead {
        crate::work::beads::require(ctx, &ctx.reader(), b)?;
    }
    let routes = routes(ctx, severity);
    validate_routes(ctx, &routes)?;
    let from = ctx.actor.clone();
    let title: String = text
        .lines()
        .next()
        .unwrap_or(text)
        .chars()
        .take(200)
        .collect();
    let id = ctx.write(|tx| {
        let id = tx.new_id("hq", &title)?;
        let now = tx.now().to_string();
        let meta = json!({"severity": severity, "from": from, "bead": bead, "escalated_at": now, "routed": []});
        let b = Bead {
            id: id.clone(),
            title: title.clone(),
            description: Some(text.to_string()),
            status: crate::ledger::Status::Open.into(),
            priority: priority_of(severity),
            issue_type: "escalation".into(),
            created_at: now.clone(),
            updated_at: now,
            created_by: Some(from.clone()),
            metadata: Some(meta.to_string()),
            ..Bead::default()
        };
        tx.insert_bead(&b)?;
        if let Some(target) = bead {
            tx.add_dep(&Dependency {
                issue_id: id.clone(),
                depends_on_id: target.to_string(),
                kind: "escalates".into(),
                created_at: Some(tx.now().to_string()),
                created_by: Some(from.clone()),
                extra: Default::default(),
            })?;
        }
        tx.record_event(Some(&id), "escalated", None, Some(json!({"severity": severity, "from": from, "bead": bead})), None)?;
        Ok(id)
    })?;
    route(ctx, &id, severity, &routes)?;
    Ok(view(&ctx.reader().require(&id)?))
}

/// Checks every route before anything is written (an unknown mail address is bad input).
fn validate_routes(ctx: &Ctx, routes: &[String]) -> Result<()> {
    for r in routes {
        if r == "bead" || r.starts_with("command:") {
            continue;
        }
        match r.strip_prefix("mail:") {
            Some(addr) => {
                crate::work::mail::address::resolve(ctx, addr)?;
            }
            None => {
                return Err(Error::invalid(format!(
                    "escalation route {r:?} in town.toml is not one of bead, mail:<address>, command:<command>"
                )));
            }
        }
    }
    Ok(())
}

/// Carries out the routes of an escalation at `severity` and records what happened.
fn route(ctx: &mut Ctx, id: &str, severity: &str, routes: &[String]) -> Result<()> {
    let b = ctx.reader().require(id)?;
    let v = view(&b);
    let mut done = Vec::new();
    for r in routes {
        if let Some(addr) = r.strip_prefix("mail:") {
            let priority = if priority_of(severity) <= 1 {
                "urgent"
            } else {
                "normal"
            };
            let body = format!(
                "{}\n\nSeverity: {severity}\nFrom: {}\n{}Acknowledge with `gt escalate ack {id}`.",
                v.text,
                v.from,
                v.bead
                    .as_ref()
                    .map(|b| format!("Bead: {b}\n"))
                    .unwrap_or_default()
            );
            let sent = mail::send(
                ctx,
                &v.from,
                &SendRequest {
                    to: vec![addr.to_string()],
                    cc: Vec::new(),
                    subject: format!("[escalation: {severity}] {}", v.title),
                    body,
                    priority: Some(priority.into()),
                    reply_to: None,
                },
            );
            done.push(match sent {
                Ok(s) => format!("{severity}: mail to {addr} ({})", s.ids.join(",")),
                Err(e) => format!("{severity}: mail to {addr} failed: {e}"),
            });
        } else if let Some(cmd) = r.strip_prefix("command:") {
            done.push(format!("{severity}: {}", run_hook(cmd, id, severity, &v)));
        }
    }
    let entries = done.clone();
    ctx.write(|tx| {
        let old = tx.reader().require(id)?;
        let mut new = old.clone();
        let mut m: Value = old
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or(json!({}));
        let mut routed: Vec<Value> = m["routed"].as_array().cloned().unwrap_or_default();
        routed.extend(entries.iter().map(|e| json!(e)));
        m["routed"] = json!(routed);
        new.metadata = Some(m.to_string());
        tx.update_bead(&old, new, "escalation_routed")?;
        Ok(())
    })?;
    for d in done.iter().filter(|d| d.contains("failed")) {
        ctx.warnings.push(format!("warning: escalation {id}: {d}"));
    }
    Ok(())
}

/// Runs a configured command with the escalation in its environment (10 s at most).
fn run_hook(cmd: &str, id: &str, severity: &str, v: &EscalationView) -> String {
    use std::process::{Command, Stdio};
    let child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("GT_ESCALATION_ID", id)
        .env("GT_ESCALATION_SEVERITY", severity)
        .env("GT_ESCALATION_TEXT", &v.text)
        .env("GT_ESCALATION_FROM", &v.from)
        .env("GT_ESCALATION_BEAD", v.bead.clone().unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return format!("command failed to start: {e}"),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => return format!("command ran ({cmd})"),
            Ok(Some(st)) => return format!("command failed with {st} ({cmd})"),
            Ok(None) if std::time::Instant::now() > deadline => {
                let _ = child.kill();
                return format!("command failed: still running after 10 s, stopped ({cmd})");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return format!("command failed: {e}"),
        }
    }
}

pub fn list(ctx: &mut Ctx, unacked_only: bool, all: bool) -> Result<Vec<EscalationView>> {
    sweep(ctx)?;
    read(ctx, unacked_only, all)
}

/// The escalations as they stand, without raising overdue ones (for views that only look).
pub fn read(ctx: &Ctx, unacked_only: bool, all: bool) -> Result<Vec<EscalationView>> {
    let filter = crate::ledger::ListFilter {
        types: vec!["escalation".into()],
        all,
        statuses: if all { vec![] } else { vec!["open".into()] },
        ..Default::default()
    };
    let mut out = Vec::new();
    for s in ctx.reader().list(&filter)? {
        let v = view(&ctx.reader().require(&s.id)?);
        if unacked_only && v.acked_by.is_some() {
            continue;
        }
        out.push(v);
    }
    Ok(out)
}

pub fn ack(ctx: &mut Ctx, id: &str) -> Result<EscalationView> {
    require(ctx, id)?;
    let who = ctx.actor.clone();
    ctx.write(|tx| {
        let old = tx.reader().require(id)?;
        let mut new = old.clone();
        let mut m: Value = old
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or(json!({}));
        m["acked_by"] = json!(who);
        m["acked_at"] = json!(tx.now());
        new.metadata = Some(m.to_string());
        tx.update_bead(&old, new, "escalation_acked")?;
        tx.add_label(id, "acked")?;
        Ok(())
    })?;
    Ok(view(&ctx.reader().require(id)?))
}

pub fn close(ctx: &mut Ctx, id: &str, reason: Option<&str>) -> Result<EscalationView> {
    require(ctx, id)?;
    // An escalation is nobody's work: a plain close (its convoy bookkeeping included).
    ctx.write(|tx| {
        let mut out = crate::work::beads::CloseOutcome::default();
        crate::work::beads::close_in(tx, id, reason, &mut out)
    })?;
    Ok(view(&ctx.reader().require(id)?))
}

/// Raises every open, unacknowledged escalation whose time at its level is up by one level
/// and routes it again. The deacon runs this on a cadence; `gt escalate list|sweep` and
/// `gt status` run it too. Returns the ids raised.
pub fn sweep(ctx: &mut Ctx) -> Result<Vec<String>> {
    let after = reescalate_after(ctx)?;
    let now = ctx.now();
    let filter = crate::ledger::ListFilter {
        types: vec!["escalation".into()],
        statuses: vec![crate::ledger::Status::Open.into()],
        all: true,
        ..Default::default()
    };
    let mut raised = Vec::new();
    for s in ctx.reader().list(&filter)? {
        let b = ctx.reader().require(&s.id)?;
        let v = view(&b);
        if v.acked_by.is_some() {
            continue;
        }
        let Some(next) = next_level(&v.severity) else {
            continue;
        };
        let since = crate::time::parse(&v.escalated_at).unwrap_or(now);
        let elapsed = (now - since).to_std().unwrap_or_default();
        if elapsed < after {
            continue;
        }
        let routes = routes(ctx, next);
        if let Err(e) = validate_routes(ctx, &routes) {
            ctx.warnings
                .push(format!("warning: cannot re-escalate {}: {e}", b.id));
            continue;
        }
        let from_level = v.severity.clone();
        // Checked again inside the transaction: another sweep (the supervisor's deacon and a
        // `gt escalate sweep`) or an acknowledgement may have come first.
        let raised_now = ctx.write(|tx| {
            let old = tx.reader().require(&b.id)?;
            let cur = view(&old);
            if cur.acked_by.is_some()
                || cur.severity != v.severity
                || cur.escalated_at != v.escalated_at
                || old.is_closed()
            {
                return Ok(false);
            }
            let mut new = old.clone();
            let mut m: Value = old.metadata.as_deref().and_then(|m| serde_json::from_str(m).ok()).unwrap_or(json!({}));
            m["severity"] = json!(next);
            m["escalated_at"] = json!(tx.now());
            new.metadata = Some(m.to_string());
            new.priority = priority_of(next);
            tx.update_bead(&old, new, "reescalated")?;
            tx.record_event(Some(&b.id), "escalated", None, Some(json!({"severity": next, "from_level": from_level, "reason": "not acknowledged in time"})), None)?;
            Ok(true)
        })?;
        if !raised_now {
            continue;
        }
        // A route that fails is reported; the other escalations are still swept.
        if let Err(e) = route(ctx, &b.id, next, &routes) {
            ctx.warnings.push(format!(
                "warning: {} was raised to {next} but not routed: {e}",
                b.id
            ));
        }
        raised.push(b.id);
    }
    Ok(raised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_levels() {
        assert_eq!(parse_duration("90").ok(), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m").ok(), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1.5h").ok(), Some(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
        assert_eq!(next_level("low"), Some("medium"));
        assert_eq!(next_level("high"), Some("critical"));
        assert_eq!(next_level("critical"), None);
    }
}
