//! Convoys from a plan. `gt convoy stage` turns an epic's children (recursively; epics are
//! containers, not work) or exactly the beads given into a convoy, and shows the waves it
//! would run in: topological levels over the ordering dependencies among the staged beads
//! (a bead is in wave k+1 when the latest thing it waits on is in wave k). The convoy is
//! marked `staged` and remembers its rig (`rig:<name>`), both as labels so they travel with
//! it in issues.jsonl; `gt convoy launch` (launch.rs) sets it going.
//!
//! The rig: the one rig whose prefix every staged bead has, or `--rig` (which then takes
//! every bead, whatever its prefix).

use crate::ledger::{Bead, INFRA_TYPES, Reader, is_done_status};
use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::beads::{require, tracking::create_in, validate_title};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A convoy built by `gt convoy stage` that was not launched yet.
pub const STAGED_LABEL: &str = "staged";
/// A convoy set going by `gt convoy launch`: the deacon slings its beads as they become ready.
pub const LAUNCHED_LABEL: &str = "launched";
/// `rig:<name>`: where a planned convoy's beads are slung.
pub const RIG_PREFIX: &str = "rig:";

/// Kinds that order work (a `parent-child` edge groups it; it does not order it).
const ORDER_DEPS: &[&str] = &["blocks", "conditional-blocks", "waits-for"];
/// How far up a bead's parents a hold from outside is looked for.
const MAX_PARENT_DEPTH: usize = 16;

#[derive(Debug, Clone, Serialize)]
pub struct PlanBead {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: i64,
    /// Unfinished beads of the same convoy it waits on.
    pub after: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Wave {
    /// 1 = first.
    pub wave: usize,
    pub beads: Vec<PlanBead>,
}

/// A staged bead that unfinished work outside the convoy holds back.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub bead: String,
    /// The outside beads it (or a parent of it) waits on.
    pub by: Vec<String>,
}

/// The waves of a set of beads.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub waves: Vec<Wave>,
    /// Already finished (tracked, in no wave).
    pub closed: Vec<String>,
    pub held: Vec<Held>,
}

impl Plan {
    /// The wave of an unfinished bead.
    pub fn wave_of(&self, id: &str) -> Option<usize> {
        self.waves
            .iter()
            .find(|w| w.beads.iter().any(|b| b.id == id))
            .map(|w| w.wave)
    }

    pub fn bead(&self, id: &str) -> Option<&PlanBead> {
        self.waves
            .iter()
            .flat_map(|w| &w.beads)
            .find(|b| b.id == id)
    }

    pub fn held_by(&self, id: &str) -> &[String] {
        self.held
            .iter()
            .find(|h| h.bead == id)
            .map(|h| h.by.as_slice())
            .unwrap_or(&[])
    }
}

/// What `gt convoy stage` made (or, with `--dry-run`, would make).
#[derive(Debug, Clone, Serialize)]
pub struct Staged {
    /// None on a dry run.
    pub convoy: Option<String>,
    pub title: String,
    pub rig: String,
    /// The epic it was staged from.
    pub epic: Option<String>,
    pub dry_run: bool,
    pub tracked: usize,
    #[serde(flatten)]
    pub plan: Plan,
}

/// What to stage.
#[derive(Debug, Clone, Default)]
pub struct StageRequest {
    /// An epic, or beads (an epic among them stands for its children).
    pub ids: Vec<String>,
    pub rig: Option<String>,
    pub title: Option<String>,
    pub dry_run: bool,
}

