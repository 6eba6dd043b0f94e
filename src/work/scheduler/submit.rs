//! `gt sling` through the scheduler: start the work now, or queue it when the limit is
//! reached or the scheduler is paused.

use super::queue::{self, Entry};
use super::{Capacity, is_paused, max_polecats};
use crate::agent::Address;
use crate::work::sling::{SlingOptions, Slung};
use crate::work::{Ctx, costs::budget, formulas, formulas::sling, sling::hook};
use crate::{Error, Result};
use serde::Serialize;

/// What became of one sling.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Slung(Slung),
    Queued(Queued),
}

/// A sling that waits for a free polecat.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub bead: String,
    pub target: String,
    /// Always true (tells the two outcomes apart in JSON).
    pub queued: bool,
    /// 1 = next.
    pub position: usize,
    /// It was queued already (a repeated sling).
    pub already: bool,
    /// Why it waits: the limit, or a pause.
    pub reason: String,
    /// The formula poured for it (a formula was slung by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub molecule: Option<String>,
}

/// Slings each item (bead or formula) to the target, through the scheduler.
pub fn sling_many(
    ctx: &mut Ctx,
    items: &[String],
    target: &str,
    opts: &SlingOptions,
) -> Result<Vec<Result<Outcome>>> {
    if items.is_empty() {
        return Err(Error::invalid("give at least one bead to sling"));
    }
    if items.len() > 1 && !matches!(Address::parse(target), Ok(Address::Rig { .. })) {
        return Err(Error::invalid(format!(
            "a polecat holds one bead at a time; to sling {} beads give a rig as the target",
            items.len()
        )));
    }
    let mut out = Vec::new();
    for item in items {
        out.push(sling_or_queue(ctx, item, target, opts));
    }
    Ok(out)
}

/// One sling: at once when it is not a rig target, with `--force`, or when there is room;
/// else into the queue.
pub fn sling_or_queue(
    ctx: &mut Ctx,
    item: &str,
    target: &str,
    opts: &SlingOptions,
) -> Result<Outcome> {
    let Ok(Address::Rig { rig }) = Address::parse(target) else {
        return direct(ctx, item, target, opts);
    };
    // A held rig takes nothing new, not even into its queue (what was queued before waits).
    crate::work::brakes::check_sling(&ctx.reader(), Some(&rig))?;
    if opts.force {
        return direct(ctx, item, target, opts);
    }
    let max = max_polecats(ctx)?;
    let held = budget::holding(ctx, item)?;
    if max == 0 && !is_paused(ctx)? && held.is_none() {
        return direct(ctx, item, target, opts);
    }
    ctx.town.rig(&rig)?;
    // Held through the sling: the room it saw must still be there when the polecat starts.
    let _turn = super::lock(ctx)?;
    let paused = is_paused(ctx)?;
    let bead = ctx.reader().bead(item)?;
    // What the sling says is checked before it can wait in the queue: a bad base branch
    // queued would fail every round and hold up the beads behind it.
    opts.intent.validate()?;
    if let Some(b) = &bead {
        crate::work::sling::base_branch(ctx, &ctx.town.rig(&rig)?, b, &opts.intent)?;
    } else if opts.dry_run {
        return Err(Error::invalid(
            "--dry-run takes a bead; a formula slung by name is poured when it is slung",
        ));
    }
    if let Some(b) = &bead {
        if b.status == crate::ledger::Status::Hooked {
            // Already on a hook: the sling says "already there" or refuses, as usual.
            return direct(ctx, item, target, opts);
        }
        if let Some(e) = queue::entry_of(&ctx.reader(), &b.id)? {
            return requeue(ctx, &b.id, e, target, opts, paused);
        }
    }
    let mut cap = Capacity::read(ctx)?;
    // With room but beads already waiting (a polecat freed since the deacon's last round),
    // this one does not jump the queue: it joins it and the queue is worked in order now.
    let others_wait = !queue::list(&ctx.reader(), ctx.now())?.is_empty();
    if !paused && held.is_none() && cap.has_room() && !others_wait {
        return direct(ctx, item, target, opts);
    }
    let reason = if paused {
        "the scheduler is paused (`gt scheduler resume`)".to_string()
    } else if let Some(c) = &held {
        format!("{}; new work waits (running agents go on)", c.describe())
    } else if cap.has_room() {
        "beads queued before it go first".to_string()
    } else {
        format!(
            "{} of {} polecats are working (scheduler.max_polecats)",
            cap.working, cap.max
        )
    };
    if opts.dry_run {
        // Nothing is written: this is where it would wait.
        return Ok(Outcome::Queued(Queued {
            bead: item.to_string(),
            target: target.to_string(),
            queued: true,
            position: queue::list(&ctx.reader(), ctx.now())?.len() + 1,
            already: false,
            reason,
            molecule: None,
        }));
    }
    let (bead_id, entry, molecule) = match &bead {
        Some(b) => {
            hook::check_hookable(&ctx.reader(), b, "", false)?;
            check_formula(ctx, b, target, opts)?;
            (b.id.clone(), Entry::new(target, opts), None)
        }
        None => {
            // A formula by name: poured now, its root waits (and gets no second formula).
            let root = sling::pour_named(ctx, item, Some(&rig), opts)?;
            let plain = SlingOptions {
                agent: opts.agent.clone(),
                no_convoy: opts.no_convoy,
                no_formula: true,
                intent: opts.intent.clone(),
                ..SlingOptions::default()
            };
            (root.clone(), Entry::new(target, &plain), Some(root))
        }
    };
    ctx.write(|tx| queue::enqueue_in(tx, &bead_id, entry))?;
    if !paused && held.is_none() && cap.has_room() {
        let mut report = super::dispatch::DispatchReport::default();
        let mine = super::dispatch::work_up_to(ctx, &mut cap, &bead_id, &mut report);
        for d in report.dispatched.iter().filter(|d| d.bead != bead_id) {
            ctx.warnings.push(format!(
                "note: {} was queued first and is now slung to {}",
                d.bead, d.agent
            ));
        }
        for d in report.dropped.iter().filter(|d| d.bead != bead_id) {
            ctx.warnings.push(format!(
                "warning: {} was taken out of the scheduler queue: {}",
                d.bead, d.reason
            ));
        }
        ctx.warnings.extend(report.errors);
        if let Some(s) = mine? {
            return Ok(Outcome::Slung(s));
        }
    }
    let position = queue::position(&ctx.reader(), &bead_id)?.unwrap_or(0);
    Ok(Outcome::Queued(Queued {
        bead: bead_id,
        target: target.to_string(),
        queued: true,
        position,
        already: false,
        reason,
        molecule,
    }))
}

