//! A bd issue file of any size: a realistic mix of statuses, types, labels, blocking and
//! parent-child edges, plus convoys tracking some of the beads. Lines are in the exact form
//! and order gt exports, so an import followed by an export gives the same bytes back.

use std::io::Write;
use std::path::Path;

/// A deterministic pseudo-random sequence (no extra dependency).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` beads with ids `<prefix>-<hex>` (sorted), then `convoys` convoys. `closed_percent`:
/// the share of closed beads (None: the mix of an active town, about 40% closed).
pub fn generate(path: &Path, prefix: &str, n: usize, convoys: usize, closed_percent: Option<u64>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mix = [
        "open",
        "open",
        "open",
        "closed",
        "closed",
        "closed",
        "closed",
        "in_progress",
        "hooked",
        "blocked",
    ];
    let unfinished = ["open", "open", "open", "in_progress", "hooked", "blocked"];
    let types = ["task", "task", "task", "bug", "feature", "chore", "epic"];
    // Convoys track unfinished beads: one whose beads are all closed would land on import
    // (a change of its own), and the export would no longer be the file imported.
    let mut unfinished_ids: Vec<usize> = Vec::new();
    for i in 0..n {
        let id = format!("{prefix}-{i:06x}");
        let status = match closed_percent {
            None => mix[rng.below(mix.len() as u64) as usize],
            Some(p) if rng.below(100) < p => "closed",
            Some(_) => unfinished[rng.below(unfinished.len() as u64) as usize],
        };
        if status != "closed" {
            unfinished_ids.push(i);
        }
        let closed = if status == "closed" {
            r#","closed_at":"2026-02-01T00:00:00Z""#
        } else {
            ""
        };
        let mut deps = Vec::new();
        if i > 10 && rng.below(4) == 0 {
            let target = format!("{prefix}-{:06x}", rng.below(i as u64));
            deps.push(format!(r#"{{"issue_id":"{id}","depends_on_id":"{target}","type":"blocks","created_at":"2026-01-01T00:00:00Z","created_by":"bench"}}"#));
        }
        if i > 10 && rng.below(8) == 0 {
            let parent = format!("{prefix}-{:06x}", rng.below(i as u64));
            deps.push(format!(r#"{{"issue_id":"{id}","depends_on_id":"{parent}","type":"parent-child","created_at":"2026-01-01T00:00:00Z","created_by":"bench"}}"#));
        }
        let deps = if deps.is_empty() {
            String::new()
        } else {
            format!(r#","dependencies":[{}]"#, deps.join(","))
        };
        let labels = match rng.below(3) {
            0 => String::new(),
            1 => r#","labels":["backend"]"#.to_string(),
            _ => r#","labels":["frontend","ux"]"#.to_string(),
        };
        writeln!(
            f,
            r#"{{"id":"{id}","title":"Generated work item number {i} with a realistic title","description":"Some words about what to do and why, long enough to look like a real description of a task that an agent would pick up and finish.","status":"{status}","priority":{p},"issue_type":"{t}","assignee":"rig/polecats/p{a}","created_at":"2026-01-01T00:00:00Z","created_by":"bench","updated_at":"2026-01-02T00:00:00Z"{closed}{labels}{deps}}}"#,
            p = rng.below(5),
            t = types[rng.below(types.len() as u64) as usize],
            a = rng.below(40),
        )
        .expect("write");
    }
    for c in 0..convoys {
        let id = format!("hq-cv-b{c:04}");
        // Twenty distinct beads (fewer when the town has fewer unfinished ones).
        let pool = if unfinished_ids.is_empty() {
            n
        } else {
            unfinished_ids.len()
        };
        let mut picks: Vec<usize> = Vec::new();
        while picks.len() < 20.min(pool) {
            let k = rng.below(pool as u64) as usize;
            let pick = if unfinished_ids.is_empty() {
                k
            } else {
                unfinished_ids[k]
            };
            if !picks.contains(&pick) {
                picks.push(pick);
            }
        }
        let tracks: Vec<String> = picks
            .iter()
            .map(|pick| {
                let t = format!("{prefix}-{pick:06x}");
                format!(r#"{{"issue_id":"{id}","depends_on_id":"{t}","type":"tracks"}}"#)
            })
            .collect();
        writeln!(
            f,
            r#"{{"id":"{id}","title":"Convoy {c}","status":"open","priority":2,"issue_type":"convoy","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","dependencies":[{}]}}"#,
            tracks.join(",")
        )
        .expect("write");
    }
}
