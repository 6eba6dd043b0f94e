//! `gt estop [rig]` and `gt thaw [rig]`: stop the town (or one rig) where it stands, and let
//! exactly that go on again. Nothing is lost: sessions and their conversations, hooks,
//! worktrees and queued merge requests stay; the supervisor stays up and only watches.
//!
//! How an agent is stopped: its runtime is interrupted with its own interrupt key (Escape),
//! which ends the turn in flight and leaves the session at its prompt; from then on nothing
//! reaches it (no delivery, no restart, no sling) until the thaw tells it to go on. SIGSTOP
//! of the process group was the other choice, and does not hold: tmux resumes any pane
//! process it sees stopped (SIGCONT to its group; only SIGTTIN and SIGTTOU are left alone,
//! and tmux starts every pane with those two ignored), so the runtime would run on.

use crate::agent::screen;
use crate::fsutil::LockGuard;
use crate::work::Ctx;
use crate::work::agents::{self, delivery, heartbeat};
use crate::work::brakes::{self, Brakes, Estop, Frozen, estop_key};
use crate::{Error, Result};
use serde::Serialize;
use std::time::{Duration, Instant};

/// How long an interrupted runtime may take to leave its turn.
const SETTLE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Serialize)]
pub struct EstopReport {
    pub estop: Estop,
    /// It was in force already (agents started since are held too).
    pub already: bool,
    /// Agents with no running session (nothing to stop; nothing may start them).
    pub without_session: Vec<String>,
    /// Agents still busy after the interrupt, or whose runtime has no interrupt key: they
    /// finish the turn they are in (nothing new reaches them), said, never hidden.
    pub not_stopped: Vec<String>,
}

