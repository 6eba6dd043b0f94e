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
     (SELECT group_concat(l.label, char(31)) FROM labels l WHERE l.issue_id = b.id)";

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
        // Two sequential scans (the covering status index, the deps key) and the rest in
        // memory: no per-edge lookups of the target bead.
        let mut unfinished: HashSet<String> = HashSet::new();
        let mut blocked: HashSet<String> = HashSet::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, status FROM beads WHERE status NOT IN ('closed', 'tombstone')",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if r.get_ref(1)?.as_str().unwrap_or_default() == "blocked" {
                blocked.insert(id.clone());
            }
            unfinished.insert(id);
        }
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT issue_id, depends_on_id, type FROM deps
             WHERE type IN ('blocks', 'conditional-blocks', 'waits-for', 'parent-child')",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let issue: String = r.get(0)?;
            let target: String = r.get(1)?;
            if r.get_ref(2)?.as_str().unwrap_or_default() == "parent-child" {
                children.entry(target).or_default().push(issue);
            } else if unfinished.contains(&target) {
                blocked.insert(issue);
            }
        }
        let mut queue: Vec<String> = blocked.iter().cloned().collect();
        while let Some(parent) = queue.pop() {
            for child in children.get(&parent).into_iter().flatten() {
                if blocked.insert(child.clone()) {
                    queue.push(child.clone());
                }
            }
        }
        Ok(blocked)
    }

    pub fn list(&self, f: &ListFilter) -> Result<Vec<BeadSummary>, LedgerError> {
        let mut wheres: Vec<String> = Vec::new();
        let mut args: Vec<SqlValue> = Vec::new();
        if !f.statuses.is_empty() {
            wheres.push(format!("b.status IN ({})", placeholders(f.statuses.len())));
            args.extend(f.statuses.iter().cloned().map(SqlValue::Text));
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
        let blocked = self.blocked_set()?;
        let infra = quoted_list(INFRA_TYPES);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM beads b
             WHERE b.status = 'open' AND b.pinned = 0 AND b.ephemeral = 0 AND b.is_template = 0
               AND b.issue_type NOT IN ({infra})
               AND (?1 IS NULL OR b.prefix = ?1)
               AND (b.defer_until IS NULL OR julianday(b.defer_until) IS NULL
                    OR julianday(b.defer_until) <= julianday('now'))
             ORDER BY b.priority, b.created_at, b.rowid"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([f.prefix.as_deref()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            if f.limit.is_some_and(|n| out.len() >= n) {
                break;
            }
            let id: String = r.get(0)?;
            if !blocked.contains(&id) {
                out.push(summary_from_row(r)?);
            }
        }
        Ok(out)
    }

    /// Unfinished beads that cannot proceed, with what holds each one up.
    pub fn blocked(&self, prefix: Option<&str>) -> Result<Vec<BlockedBead>, LedgerError> {
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
            if !blocked_by.is_empty() || bead.status == "blocked" {
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
