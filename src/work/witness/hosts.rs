//! The supervisor's look at the hosts, every few seconds: each host's connection kept up
//! (with its town socket forwarded), and a change of answering said once — a host that
//! stops answering is one event and one escalation for all its agents; when it is back, the
//! town's windows attach again to the sessions that went on working there.

use crate::Result;
use crate::work::Ctx;
use crate::work::hosts::health::{self, Health, HostHealth};
use crate::work::hosts::remote;

/// What the supervisor remembers between looks.
#[derive(Debug, Default)]
pub struct Watch {
    health: Health,
    /// host → the master connection its town socket was forwarded over.
    forwarded: std::collections::BTreeMap<String, u32>,
}

/// One look at every host; a summary for the supervisor's status.
pub fn round(ctx: &mut Ctx, w: &mut Watch) -> Result<String> {
    let last = &mut w.health;
    let hosts = crate::town::hosts::load(&ctx.town.paths)?;
    let now = ctx.unix_now();
    let mut next = Health::new();
    let mut up = 0;
    // One read of the windows and agents for every host of the round.
    let dead = if hosts.is_empty() {
        Vec::new()
    } else {
        dead_remote_windows(ctx)
    };
    for h in &hosts {
        // Connected (again, if it had dropped), and the town socket forwarded over this
        // very connection (whoever started it).
        let answer = remote::place(ctx, &h.name).and_then(|p| {
            let pid = p.conn.master_pid();
            if pid.is_some() && w.forwarded.get(&h.name) != pid.as_ref() {
                remote::forward(ctx, &p)?;
                if let Some(pid) = pid {
                    w.forwarded.insert(h.name.clone(), pid);
                }
            }
            Ok(())
        });
        let was = last.get(&h.name).cloned();
        let now_up = answer.is_ok();
        up += usize::from(now_up);
        let state = match (&was, &answer) {
            (Some(w), _) if w.up == now_up => w.clone(),
            (_, Ok(())) => HostHealth {
                up: true,
                since: now,
                why: String::new(),
            },
            (_, Err(e)) => HostHealth {
                up: false,
                since: now,
                why: e.to_string(),
            },
        };
        match (was.as_ref().map(|w| w.up), now_up) {
            (Some(true) | None, false) => went_down(ctx, &h.name, &state.why),
            (Some(false), true) => came_back(ctx, &h.name),
            _ => {}
        }
        // Windows here that closed while their sessions there go on (a connection that
        // dropped and came back within one look, a supervisor that was not running) attach
        // again.
        if now_up {
            reattach(ctx, &h.name, &dead);
        }
        next.insert(h.name.clone(), state);
    }
    if &next != last {
        health::write(&ctx.town.paths, &next);
        *last = next;
    }
    Ok(format!("{up} of {} host(s) answering", hosts.len()))
}

fn went_down(ctx: &mut Ctx, host: &str, why: &str) {
    let agents = agents_on(ctx, host);
    tracing::warn!(host, why, agents = agents.len(), "a host stopped answering");
    let detail = serde_json::json!({"host": host, "why": why, "agents": agents});
    let _ =
        ctx.write(|tx| Ok(tx.record_event(None, "host_unreachable", None, Some(detail), None)?));
    if !agents.is_empty() {
        let text = format!(
            "Host {host} does not answer ({why}). Its {} agent(s) ({}) cannot be seen from here; they are not restarted, and the town looks again every few seconds.",
            agents.len(),
            agents.join(", ")
        );
        if let Err(e) = crate::work::mail::escalation::escalate(ctx, "high", &text, None) {
            tracing::warn!(error = %e, "cannot escalate a host that went down");
        }
    }
}

fn came_back(ctx: &mut Ctx, host: &str) {
    tracing::info!(host, "a host answers again");
    let detail = serde_json::json!({"host": host});
    let _ = ctx.write(|tx| Ok(tx.record_event(None, "host_back", None, Some(detail), None)?));
}

/// The town's dead windows of this host's agents whose sessions there live on run their
/// attach again (one whose session ended is the witness's: its runtime exited).
fn reattach(ctx: &Ctx, host: &str, dead: &[DeadWindow]) {
    let dead: Vec<&DeadWindow> = dead.iter().filter(|d| d.host == host).collect();
    if dead.is_empty() {
        return;
    }
    let living = match remote::place(ctx, host).and_then(|p| remote::sessions_alive(ctx, &p)) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(host, error = %e, "cannot list the host's sessions");
            return;
        }
    };
    let dead: Vec<String> = dead
        .into_iter()
        .filter(|d| living.contains(&remote::session_name(&d.agent)))
        .map(|d| d.pane.clone())
        .collect();
    if let Err(e) = ctx.tmux().rerun_dead(&dead) {
        tracing::warn!(host, error = %e, "cannot attach the agents' windows again");
    }
}

/// A window here of a remote agent whose program ended.
struct DeadWindow {
    host: String,
    agent: String,
    pane: String,
}

fn dead_remote_windows(ctx: &Ctx) -> Vec<DeadWindow> {
    let Ok(panes) = ctx.tmux().panes() else {
        return Vec::new();
    };
    let agents = crate::work::agents::list(&ctx.reader(), None).unwrap_or_default();
    panes
        .into_iter()
        .filter(|p| p.dead)
        .filter_map(|p| {
            let a = agents
                .iter()
                .find(|a| Some(&a.address) == p.agent.as_ref())?;
            Some(DeadWindow {
                host: a.host.clone()?,
                agent: a.address.clone(),
                pane: p.pane_id,
            })
        })
        .collect()
}

fn agents_on(ctx: &Ctx, host: &str) -> Vec<String> {
    crate::work::agents::list(&ctx.reader(), None)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.host.as_deref() == Some(host))
        .map(|a| a.address)
        .collect()
}