/// Stops every agent of the town (or of `rig`): first the record (from then on nothing is
/// slung, dispatched, delivered, merged or restarted), then, once slings in flight have
/// finished (they hold their rig's lock until their window is up), every busy runtime.
pub fn estop(ctx: &mut Ctx, rig: Option<&str>, why: Option<&str>) -> Result<EstopReport> {
    // The rig's own name (`shop/` as typed or completed names rig shop).
    let rig = rig.map(|r| ctx.town.rig(r).map(|c| c.name)).transpose()?;
    let rig = rig.as_deref();
    let rigs: Vec<String> = match rig {
        Some(r) => vec![r.to_string()],
        None => ctx.town.rigs()?.into_iter().map(|r| r.name).collect(),
    };
    brakes::check_reason(why)?;
    // One brake change at a time: a thaw or another stop waits until this one is recorded.
    let _turn = brakes_lock(ctx)?;
    let key = estop_key(rig);
    let before: Option<Estop> = read_one(ctx, &key)?;
    let already = before.is_some();
    let mut record = before.unwrap_or(Estop {
        rig: rig.map(str::to_string),
        by: ctx.actor.clone(),
        why: why.map(str::to_string),
        at: crate::time::format(ctx.now()),
        frozen: Vec::new(),
    });
    save(ctx, &key, &record, (!already).then_some("estop"))?;
    for r in &rigs {
        drop(LockGuard::acquire(&ctx.town.paths.rig_lock(r))?);
    }
    let server = ctx.tmux();
    let panes = server.panes()?;
    let mut without_session = Vec::new();
    let mut not_stopped = Vec::new();
    let mut watching = Vec::new();
    let others = Brakes::read(&ctx.reader())?;
    for info in agents::list(&ctx.reader(), rig)? {
        if record.frozen.iter().any(|f| f.agent == info.address) {
            continue;
        }
        // Held by the other stop (the town's, or a rig's) already: it was interrupted there,
        // and whichever thaw comes last tells it to go on.
        if let Some(f) = others
            .town
            .iter()
            .chain(&others.rig_estops)
            .flat_map(|e| &e.frozen)
            .find(|f| f.agent == info.address)
        {
            record.frozen.push(f.clone());
            continue;
        }
        let Some(pane) = panes
            .iter()
            .find(|p| p.agent.as_deref() == Some(info.address.as_str()) && !p.dead)
        else {
            without_session.push(info.address.clone());
            continue;
        };
        let rt = delivery::runtime_of(ctx, &info)?;
        let seen = screen::read(&rt, &server.capture(&pane.pane_id, 60)?);
        let busy = seen.busy;
        let interrupted = busy && rt.escape_cancels && server.press_escape(&pane.pane_id).is_ok();
        if busy && !interrupted {
            not_stopped.push(info.address.clone());
        }
        if interrupted {
            let typed = seen.input.is_some_and(|i| !i.is_empty());
            watching.push((record.frozen.len(), pane.pane_id.clone(), rt, typed));
        }
        tracing::info!(agent = %info.address, busy, interrupted, "held by the emergency stop");
        record.frozen.push(Frozen {
            agent: info.address.clone(),
            interrupted,
            restored: None,
        });
    }
    save(ctx, &key, &record, None)?;
    // An interrupt is a request: see each runtime leave its turn, and whether it put the
    // stopped prompt back into its input (text a person had typed before is left alone).
    let deadline = Instant::now() + SETTLE;
    while !watching.is_empty() && Instant::now() < deadline {
        watching.retain(|(i, pane, rt, typed)| {
            let Ok(text) = server.capture(pane, 60) else {
                return false;
            };
            let now = screen::read(rt, &text);
            if now.busy {
                return true;
            }
            if !typed && let Some(t) = now.input.filter(|t| !t.is_empty()) {
                record.frozen[*i].restored = Some(digest(&t));
            }
            false
        });
        if !watching.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    save(ctx, &key, &record, None)?;
    not_stopped.extend(
        watching
            .into_iter()
            .map(|(i, _, _, _)| record.frozen[i].agent.clone()),
    );
    Ok(EstopReport {
        estop: record,
        already,
        without_session,
        not_stopped,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ThawReport {
    /// The emergency stop that was lifted (None: there was none).
    pub lifted: Option<Estop>,
    /// Agents told to go on with the work they were interrupted in.
    pub resumed: Vec<String>,
    /// Agents held while idle: nothing to tell them, they take work and messages again.
    pub released: Vec<String>,
    /// Interrupted agents the go-on message could not be queued for, with why.
    pub untold: Vec<String>,
    /// The town stays stopped by another emergency stop.
    pub still: Option<String>,
}

/// Lifts the emergency stop: each interrupted agent is told to go on (queued, delivered at
/// its prompt like any message, after what waited for it meanwhile), and every agent's
/// stall clock starts again from now (its quiet while held was not its own).
pub fn thaw(ctx: &mut Ctx, rig: Option<&str>) -> Result<ThawReport> {
    let rig = rig.map(|r| ctx.town.rig(r).map(|c| c.name)).transpose()?;
    let rig = rig.as_deref();
    let _turn = brakes_lock(ctx)?;
    let key = estop_key(rig);
    let Some(record) = read_one(ctx, &key)? else {
        return Ok(ThawReport {
            lifted: None,
            resumed: Vec::new(),
            released: Vec::new(),
            untold: Vec::new(),
            still: still_frozen(ctx, rig)?,
        });
    };
    ctx.write(|tx| {
        tx.set_config(&key, None)?;
        tx.record_event(
            None,
            "thaw",
            None,
            Some(serde_json::json!({"rig": rig, "agents": record.frozen.len()})),
            None,
        )?;
        Ok(())
    })?;
    let still = Brakes::read(&ctx.reader())?;
    let (mut resumed, mut released, mut untold) = (Vec::new(), Vec::new(), Vec::new());
    for f in &record.frozen {
        heartbeat::touch(&ctx.town.paths, &f.agent);
        // Another stop (the town's, over a rig's) still holds it: that one's thaw tells it.
        if still.is_frozen(&f.agent) || agents::find(&ctx.reader(), &f.agent)?.is_none() {
            continue;
        }
        if f.restored
            .as_deref()
            .is_some_and(|d| resubmit(ctx, &f.agent, d))
        {
            resumed.push(f.agent.clone());
        } else if f.interrupted {
            let text = format!(
                "gt thaw: the emergency stop is lifted. Go on with the work on your hook where you stopped ({}).",
                record.describe()
            );
            // The stop is lifted already: one agent that cannot be told is said, and the
            // rest are still told.
            match delivery::enqueue(ctx, &f.agent, "gt thaw", &text, false) {
                Ok(_) => resumed.push(f.agent.clone()),
                Err(e) => untold.push(format!("{}: {e}", f.agent)),
            }
        } else {
            released.push(f.agent.clone());
        }
        if !ctx.reader().queued_deliveries(&f.agent)?.is_empty() {
            delivery::spawn_flusher(ctx, &f.agent);
        }
    }
    Ok(ThawReport {
        lifted: Some(record),
        resumed,
        released,
        untold,
        still: still_frozen(ctx, rig)?,
    })
}

/// Submits the interrupted prompt the runtime kept in its input; true once the runtime took
/// it (its input emptied, or it went busy). False — and nothing else pressed — when its
/// input holds something else by now, or it did not take it: the go-on message follows.
fn resubmit(ctx: &Ctx, agent: &str, restored: &str) -> bool {
    let server = ctx.tmux();
    let Ok(info) = agents::require(ctx, agent) else {
        return false;
    };
    let Ok(rt) = delivery::runtime_of(ctx, &info) else {
        return false;
    };
    let Some(pane) = server.panes().ok().and_then(|ps| {
        ps.into_iter()
            .find(|p| p.agent.as_deref() == Some(agent) && !p.dead)
    }) else {
        return false;
    };
    // Exactly what the runtime put back — not something a person typed there since.
    let held = |s: &screen::Screen| {
        s.at_prompt
            && s.input
                .as_deref()
                .is_some_and(|t| !t.is_empty() && digest(t) == restored)
    };
    match server.capture(&pane.pane_id, 60) {
        Ok(t) if held(&screen::read(&rt, &t)) => {}
        _ => return false,
    }
    if server.press_enter(&pane.pane_id).is_err() {
        return false;
    }
    let deadline = Instant::now() + SETTLE;
    while Instant::now() < deadline {
        if let Ok(t) = server.capture(&pane.pane_id, 60) {
            let s = screen::read(&rt, &t);
            if s.busy || s.input.as_deref().is_some_and(str::is_empty) {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A short fingerprint of an input line (kept instead of the text, which may be long).
fn digest(text: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(text.trim().as_bytes());
    h.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Held through every change of the brakes, so two never interleave their read and write.
pub(crate) fn brakes_lock(ctx: &Ctx) -> Result<LockGuard> {
    Ok(LockGuard::acquire(
        &ctx.town.paths.locks_dir().join("brakes.lock"),
    )?)
}

/// What keeps `rig` (or the town) stopped after this thaw, said so the person is not misled.
fn still_frozen(ctx: &Ctx, rig: Option<&str>) -> Result<Option<String>> {
    let b = Brakes::read(&ctx.reader())?;
    Ok(match rig {
        Some(_) => b.town.map(|e| e.describe()),
        None if !b.rig_estops.is_empty() => Some(format!(
            "rig(s) {} stay stopped on their own (`gt thaw <rig>`)",
            b.rig_estops
                .iter()
                .filter_map(|e| e.rig.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => None,
    })
}

fn read_one(ctx: &Ctx, key: &str) -> Result<Option<Estop>> {
    Ok(ctx
        .reader()
        .config_get(key)?
        .and_then(|v| brakes::parse::<Estop>(key, &v)))
}

fn save(ctx: &mut Ctx, key: &str, record: &Estop, event: Option<&str>) -> Result<()> {
    let text = serde_json::to_string(record)
        .map_err(|e| Error::failed(format!("could not write the emergency stop: {e}")))?;
    ctx.write(|tx| {
        tx.set_config(key, Some(&text))?;
        if let Some(kind) = event {
            tx.record_event(
                None,
                kind,
                None,
                Some(serde_json::json!({"rig": record.rig, "why": record.why})),
                None,
            )?;
        }
        Ok(())
    })
}
