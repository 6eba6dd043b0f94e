//! Bead use cases: create, show, list, update, close, reopen, comment, dependencies, ready.

pub mod integration;
pub mod intent;
pub mod merge_request;
pub mod queue;
pub mod tracking;
pub mod tree;

use super::Ctx;
use crate::ledger::{
    Bead, BeadRecord, BeadSummary, BlockedBead, Dependency, GATING_DEPS, INFRA_TYPES, ListFilter,
    Reader, ReadyFilter, STATUSES, Tx, WORK_TYPES, prefix_of,
};
use crate::town::RigConfig;
use crate::{Error, Result};
use tracking as convoy;

#[derive(Debug, Clone, Default)]
pub struct NewBead {
    pub title: String,
    pub description: Option<String>,
    pub issue_type: Option<String>,
    pub priority: Option<i64>,
    pub labels: Vec<String>,
    pub parent: Option<String>,
    pub rig: Option<String>,
    pub assignee: Option<String>,
}

/// A bead as a form gives it: a new one (`editing` None), or changes to one where a field
/// left None is not changed (an edit sends only what the person changed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BeadFields {
    pub editing: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    /// As typed: 0–4 or P0–P4.
    pub priority: Option<String>,
    pub rig: String,
    pub description: Option<String>,
}

/// Creates the bead the fields describe, or changes the one they edit, through `create` and
/// `update`; the bead, and whether it is new.
pub fn save(ctx: &mut Ctx, f: BeadFields) -> Result<(Bead, bool)> {
    let priority = f.priority.as_deref().map(parse_priority).transpose()?;
    let kind = f.kind.filter(|k| !k.is_empty());
    match f.editing {
        None => Ok((
            create(
                ctx,
                NewBead {
                    title: f.title.unwrap_or_default(),
                    description: f.description.filter(|d| !d.is_empty()),
                    issue_type: kind,
                    priority,
                    labels: Vec::new(),
                    parent: None,
                    rig: Some(f.rig).filter(|r| !r.is_empty()),
                    assignee: None,
                },
            )?,
            true,
        )),
        Some(id) => {
            let patch = BeadPatch {
                title: f.title,
                description: f.description,
                issue_type: kind,
                priority,
                ..Default::default()
            };
            Ok((update(ctx, &id, patch)?.0, false))
        }
    }
}

/// Changes to a bead; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct BeadPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub status: Option<String>,
    pub priority: Option<i64>,
    pub issue_type: Option<String>,
    /// `Some("")` clears the assignee.
    pub assignee: Option<String>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
}

impl BeadPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.notes.is_none()
            && self.status.is_none()
            && self.priority.is_none()
            && self.issue_type.is_none()
            && self.assignee.is_none()
            && self.add_labels.is_empty()
            && self.remove_labels.is_empty()
    }
}

pub fn validate_title(title: &str) -> Result<String> {
    let t = title.trim();
    if t.is_empty() {
        return Err(Error::invalid("a bead needs a title (it was empty)"));
    }
    if t.chars().count() > 500 {
        return Err(Error::invalid(format!(
            "a title is at most 500 characters (this one has {})",
            t.chars().count()
        )));
    }
    Ok(t.to_string())
}

pub fn validate_priority(p: i64) -> Result<i64> {
    if (0..=4).contains(&p) {
        Ok(p)
    } else {
        Err(Error::invalid(format!(
            "priority must be 0 (critical) to 4 (backlog), not {p}"
        )))
    }
}

/// Accepts `2` or `P2`.
pub fn parse_priority(s: &str) -> Result<i64> {
    let digits = s.trim().trim_start_matches(['P', 'p']);
    let p = digits
        .parse::<i64>()
        .map_err(|_| Error::invalid(format!("priority must be 0–4 (or P0–P4), not {s:?}")))?;
    validate_priority(p)
}

