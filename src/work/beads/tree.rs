//! A bead with what it depends on and what depends on it, a few levels deep, for `gt bead
//! tree` and the workspace's details view.

use crate::Result;
use crate::work::Ctx;
use std::collections::BTreeSet;

/// One bead at the end of a dependency, and the ones beyond it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TreeNode {
    pub id: String,
    /// The dependency's kind (blocks, parent-child, related, …).
    pub kind: String,
    pub title: Option<String>,
    pub status: Option<String>,
    pub children: Vec<TreeNode>,
    /// Already shown higher up (a cycle or a shared dependency): not expanded again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub seen: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BeadTree {
    pub id: String,
    pub title: String,
    pub status: String,
    pub issue_type: String,
    pub priority: i64,
    pub description: Option<String>,
    pub rig: Option<String>,
    pub depends_on: Vec<TreeNode>,
    pub depended_on_by: Vec<TreeNode>,
}

/// Deepest a tree goes.
pub const MAX_DEPTH: usize = 5;

/// The bead `id` with its dependencies and dependents, `depth` levels each way.
pub fn tree(ctx: &Ctx, id: &str, depth: usize) -> Result<BeadTree> {
    let r = ctx.reader();
    let b = super::require(ctx, &r, id)?;
    let depth = depth.clamp(1, MAX_DEPTH);
    let mut seen = BTreeSet::from([b.id.clone()]);
    let depends_on = walk(ctx, &b.id, depth, true, &mut seen)?;
    let mut seen = BTreeSet::from([b.id.clone()]);
    let depended_on_by = walk(ctx, &b.id, depth, false, &mut seen)?;
    Ok(BeadTree {
        rig: ctx
            .rig_for_prefix(crate::ledger::prefix_of(&b.id))?
            .map(|r| r.name),
        id: b.id,
        title: b.title,
        status: b.status,
        issue_type: b.issue_type,
        priority: b.priority,
        description: b.description,
        depends_on,
        depended_on_by,
    })
}

fn walk(
    ctx: &Ctx,
    id: &str,
    depth: usize,
    down: bool,
    seen: &mut BTreeSet<String>,
) -> Result<Vec<TreeNode>> {
    let r = ctx.reader();
    let edges: Vec<(String, String)> = if down {
        r.dependencies(id)?
            .into_iter()
            .map(|d| (d.depends_on_id, d.kind))
            .collect()
    } else {
        r.dependents(id)?
            .into_iter()
            .map(|d| (d.issue_id, d.kind))
            .collect()
    };
    let mut out = Vec::new();
    for (other, kind) in edges {
        let brief = super::brief(ctx, &other)?;
        let again = !seen.insert(other.clone());
        let children = if again || depth <= 1 {
            Vec::new()
        } else {
            walk(ctx, &other, depth - 1, down, seen)?
        };
        out.push(TreeNode {
            id: other,
            kind,
            status: brief.as_ref().map(|(s, _)| s.clone()),
            title: brief.map(|(_, t)| t),
            children,
            seen: again,
        });
    }
    Ok(out)
}

impl BeadTree {
    /// The tree as text: the bead, then each direction drawn with branches.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} [{}] P{} {} — {}",
            self.id, self.status, self.priority, self.issue_type, self.title
        )];
        for (heading, nodes) in [
            ("depends on", &self.depends_on),
            ("depended on by", &self.depended_on_by),
        ] {
            if nodes.is_empty() {
                out.push(format!("{heading}: nothing"));
                continue;
            }
            out.push(format!("{heading}:"));
            draw(nodes, "", &mut out);
        }
        out
    }
}

fn draw(nodes: &[TreeNode], indent: &str, out: &mut Vec<String>) {
    for (i, n) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        let (branch, more) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        out.push(format!(
            "{indent}{branch}{} {} [{}] {}{}",
            n.kind,
            n.id,
            n.status.as_deref().unwrap_or("?"),
            n.title.as_deref().unwrap_or("(not in this ledger)"),
            if n.seen { " (shown above)" } else { "" }
        ));
        draw(&n.children, &format!("{indent}{more}"), out);
    }
}
