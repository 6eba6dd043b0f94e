//! `gt sling <bead> <target>`: put a bead on a polecat's hook and start it working.
//!
//! Steps, in order, each undone if a later one fails — no half-created polecat, no bead left
//! hooked to nobody: pick the polecat (under the rig lock), prepare its worktree and branch,
//! record the hook (one ledger transaction, with an auto-created convoy), start its window,
//! and for paste-prompt runtimes confirm the beacon was taken.

pub mod assign;
pub mod claims;
pub mod close;
pub mod done;
pub mod handoff;
pub mod hook;
/// What a sling says about the work (kept on the bead).
pub use crate::work::beads::intent;
pub mod placement;
pub mod reminder;

use super::agents::{self, AgentInfo, AgentRecord};
use super::{Ctx, agents::delivery, agents::polecat, agents::session};
use crate::agent::{self, Address, Runtime};
use crate::fsutil::LockGuard;
use crate::ledger::Bead;
use crate::town::RigConfig;
use crate::work::beads::tracking as convoy;
use crate::{Error, Result, git};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct SlingOptions {
    /// `--agent`: the runtime to use instead of the configured one.
    pub agent: Option<String>,
    pub no_convoy: bool,
    pub force: bool,
    /// `--formula`: pour it for the bead; with `no_formula`, the rig's `sling.formula` is not used.
    pub formula: Option<String>,
    pub no_formula: bool,
    /// `--var` values for the formula.
    pub vars: std::collections::BTreeMap<String, String>,
    /// Instructions, runtime arguments, base branch and merge mode that go with the work.
    pub intent: intent::Intent,
    /// Say what would happen; write nothing.
    pub dry_run: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Slung {
    pub bead: String,
    pub agent: String,
    pub runtime: String,
    /// It was already on this target's hook; nothing was done.
    pub already: bool,
    /// An idle polecat was given the work (rather than a new one made).
    pub reused: bool,
    pub convoy: Option<String>,
    pub branch: Option<String>,
    pub worktree: Option<PathBuf>,
    pub window: Option<String>,
    /// The agent the bead was taken from (`--force`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// The molecule the agent works through (a slung formula, or one poured for the bead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub molecule: Option<String>,
    /// The startup dialogs gt answered for the new session.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answered_dialogs: Vec<String>,
    /// The branch it started from and lands onto.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge: Option<&'static str>,
    /// `--dry-run`: nothing was done; this is what would be.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

/// Where the bead should go.
enum Target {
    /// A new or idle polecat of the rig.
    AnyPolecat(RigConfig),
    /// That polecat (made if it does not exist yet).
    Polecat(RigConfig, String),
    /// A standing agent with its own workspace: a crew member or the mayor.
    Standing(Address),
}

fn parse_target(ctx: &Ctx, target: &str) -> Result<Target> {
    match Address::parse(target).map_err(Error::Invalid)? {
        Address::Rig { rig } => Ok(Target::AnyPolecat(ctx.town.rig(&rig)?)),
        Address::Short { rig, name }
            if agents::find(&ctx.reader(), &format!("{rig}/crew/{name}"))?.is_some() =>
        {
            Ok(Target::Standing(Address::Crew { rig, name }))
        }
        Address::Polecat { rig, name } | Address::Short { rig, name } => {
            polecat::validate_name(&name)?;
            Ok(Target::Polecat(ctx.town.rig(&rig)?, name))
        }
        Address::Crew { rig, name } => {
            ctx.town.rig(&rig)?;
            Ok(Target::Standing(Address::Crew { rig, name }))
        }
        Address::Mayor => Ok(Target::Standing(Address::Mayor)),
        other => Err(Error::invalid(format!(
            "{other} ({}) does not take work by sling; sling to a rig, <rig>/polecats/<name>, <rig>/crew/<name> or mayor",
            other.role()
        ))),
    }
}

/// True when `holder` already is the target (idempotent re-sling).
fn same_target(target: &Target, holder: &str) -> bool {
    match (target, Address::parse(holder)) {
        (Target::AnyPolecat(rig), Ok(Address::Polecat { rig: r, .. })) => r == rig.name,
        (Target::Polecat(rig, name), Ok(a)) => {
            a.to_string() == format!("{}/polecats/{name}", rig.name)
        }
        _ => false,
    }
}

pub fn sling(ctx: &mut Ctx, bead_id: &str, target: &str, opts: &SlingOptions) -> Result<Slung> {
    let bead = super::beads::require(ctx, &ctx.reader(), bead_id)?;
    let target = parse_target(ctx, target)?;
    let rig = match &target {
        Target::AnyPolecat(r) | Target::Polecat(r, _) => r.clone(),
        Target::Standing(addr) => {
            let addr = addr.clone();
            return sling_standing(ctx, &bead, &addr, opts);
        }
    };
    // A bad name pool is refused before anything is touched (even when an idle polecat
    // would have been reused this time).
    if matches!(target, Target::AnyPolecat(_)) {
        polecat::name_pool(ctx, &rig)?;
    }
    let default_agent = ctx.setting("default_agent", Some(&rig))?.as_str();
    let runtime = agent::runtime_for_role(
        &ctx.town,
        Some(&rig),
        "polecat",
        opts.agent.as_deref(),
        &default_agent,
    )?;

    opts.intent.validate()?;
    // A sling that says nothing of its own keeps what an earlier one said (a re-sling by the
    // deacon, a convoy launch or a person must not drop a base branch or instructions).
    let intent = if opts.intent.is_plain() {
        intent::Intent::of(&bead)
    } else {
        opts.intent.clone()
    };
    let base = base_branch(ctx, &rig, &bead, &intent)?;
    // The work's own view of the rig: it branches from and lands onto `base`.
    let rig = intent::rig_on(&rig, &base);
    if opts.dry_run {
        return dry_run(ctx, &bead, &target, &rig, &runtime, &intent);
    }
    // Towns sharing beads: the claim is published before anything is hooked here
    // (a bead this town already holds is its own claim).
    if held_by_target(&bead, &target).is_none() {
        claims::claim_for_sling(ctx, &bead.id, &format!("a polecat of {}", rig.name))?;
    }
    let lock = LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
    // Read again under the lock: a parallel sling of the same bead may have just taken it.
    let bead = ctx.reader().require(&bead.id)?;
    if let Some(holder) = held_by_target(&bead, &target) {
        return already_slung(ctx, &bead, holder);
    }
    // Under the rig's lock: an emergency stop or a dock waits for this lock after writing
    // its record, so a sling either sees the brake here or is done before they look.
    super::brakes::check_sling(&ctx.reader(), Some(&rig.name))?;
    hook::check_hookable(&ctx.reader(), &bead, "", opts.force)?;
    let plan = choose_polecat(ctx, &target)?;
    let address = Address::Polecat {
        rig: rig.name.clone(),
        name: plan.name.clone(),
    };
    let plan = clear_reused(ctx, &target, &rig, &address, plan)?;
    let address = Address::Polecat {
        rig: rig.name.clone(),
        name: plan.name.clone(),
    };
    let branch = polecat::branch_name(&plan.name, &bead.id);
    let worktree = prepare_worktree(ctx, &rig, &plan, &branch)?;
    let undo_git = |ctx: &Ctx| undo_worktree(ctx, &rig, &plan, &branch);

    let record = match record_hook(
        ctx, &bead, &target, &address, &plan, &runtime, &rig, &worktree, &branch, opts, &intent,
    ) {
        Ok(Recorded::Hooked(r)) => r,
        Ok(Recorded::Already(holder)) => {
            undo_git(ctx);
            return already_slung(ctx, &bead, holder);
        }
        Err(e) => {
            undo_git(ctx);
            return Err(e);
        }
    };
    let started = start_window(
        ctx,
        &address,
        &plan,
        &worktree,
        &runtime,
        &bead,
        &intent.args,
    );
    let started = match started {
        Ok(c) => c,
        Err(e) => {
            rollback_hook(ctx, &bead, &record);
            undo_git(ctx);
            return Err(Error::failed(format!(
                "could not start {address}'s session: {e}; nothing was left behind"
            )));
        }
    };
    drop(lock);
    // Waited for outside the rig lock: other slings to the rig go on meanwhile.
    let ready = match session::await_ready(
        ctx,
        &address,
        &started,
        &runtime,
        session::OnFailure::Remove,
    ) {
        Ok(r) => r,
        Err(e) => {
            let _lock = LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
            let _ = delivery::cancel_queued(ctx, &address.to_string(), "the sling was undone");
            rollback_hook(ctx, &bead, &record);
            undo_git(ctx);
            return Err(Error::failed(format!(
                "{address} did not start: {e}\nthe sling of {} was undone; nothing was left behind",
                bead.id
            )));
        }
    };
    let created = started.created;

    if session::beacon_by_paste(&runtime) {
        let beacon = session::beacon(&address.to_string(), &ctx.actor.clone(), &bead.id);
        let wait = Duration::from_secs(runtime.startup_timeout_secs);
        let outcome = delivery::send(ctx, &address.to_string(), "gt sling", &beacon, wait);
        let ok = matches!(&outcome, Ok(r) if r.state == super::agents::delivery::DeliveryState::Delivered);
        if !ok {
            let why = match outcome {
                Ok(r) => r
                    .reason
                    .unwrap_or_else(|| format!("the beacon is still {}", r.state)),
                Err(e) => e.to_string(),
            };
            let _lock = LockGuard::acquire(&ctx.town.paths.rig_lock(&rig.name))?;
            let _ = session::kill_window_of(ctx, &address.to_string(), &created.window_id);
            // The beacon names this bead; it must never reach a later session of this name.
            let _ = delivery::cancel_queued(ctx, &address.to_string(), "the sling was undone");
            rollback_hook(ctx, &bead, &record);
            undo_git(ctx);
            return Err(Error::failed(format!(
                "{address} started but did not take its first prompt: {why}; the sling was undone"
            )));
        }
    }
    let moved_from = match record.prev_holder.as_ref() {
        Some(h) => Some(let_go(ctx, h, &bead.id, &address.to_string())),
        None => None,
    };
    Ok(Slung {
        bead: bead.id.clone(),
        agent: address.to_string(),
        runtime: runtime.name.clone(),
        already: false,
        reused: plan.reused.is_some(),
        convoy: record.convoy,
        branch: Some(branch),
        worktree: Some(worktree),
        window: Some(created.window_id),
        moved_from,
        molecule: None,
        answered_dialogs: ready.answered,
        base_branch: Some(base),
        merge: Some(intent.merge.as_str()),
        dry_run: false,
    })
}

/// The branch the work starts from and lands onto: `--base-branch`, else the integration
/// branch of the epic the bead belongs to, else the rig's default branch. It must exist.
pub(crate) fn base_branch(
    ctx: &Ctx,
    rig: &RigConfig,
    bead: &Bead,
    intent: &intent::Intent,
) -> Result<String> {
    let base = match &intent.base_branch {
        Some(b) => b.clone(),
        None => crate::work::beads::integration::branch_for(ctx, bead)?
            .unwrap_or_else(|| rig.default_branch.clone()),
    };
    let repo = ctx.town.paths.rig_repo(&rig.name);
    if git::branch_tip(&repo, &base).is_err() {
        return Err(Error::invalid(format!(
            "rig {} has no branch {base} to start from and land onto",
            rig.name
        )));
    }
    Ok(base)
}

/// `--dry-run`: every check a sling makes, and what it would do — nothing written.
fn dry_run(
    ctx: &Ctx,
    bead: &Bead,
    target: &Target,
    rig: &RigConfig,
    runtime: &Runtime,
    intent: &intent::Intent,
) -> Result<Slung> {
    if let Some(holder) = held_by_target(bead, target) {
        return Ok(Slung {
            dry_run: true,
            ..already_slung(ctx, bead, holder)?
        });
    }
    super::brakes::check_sling(&ctx.reader(), Some(&rig.name))?;
    hook::check_hookable(&ctx.reader(), bead, "", false)?;
    let plan = choose_polecat(ctx, target)?;
    let convoy = ctx
        .reader()
        .convoys_tracking(&bead.id, false)?
        .into_iter()
        .next();
    Ok(Slung {
        bead: bead.id.clone(),
        agent: format!("{}/polecats/{}", rig.name, plan.name),
        runtime: runtime.name.clone(),
        already: false,
        reused: plan.reused.is_some(),
        convoy,
        branch: Some(polecat::branch_name(&plan.name, &bead.id)),
        worktree: Some(
            plan.reused
                .as_ref()
                .and_then(|a| a.worktree.clone())
                .unwrap_or_else(|| match &plan.host {
                    // Where it would be made there (host:path under the remote user's home).
                    Some(h) => PathBuf::from(format!(
                        "{h}:~/{}/{}/{}/polecats/{}",
                        crate::work::hosts::REMOTE_HOME,
                        crate::tmux::socket_name_for(ctx.town.root()),
                        rig.name,
                        plan.name
                    )),
                    None => polecat::worktree_path(ctx, &rig.name, &plan.name),
                }),
        ),
        window: None,
        moved_from: None,
        molecule: None,
        answered_dialogs: Vec::new(),
        base_branch: Some(rig.default_branch.clone()),
        merge: Some(intent.merge.as_str()),
        dry_run: true,
    })
}

/// The holder, when the bead already is on this target's hook (a repeated sling).
fn held_by_target(bead: &Bead, target: &Target) -> Option<String> {
    bead.assignee
        .clone()
        .filter(|h| bead.status == crate::ledger::Status::Hooked && same_target(target, h))
}

fn already_slung(ctx: &Ctx, bead: &Bead, holder: String) -> Result<Slung> {
    let info = agents::find(&ctx.reader(), &holder)?;
    Ok(Slung {
        bead: bead.id.clone(),
        agent: holder,
        runtime: info
            .as_ref()
            .and_then(|i| i.runtime.clone())
            .unwrap_or_default(),
        already: true,
        reused: false,
        convoy: ctx
            .reader()
            .convoys_tracking(&bead.id, false)?
            .into_iter()
            .next(),
        branch: info.as_ref().and_then(|i| i.branch.clone()),
        worktree: info.and_then(|i| i.worktree),
        window: None,
        moved_from: None,
        molecule: None,
        answered_dialogs: Vec::new(),
        base_branch: None,
        merge: None,
        dry_run: false,
    })
}

/// A reused polecat's old session ends before its worktree is touched (so nothing writes
/// into it while it is checked and switched); then it must still be clean. A rig target
/// falls back to a new polecat when it is not; a named one is refused.
fn clear_reused(
    ctx: &mut Ctx,
    target: &Target,
    rig: &RigConfig,
    address: &Address,
    plan: Plan,
) -> Result<Plan> {
    let Some(prev) = &plan.reused else {
        return Ok(plan);
    };
    stop_old_session(ctx, address)?;
    let dirty = prev
        .worktree
        .as_ref()
        .map(|w| match &prev.host {
            Some(h) => crate::work::hosts::remote::dirty_files(ctx, h, w).unwrap_or(1),
            None => git::worktree_state(w).map(|s| s.dirty_files).unwrap_or(1),
        })
        .unwrap_or(0);
    if dirty == 0 {
        return Ok(plan);
    }
    match target {
        Target::AnyPolecat(_) => Ok(Plan {
            name: polecat::allocate_name(ctx, rig)?,
            reused: None,
            host: plan.host,
        }),
        _ => Err(Error::invalid(format!(
            "{address} has uncommitted files in its worktree; finish or clean them first"
        ))),
    }
}

/// Ends an idle polecat's previous session (refusing if a person is attached to it) and
/// drops anything still queued for it: it was meant for that session's work.
fn stop_old_session(ctx: &mut Ctx, address: &Address) -> Result<()> {
    let addr = address.to_string();
    if super::agents::session::close_windows(ctx, &addr, false)?.is_none() {
        return Err(Error::invalid(format!(
            "someone is attached to {address}'s window; not replacing its session"
        )));
    }
    delivery::cancel_queued(
        ctx,
        &addr,
        "its session was replaced to start new work before this was delivered",
    )?;
    Ok(())
}

/// Stops the polecat's session that was started for `bead` — only that one: by now the
/// polecat may be idle and reused for other work, whose session must be left alone.
fn stop_session_on(ctx: &mut Ctx, agent: &str, bead: &str) -> Result<()> {
    let server = ctx.tmux();
    let mut stopped = false;
    for p in server.panes()? {
        if p.agent.as_deref() == Some(agent) && p.bead.as_deref() == Some(bead) {
            if p.human_attached() {
                return Err(Error::invalid(format!(
                    "someone is attached to {agent}'s window; it was left running"
                )));
            }
            stopped |= session::kill_window_of(ctx, agent, &p.window_id)?;
        }
    }
    let idle = agents::find(&ctx.reader(), agent)?.is_some_and(|a| a.hook.is_none());
    if stopped && idle {
        delivery::cancel_queued(ctx, agent, "its session was stopped: its bead was moved")?;
    }
    Ok(())
}

/// After `--force` moved the bead: a polecat that held it is stopped (its worktree and
/// branch stay as they are); a crew member or the mayor is told. Returns who it was.
fn let_go(ctx: &mut Ctx, prev: &AgentInfo, bead: &str, to: &str) -> String {
    if prev.role == crate::agent::Role::Polecat {
        if let Err(e) = stop_session_on(ctx, &prev.address, bead) {
            ctx.warnings.push(format!(
                "warning: {} still runs although {bead} was moved from it: {e}",
                prev.address
            ));
        }
    } else {
        let note = format!(
            "{bead} was moved to {to} (gt sling --force); it is no longer on your hook — stop working on it"
        );
        let queued = delivery::enqueue(ctx, &prev.address, "gt sling", &note, false);
        if queued.is_ok() {
            delivery::spawn_flusher(ctx, &prev.address);
        }
    }
    prev.address.clone()
}

/// Hooks a bead to a crew member or the mayor (who keep their own workspace) and tells
/// them: a running session gets the beacon through confirmed delivery, a stopped one is
/// started with it.
fn sling_standing(
    ctx: &mut Ctx,
    bead: &Bead,
    address: &Address,
    opts: &SlingOptions,
) -> Result<Slung> {
    let addr = address.to_string();
    if let Some(holder) = bead
        .assignee
        .as_deref()
        .filter(|_| bead.status == crate::ledger::Status::Hooked)
        && holder == addr
    {
        return standing_result(ctx, bead, &addr, true, None);
    }
    hook::check_hookable(&ctx.reader(), bead, &addr, opts.force)?;
    super::brakes::check_sling(&ctx.reader(), address.rig())?;
    opts.intent.validate()?;
    // A standing agent works in its own workspace, in the session it has.
    if !opts.intent.args.is_empty() || opts.intent.base_branch.is_some() {
        return Err(Error::invalid(format!(
            "{addr} works in its own workspace and session: --args and --base-branch are for slings to a rig or a polecat"
        )));
    }
    if opts.dry_run {
        let held = agents::find(&ctx.reader(), &addr)?.and_then(|a| a.hook);
        if let Some(h) = held.filter(|h| *h != bead.id) {
            return Err(Error::invalid(format!(
                "{addr} is working on {h}; finish or unsling it first"
            )));
        }
        return Ok(Slung {
            bead: bead.id.clone(),
            agent: addr,
            runtime: opts.agent.clone().unwrap_or_else(|| "its own".into()),
            already: false,
            reused: true,
            convoy: ctx
                .reader()
                .convoys_tracking(&bead.id, false)?
                .into_iter()
                .next(),
            branch: None,
            worktree: None,
            window: None,
            moved_from: None,
            molecule: None,
            answered_dialogs: Vec::new(),
            base_branch: None,
            merge: Some(opts.intent.merge.as_str()),
            dry_run: true,
        });
    }
    let info = standing_agent(ctx, address, opts)?;
    if let Some(h) = info.hook.as_deref().filter(|h| *h != bead.id) {
        return Err(Error::invalid(format!(
            "{addr} is working on {h}; finish or unsling it first"
        )));
    }
    // Checked again inside the transaction: a parallel sling may have taken it meanwhile.
    let recorded = ctx.write(|tx| {
        let cur = tx.reader().require(&bead.id)?;
        if cur.status == crate::ledger::Status::Hooked
            && cur.assignee.as_deref() == Some(addr.as_str())
        {
            return Ok(None);
        }
        hook::check_hookable(&tx.reader(), &cur, &addr, opts.force)?;
        // --force closes any waiting merge request; a plain sling closes failed ones.
        let superseded = super::sling::done::supersede_merge_requests(tx, &bead.id, opts.force)?;
        let me = tx.reader().require(&info.bead_id)?;
        if let Some(h) = me
            .hook_bead
            .as_deref()
            .filter(|h| !h.is_empty() && *h != bead.id)
        {
            return Err(Error::invalid(format!(
                "{addr} is working on {h}; finish or unsling it first"
            )));
        }
        let prev_holder = hooked_holder(tx, &cur)?;
        let before = Before {
            bead: cur.clone(),
            agent: me,
            superseded,
            holder: match &prev_holder {
                Some(h) => tx.reader().bead(&h.bead_id)?,
                None => None,
            },
        };
        if let Some(h) = &prev_holder {
            agents::set_state(tx, &h.bead_id, crate::work::agents::AgentState::Idle, None)?;
        }
        hook::hook_in(tx, &bead.id, &addr)?;
        opts.intent.record(tx, &bead.id)?;
        agents::set_state(
            tx,
            &info.bead_id,
            crate::work::agents::AgentState::Working,
            Some(&bead.id),
        )?;
        let convoy = match tx
            .reader()
            .convoys_tracking(&bead.id, false)?
            .into_iter()
            .next()
        {
            Some(c) => Some(c),
            None if !opts.no_convoy => Some(convoy::create_in(
                tx,
                &format!("Work: {}", bead.title),
                std::slice::from_ref(&bead.id),
            )?),
            None => None,
        };
        tx.record_event(
            Some(&bead.id),
            "slung",
            None,
            Some(serde_json::json!({"agent": addr})),
            None,
        )?;
        Ok(Some((convoy, prev_holder, before)))
    })?;
    let Some((convoy, prev_holder, before)) = recorded else {
        return standing_result(ctx, bead, &addr, true, None);
    };
    if let Err(e) = tell_standing(ctx, address, bead, opts) {
        undo_standing(ctx, &bead.id, before);
        return Err(Error::failed(format!(
            "could not tell {addr} about {}: {e}; the sling was undone",
            bead.id
        )));
    }
    let mut r = standing_result(ctx, bead, &addr, false, convoy)?;
    r.runtime = info.runtime.unwrap_or_default();
    if let Some(h) = &prev_holder {
        r.moved_from = Some(let_go(ctx, h, &bead.id, &addr));
    }
    Ok(r)
}

/// The crew member or mayor a standing sling goes to (the mayor is started if need be).
fn standing_agent(ctx: &mut Ctx, address: &Address, opts: &SlingOptions) -> Result<AgentInfo> {
    let addr = address.to_string();
    match agents::find(&ctx.reader(), &addr)? {
        Some(i) => Ok(i),
        None if *address == Address::Mayor => {
            super::agents::mayor::start(ctx, opts.agent.as_deref())?;
            agents::require(ctx, "mayor")
        }
        None => Err(Error::not_found(format!(
            "no crew member {addr}; add one with `gt crew add <name> --rig <rig>`"
        ))),
    }
}

/// What a standing sling changed, kept to put back if the agent cannot be told.
struct Before {
    bead: Bead,
    agent: Bead,
    superseded: Vec<Bead>,
    holder: Option<Bead>,
}

/// Tells a running agent about its new hook (confirmed beacon), or starts it on it.
fn tell_standing(ctx: &mut Ctx, address: &Address, bead: &Bead, opts: &SlingOptions) -> Result<()> {
    let addr = address.to_string();
    let running = ctx
        .tmux()
        .panes()?
        .into_iter()
        .any(|p| p.agent.as_deref() == Some(addr.as_str()) && !p.dead);
    if running {
        let beacon = session::beacon(&addr, &ctx.actor.clone(), &bead.id);
        let r = delivery::send(ctx, &addr, "gt sling", &beacon, Duration::from_secs(10))?;
        if r.state == super::agents::delivery::DeliveryState::Failed {
            return Err(Error::failed(r.reason.unwrap_or_default()));
        }
        Ok(())
    } else if *address == Address::Mayor {
        super::agents::mayor::start(ctx, opts.agent.as_deref()).map(|_| ())
    } else {
        super::agents::crew::start(ctx, &addr, Some(&bead.id)).map(|_| ())
    }
}

/// Puts back what a standing sling changed; a failure to do so is said, not hidden.
fn undo_standing(ctx: &mut Ctx, bead_id: &str, before: Before) {
    let undone = ctx.write(|tx| {
        restore(tx, &before.bead)?;
        restore(tx, &before.agent)?;
        for mr in &before.superseded {
            restore(tx, mr)?;
        }
        if !before.superseded.is_empty() {
            tx.add_label(bead_id, super::sling::done::PENDING_MERGE)?;
        }
        if let Some(h) = &before.holder {
            restore(tx, h)?;
        }
        Ok(())
    });
    if let Err(u) = undone {
        ctx.warnings.push(format!(
            "warning: could not fully undo the sling of {bead_id}: {u}"
        ));
    }
}

fn standing_result(
    ctx: &Ctx,
    bead: &Bead,
    addr: &str,
    already: bool,
    convoy: Option<String>,
) -> Result<Slung> {
    let info = agents::find(&ctx.reader(), addr)?;
    Ok(Slung {
        bead: bead.id.clone(),
        agent: addr.to_string(),
        runtime: info
            .as_ref()
            .and_then(|i| i.runtime.clone())
            .unwrap_or_default(),
        already,
        reused: true,
        convoy: convoy.or(ctx
            .reader()
            .convoys_tracking(&bead.id, false)?
            .into_iter()
            .next()),
        branch: info.as_ref().and_then(|i| i.branch.clone()),
        worktree: info.and_then(|i| i.worktree),
        window: None,
        moved_from: None,
        molecule: None,
        answered_dialogs: Vec::new(),
        base_branch: None,
        merge: None,
        dry_run: false,
    })
}

/// Which polecat gets the work.
struct Plan {
    name: String,
    /// The idle polecat being reused (None: a new one).
    reused: Option<AgentInfo>,
    /// The host it runs on (None: this machine).
    host: Option<String>,
}

fn choose_polecat(ctx: &Ctx, target: &Target) -> Result<Plan> {
    match target {
        Target::Standing(_) => Err(Error::failed("a standing agent has no polecat to choose")),
        Target::AnyPolecat(rig) => {
            let host = placement::choose(ctx, rig)?;
            match polecat::idle_polecat(ctx, &rig.name)? {
                // An idle polecat is reused where it is: on the place chosen for this work.
                Some(a) if a.host == host => Ok(Plan {
                    name: a.name.clone(),
                    reused: Some(a),
                    host,
                }),
                _ => Ok(Plan {
                    name: polecat::allocate_name(ctx, rig)?,
                    reused: None,
                    host,
                }),
            }
        }
        Target::Polecat(rig, name) => {
            let address = format!("{}/polecats/{name}", rig.name);
            match agents::find(&ctx.reader(), &address)? {
                Some(a) if a.hook.is_some() => Err(Error::invalid(format!(
                    "{address} is working on {}; sling to the rig to get another polecat",
                    a.hook.clone().unwrap_or_default()
                ))),
                Some(a) => {
                    if let Some(w) = a.worktree.as_ref().filter(|_| a.host.is_none()) {
                        let dirty = git::worktree_state(w).map(|s| s.dirty_files).unwrap_or(0);
                        if dirty > 0 {
                            return Err(Error::invalid(format!(
                                "{address} has {dirty} uncommitted file(s) in {}; finish or clean them first",
                                w.display()
                            )));
                        }
                    }
                    Ok(Plan {
                        name: name.clone(),
                        host: a.host.clone(),
                        reused: Some(a),
                    })
                }
                None => {
                    if polecat::worktree_path(ctx, &rig.name, name).exists() {
                        return Err(Error::invalid(format!(
                            "{} exists but no polecat {name} is recorded; remove the directory or pick another name",
                            polecat::worktree_path(ctx, &rig.name, name).display()
                        )));
                    }
                    Ok(Plan {
                        name: name.clone(),
                        reused: None,
                        host: placement::choose(ctx, rig)?,
                    })
                }
            }
        }
    }
}

fn prepare_worktree(ctx: &Ctx, rig: &RigConfig, plan: &Plan, branch: &str) -> Result<PathBuf> {
    if let Some(host) = &plan.host {
        // The branch is made here (the town's repository is the truth), then pushed there.
        let repo = ctx.town.paths.rig_repo(&rig.name);
        git::create_branch(&repo, branch, &rig.default_branch)?;
        let p = crate::work::hosts::remote::place(ctx, host)?;
        return crate::work::hosts::remote::prepare_worktree(
            ctx,
            &p,
            rig,
            &plan.name,
            branch,
            &rig.default_branch,
        )
        .inspect_err(|_| {
            let _ = git::delete_branch(&repo, branch);
        });
    }
    match &plan.reused {
        Some(a) => {
            let path = a
                .worktree
                .clone()
                .unwrap_or_else(|| polecat::worktree_path(ctx, &rig.name, &plan.name));
            git::switch_worktree(&path, branch, &rig.default_branch).map_err(|e| {
                Error::failed(format!(
                    "could not switch {} to {branch}: {e}",
                    path.display()
                ))
            })?;
            Ok(path)
        }
        None => polecat::create_worktree(ctx, rig, &plan.name, branch),
    }
}

/// Puts the worktree back as it was before this sling.
fn undo_worktree(ctx: &Ctx, rig: &RigConfig, plan: &Plan, branch: &str) {
    let repo = ctx.town.paths.rig_repo(&rig.name);
    if let Some(host) = &plan.host {
        if let Ok(p) = crate::work::hosts::remote::place(ctx, host) {
            crate::work::hosts::remote::undo_worktree(&p, &rig.name, &plan.name, branch);
        }
        let _ = git::delete_branch(&repo, branch);
        return;
    }
    match &plan.reused {
        Some(a) => {
            if let (Some(path), Some(old)) = (&a.worktree, &a.branch) {
                let _ = git::switch_worktree(path, old, &rig.default_branch);
            }
            if a.branch.as_deref() != Some(branch) {
                let _ = git::delete_branch(&repo, branch);
            }
        }
        None => {
            let _ = polecat::destroy_worktree(ctx, rig, &plan.name);
            let _ = git::delete_branch(&repo, branch);
        }
    }
}

/// What the ledger transaction did, so it can be taken back.
struct HookRecord {
    agent_bead: String,
    /// The agent bead as it was (None: made by this sling).
    prev_agent: Option<Bead>,
    prev_status: String,
    prev_assignee: Option<String>,
    /// The agent the bead was taken from (--force), with its bead as it was.
    prev_holder: Option<AgentInfo>,
    prev_holder_bead: Option<Bead>,
    /// Merge requests closed as superseded (`--force`), as they were.
    superseded: Vec<Bead>,
    convoy: Option<String>,
    convoy_created: bool,
}

enum Recorded {
    Hooked(Box<HookRecord>),
    /// A parallel sling to the same target got there first.
    Already(String),
}

/// One transaction: the agent record, the hook, the convoy, the event. The bead is checked
/// again inside it, so two processes can never both hook it.
#[allow(clippy::too_many_arguments)]
fn record_hook(
    ctx: &mut Ctx,
    bead: &Bead,
    target: &Target,
    address: &Address,
    plan: &Plan,
    runtime: &Runtime,
    rig: &RigConfig,
    worktree: &std::path::Path,
    branch: &str,
    opts: &SlingOptions,
    intent: &intent::Intent,
) -> Result<Recorded> {
    let addr = address.to_string();
    // Only towns that place polecats on hosts count room (a plain town has no limit here).
    let cap = if placement::places_beyond_here(ctx, rig)? {
        placement::capacity(ctx, plan.host.as_deref())?
    } else {
        None
    };
    ctx.write(|tx| {
        let cur = tx.reader().require(&bead.id)?;
        if let Some(holder) = held_by_target(&cur, target) {
            return Ok(Recorded::Already(holder));
        }
        placement::still_room(&tx.reader(), plan.host.as_deref(), cap, &addr)?;
        hook::check_hookable(&tx.reader(), &cur, &addr, opts.force)?;
        // --force closes any waiting merge request; a plain sling closes failed ones.
        let superseded = super::sling::done::supersede_merge_requests(tx, &bead.id, opts.force)?;
        let prev_holder = hooked_holder(tx, &cur)?;
        let prev_holder_bead = match &prev_holder {
            Some(h) => tx.reader().bead(&h.bead_id)?,
            None => None,
        };
        if let Some(h) = &prev_holder {
            agents::set_state(tx, &h.bead_id, crate::work::agents::AgentState::Idle, None)?;
        }
        let prev_agent = match &plan.reused {
            Some(a) => tx.reader().bead(&a.bead_id)?,
            None => None,
        };
        let agent_bead = agents::upsert(
            tx,
            &AgentRecord {
                address,
                prefix: &rig.prefix,
                name: &plan.name,
                state: "working",
                hook: Some(&bead.id),
                runtime: &runtime.name,
                worktree: Some(worktree),
                branch: Some(branch),
                session_args: &intent.args,
                host: plan.host.as_deref(),
            },
        )?;
        hook::hook_in(tx, &bead.id, &addr)?;
        intent.record(tx, &bead.id)?;
        let tracked = tx.reader().convoys_tracking(&bead.id, false)?;
        let (convoy, convoy_created) = match tracked.into_iter().next() {
            Some(c) => (Some(c), false),
            None if !opts.no_convoy => {
                let title = format!("Work: {}", bead.title);
                (
                    Some(convoy::create_in(
                        tx,
                        &title,
                        std::slice::from_ref(&bead.id),
                    )?),
                    true,
                )
            }
            None => (None, false),
        };
        let note = serde_json::json!({"agent": addr, "runtime": runtime.name, "branch": branch});
        tx.record_event(Some(&bead.id), "slung", None, Some(note), None)?;
        Ok(Recorded::Hooked(Box::new(HookRecord {
            agent_bead,
            prev_agent,
            prev_status: cur.status.clone(),
            prev_assignee: cur.assignee.clone(),
            prev_holder,
            prev_holder_bead,
            superseded,
            convoy,
            convoy_created,
        })))
    })
}

/// Takes back `record_hook`: the bead as it was, the agent records as they were (or gone),
/// the convoy made for this sling gone. Best effort: a failure here is logged and reported,
/// the original error wins.
fn rollback_hook(ctx: &mut Ctx, bead: &Bead, rec: &HookRecord) {
    let res = ctx.write(|tx| {
        let cur = tx.reader().require(&bead.id)?;
        let mut back = cur.clone();
        back.status = rec.prev_status.clone();
        back.assignee = rec.prev_assignee.clone();
        tx.update_bead(&cur, back, "sling_rolled_back")?;
        match &rec.prev_agent {
            None => tx.delete_bead(&rec.agent_bead)?,
            Some(before) => restore(tx, before)?,
        }
        if let Some(before) = &rec.prev_holder_bead {
            restore(tx, before)?;
        }
        if let (true, Some(c)) = (rec.convoy_created, &rec.convoy) {
            tx.delete_bead(c)?;
        }
        for mr in &rec.superseded {
            restore(tx, mr)?;
        }
        if !rec.superseded.is_empty() {
            tx.add_label(&bead.id, super::sling::done::PENDING_MERGE)?;
        }
        Ok(())
    });
    if let Err(e) = res {
        tracing::error!(error = %e, bead = %bead.id, "rolling back a failed sling");
        ctx.warnings.push(format!(
            "warning: could not fully undo the sling of {}: {e}",
            bead.id
        ));
    }
}

fn restore(tx: &mut crate::ledger::Tx<'_>, before: &Bead) -> Result<()> {
    let cur = tx.reader().require(&before.id)?;
    tx.update_bead(&cur, before.clone(), "sling_rolled_back")?;
    Ok(())
}

fn start_window(
    ctx: &Ctx,
    address: &Address,
    plan: &Plan,
    worktree: &std::path::Path,
    runtime: &Runtime,
    bead: &Bead,
    args: &[String],
) -> Result<session::Started> {
    let repo = address.rig().map(|r| ctx.town.paths.rig_repo(r));
    let spec = session::StartSpec {
        address,
        name: &plan.name,
        cwd: worktree,
        runtime,
        bead: Some(&bead.id),
        sender: &ctx.actor,
        topic: &bead.id,
        repo: repo.as_deref(),
        resume: args,
        host: plan.host.as_deref(),
    };
    session::start(ctx, &spec)
}

/// The agent whose hook holds `bead` now, if any.
fn hooked_holder(tx: &crate::ledger::Tx<'_>, bead: &Bead) -> Result<Option<AgentInfo>> {
    match bead
        .assignee
        .as_deref()
        .filter(|_| bead.status == crate::ledger::Status::Hooked)
    {
        Some(h) => agents::find(&tx.reader(), h),
        None => Ok(None),
    }
}
