//! Walking a molecule: closing its steps, and finishing it early (burn) or for good (squash).

use crate::work::Ctx;
use crate::work::beads::{CloseOutcome, close_in};
use crate::work::molecule::{self, MolView, StepState};
use crate::{Error, Result};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StepDone {
    pub molecule: String,
    pub step: String,
    pub bead: String,
    pub already: bool,
    /// Steps that became ready because of this one (keys).
    pub now_ready: Vec<String>,
    /// Every step is done now.
    pub complete: bool,
    /// The root was closed too (a molecule no agent holds closes with its last step).
    pub root_closed: bool,
    pub landed: Vec<String>,
}

/// `gt mol step done <step>`: `step` is a step bead id, or a step key of the molecule named
/// by `molecule` (default: the one on the acting agent's hook). A step whose needs are still
/// open is refused unless `force`: the order of a formula is the point of it.
pub fn step_done(
    ctx: &mut Ctx,
    step: &str,
    molecule: Option<&str>,
    force: bool,
) -> Result<StepDone> {
    let mol = locate(ctx, step, molecule)?;
    let s = mol.step(step).cloned().ok_or_else(|| {
        let keys: Vec<&str> = mol.steps.iter().map(|s| s.key.as_str()).collect();
        Error::invalid(format!(
            "molecule {} has no step {step:?}; its steps: {}",
            mol.root,
            keys.join(", ")
        ))
    })?;
    let root = mol.root.clone();
    let before: Vec<String> = mol.ready().map(|s| s.key.clone()).collect();
    let (already, landed, root_closed) = ctx.write(|tx| {
        // Re-read inside the transaction: another agent may have closed a step meanwhile.
        let cur = molecule::view(&tx.reader(), &root)?;
        let Some(now) = cur.step(&s.bead) else {
            return Err(Error::not_found(format!("step {} is gone", s.bead)));
        };
        if now.state == StepState::Done {
            return Ok((true, Vec::new(), false));
        }
        if now.state == StepState::Blocked && !force {
            let open: Vec<String> = now
                .needs
                .iter()
                .filter(|n| cur.step(n).is_none_or(|x| x.state != StepState::Done))
                .cloned()
                .collect();
            let why = if open.is_empty() {
                "is marked blocked".to_string()
            } else {
                format!("needs {} first (still open)", open.join(", "))
            };
            return Err(Error::invalid(format!(
                "step {} ({}) {why}; finish those, or use --force to close it out of order",
                now.key, now.bead
            )));
        }
        let mut out = CloseOutcome::default();
        close_in(tx, &s.bead, Some("step done"), &mut out)?;
        // A molecule nobody holds (poured by hand, or guiding a work bead) is finished with
        // its last step, in the same transaction. One on an agent's hook is finished by that
        // agent's `gt done`.
        let after = molecule::view(&tx.reader(), &root)?;
        let mut root_closed = false;
        if after.is_complete() && after.status == crate::ledger::Status::Open {
            close_in(tx, &root, Some("all steps done"), &mut out)?;
            root_closed = true;
        }
        Ok((false, out.landed, root_closed))
    })?;
    let after = molecule::view(&ctx.reader(), &root)?;
    let now_ready = after
        .ready()
        .filter(|x| !before.contains(&x.key))
        .map(|x| x.key.clone())
        .collect();
    let complete = after.is_complete();
    Ok(StepDone {
        molecule: root,
        step: s.key,
        bead: s.bead,
        already,
        now_ready,
        complete,
        root_closed,
        landed,
    })
}

/// The molecule a step reference belongs to.
fn locate(ctx: &Ctx, step: &str, molecule: Option<&str>) -> Result<MolView> {
    if molecule.is_none()
        && let Some(b) = ctx.reader().bead(step)?
    {
        if b.issue_type != "step" {
            return Err(Error::invalid(format!(
                "{step} is a {}, not a molecule step",
                b.issue_type
            )));
        }
        return molecule::find(ctx, Some(step));
    }
    molecule::find(ctx, molecule)
}

#[derive(Debug, Clone, Serialize)]
pub struct Burned {
    pub molecule: String,
    pub removed: usize,
}