/// `gt convoy stage`. Bad input (an unknown bead, a convoy, machinery, an empty epic, a cycle,
/// beads of several rigs without `--rig`, beads already in a planned convoy) writes nothing.
pub fn stage(ctx: &mut Ctx, req: &StageRequest) -> Result<Staged> {
    if req.ids.is_empty() {
        return Err(Error::invalid("give an epic, or the beads to stage"));
    }
    let title = req.title.as_deref().map(validate_title).transpose()?;
    let (members, epic) = members(ctx, &req.ids)?;
    let rig = rig_for(ctx, &members, req.rig.as_deref())?;
    let plan = plan(&ctx.reader(), &members)?;
    if plan.waves.is_empty() {
        return Err(Error::invalid(format!(
            "every bead to stage is already closed ({}); nothing to run",
            plan.closed.join(", ")
        )));
    }
    let r = ctx.reader();
    for b in &members {
        for c in r.convoys_tracking(&b.id, true)? {
            if is_planned(&r.labels(&c)?) {
                return Err(Error::invalid(format!(
                    "{} is already in planned convoy {c} (`gt convoy show {c}`); close or `gt convoy remove` it there first",
                    b.id
                )));
            }
        }
    }
    let title = match (title, &epic) {
        (Some(t), _) => t,
        (None, Some(e)) => validate_title(&format!("Plan: {}", e.title))?,
        (None, None) => format!("Plan: {} beads", members.len()),
    };
    let ids: Vec<String> = members.iter().map(|b| b.id.clone()).collect();
    let convoy = if req.dry_run {
        None
    } else {
        let rig_label = format!("{RIG_PREFIX}{}", rig.name);
        Some(ctx.write(|tx| {
            let id = create_in(tx, &title, &ids)?;
            tx.add_label(&id, STAGED_LABEL)?;
            tx.add_label(&id, &rig_label)?;
            Ok(id)
        })?)
    };
    Ok(Staged {
        convoy,
        title,
        rig: rig.name,
        epic: epic.map(|e| e.id),
        dry_run: req.dry_run,
        tracked: ids.len(),
        plan,
    })
}

/// A convoy made by stage (launched or not).
pub fn is_planned(labels: &[String]) -> bool {
    labels
        .iter()
        .any(|l| l == STAGED_LABEL || l == LAUNCHED_LABEL)
}

/// The rig a convoy's labels name.
pub fn rig_label(labels: &[String]) -> Option<String> {
    labels
        .iter()
        .find_map(|l| l.strip_prefix(RIG_PREFIX))
        .map(str::to_string)
}

/// The beads to stage, in order, each once: epics stand for their children (recursively);
/// and the epic when a single one was given.
fn members(ctx: &Ctx, ids: &[String]) -> Result<(Vec<Bead>, Option<Bead>)> {
    let r = ctx.reader();
    let mut out: Vec<Bead> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut epics: Vec<Bead> = Vec::new();
    for id in ids {
        let b = require(ctx, &r, id)?;
        check_kind(&b)?;
        if b.issue_type == "epic" {
            let before = out.len();
            children_of(&r, &b, &mut seen, &mut out, 0)?;
            if out.len() == before {
                return Err(Error::invalid(format!(
                    "epic {id} has no children to stage (make some with `gt bead create <title> --parent {id}`)"
                )));
            }
            epics.push(b);
        } else if seen.insert(b.id.clone()) {
            out.push(b);
        }
    }
    let epic = (ids.len() == 1 && epics.len() == 1)
        .then(|| epics.pop())
        .flatten();
    Ok((out, epic))
}

fn check_kind(b: &Bead) -> Result<()> {
    if b.issue_type == "convoy" {
        return Err(Error::invalid(format!(
            "{} is a convoy; stage the epic or beads it should run",
            b.id
        )));
    }
    if INFRA_TYPES.contains(&b.issue_type.as_str()) {
        return Err(Error::invalid(format!(
            "{} is a {}, not work that can be slung",
            b.id, b.issue_type
        )));
    }
    Ok(())
}

fn children_of(
    r: &Reader<'_>,
    parent: &Bead,
    seen: &mut HashSet<String>,
    out: &mut Vec<Bead>,
    depth: usize,
) -> Result<()> {
    if depth > MAX_PARENT_DEPTH || !seen.insert(parent.id.clone()) {
        return Ok(());
    }
    // The epic itself is not work; `seen` keeps a nested epic from being expanded twice.
    let mut kids: Vec<Bead> = Vec::new();
    for d in r.dependents(&parent.id)? {
        if d.kind != "parent-child" {
            continue;
        }
        if let Some(b) = r.bead(&d.issue_id)? {
            kids.push(b);
        }
    }
    kids.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    for k in kids {
        if k.issue_type == "epic" {
            children_of(r, &k, seen, out, depth + 1)?;
        } else if !INFRA_TYPES.contains(&k.issue_type.as_str()) && seen.insert(k.id.clone()) {
            out.push(k);
        }
    }
    Ok(())
}

fn order_key(b: &Bead) -> (i64, &str, &str) {
    (b.priority, b.created_at.as_str(), b.id.as_str())
}

