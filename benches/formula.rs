//! Formulas: parse + compose + pour a generated 1,000-step formula, whole process
//! (DESIGN.md §12 sets no row for it; issue 6 sets ≤ 100 ms), and parse + compose alone.
//!
//! `cargo bench --bench formula`
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{gt, report_timings};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const STEPS: usize = 1_000;
const RUNS: usize = 15;

/// A chain with fan-in every tenth step, variables in every title, and an extends of a
/// small parent, so composition has something to do.
fn generated() -> String {
    let mut t = String::from(
        "formula = \"big\"\ndescription = \"Generated {{size}}-step formula\"\nextends = [\"base\"]\n\n[vars.size]\ndefault = \"1000\"\n[vars.who]\nrequired = true\n\n",
    );
    for i in 1..=STEPS {
        let _ = write!(
            t,
            "[[steps]]\nid = \"s{i}\"\ntitle = \"Step {i} of {{{{size}}}} for {{{{who}}}}\"\ndescription = \"Do part {i}.\"\n"
        );
        let mut needs = Vec::new();
        if i == 1 {
            needs.push("base-setup".to_string());
        } else {
            needs.push(format!("s{}", i - 1));
        }
        if i % 10 == 0 && i > 10 {
            needs.push(format!("s{}", i - 10));
        }
        let list: Vec<String> = needs.iter().map(|n| format!("\"{n}\"")).collect();
        let _ = writeln!(t, "needs = [{}]\n", list.join(", "));
    }
    t
}

const BASE: &str = "formula = \"base\"\n[[steps]]\nid = \"base-setup\"\ntitle = \"Set up\"\n";

fn time(town: &Path, args: &[&str]) -> Duration {
    let t0 = Instant::now();
    gt(town, args);
    t0.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let town = dir.path().join("town");
    gt(
        dir.path(),
        &["--batch", "install", town.to_str().expect("utf8")],
    );
    let formulas = town.join("formulas");
    std::fs::create_dir_all(&formulas).expect("mkdir");
    std::fs::write(formulas.join("big.formula.toml"), generated()).expect("write");
    std::fs::write(formulas.join("base.formula.toml"), BASE).expect("write");

    let shown = gt(&town, &["--json", "formula", "show", "big", "--resolved"]);
    let v: serde_json::Value = serde_json::from_str(&shown).expect("json");
    let steps = v["step_count"].as_u64().unwrap_or(0);
    assert_eq!(
        steps as usize,
        STEPS + 1,
        "the parent's step plus the generated ones"
    );
    println!(
        "formula `big`: {steps} steps after extends, {} waves\n",
        v["waves"].as_array().map(Vec::len).unwrap_or(0)
    );

    let samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            time(
                &town,
                &["--batch", "--json", "formula", "show", "big", "--resolved"],
            )
        })
        .collect();
    report_timings(
        "gt formula show big --resolved (parse + compose)",
        samples,
        None,
    );

    let samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            time(
                &town,
                &["--batch", "mol", "pour", "big", "--var", "who=bench"],
            )
        })
        .collect();
    report_timings(
        "gt mol pour big (parse + compose + pour 1,001 beads)",
        samples,
        Some(100.0),
    );

    let beads = gt(
        &town,
        &[
            "--batch", "--json", "bead", "list", "--all", "--type", "step",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&beads).unwrap_or_default();
    println!("\nstep beads in the ledger after the runs: {}", v["count"]);
}
