//! The hot list queries: filtered lists, ready work, blocked work (DESIGN.md §4).

use super::LedgerError;
use super::bead::{INFRA_TYPES, is_done_status};
use super::read::Reader;
use rusqlite::types::Value as SqlValue;
use std::collections::{HashMap, HashSet};

/// Just what a list shows; cheaper than a whole bead.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BeadSummary {
    pub id: String,
    pub title: String,
    pub status: String,
    pub priority: i64,
    pub issue_type: String,
    pub assignee: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these statuses (empty: every status but closed, unless `include_closed`).
    pub statuses: Vec<String>,
    pub types: Vec<String>,
    pub assignee: Option<String>,
    pub label: Option<String>,
    pub prefix: Option<String>,
    /// Closed beads, ephemeral beads and mail too.
    pub all: bool,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct ReadyFilter {
    pub prefix: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlockedBead {
    pub bead: BeadSummary,
    /// Open beads this one waits on directly.
    pub blocked_by: Vec<String>,
    /// Set when the bead is blocked because its parent is.
    pub blocked_parent: Option<String>,
}

const SUMMARY_COLUMNS: &str = "b.id, b.title, b.status, b.priority, b.issue_type, b.assignee, \
     b.created_at, b.updated_at, b.closed_at, \
     (SELECT group_concat(l.label, char(31)) FROM labels l WHERE l.issue_id = b.id), b.rowid";

/// `SUMMARY_COLUMNS` without the labels (NULL in their place), for queries that drop many
/// rows after reading them: the labels are then read only for the rows kept.
const SUMMARY_COLUMNS_NO_LABELS: &str = "b.id, b.title, b.status, b.priority, b.issue_type, \
     b.assignee, b.created_at, b.updated_at, b.closed_at, NULL, b.rowid";

/// Up to this many rows, `ready` asks each candidate whether it is blocked.
const LAZY_BLOCKED_LIMIT: usize = 200;

/// How `ready` knows what is blocked: the whole set, or bead by bead with remembered answers.
enum Blocked {
    All(HashSet<String>),
    Lazy(HashMap<String, bool>),
}

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BeadSummary> {
    let labels: Option<String> = r.get(9)?;
    Ok(BeadSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        status: r.get(2)?,
        priority: r.get(3)?,
        issue_type: r.get(4)?,
        assignee: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        closed_at: r.get(8)?,
        labels: labels
            .map(|s| s.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Reader<'_> {
    /// Beads that cannot proceed: an open gating blocker (`blocks`, `conditional-blocks`,
    /// `waits-for`), an explicit `blocked` status, or a blocked parent (followed down
    /// `parent-child` edges). Computed in a few index scans rather than a recursive SQL
    /// query, which SQLite plans poorly at ledger sizes of 10k+.
    pub fn blocked_set(&self) -> Result<HashSet<String>, LedgerError> {
        let t0 = std::time::Instant::now();
        let mut blocked: HashSet<String> = HashSet::new();
        // The directly blocked: gating edges whose target is in the ledger and unfinished
        // (`target_open`, kept current on every write), and beads marked `blocked`.
        let mut stmt = self.conn.prepare_cached(
            "SELECT issue_id FROM deps
              WHERE target_open = 1 AND type IN ('blocks', 'conditional-blocks', 'waits-for')
             UNION ALL SELECT id FROM beads
              WHERE status = 'blocked' AND status NOT IN ('closed', 'tombstone')",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            blocked.insert(r.get(0)?);
        }
        tracing::debug!(n = blocked.len(), t = ?t0.elapsed(), "direct blockers");
        if blocked.is_empty() {
            return Ok(blocked);
        }
        // Down the parent-child edges from each blocked bead, by index: the cost follows the
        // blocked set, not the number of edges in the ledger. The first level in one
        // statement (its seeks stay inside SQLite); deeper levels, usually few, bead by bead.
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.issue_id FROM deps c
              WHERE c.type = 'parent-child' AND c.depends_on_id IN (
                    SELECT issue_id FROM deps
                     WHERE target_open = 1 AND type IN ('blocks', 'conditional-blocks', 'waits-for')
                    UNION ALL SELECT id FROM beads
                     WHERE status = 'blocked' AND status NOT IN ('closed', 'tombstone'))",
        )?;
        let mut queue: Vec<String> = Vec::new();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let child: String = r.get(0)?;
            if blocked.insert(child.clone()) {
                queue.push(child);
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT issue_id FROM deps WHERE depends_on_id = ?1 AND type = 'parent-child'",
        )?;
        while let Some(parent) = queue.pop() {
            let mut rows = stmt.query([&parent])?;
            while let Some(r) = rows.next()? {
                let child: String = r.get(0)?;
                if blocked.insert(child.clone()) {
                    queue.push(child);
                }
            }
        }
        tracing::debug!(n = blocked.len(), t = ?t0.elapsed(), "blocked set");
        Ok(blocked)
    }

    /// Whether `id` is in the blocked set (`blocked_set`), asked of this bead alone: directly
    /// blocked, or below a blocked parent (up its parent-child edges). `memo` keeps answers
    /// across calls, so shared ancestors are looked at once.
    pub fn is_blocked(
        &self,
        id: &str,
        memo: &mut HashMap<String, bool>,
    ) -> Result<bool, LedgerError> {
        Ok(self.blocked_walk(id, memo, &mut HashSet::new())?.0)
    }

    /// (blocked, whether the answer leaned on a bead still being asked — a parent-child
    /// cycle: such a "no" is not remembered, since that bead may yet turn out blocked).
    fn blocked_walk(
        &self,
        id: &str,
        memo: &mut HashMap<String, bool>,
        asking: &mut HashSet<String>,
    ) -> Result<(bool, bool), LedgerError> {
        if let Some(b) = memo.get(id) {
            return Ok((*b, false));
        }
        if !asking.insert(id.to_string()) {
            return Ok((false, true));
        }
        let direct = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM deps
                                 WHERE issue_id = ?1 AND target_open = 1
                                   AND type IN ('blocks', 'conditional-blocks', 'waits-for'))
                     OR EXISTS (SELECT 1 FROM beads WHERE id = ?1 AND status = 'blocked')",
            )?
            .query_row([id], |r| r.get::<_, bool>(0))?;
        let (mut blocked, mut leaned) = (direct, false);
        if !blocked {
            let parents: Vec<String> = {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT depends_on_id FROM deps WHERE issue_id = ?1 AND type = 'parent-child'",
                )?;
                let rows = stmt.query_map([id], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for p in parents {
                let (b, l) = self.blocked_walk(&p, memo, asking)?;
                leaned |= l;
                if b {
                    blocked = true;
                    break;
                }
            }
        }
        asking.remove(id);
        if blocked || !leaned {
            memo.insert(id.to_string(), blocked);
        }
        Ok((blocked, leaned && !blocked))
    }

    pub fn list(&self, f: &ListFilter) -> Result<Vec<BeadSummary>, LedgerError> {
        let mut wheres: Vec<String> = Vec::new();
        let mut args: Vec<SqlValue> = Vec::new();
        if !f.statuses.is_empty() {
            wheres.push(format!("b.status IN ({})", placeholders(f.statuses.len())));
            args.extend(f.statuses.iter().cloned().map(SqlValue::Text));
            // Only unfinished statuses: the index of open beads serves them (its condition
            // repeated so SQLite sees it applies).
            if !f.statuses.iter().any(|s| is_done_status(s)) {
                wheres.push("b.status NOT IN ('closed', 'tombstone')".into());
            }
        } else if !f.all {
            wheres.push("b.status NOT IN ('closed', 'tombstone')".into());
        }
        if !f.types.is_empty() {
            wheres.push(format!("b.issue_type IN ({})", placeholders(f.types.len())));
            args.extend(f.types.iter().cloned().map(SqlValue::Text));
        } else if !f.all {
            // Mail has its own commands; it would drown the work in a list.
            wheres.push("b.issue_type <> 'message'".into());
        }
        if !f.all {
            wheres.push("b.ephemeral = 0".into());
        }
        if let Some(a) = &f.assignee {
            wheres.push("b.assignee = ?".into());
            args.push(SqlValue::Text(a.clone()));
        }
        if let Some(l) = &f.label {
            wheres.push(
                "EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = b.id AND l.label = ?)".into(),
            );
            args.push(SqlValue::Text(l.clone()));
        }
        if let Some(p) = &f.prefix {
            wheres.push("b.prefix = ?".into());
            args.push(SqlValue::Text(p.clone()));
        }
        let where_sql = if wheres.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wheres.join(" AND "))
        };
        let limit = f.limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM beads b {where_sql}
             ORDER BY b.priority, b.created_at, b.rowid{limit}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), summary_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ready work: open, not pinned, not ephemeral, not a template, not machinery, not
    /// deferred into the future, and not in the blocked set.
    pub fn ready(&self, f: &ReadyFilter) -> Result<Vec<BeadSummary>, LedgerError> {
        self.snapshot(|r| r.ready_in_snapshot(f))
    }

    fn ready_in_snapshot(&self, f: &ReadyFilter) -> Result<Vec<BeadSummary>, LedgerError> {
        let t0 = std::time::Instant::now();
        // A short list (`--limit`) asks each candidate, in order, whether it is blocked —
        // a few index seeks each — instead of computing the whole blocked set, whose cost
        // follows every blocked bead in the ledger.
        let mut blocked = match f.limit {
            Some(n) if n <= LAZY_BLOCKED_LIMIT => Blocked::Lazy(HashMap::new()),
            _ => Blocked::All(self.blocked_set()?),
        };
        let t_blocked = t0.elapsed();
        let infra = quoted_list(INFRA_TYPES);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS_NO_LABELS} FROM beads b
             WHERE b.status = 'open' AND b.status NOT IN ('closed', 'tombstone') AND b.pinned = 0 AND b.ephemeral = 0 AND b.is_template = 0
               AND b.issue_type NOT IN ({infra})
               AND (?1 IS NULL OR b.prefix = ?1)
               AND (b.defer_until IS NULL OR julianday(b.defer_until) IS NULL
                    OR julianday(b.defer_until) <= julianday('now'))
             ORDER BY b.priority, b.created_at, b.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([f.prefix.as_deref()])?;
        // Rows arrive in index order (priority, created_at, id); ties within one second go in
        // creation order (rowid). Each tie group is read whole (index only), put in that
        // order, and only then asked what is blocked, so a short list stops early.
        let limit = f.limit.unwrap_or(usize::MAX);
        let mut out: Vec<BeadSummary> = Vec::new();
        let mut group: Vec<(i64, BeadSummary)> = Vec::new();
        let mut take_group = |group: &mut Vec<(i64, BeadSummary)>,
                              out: &mut Vec<BeadSummary>|
         -> Result<(), LedgerError> {
            group.sort_by_key(|(rowid, _)| *rowid);
            for (_, s) in group.drain(..) {
                if out.len() >= limit {
                    break;
                }
                let is_blocked = match &mut blocked {
                    Blocked::All(set) => set.contains(&s.id),
                    Blocked::Lazy(memo) => self.is_blocked(&s.id, memo)?,
                };
                if !is_blocked {
                    out.push(s);
                }
            }
            Ok(())
        };
        while let Some(r) = rows.next()? {
            let s = summary_from_row(r)?;
            if let Some((_, first)) = group.first()
                && (first.priority, &first.created_at) != (s.priority, &s.created_at)
            {
                take_group(&mut group, &mut out)?;
                if out.len() >= limit {
                    break;
                }
            }
            group.push((r.get(10)?, s));
        }
        if out.len() < limit {
            take_group(&mut group, &mut out)?;
        }
        let mut labels = self.conn.prepare_cached(
            "SELECT group_concat(label, char(31)) FROM labels WHERE issue_id = ?1",
        )?;
        for s in &mut out {
            let joined: Option<String> = labels.query_row([&s.id], |r| r.get(0))?;
            s.labels = joined
                .map(|j| j.split('\u{1f}').map(str::to_string).collect())
                .unwrap_or_default();
        }
        tracing::debug!(blocked = ?t_blocked, total = ?t0.elapsed(), rows = out.len(), "ready query");
        Ok(out)
    }

    /// Unfinished beads that cannot proceed, with what holds each one up.
    pub fn blocked(&self, prefix: Option<&str>) -> Result<Vec<BlockedBead>, LedgerError> {
        self.snapshot(|r| r.blocked_in_snapshot(prefix))
    }

    fn blocked_in_snapshot(&self, prefix: Option<&str>) -> Result<Vec<BlockedBead>, LedgerError> {
        let blocked = self.blocked_set()?;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM beads b
             WHERE b.status NOT IN ('closed', 'tombstone') AND (?1 IS NULL OR b.prefix = ?1)
             ORDER BY b.priority, b.created_at, b.rowid"
        );
        let mut beads: Vec<BeadSummary> = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([prefix])?;
            while let Some(r) = rows.next()? {
                if blocked.contains(&r.get::<_, String>(0)?) {
                    beads.push(summary_from_row(r)?);
                }
            }
        }
        let mut out = Vec::with_capacity(beads.len());
        for bead in beads {
            let mut blocked_by = Vec::new();
            let mut blocked_parent = None;
            for dep in self.dependencies(&bead.id)? {
                let target = self.bead(&dep.depends_on_id)?;
                let open = target.as_ref().is_some_and(|t| !is_done_status(&t.status));
                match dep.kind.as_str() {
                    "blocks" | "conditional-blocks" | "waits-for" if open => {
                        blocked_by.push(dep.depends_on_id.clone())
                    }
                    "parent-child" if target.is_some() => {
                        blocked_parent = Some(dep.depends_on_id.clone())
                    }
                    _ => {}
                }
            }
            if !blocked_by.is_empty() || bead.status == crate::ledger::Status::Blocked {
                blocked_parent = None;
            }
            out.push(BlockedBead {
                bead,
                blocked_by,
                blocked_parent,
            });
        }
        Ok(out)
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use crate::ledger::{Bead, Dependency, Ledger};
    use std::collections::{HashMap, HashSet};
    use std::time::Duration;

    /// The blocked set recomputed from statuses alone, ignoring `deps.target_open`.
    fn from_scratch(l: &Ledger) -> HashSet<String> {
        let conn = l.reader().conn;
        let mut status: HashMap<String, String> = HashMap::new();
        let mut stmt = conn
            .prepare("SELECT id, status FROM beads")
            .expect("prepare");
        for row in stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
        {
            let (id, s): (String, String) = row.expect("row");
            status.insert(id, s);
        }
        let mut edges: Vec<(String, String, String)> = Vec::new();
        let mut stmt = conn
            .prepare("SELECT issue_id, depends_on_id, type FROM deps")
            .expect("prepare");
        for row in stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
        {
            edges.push(row.expect("row"));
        }
        let mut blocked: HashSet<String> = status
            .iter()
            .filter(|(_, s)| crate::ledger::Status::of(s) == crate::ledger::Status::Blocked)
            .map(|(i, _)| i.clone())
            .collect();
        for (issue, target, kind) in &edges {
            let open = status
                .get(target)
                .is_some_and(|s| !crate::ledger::Status::of(s).is_done());
            if open && ["blocks", "conditional-blocks", "waits-for"].contains(&kind.as_str()) {
                blocked.insert(issue.clone());
            }
        }
        loop {
            let before = blocked.len();
            for (issue, target, kind) in &edges {
                if kind == "parent-child" && blocked.contains(target) {
                    blocked.insert(issue.clone());
                }
            }
            if blocked.len() == before {
                return blocked;
            }
        }
    }

    #[test]
    fn the_maintained_blocked_set_matches_a_recomputation_after_random_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(&dir.path().join("l.db"), Duration::from_secs(1)).expect("open");
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let statuses = [
            "open",
            "closed",
            "in_progress",
            "blocked",
            "hooked",
            "tombstone",
        ];
        let kinds = [
            "blocks",
            "parent-child",
            "waits-for",
            "related",
            "conditional-blocks",
        ];
        let id = |i: u64| format!("t-{i:03}");
        for step in 0..600 {
            let op = next(4);
            l.write("test", |tx| -> Result<(), crate::ledger::LedgerError> {
                match op {
                    // Create a bead (possibly one that dangling edges already point at).
                    0 => {
                        let i = next(60);
                        if tx.reader().bead(&id(i))?.is_none() {
                            tx.insert_bead(&Bead {
                                id: id(i),
                                title: "x".into(),
                                status: statuses[next(6) as usize].into(),
                                priority: 2,
                                issue_type: "task".into(),
                                created_at: "2026-01-01T00:00:00Z".into(),
                                updated_at: "2026-01-01T00:00:00Z".into(),
                                ..Bead::default()
                            })?;
                        }
                    }
                    // Change a status.
                    1 => {
                        if let Some(old) = tx.reader().bead(&id(next(60)))? {
                            let mut new = old.clone();
                            new.status = statuses[next(6) as usize].into();
                            tx.update_bead(&old, new, "status_changed")?;
                        }
                    }
                    // Add an edge (the target may not exist yet).
                    2 => {
                        let (a, b) = (next(60), next(60));
                        if a != b {
                            tx.add_dep(&Dependency {
                                issue_id: id(a),
                                depends_on_id: id(b),
                                kind: kinds[next(5) as usize].into(),
                                created_at: None,
                                created_by: None,
                                extra: Default::default(),
                            })?;
                        }
                    }
                    _ => {
                        tx.remove_dep(&id(next(60)), &id(next(60)), None)?;
                    }
                }
                Ok(())
            })
            .expect("write");
            if step % 50 == 49 {
                let expected = from_scratch(&l);
                assert_eq!(
                    l.reader().blocked_set().expect("blocked"),
                    expected,
                    "after step {step}"
                );
                // Asked bead by bead (what a short `ready` does), in two orders, with the
                // answers remembered across the asks: the same set.
                let mut ids: Vec<String> = (0..60).map(id).collect();
                for pass in 0..2 {
                    if pass == 1 {
                        ids.reverse();
                    }
                    let mut memo = HashMap::new();
                    for i in &ids {
                        assert_eq!(
                            l.reader().is_blocked(i, &mut memo).expect("ask"),
                            expected.contains(i),
                            "{i} after step {step}, pass {pass}"
                        );
                    }
                }
            }
        }
    }
}