/// The rig the beads go to: `--rig`, else the one rig whose prefix they all have.
pub(crate) fn rig_for(ctx: &Ctx, beads: &[Bead], flag: Option<&str>) -> Result<RigConfig> {
    if let Some(name) = flag {
        return Ok(ctx.town.rig(name)?);
    }
    // Each rig's config read once, not once per bead.
    let known = ctx.town.rigs()?;
    let mut rigs: BTreeMap<String, RigConfig> = BTreeMap::new();
    let mut homeless: BTreeSet<String> = BTreeSet::new();
    for b in beads {
        match known.iter().find(|r| r.prefix == b.prefix()) {
            Some(rig) => {
                rigs.entry(rig.name.clone()).or_insert_with(|| rig.clone());
            }
            None => {
                homeless.insert(b.id.clone());
            }
        }
    }
    let names: Vec<String> = rigs.keys().cloned().collect();
    if homeless.is_empty()
        && names.len() == 1
        && let Some(rig) = rigs.into_values().next()
    {
        return Ok(rig);
    }
    let mut why = Vec::new();
    if names.len() > 1 {
        why.push(format!("the beads belong to rigs {}", names.join(", ")));
    }
    if !homeless.is_empty() {
        let ids: Vec<&str> = homeless.iter().map(String::as_str).take(5).collect();
        why.push(format!("no rig has the prefix of {}", ids.join(", ")));
    }
    Err(Error::invalid(format!(
        "{}: say which rig runs them with --rig <rig>",
        why.join("; ")
    )))
}

/// The waves of `members`. A cycle among them is bad input naming the beads.
pub fn plan(r: &Reader<'_>, members: &[Bead]) -> Result<Plan> {
    let ids: HashSet<&str> = members.iter().map(|b| b.id.as_str()).collect();
    let open: Vec<&Bead> = members.iter().filter(|b| !b.is_closed()).collect();
    let closed = members
        .iter()
        .filter(|b| b.is_closed())
        .map(|b| b.id.clone())
        .collect();
    let open_ids: HashSet<&str> = open.iter().map(|b| b.id.as_str()).collect();
    // after[b]: open members b waits on; held[b]: unfinished outsiders it waits on.
    let mut after: HashMap<&str, Vec<String>> = HashMap::new();
    let mut held: Vec<Held> = Vec::new();
    for b in &open {
        let mut mine: Vec<String> = Vec::new();
        let mut outside: Vec<String> = Vec::new();
        for d in r.dependencies(&b.id)? {
            if !ORDER_DEPS.contains(&d.kind.as_str()) {
                continue;
            }
            let t = d.depends_on_id;
            if open_ids.contains(t.as_str()) {
                if !mine.contains(&t) {
                    mine.push(t);
                }
            } else if !ids.contains(t.as_str()) && unfinished(r, &t)? && !outside.contains(&t) {
                outside.push(t);
            }
        }
        held_through_parents(r, &b.id, &ids, &mut outside)?;
        if !outside.is_empty() {
            held.push(Held {
                bead: b.id.clone(),
                by: outside,
            });
        }
        after.insert(b.id.as_str(), mine);
    }
    let waves = levels(&open, &after)?;
    Ok(Plan {
        waves,
        closed,
        held,
    })
}

fn unfinished(r: &Reader<'_>, id: &str) -> Result<bool> {
    // A target not in this ledger holds nothing back (as in the ready computation).
    Ok(r.bead(id)?.is_some_and(|b| !is_done_status(&b.status)))
}

/// A parent held back by unfinished outside work holds its children back too (the ready
/// computation follows `parent-child` down from a blocked bead).
fn held_through_parents(
    r: &Reader<'_>,
    id: &str,
    members: &HashSet<&str>,
    outside: &mut Vec<String>,
) -> Result<()> {
    let mut at = id.to_string();
    for _ in 0..MAX_PARENT_DEPTH {
        let Some(parent) = r
            .dependencies(&at)?
            .into_iter()
            .find(|d| d.kind == "parent-child")
            .map(|d| d.depends_on_id)
        else {
            return Ok(());
        };
        for d in r.dependencies(&parent)? {
            let t = d.depends_on_id;
            if ORDER_DEPS.contains(&d.kind.as_str())
                && !members.contains(t.as_str())
                && unfinished(r, &t)?
                && !outside.contains(&t)
            {
                outside.push(t);
            }
        }
        at = parent;
    }
    Ok(())
}

