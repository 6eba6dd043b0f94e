//! The composed step graph: duplicate ids, dangling `needs`, cycles, and the running order.
//!
//! Everything is linear or n·log n with id maps, and nothing recurses, so a generated
//! formula with thousands of chained steps neither slows down nor overflows the stack.

use super::error::{FormulaError, Loc};
use super::resolved::StepRole;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// A step while composing: resolved text plus where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Legs and aspect items; folded into the description when resolved.
    pub focus: Option<String>,
    pub acceptance: Option<String>,
    pub needs: Vec<String>,
    pub role: StepRole,
    pub loc: Loc,
    /// Inserted by an aspect's advice: never matched by advice again.
    pub from_aspect: bool,
}

/// Check the graph and return node indices in running order: a step comes after all it
/// needs; among steps free at the same time, the earlier one in composition order goes first.
pub(crate) fn check_and_order(nodes: &[Node], formula: &Loc) -> Result<Vec<usize>, FormulaError> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if let Some(&first) = index.get(n.id.as_str()) {
            return Err(FormulaError::DuplicateStep {
                loc: n.loc.clone(),
                id: n.id.clone(),
                first: nodes[first].loc.clone(),
            });
        }
        index.insert(&n.id, i);
    }

    let mut needs: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let mut mine: Vec<usize> = Vec::with_capacity(n.needs.len());
        for need in &n.needs {
            let Some(&j) = index.get(need.as_str()) else {
                return Err(missing(n, need));
            };
            if !mine.contains(&j) {
                mine.push(j);
                dependents[j].push(i);
            }
        }
        needs.push(mine);
    }

    // Kahn's algorithm with a min-heap on position keeps composition order among ready steps.
    let mut waiting: Vec<usize> = needs.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> = waiting
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == 0)
        .map(|(i, _)| Reverse(i))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    if order.len() < nodes.len() {
        let cycle = find_cycle(&needs, &waiting);
        return Err(FormulaError::Cycle {
            // The earliest step of the cycle: where to start looking.
            loc: cycle
                .first()
                .map(|&i| nodes[i].loc.clone())
                .unwrap_or_else(|| formula.clone()),
            cycle: cycle.iter().map(|&i| nodes[i].id.clone()).collect(),
        });
    }
    Ok(order)
}

fn missing(n: &Node, need: &str) -> FormulaError {
    let (owner, relation, expected) = match n.role {
        StepRole::Synthesis => (format!("synthesis `{}`", n.id), "depends on", "a leg"),
        _ => (format!("step `{}`", n.id), "needs", "a step"),
    };
    FormulaError::MissingStep {
        loc: n.loc.clone(),
        owner,
        relation,
        missing: need.to_string(),
        expected,
    }
}

/// Called when Kahn's algorithm stalled: every step still waiting needs another waiting step,
/// so walking "needs" from the earliest waiting step must come back round. Returned in running
/// order (each needs the previous), starting at its earliest step, first repeated at the end.
fn find_cycle(needs: &[Vec<usize>], waiting: &[usize]) -> Vec<usize> {
    let Some(start) = (0..needs.len()).find(|&i| waiting[i] > 0) else {
        return Vec::new();
    };
    let mut seen_at: HashMap<usize, usize> = HashMap::new();
    let mut path = Vec::new();
    let mut at = start;
    let cycle_start = loop {
        if let Some(&pos) = seen_at.get(&at) {
            break pos;
        }
        seen_at.insert(at, path.len());
        path.push(at);
        match needs[at].iter().copied().find(|&j| waiting[j] > 0) {
            Some(next) => at = next,
            None => return vec![at],
        }
    };
    // `path` follows "needs"; running order is the reverse.
    let mut cycle: Vec<usize> = path[cycle_start..].iter().rev().copied().collect();
    if let Some(min_pos) = cycle
        .iter()
        .enumerate()
        .min_by_key(|(_, i)| **i)
        .map(|(p, _)| p)
    {
        cycle.rotate_left(min_pos);
    }
    if let Some(&first) = cycle.first() {
        cycle.push(first);
    }
    cycle
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn node(id: &str, needs: &[&str]) -> Node {
        Node {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            focus: None,
            acceptance: None,
            needs: needs.iter().map(|s| s.to_string()).collect(),
            role: StepRole::Step,
            loc: Loc::file(&Arc::from("t")),
            from_aspect: false,
        }
    }

    fn ids(nodes: &[Node]) -> Vec<&str> {
        check_and_order(nodes, &Loc::file(&Arc::from("t")))
            .unwrap()
            .into_iter()
            .map(|i| nodes[i].id.as_str())
            .collect()
    }

    #[test]
    fn keeps_file_order_among_ready_steps() {
        let nodes = [
            node("c", &["a"]),
            node("a", &[]),
            node("b", &[]),
            node("d", &["c", "b"]),
        ];
        assert_eq!(ids(&nodes), ["a", "c", "b", "d"]);
    }

    #[test]
    fn names_the_cycle_in_running_order() {
        let nodes = [
            node("x", &[]),
            node("a", &["c", "x"]),
            node("b", &["a"]),
            node("c", &["b"]),
            node("z", &["c"]),
        ];
        let err = check_and_order(&nodes, &Loc::file(&Arc::from("t"))).unwrap_err();
        match err {
            FormulaError::Cycle { cycle, .. } => assert_eq!(cycle, ["a", "b", "c", "a"]),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn self_need_is_a_cycle() {
        let nodes = [node("a", &["a"])];
        let err = check_and_order(&nodes, &Loc::file(&Arc::from("t"))).unwrap_err();
        assert!(err.to_string().contains("a → a"), "{err}");
    }

    #[test]
    fn long_chain_does_not_recurse() {
        let mut nodes = vec![node("s0", &[])];
        for i in 1..50_000 {
            nodes.push(node(&format!("s{i}"), &[&format!("s{}", i - 1)]));
        }
        assert_eq!(ids(&nodes).len(), 50_000);
    }
}
