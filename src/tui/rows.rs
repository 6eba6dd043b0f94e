//! The rows of each list pane, derived from the snapshot (and the filter). Update and view
//! both use these, so a selection always means the row the person sees.

use super::state::{PaneId, State};
use crate::work::views::snapshot::TownSnapshot;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    /// A rig (or the town's own agents) heading, with its agent count.
    Rig(String, usize),
    Role(String),
    Agent(usize),
    Convoy(usize),
    /// (convoy, tracked bead) indexes.
    Tracked(usize, usize),
    Hook(usize),
    Mail(usize),
    Feed(usize),
    Attention(usize),
    Queue(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The selection key; None for headings, which cannot be selected.
    pub key: Option<String>,
    pub kind: RowKind,
}

fn role_rank(role: &str) -> usize {
    ["mayor", "deacon", "witness", "refinery", "crew", "polecat"]
        .iter()
        .position(|r| *r == role)
        .unwrap_or(9)
}

fn role_heading(role: &str) -> String {
    match role {
        "polecat" => "polecats".into(),
        "crew" => "crew".into(),
        other => other.to_string(),
    }
}

/// The text a filter is matched against.
pub fn row_text(s: &TownSnapshot, kind: &RowKind) -> String {
    match kind {
        RowKind::Rig(r, _) => r.clone(),
        RowKind::Role(r) => r.clone(),
        RowKind::Agent(i) => s
            .agents
            .get(*i)
            .map(|a| {
                format!(
                    "{} {} {} {}",
                    a.address,
                    a.session,
                    a.hook.as_deref().unwrap_or(""),
                    a.hook_title.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default(),
        RowKind::Convoy(i) => s
            .convoys
            .get(*i)
            .map(|c| format!("{} {}", c.id, c.title))
            .unwrap_or_default(),
        RowKind::Tracked(c, t) => s
            .convoys
            .get(*c)
            .and_then(|c| c.tracked.get(*t))
            .map(|b| {
                format!(
                    "{} {} {}",
                    b.id,
                    b.title.as_deref().unwrap_or(""),
                    b.assignee.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default(),
        RowKind::Hook(i) => s
            .hooks
            .get(*i)
            .map(|h| {
                format!(
                    "{} {} {} {}",
                    h.agent,
                    h.bead.as_deref().unwrap_or(""),
                    h.title.as_deref().unwrap_or(""),
                    h.branch.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default(),
        RowKind::Mail(i) => s
            .mail
            .get(*i)
            .map(|m| format!("{} {} {}", m.id, m.from, m.subject))
            .unwrap_or_default(),
        RowKind::Feed(i) => s
            .feed
            .get(*i)
            .map(|f| format!("{} {} {}", f.actor, f.kind, f.text))
            .unwrap_or_default(),
        RowKind::Attention(i) => s
            .attention
            .get(*i)
            .map(|a| a.text.clone())
            .unwrap_or_default(),
        RowKind::Queue(i) => s
            .queue
            .get(*i)
            .map(|q| {
                format!(
                    "{} {} {} {} {}",
                    q.id,
                    q.state.word(),
                    q.source_bead.as_deref().unwrap_or(""),
                    q.worker.as_deref().unwrap_or(""),
                    q.detail
                )
            })
            .unwrap_or_default(),
    }
}

pub fn rows(state: &State, pane: PaneId) -> Vec<Row> {
    let s = &state.snapshot;
    let all = match pane {
        PaneId::Agents => agent_rows(s),
        PaneId::Convoys => convoy_rows(state),
        PaneId::Hooks => (0..s.hooks.len())
            .map(|i| Row {
                key: Some(s.hooks[i].agent.clone()),
                kind: RowKind::Hook(i),
            })
            .collect(),
        PaneId::Mail => (0..s.mail.len())
            .map(|i| Row {
                key: Some(s.mail[i].id.clone()),
                kind: RowKind::Mail(i),
            })
            .collect(),
        // Newest first.
        PaneId::Feed => (0..s.feed.len())
            .rev()
            .map(|i| Row {
                key: Some(s.feed[i].id.to_string()),
                kind: RowKind::Feed(i),
            })
            .collect(),
        PaneId::Attention => (0..s.attention.len())
            .map(|i| Row {
                key: Some(format!(
                    "{:?}:{}",
                    s.attention[i].kind, s.attention[i].subject
                )),
                kind: RowKind::Attention(i),
            })
            .collect(),
        PaneId::Queue => (0..s.queue.len())
            .map(|i| Row {
                key: Some(s.queue[i].id.clone()),
                kind: RowKind::Queue(i),
            })
            .collect(),
        PaneId::Preview | PaneId::Mayor => Vec::new(),
    };
    let filter = state.cursor(pane).filter.to_lowercase();
    if filter.is_empty() {
        return all;
    }
    filtered(s, all, &filter)
}

/// Keeps matching rows; a heading stays when something under it matches.
fn filtered(s: &TownSnapshot, all: Vec<Row>, filter: &str) -> Vec<Row> {
    let matches = |r: &Row| row_text(s, &r.kind).to_lowercase().contains(filter);
    let mut out: Vec<Row> = Vec::new();
    let mut headings: Vec<Row> = Vec::new();
    for r in all {
        match r.kind {
            RowKind::Rig(..) => {
                headings.clear();
                headings.push(r);
            }
            RowKind::Role(_) => {
                headings.truncate(1);
                headings.push(r);
            }
            _ if matches(&r) => {
                out.append(&mut headings);
                out.push(r);
            }
            _ => {}
        }
    }
    out
}

fn agent_rows(s: &TownSnapshot) -> Vec<Row> {
    // Built for every key and frame: no string copied per comparison, one count per rig.
    let rig_of = |i: usize| s.agents[i].rig.as_deref().unwrap_or("");
    let mut idx: Vec<usize> = (0..s.agents.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&s.agents[a], &s.agents[b]);
        (rig_of(a), role_rank(&x.role), &x.name).cmp(&(rig_of(b), role_rank(&y.role), &y.name))
    });
    let mut per_rig: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for i in 0..s.agents.len() {
        *per_rig.entry(rig_of(i)).or_default() += 1;
    }
    let mut rows = Vec::with_capacity(s.agents.len() + 2 * per_rig.len());
    let mut rig: Option<&str> = None;
    let mut role: Option<&str> = None;
    for i in idx {
        let a = &s.agents[i];
        let r = rig_of(i);
        if rig != Some(r) {
            let count = per_rig.get(r).copied().unwrap_or(0);
            let name = if r.is_empty() {
                "town".to_string()
            } else {
                r.to_string()
            };
            rows.push(Row {
                key: None,
                kind: RowKind::Rig(name, count),
            });
            rig = Some(r);
            role = None;
        }
        if role != Some(a.role.as_str()) {
            if !r.is_empty() {
                rows.push(Row {
                    key: None,
                    kind: RowKind::Role(role_heading(&a.role)),
                });
            }
            role = Some(a.role.as_str());
        }
        rows.push(Row {
            key: Some(a.address.clone()),
            kind: RowKind::Agent(i),
        });
    }
    rows
}

fn convoy_rows(state: &State) -> Vec<Row> {
    let s = &state.snapshot;
    let mut rows = Vec::new();
    for (ci, c) in s.convoys.iter().enumerate() {
        rows.push(Row {
            key: Some(c.id.clone()),
            kind: RowKind::Convoy(ci),
        });
        if state.expanded.contains(&c.id) {
            for (ti, t) in c.tracked.iter().enumerate() {
                rows.push(Row {
                    key: Some(format!("{}/{}", c.id, t.id)),
                    kind: RowKind::Tracked(ci, ti),
                });
            }
        }
    }
    rows
}

/// Index of the selected row (or the first selectable one).
pub fn selected_index(rows: &[Row], selected: Option<&str>) -> Option<usize> {
    selected
        .and_then(|k| rows.iter().position(|r| r.key.as_deref() == Some(k)))
        // The mayor has a pane of its own: until the person picks, Preview shows another.
        .or_else(|| {
            rows.iter()
                .position(|r| r.key.is_some() && r.key.as_deref() != Some("mayor"))
        })
        .or_else(|| rows.iter().position(|r| r.key.is_some()))
}
