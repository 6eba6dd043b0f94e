//! The witness of a rig: one liveness authority. Every few seconds it classifies each agent
//! from tmux facts, the hook, heartbeats and the runtime's markers (`classify`), decides what
//! to do under the rig's policy (`policy`) and does it (`act`): nudge, restart on the same
//! worktree and hook, or escalate. It never removes a worktree and never touches a window a
//! person is attached to. What it saw and did is saved for `gt witness status`.

mod act;
pub mod hosts;
mod policy;
mod report;

/// The liveness classifier lives in `agent/` (DESIGN §10: liveness facts are the agent's).
pub use crate::agent::liveness::{self as classify, Classified, Facts, Verdict, classify};
pub use policy::{
    Action, Memory, Policy, Recovery, Situation, Thresholds, decide, stall_after_secs, thresholds,
};
pub use report::{AgentReport, Report, load, load_memory, observe, save, save_memory};

use super::Ctx;
use super::agents::live;
use crate::Result;
use crate::town::RigConfig;
use std::collections::BTreeMap;

/// Restarts and nudges can wait for a runtime to start; a round does a few and leaves the
/// rest to the next, so it stays short and never acts long on an old verdict.
const MAX_ACTIONS_PER_ROUND: usize = 8;

fn town_down(ctx: &Ctx) -> bool {
    crate::town::supervisor_status::down_marker(&ctx.town.paths).exists()
}

/// Forgets what the witnesses remember (restarts, nudges): after `gt down`, agents brought
/// back by `gt up` did not crash.
pub fn forget_all(ctx: &Ctx) {
    let Ok(dir) = std::fs::read_dir(ctx.town.paths.daemon_dir()) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("witness-") && name.ends_with(".memory.json") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// What one witness keeps between its rounds.
#[derive(Debug, Default)]
pub struct WitnessState {
    pub memory: BTreeMap<String, Memory>,
    /// The verdict each agent had last round (verdict changes become events).
    pub last: BTreeMap<String, Verdict>,
    loaded: bool,
    /// What is on disk: a round that changed nothing writes nothing (250 agents, every 3 s).
    saved: Option<BTreeMap<String, Memory>>,
}

/// One round over the agents of `rig`.
pub fn tick(ctx: &mut Ctx, rig: &RigConfig, st: &mut WitnessState) -> Result<Report> {
    if !st.loaded {
        st.memory = load_memory(ctx, &rig.name);
        st.saved = Some(st.memory.clone());
        st.loaded = true;
    }
    let began = std::time::Instant::now();
    let policy = Policy::for_rig(ctx, rig)?;
    let now = ctx.unix_now();
    let views = live::agents(ctx, Some(&rig.name))?;
    let hold = crate::work::brakes::Brakes::read(&ctx.reader())?.witness_hold(&rig.name);
    let mut agents = Vec::new();
    let mut acted = 0usize;
    // The agents to act on once every verdict is saved (their index in `agents`).
    let mut to_act = Vec::new();
    let live_pids: Vec<u32> = views.iter().filter_map(|v| v.pid).collect();
    for view in views {
        if view.info.bead_id.is_empty() {
            continue; // a tagged window the ledger does not know: `gt doctor` deals with those
        }
        let addr = view.info.address.clone();
        let mem = st.memory.entry(addr.clone()).or_default();
        mem.prune(now, policy.restart_window_secs, policy.max_restarts);
        if view.info.hook.is_none() && !view.verdict.is_trouble() {
            // Its work is done (or taken away): a crash loop, if there was one, is over.
            *mem = Memory::default();
        }
        if !matches!(view.verdict, Verdict::StartFailed | Verdict::Blocked) {
            // Fine again: the next time it cannot start or is stuck, say so again.
            mem.stuck_reported_at = None;
        }
        let next_account = if view.verdict == Verdict::RateLimited {
            crate::work::agents::accounts::on_rate_limited(ctx, &view.info)?
        } else {
            None
        };
        let action = if let Some(why) = &hold {
            // Frozen agents look stalled and docked ones dead: both are a person's doing.
            Action::Wait(format!("{why}; the witness leaves its agents alone"))
        } else {
            decide(
                &Situation {
                    now,
                    verdict: view.verdict,
                    reason: &view.reason,
                    hooked: view.info.hook.is_some(),
                    human_attached: view.human_attached,
                    last_activity: view.last_activity,
                    record_changed: crate::time::parse(&view.info.updated_at)
                        .map(|t| t.timestamp()),
                    polecat: view.info.role == crate::agent::Role::Polecat,
                    answerable: view.answerable_dialog.as_deref(),
                    starting: view.starting,
                    next_account: next_account.as_deref(),
                },
                &policy,
                mem,
            )
        };
        // The town went down meanwhile, or this round has done enough: the rest waits for
        // the next round (which looks again, so nothing is done on a stale verdict for long).
        let action = match action {
            Action::Nudge(_) | Action::Restart(_) | Action::Escalate(_) | Action::Answer(_)
                if acted >= MAX_ACTIONS_PER_ROUND || town_down(ctx) =>
            {
                Action::Wait("the next round (one round acts on a few agents at most)".into())
            }
            a => a,
        };
        let acts = !matches!(action, Action::None(_) | Action::Wait(_));
        acted += usize::from(acts);
        if st.last.get(&addr) != Some(&view.verdict) {
            act::record_verdict(ctx, &view, st.last.get(&addr).copied());
            st.last.insert(addr.clone(), view.verdict);
        }
        agents.push(AgentReport {
            address: addr,
            verdict: view.verdict,
            reason: view.reason.clone(),
            hook: view.info.hook.clone(),
            human_attached: view.human_attached,
            action,
            outcome: None,
        });
        if acts {
            to_act.push((agents.len() - 1, view));
        }
    }
    // Every verdict is out before any action: a restart waits for its runtime to start
    // (seconds), and the verdicts of this round — the restarted agent's own too — must not
    // wait behind it (crash → verdict ≤ 1 s). The outcomes follow in the round's last save.
    if !to_act.is_empty() {
        save(
            ctx,
            &Report {
                rig: rig.name.clone(),
                at: now,
                policy: policy.clone(),
                agents: agents.clone(),
                memory: st.memory.clone(),
                took_ms: began.elapsed().as_millis() as u64,
                live_pids: Vec::new(),
            },
        );
    }
    for (i, view) in to_act {
        if town_down(ctx) {
            agents[i].action = Action::Wait("the town went down; nothing done".into());
            continue;
        }
        let mem = st.memory.entry(view.info.address.clone()).or_default();
        let done = act::carry_out(ctx, &view, &agents[i].action, mem);
        if done.is_some() {
            save_memory(ctx, &rig.name, &st.memory);
            st.saved = Some(st.memory.clone());
        }
        agents[i].outcome = done;
    }
    let known: Vec<String> = agents.iter().map(|a| a.address.clone()).collect();
    st.memory
        .retain(|k, m| known.contains(k) && *m != Memory::default());
    if st.saved.as_ref() != Some(&st.memory) {
        save_memory(ctx, &rig.name, &st.memory);
        st.saved = Some(st.memory.clone());
    }
    let report = Report {
        rig: rig.name.clone(),
        at: now,
        policy,
        agents,
        memory: st.memory.clone(),
        took_ms: began.elapsed().as_millis() as u64,
        live_pids,
    };
    save(ctx, &report);
    Ok(report)
}