fn direct(ctx: &mut Ctx, item: &str, target: &str, opts: &SlingOptions) -> Result<Outcome> {
    sling::sling_item(ctx, item, target, opts).map(Outcome::Slung)
}

/// A queued bead slung again: the same target is a repeat; another target (or other
/// options) replaces the entry, keeping its place.
fn requeue(
    ctx: &mut Ctx,
    bead: &str,
    old: Entry,
    target: &str,
    opts: &SlingOptions,
    paused: bool,
) -> Result<Outcome> {
    let mut entry = Entry::new(target, opts);
    entry.queued_at = old.queued_at.clone();
    entry.seq = old.seq;
    entry.by = old.by.clone();
    let already = entry == old;
    if !already {
        ctx.write(|tx| queue::enqueue_in(tx, bead, entry))?;
    }
    let position = queue::position(&ctx.reader(), bead)?.unwrap_or(0);
    Ok(Outcome::Queued(Queued {
        bead: bead.to_string(),
        target: target.to_string(),
        queued: true,
        position,
        already,
        reason: if paused {
            "the scheduler is paused (`gt scheduler resume`)".into()
        } else {
            "it is waiting for a free polecat".into()
        },
        molecule: None,
    }))
}

/// What would make the sling fail later is refused now: a formula that does not resolve,
/// variables without a formula.
fn check_formula(
    ctx: &Ctx,
    bead: &crate::ledger::Bead,
    target: &str,
    opts: &SlingOptions,
) -> Result<()> {
    let rig = Address::parse(target)
        .ok()
        .and_then(|a| a.rig().map(str::to_string));
    match sling::effective_formula(ctx, target, opts)? {
        Some(f) => {
            formulas::prepare(ctx, &f, &opts.vars, rig.as_deref(), Some(bead))?;
            Ok(())
        }
        None if !opts.vars.is_empty() => Err(Error::invalid(
            "--var sets formula variables; give --formula <name> (or sling a formula) to use them",
        )),
        None => Ok(()),
    }
}
