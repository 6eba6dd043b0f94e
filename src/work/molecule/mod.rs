//! Molecules: a formula poured into the ledger — a root bead (type `molecule`) and one child
//! bead per step (type `step`, ids `<root>.<n>`), with a `blocks` edge for every `needs` —
//! and the views that walk them. Readiness inside a molecule follows from those edges alone.

pub mod steps;

use super::Ctx;
use super::beads::new_dep;
use crate::ledger::{Bead, Reader, Tx};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The `extra` key holding a step bead's id inside its formula (`implement`, `move-12`).
pub const STEP_KEY: &str = "mol_step";
/// The `extra` key holding the variables a molecule was poured with.
pub const VARS_KEY: &str = "mol_vars";
/// Edge from a molecule root to the work bead it was poured for (`sling --formula`). Not a
/// gating kind: the work bead stays ready/hooked as before.
pub const ATTACHED: &str = "molecule-of";

/// One step to pour, its text already instantiated.
#[derive(Debug, Clone)]
pub struct PourStep {
    pub key: String,
    pub title: String,
    pub description: String,
    pub needs: Vec<String>,
    pub acceptance: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PourSpec {
    pub formula: String,
    pub title: String,
    pub description: String,
    pub steps: Vec<PourStep>,
    pub vars: BTreeMap<String, String>,
    /// Bead id prefix: the rig's, or `hq` for a town-level molecule.
    pub prefix: String,
    /// The work bead this molecule guides.
    pub attach_to: Option<String>,
    pub priority: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Poured {
    pub root: String,
    pub formula: String,
    /// (step key, step bead id) in pour order.
    pub steps: Vec<(String, String)>,
    pub attached_to: Option<String>,
}

/// Writes the molecule in the caller's transaction (so a sling can pour and hook at once).
pub fn pour_in(tx: &mut Tx<'_>, spec: &PourSpec) -> Result<Poured> {
    let keys: HashMap<&str, usize> = spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.as_str(), i))
        .collect();
    if keys.len() != spec.steps.len() {
        return Err(Error::invalid(format!(
            "formula {} has two steps with the same id",
            spec.formula
        )));
    }
    if let Some(work) = &spec.attach_to {
        tx.reader().require(work)?;
    }
    let root = tx.new_id(&spec.prefix, &spec.title)?;
    let now = tx.now().to_string();
    let actor = tx.actor().to_string();
    let mut root_bead = Bead {
        id: root.clone(),
        title: spec.title.clone(),
        status: crate::ledger::Status::Open.into(),
        priority: spec.priority,
        issue_type: "molecule".into(),
        created_at: now.clone(),
        updated_at: now.clone(),
        description: Some(spec.description.clone()).filter(|d| !d.trim().is_empty()),
        source_formula: Some(spec.formula.clone()),
        created_by: Some(actor.clone()),
        ..Bead::default()
    };
    if !spec.vars.is_empty() {
        root_bead
            .extra
            .insert(VARS_KEY.into(), serde_json::json!(spec.vars));
    }
    tx.insert_bead(&root_bead)?;
    if let Some(work) = &spec.attach_to {
        tx.add_dep(&new_dep(tx, &root, work, ATTACHED))?;
    }
    // Children are numbered directly (the root is new, so it has none yet): asking the ledger
    // for the next free number per step would make a 1,000-step pour quadratic.
    let ids: Vec<String> = (1..=spec.steps.len())
        .map(|n| format!("{root}.{n}"))
        .collect();
    for (step, id) in spec.steps.iter().zip(&ids) {
        let mut b = Bead {
            id: id.clone(),
            title: step.title.clone(),
            status: crate::ledger::Status::Open.into(),
            priority: spec.priority,
            issue_type: "step".into(),
            created_at: now.clone(),
            updated_at: now.clone(),
            description: Some(step.description.clone()).filter(|d| !d.trim().is_empty()),
            acceptance_criteria: step.acceptance.clone(),
            source_formula: Some(spec.formula.clone()),
            created_by: Some(actor.clone()),
            ..Bead::default()
        };
        b.extra.insert(STEP_KEY.into(), serde_json::json!(step.key));
        tx.insert_bead(&b)?;
        tx.add_dep(&new_dep(tx, id, &root, "parent-child"))?;
    }
    for (step, id) in spec.steps.iter().zip(&ids) {
        for need in &step.needs {
            let Some(&j) = keys.get(need.as_str()) else {
                return Err(Error::invalid(format!(
                    "step {} of formula {} needs {need}, which is not a step of it",
                    step.key, spec.formula
                )));
            };
            tx.add_dep(&new_dep(tx, id, &ids[j], "blocks"))?;
        }
    }
    tx.record_event(
        Some(&root),
        "molecule_poured",
        None,
        Some(serde_json::json!({"formula": spec.formula, "steps": ids.len(), "attached_to": spec.attach_to})),
        None,
    )?;
    Ok(Poured {
        root,
        formula: spec.formula.clone(),
        steps: spec.steps.iter().map(|s| s.key.clone()).zip(ids).collect(),
        attached_to: spec.attach_to.clone(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    /// Closed.
    Done,
    /// Open and every step it needs is done: can be worked now.
    Ready,
    /// Waits for steps it needs.
    Blocked,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub bead: String,
    pub key: String,
    pub title: String,
    pub status: String,
    pub state: StepState,
    /// Keys of the steps it needs.
    pub needs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MolView {
    pub root: String,
    pub title: String,
    pub status: String,
    pub formula: Option<String>,
    /// The work bead this molecule was poured for.
    pub attached_to: Option<String>,
    /// Who holds it: the root's assignee, or the attached work bead's.
    pub holder: Option<String>,
    pub steps: Vec<StepView>,
}

impl MolView {
    pub fn ready(&self) -> impl Iterator<Item = &StepView> {
        self.steps.iter().filter(|s| s.state == StepState::Ready)
    }

    pub fn done_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.state == StepState::Done)
            .count()
    }

    pub fn is_complete(&self) -> bool {
        self.done_count() == self.steps.len()
    }

    pub fn step(&self, key_or_id: &str) -> Option<&StepView> {
        self.steps
            .iter()
            .find(|s| s.bead == key_or_id || s.key == key_or_id)
    }
}

/// Reads a molecule by its root id.
pub fn view(r: &Reader<'_>, root: &str) -> Result<MolView> {
    let root_bead = r.require(root)?;
    if root_bead.issue_type != "molecule" {
        return Err(Error::invalid(format!(
            "{root} is a {}, not a molecule",
            root_bead.issue_type
        )));
    }
    // Only the formula's steps: a bead made a child by hand (`--parent`) is not one of them.
    let children: Vec<Bead> = r
        .children(root)?
        .into_iter()
        .filter(|b| b.issue_type == "step")
        .collect();
    let key_of: HashMap<&str, String> = children
        .iter()
        .map(|b| (b.id.as_str(), step_key(b)))
        .collect();
    let closed: HashMap<&str, bool> = children
        .iter()
        .map(|b| (b.id.as_str(), b.is_closed()))
        .collect();
    let mut needs: HashMap<String, Vec<String>> = HashMap::new();
    for (issue, target, kind) in r.child_edges(root)? {
        if kind == "blocks" {
            needs.entry(issue).or_default().push(target);
        }
    }
    let attached_to = r
        .dependencies(root)?
        .into_iter()
        .find(|d| d.kind == ATTACHED)
        .map(|d| d.depends_on_id);
    let holder = match (&root_bead.assignee, &attached_to) {
        (Some(a), _) => Some(a.clone()),
        (None, Some(w)) => r.bead(w)?.and_then(|b| b.assignee),
        _ => None,
    };
    let steps = children
        .iter()
        .map(|b| {
            let need_ids = needs.get(&b.id).cloned().unwrap_or_default();
            // A need outside the molecule (added by hand) counts as done only once closed.
            let waiting = need_ids.iter().any(|n| match closed.get(n.as_str()) {
                Some(c) => !c,
                None => r.bead(n).ok().flatten().is_some_and(|x| !x.is_closed()),
            });
            let state = if b.is_closed() {
                StepState::Done
            } else if waiting || b.status == crate::ledger::Status::Blocked {
                StepState::Blocked
            } else {
                StepState::Ready
            };
            StepView {
                bead: b.id.clone(),
                key: key_of.get(b.id.as_str()).cloned().unwrap_or_default(),
                title: b.title.clone(),
                status: b.status.clone(),
                state,
                needs: need_ids
                    .iter()
                    .map(|n| key_of.get(n.as_str()).cloned().unwrap_or_else(|| n.clone()))
                    .collect(),
                description: b.description.clone(),
                acceptance: b.acceptance_criteria.clone(),
            }
        })
        .collect();
    Ok(MolView {
        root: root_bead.id.clone(),
        title: root_bead.title.clone(),
        status: root_bead.status.clone(),
        formula: root_bead.source_formula.clone(),
        attached_to,
        holder,
        steps,
    })
}

fn step_key(b: &Bead) -> String {
    b.extra
        .get(STEP_KEY)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| b.id.rsplit('.').next().unwrap_or(&b.id).to_string())
}

/// The molecule a bead belongs to: itself (a root), its parent (a step), or the newest open
/// molecule poured for it (a work bead). None when the bead has no molecule.
pub fn root_of(r: &Reader<'_>, bead: &Bead) -> Result<Option<String>> {
    match bead.issue_type.as_str() {
        "molecule" => Ok(Some(bead.id.clone())),
        "step" => Ok(r
            .dependencies(&bead.id)?
            .into_iter()
            .find(|d| d.kind == "parent-child")
            .map(|d| d.depends_on_id)),
        _ => {
            let mut roots = Vec::new();
            for d in r.dependents(&bead.id)? {
                if d.kind == ATTACHED
                    && let Some(b) = r.bead(&d.issue_id)?
                {
                    roots.push(b);
                }
            }
            // Prefer an unfinished one; among equals the newest.
            roots.sort_by_key(|b| (!b.is_closed(), b.created_at.clone()));
            Ok(roots.pop().map(|b| b.id))
        }
    }
}

/// The molecule named by `reference` (a root, a step, or a work bead with a molecule), or by
/// default the one on the acting agent's hook.
pub fn find(ctx: &Ctx, reference: Option<&str>) -> Result<MolView> {
    let r = ctx.reader();
    let root = match reference {
        Some(id) => {
            let bead = super::beads::require(ctx, &r, id)?;
            root_of(&r, &bead)?.ok_or_else(|| {
                Error::invalid(format!(
                    "{id} is a {} with no molecule; pour one for it with `gt mol pour <formula> --for {id}`, or sling it with --formula",
                    bead.issue_type
                ))
            })?
        }
        None => {
            let me = super::agents::whoami(ctx).to_string();
            let hook = super::agents::hooked_bead(&r, &me)?.ok_or_else(|| {
                Error::invalid(format!(
                    "{me} has nothing on its hook; name the molecule (`--mol <id>`, or `gt mol status <id>`)"
                ))
            })?;
            root_of(&r, &hook)?.ok_or_else(|| {
                Error::invalid(format!(
                    "{} on {me}'s hook has no molecule (no formula was attached to it)",
                    hook.id
                ))
            })?
        }
    };
    view(&r, &root)
}

/// What `gt done` does with a molecule: the open step it may close itself — only when it is
/// the single one left and ready (a last "run gt done" step) — and the steps still to work.
pub fn done_check(m: &MolView) -> (Vec<String>, Vec<String>) {
    let open: Vec<&StepView> = m
        .steps
        .iter()
        .filter(|s| s.state != StepState::Done)
        .collect();
    match open.as_slice() {
        [] => (Vec::new(), Vec::new()),
        [last] if last.state == StepState::Ready => (vec![last.bead.clone()], Vec::new()),
        _ => (Vec::new(), open.iter().map(|s| s.key.clone()).collect()),
    }
}

/// The error `gt done` gives while steps are unfinished.
pub fn unfinished_error(m: &MolView, missing: &[String]) -> Error {
    Error::invalid(format!(
        "molecule {} still has {} unfinished step(s): {}. Finish each and mark it with `gt mol step done <step>` (`gt mol status` shows them; the last one may be left for `gt done`), then run `gt done` again",
        m.root,
        missing.len(),
        missing.join(", ")
    ))
}