/// Topological levels (Kahn's algorithm, level by level), each level in ledger order.
fn levels(open: &[&Bead], after: &HashMap<&str, Vec<String>>) -> Result<Vec<Wave>> {
    let mut level: HashMap<&str, usize> = HashMap::new();
    let mut remaining: Vec<&Bead> = open.to_vec();
    let mut waves: Vec<Wave> = Vec::new();
    while !remaining.is_empty() {
        let (now, later): (Vec<&Bead>, Vec<&Bead>) = remaining.iter().partition(|b| {
            after
                .get(b.id.as_str())
                .is_none_or(|deps| deps.iter().all(|d| level.contains_key(d.as_str())))
        });
        if now.is_empty() {
            return Err(cycle_error(&later, after));
        }
        let n = waves.len() + 1;
        let mut beads: Vec<&Bead> = now;
        beads.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        for b in &beads {
            level.insert(b.id.as_str(), n);
        }
        waves.push(Wave {
            wave: n,
            beads: beads
                .iter()
                .map(|b| PlanBead {
                    id: b.id.clone(),
                    title: b.title.clone(),
                    status: b.status.clone(),
                    priority: b.priority,
                    after: after.get(b.id.as_str()).cloned().unwrap_or_default(),
                })
                .collect(),
        });
        remaining = later;
    }
    Ok(waves)
}

/// Every bead left waits on another one left: walk back until one repeats, and name that
/// cycle.
fn cycle_error(left: &[&Bead], after: &HashMap<&str, Vec<String>>) -> Error {
    let left_ids: HashSet<&str> = left.iter().map(|b| b.id.as_str()).collect();
    let mut path: Vec<String> = Vec::new();
    let mut at = left.first().map(|b| b.id.clone()).unwrap_or_default();
    while !path.contains(&at) && path.len() <= left.len() {
        path.push(at.clone());
        let next = after
            .get(at.as_str())
            .and_then(|deps| deps.iter().find(|d| left_ids.contains(d.as_str())));
        match next {
            Some(n) => at = n.clone(),
            None => break,
        }
    }
    let start = path.iter().position(|p| *p == at).unwrap_or(0);
    let mut cycle: Vec<String> = path[start..].to_vec();
    cycle.push(at);
    Error::invalid(format!(
        "the beads wait on each other in a cycle: {} (each waits on the next); break it with `gt bead dep remove <id> <target>`",
        cycle.join(" → ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bead(id: &str) -> Bead {
        Bead {
            id: id.into(),
            title: id.to_uppercase(),
            status: "open".into(),
            priority: 2,
            issue_type: "task".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            ..Bead::default()
        }
    }

    fn after(edges: &[(&'static str, &'static str)]) -> HashMap<&'static str, Vec<String>> {
        let mut m: HashMap<&str, Vec<String>> = HashMap::new();
        for (a, b) in edges {
            m.entry(a).or_default().push(b.to_string());
        }
        m
    }

    fn ids(w: &Wave) -> Vec<&str> {
        w.beads.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn levels_follow_the_longest_chain() {
        let beads: Vec<Bead> = ["a", "b", "c", "d", "e"].map(bead).to_vec();
        let refs: Vec<&Bead> = beads.iter().collect();
        // d waits on b and on e; b waits on a; c and e wait on nothing.
        let waves = levels(&refs, &after(&[("b", "a"), ("d", "b"), ("d", "e")])).expect("ok");
        assert_eq!(waves.len(), 3);
        assert_eq!(ids(&waves[0]), ["a", "c", "e"]);
        assert_eq!(ids(&waves[1]), ["b"]);
        assert_eq!(ids(&waves[2]), ["d"]);
        assert_eq!(waves[2].beads[0].after, ["b", "e"]);
    }

    #[test]
    fn a_cycle_is_named() {
        let beads: Vec<Bead> = ["a", "b", "c", "x"].map(bead).to_vec();
        let refs: Vec<&Bead> = beads.iter().collect();
        let e = levels(
            &refs,
            &after(&[("a", "b"), ("b", "c"), ("c", "a"), ("x", "a")]),
        )
        .expect_err("a cycle");
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(text.contains("a → b → c → a"), "{text}");
        assert!(
            !text.contains("x →"),
            "x waits on the cycle, it is not in it: {text}"
        );
    }
}