/// `gt mol burn <id>`: removes an unfinished molecule and its steps. Refused while an agent
/// holds it (take it off the hook first) and for a finished one (squash keeps its record).
pub fn burn(ctx: &mut Ctx, reference: &str) -> Result<Burned> {
    let mol = molecule::find(ctx, Some(reference))?;
    let root = mol.root.clone();
    ctx.write(|tx| {
        let cur = molecule::view(&tx.reader(), &root)?;
        refuse_if_held(&tx.reader(), &cur, "burn")?;
        if cur.status == crate::ledger::Status::Closed || (cur.is_complete() && !cur.steps.is_empty()) {
            return Err(Error::invalid(format!(
                "molecule {root} is finished; burn removes only unfinished ones (`gt mol squash {root}` closes it with a summary)"
            )));
        }
        for s in &cur.steps {
            tx.delete_bead(&s.bead)?;
        }
        tx.delete_bead(&root)?;
        tx.record_event(
            Some(&root),
            "molecule_burned",
            None,
            Some(serde_json::json!({"formula": cur.formula, "steps": cur.steps.len(), "done": cur.done_count()})),
            None,
        )?;
        Ok(Burned {
            molecule: root.clone(),
            removed: cur.steps.len() + 1,
        })
    })
}

fn refuse_if_held(r: &crate::ledger::Reader<'_>, m: &MolView, verb: &str) -> Result<()> {
    // Held: the root on a hook, or the work bead it guides on one.
    let mut held = m.status == crate::ledger::Status::Hooked;
    if let Some(w) = &m.attached_to
        && let Some(b) = r.bead(w)?
    {
        held |= b.status == crate::ledger::Status::Hooked;
    }
    if held && let Some(h) = &m.holder {
        return Err(Error::invalid(format!(
            "molecule {} is being worked by {h}; take the work off its hook first (`gt unsling`), then {verb} it",
            m.root
        )));
    }
    if crate::work::beads::merge_request::pending_merge_of(r, &m.root)?.is_some() {
        return Err(Error::invalid(format!(
            "molecule {} is waiting in the merge queue; {verb} it after its merge lands or is rejected",
            m.root
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Squashed {
    pub molecule: String,
    pub steps: usize,
    pub done: usize,
    pub skipped: Vec<String>,
    pub summary: String,
}

/// `gt mol squash <id>`: closes the molecule, keeping one bead — the root, closed with a
/// summary of every step — and removing the step beads. Unfinished steps are listed in the
/// summary as skipped, never silently dropped.
pub fn squash(ctx: &mut Ctx, reference: &str) -> Result<Squashed> {
    let mol = molecule::find(ctx, Some(reference))?;
    let root = mol.root.clone();
    ctx.write(|tx| {
        let cur = molecule::view(&tx.reader(), &root)?;
        refuse_if_held(&tx.reader(), &cur, "squash")?;
        let mut lines = vec![format!(
            "Squashed molecule of formula {}: {}/{} steps done.",
            cur.formula.as_deref().unwrap_or("?"),
            cur.done_count(),
            cur.steps.len()
        )];
        let mut skipped = Vec::new();
        for s in &cur.steps {
            let mark = if s.state == StepState::Done {
                "x"
            } else {
                skipped.push(s.key.clone());
                " "
            };
            lines.push(format!("- [{mark}] {}: {}", s.key, s.title));
        }
        let summary = lines.join("\n");
        let old = tx.reader().require(&root)?;
        let mut new = old.clone();
        new.notes = Some(match old.notes.as_deref().filter(|n| !n.is_empty()) {
            Some(n) => format!("{n}\n\n{summary}"),
            None => summary.clone(),
        });
        tx.update_bead(&old, new, "squashed")?;
        for s in &cur.steps {
            tx.delete_bead(&s.bead)?;
        }
        let reason = if skipped.is_empty() {
            "squashed: all steps done".to_string()
        } else {
            format!("squashed: {} step(s) skipped", skipped.len())
        };
        let mut out = CloseOutcome::default();
        close_in(tx, &root, Some(&reason), &mut out)?;
        Ok(Squashed {
            molecule: root.clone(),
            steps: cur.steps.len(),
            done: cur.done_count(),
            skipped,
            summary,
        })
    })
}