fn custom_list(r: &Reader<'_>, key: &str) -> Result<Vec<String>> {
    Ok(r.config_get(key)?
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

pub fn validate_type(r: &Reader<'_>, t: &str) -> Result<String> {
    let custom = custom_list(r, "types.custom")?;
    if WORK_TYPES.contains(&t) || INFRA_TYPES.contains(&t) || custom.iter().any(|c| c == t) {
        return Ok(t.to_string());
    }
    let mut all: Vec<String> = WORK_TYPES
        .iter()
        .chain(INFRA_TYPES)
        .map(|s| s.to_string())
        .collect();
    all.extend(custom);
    Err(Error::invalid(format!(
        "unknown type {t:?}; types: {}",
        all.join(", ")
    )))
}

pub fn validate_status(r: &Reader<'_>, s: &str) -> Result<String> {
    let custom = custom_list(r, "status.custom")?;
    if STATUSES.contains(&s) || custom.iter().any(|c| c == s) {
        return Ok(s.to_string());
    }
    let mut all: Vec<String> = STATUSES.iter().map(|s| s.to_string()).collect();
    all.extend(custom);
    Err(Error::invalid(format!(
        "unknown status {s:?}; statuses: {}",
        all.join(", ")
    )))
}

fn validate_label(l: &str) -> Result<String> {
    let l = l.trim();
    if l.is_empty() || l.contains(['\n', '\u{1f}']) {
        return Err(Error::invalid(format!(
            "invalid label {l:?}: labels are non-empty single-line text"
        )));
    }
    Ok(l.to_string())
}

/// The bead, or "not found" with a hint about which rig its prefix routes to.
pub fn require(ctx: &Ctx, r: &Reader<'_>, id: &str) -> Result<Bead> {
    if let Some(b) = r.bead(id)? {
        return Ok(b);
    }
    let prefix = prefix_of(id);
    let hint = match ctx.rig_for_prefix(prefix)? {
        Some(rig) => format!(" (prefix {prefix:?} routes to rig {:?})", rig.name),
        None if prefix == "hq" => " (hq is the town-level prefix)".to_string(),
        None => format!(" (no rig of this town has prefix {prefix:?})"),
    };
    Err(Error::not_found(format!(
        "no bead {id:?} in the ledger{hint}"
    )))
}

pub fn create(ctx: &mut Ctx, req: NewBead) -> Result<Bead> {
    let title = validate_title(&req.title)?;
    let priority = validate_priority(req.priority.unwrap_or(2))?;
    let issue_type = validate_type(&ctx.reader(), req.issue_type.as_deref().unwrap_or("task"))?;
    let labels: Vec<String> = req
        .labels
        .iter()
        .map(|l| validate_label(l))
        .collect::<Result<_>>()?;
    let rig_name = req.rig.clone().or_else(|| ctx.current_rig());
    let prefix = match &rig_name {
        Some(name) => ctx.town.rig(name)?.prefix,
        None => "hq".to_string(),
    };
    if let Some(parent) = &req.parent {
        require(ctx, &ctx.reader(), parent)?;
    }
    let actor = ctx.actor.clone();
    ctx.write(|tx| {
        let id = match &req.parent {
            Some(parent) => tx.new_child_id(parent)?,
            None => tx.new_id(&prefix, &title)?,
        };
        let now = tx.now().to_string();
        let bead = Bead {
            id: id.clone(),
            title: title.clone(),
            status: crate::ledger::Status::Open.into(),
            priority,
            issue_type: issue_type.clone(),
            created_at: now.clone(),
            updated_at: now,
            description: req.description.clone().filter(|d| !d.is_empty()),
            assignee: req.assignee.clone().filter(|a| !a.is_empty()),
            created_by: Some(actor.clone()),
            ..Bead::default()
        };
        tx.insert_bead(&bead)?;
        for l in &labels {
            tx.add_label(&id, l)?;
        }
        if let Some(parent) = &req.parent {
            tx.add_dep(&new_dep(tx, &id, parent, "parent-child"))?;
        }
        Ok(tx.reader().require(&id)?)
    })
}

/// An edge stamped with the transaction's time and actor.
pub(crate) fn new_dep(tx: &Tx<'_>, issue: &str, target: &str, kind: &str) -> Dependency {
    Dependency {
        issue_id: issue.to_string(),
        depends_on_id: target.to_string(),
        kind: kind.to_string(),
        created_at: Some(tx.now().to_string()),
        created_by: Some(tx.actor().to_string()),
        extra: Default::default(),
    }
}

/// A bead with its relations and where it routes.
#[derive(Debug, Clone)]
pub struct BeadView {
    pub record: BeadRecord,
    pub dependents: Vec<Dependency>,
    pub rig: Option<RigConfig>,
    /// Open convoys tracking this bead.
    pub convoys: Vec<String>,
}

/// `[status] title` of a related bead, for a listing; None when this ledger lacks it.
pub fn brief(ctx: &Ctx, id: &str) -> Result<Option<(String, String)>> {
    Ok(ctx.reader().bead(id)?.map(|b| (b.status, b.title)))
}

pub fn show(ctx: &Ctx, id: &str) -> Result<BeadView> {
    let r = ctx.reader();
    require(ctx, &r, id)?;
    let record = r
        .record(id)?
        .ok_or_else(|| Error::not_found(format!("no bead {id:?}")))?;
    Ok(BeadView {
        dependents: r.dependents(id)?,
        rig: ctx.rig_for_prefix(prefix_of(id))?,
        convoys: r.convoys_tracking(id, false)?,
        record,
    })
}

/// `--rig <name>` as a prefix filter.
pub fn rig_prefix(ctx: &Ctx, rig: Option<&str>) -> Result<Option<String>> {
    rig.map(|name| Ok(ctx.town.rig(name)?.prefix)).transpose()
}

pub fn list(ctx: &Ctx, mut filter: ListFilter, rig: Option<&str>) -> Result<Vec<BeadSummary>> {
    let r = ctx.reader();
    for s in &filter.statuses {
        validate_status(&r, s)?;
    }
    for t in &filter.types {
        validate_type(&r, t)?;
    }
    filter.prefix = rig_prefix(ctx, rig)?;
    Ok(r.list(&filter)?)
}

pub fn ready(ctx: &Ctx, rig: Option<&str>, limit: Option<usize>) -> Result<Vec<BeadSummary>> {
    let prefix = rig_prefix(ctx, rig)?;
    Ok(ctx.reader().ready(&ReadyFilter { prefix, limit })?)
}

pub fn blocked(ctx: &Ctx, rig: Option<&str>) -> Result<Vec<BlockedBead>> {
    let prefix = rig_prefix(ctx, rig)?;
    Ok(ctx.reader().blocked(prefix.as_deref())?)
}

/// What a close or status change set in motion.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CloseOutcome {
    pub closed: Vec<String>,
    pub already_closed: Vec<String>,
    /// Agents whose hook held a bead closed with --force: freed, and told why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub freed: Vec<String>,
    /// Convoys that landed because of these closes.
    pub landed: Vec<String>,
}

pub fn update(ctx: &mut Ctx, id: &str, patch: BeadPatch) -> Result<(Bead, CloseOutcome)> {
    if patch.is_empty() {
        return Err(Error::invalid(
            "nothing to change: give at least one of --title, --description, --status, --priority, --assignee, --add-label, --remove-label",
        ));
    }
    let r = ctx.reader();
    require(ctx, &r, id)?;
    let title = patch.title.as_deref().map(validate_title).transpose()?;
    let status = patch
        .status
        .as_deref()
        .map(|s| validate_status(&r, s))
        .transpose()?;
    let priority = patch.priority.map(validate_priority).transpose()?;
    let issue_type = patch
        .issue_type
        .as_deref()
        .map(|t| validate_type(&r, t))
        .transpose()?;
    let add: Vec<String> = patch
        .add_labels
        .iter()
        .map(|l| validate_label(l))
        .collect::<Result<_>>()?;
    let remove: Vec<String> = patch
        .remove_labels
        .iter()
        .map(|l| validate_label(l))
        .collect::<Result<_>>()?;
    ctx.write(|tx| {
        let old = tx.reader().require(id)?;
        let mut new = old.clone();
        if let Some(t) = &title {
            new.title = t.clone();
        }
        if let Some(d) = &patch.description {
            new.description = Some(d.clone()).filter(|d| !d.is_empty());
        }
        if let Some(n) = &patch.notes {
            new.notes = Some(n.clone()).filter(|n| !n.is_empty());
        }
        if let Some(p) = priority {
            new.priority = p;
        }
        if let Some(t) = &issue_type {
            new.issue_type = t.clone();
        }
        if let Some(a) = &patch.assignee {
            new.assignee = Some(a.clone()).filter(|a| !a.is_empty());
        }
        let mut outcome = CloseOutcome::default();
        let status_change = status.as_ref().filter(|s| **s != old.status).cloned();
        if let Some(s) = &status_change
            && crate::ledger::is_done_status(s)
            && let Some(agent) = worker_of(&tx.reader(), &old)?
        {
            return Err(Error::invalid(format!(
                "{id} is on {}'s hook ({}); `gt unsling {id}` first, or `gt close --force {id}` (the agent is freed and told)",
                agent.address, old.status
            )));
        }
        if let Some(s) = &status_change {
            apply_status(tx, &mut new, s, None);
        }
        let event = if status_change.is_some() {
            "status_changed"
        } else {
            "updated"
        };
        tx.update_bead(&old, new, event)?;
        for l in &add {
            tx.add_label(id, l)?;
        }
        for l in &remove {
            tx.remove_label(id, l)?;
        }
        if let Some(s) = &status_change {
            after_status_change(tx, id, &old.status, s, &mut outcome)?;
        }
        Ok((tx.reader().require(id)?, outcome))
    })
}

/// Sets status and the fields that go with it (closed_at, close_reason).
fn apply_status(tx: &Tx<'_>, bead: &mut Bead, status: &str, reason: Option<&str>) {
    bead.status = status.to_string();
    if crate::ledger::is_done_status(status) {
        bead.closed_at = Some(tx.now().to_string());
        bead.close_reason = reason.map(str::to_string).or(bead.close_reason.take());
    } else {
        bead.closed_at = None;
        bead.close_reason = None;
    }
}

/// Convoy bookkeeping that follows a status change: landing on close, reopening on reopen.
fn after_status_change(
    tx: &mut Tx<'_>,
    id: &str,
    old: &str,
    new: &str,
    out: &mut CloseOutcome,
) -> Result<()> {
    let was_done = crate::ledger::is_done_status(old);
    let is_done = crate::ledger::is_done_status(new);
    if is_done && !was_done {
        queue::dequeue_in(tx, id, "closed")?;
        out.closed.push(id.to_string());
        out.landed.extend(convoy::land_if_complete(tx, id)?);
    } else if was_done && !is_done {
        convoy::reopen_landed_tracking(tx, id)?;
    }
    Ok(())
}

/// The agent working on `bead` (hooked or in progress, assigned to an agent that exists).
pub(crate) fn worker_of(
    r: &crate::ledger::Reader<'_>,
    bead: &Bead,
) -> Result<Option<super::agents::AgentInfo>> {
    if !crate::ledger::Status::of(&bead.status).is_worked() {
        return Ok(None);
    }
    match bead.assignee.as_deref() {
        Some(a) => super::agents::find(r, a),
        None => Ok(None),
    }
}

/// Closes one bead inside a transaction, with the convoy bookkeeping a close brings.
pub(crate) fn close_in(
    tx: &mut Tx<'_>,
    id: &str,
    reason: Option<&str>,
    out: &mut CloseOutcome,
) -> Result<()> {
    let old = tx.reader().require(id)?;
    if old.is_closed() {
        out.already_closed.push(id.to_string());
        return Ok(());
    }
    let mut new = old.clone();
    apply_status(tx, &mut new, crate::ledger::Status::Closed.as_str(), reason);
    tx.update_bead(&old, new, "closed")?;
    after_status_change(
        tx,
        id,
        &old.status,
        crate::ledger::Status::Closed.as_str(),
        out,
    )
}

pub fn reopen(ctx: &mut Ctx, id: &str) -> Result<Bead> {
    require(ctx, &ctx.reader(), id)?;
    ctx.write(|tx| {
        let old = tx.reader().require(id)?;
        if !old.is_closed() {
            return Err(Error::invalid(format!(
                "{id} is not closed (status {})",
                old.status
            )));
        }
        let mut new = old.clone();
        apply_status(tx, &mut new, crate::ledger::Status::Open.as_str(), None);
        let saved = tx.update_bead(&old, new, "reopened")?;
        let mut out = CloseOutcome::default();
        after_status_change(
            tx,
            id,
            &old.status,
            crate::ledger::Status::Open.as_str(),
            &mut out,
        )?;
        Ok(saved)
    })
}

pub fn comment(ctx: &mut Ctx, id: &str, text: &str) -> Result<crate::ledger::Comment> {
    if text.trim().is_empty() {
        return Err(Error::invalid("a comment needs text (it was empty)"));
    }
    require(ctx, &ctx.reader(), id)?;
    ctx.write(|tx| Ok(tx.add_comment(id, text)?))
}

fn validate_kind(kind: &str) -> Result<String> {
    let ok = !kind.is_empty()
        && kind.len() <= 64
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    if ok {
        Ok(kind.to_string())
    } else {
        Err(Error::invalid(format!(
            "invalid dependency type {kind:?}: use letters, digits, '-', '_' or ':' (e.g. blocks, parent-child, related)"
        )))
    }
}

/// `issue` depends on `target` with `kind`. Refuses unknown ids unless `allow_missing`
/// (for references into other ledgers), self-edges, and cycles of gating kinds.
pub fn dep_add(
    ctx: &mut Ctx,
    issue: &str,
    target: &str,
    kind: &str,
    allow_missing: bool,
) -> Result<bool> {
    let kind = validate_kind(kind)?;
    let r = ctx.reader();
    require(ctx, &r, issue)?;
    if issue == target {
        return Err(Error::invalid(format!("{issue} cannot depend on itself")));
    }
    if !allow_missing {
        require(ctx, &r, target)?;
    }
    ctx.write(|tx| {
        // Checked inside the write transaction, so two concurrent adds cannot close a cycle.
        if GATING_DEPS.contains(&kind.as_str())
            && let Some(path) = gating_path(&tx.reader(), target, issue)?
        {
            return Err(Error::invalid(format!(
                "adding {issue} → {target} ({kind}) would make a cycle: {target} already waits on {issue} via {}",
                path.join(" → ")
            )));
        }
        let d = new_dep(tx, issue, target, &kind);
        Ok(tx.add_dep(&d)?)
    })
}

/// A chain of gating dependencies from `from` to `to`, if one exists.
fn gating_path(r: &Reader<'_>, from: &str, to: &str) -> Result<Option<Vec<String>>> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![vec![from.to_string()]];
    while let Some(path) = stack.pop() {
        let last = path.last().cloned().unwrap_or_default();
        if last == to {
            return Ok(Some(path));
        }
        if !seen.insert(last.clone()) || seen.len() > 100_000 {
            continue;
        }
        for d in r.dependencies(&last)? {
            if GATING_DEPS.contains(&d.kind.as_str()) {
                let mut next = path.clone();
                next.push(d.depends_on_id);
                stack.push(next);
            }
        }
    }
    Ok(None)
}

pub fn dep_remove(ctx: &mut Ctx, issue: &str, target: &str, kind: Option<&str>) -> Result<usize> {
    require(ctx, &ctx.reader(), issue)?;
    let n = ctx.write(|tx| Ok(tx.remove_dep(issue, target, kind)?))?;
    if n == 0 {
        let what = kind.map(|k| format!(" of type {k:?}")).unwrap_or_default();
        return Err(Error::not_found(format!(
            "{issue} has no dependency on {target}{what}"
        )));
    }
    Ok(n)
}

pub struct DepList {
    pub dependencies: Vec<(Dependency, Option<Bead>)>,
    pub dependents: Vec<(Dependency, Option<Bead>)>,
}

pub fn dep_list(ctx: &Ctx, id: &str) -> Result<DepList> {
    let r = ctx.reader();
    require(ctx, &r, id)?;
    let with = |deps: Vec<Dependency>,
                other: fn(&Dependency) -> &str|
     -> Result<Vec<(Dependency, Option<Bead>)>> {
        deps.into_iter()
            .map(|d| {
                let b = r.bead(other(&d))?;
                Ok((d, b))
            })
            .collect()
    };
    Ok(DepList {
        dependencies: with(r.dependencies(id)?, |d| &d.depends_on_id)?,
        dependents: with(r.dependents(id)?, |d| &d.issue_id)?,
    })
}
