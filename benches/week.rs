//! A simulated week of a busy town, written quickly through the library (issue 18, "bounded
//! growth"): BENCH_AGENTS agents (default 50), each filing ~40 beads a day, each bead slung
//! (hooked) with a 5-step molecule whose steps are worked and closed, the bead closed with a
//! comment, ~20 mails a day each with their delivery records, one patrol wisp per agent per
//! hour, and the events all of that leaves. Time is the town's manual clock, moved an hour
//! at a time, so the rows' timestamps span BENCH_DAYS days (default 7).
//!
//! The same week is written three times: with no compaction; with the deacon's compaction
//! (`work::compact::run_if_due`, `deacon.compact_every=1d`) at the default time-to-live
//! settings (closed wisps and ended deliveries 1 day, events of finished beads 7 days,
//! summaries after 30 days); and with tight ones (events 2 days, summaries after 3 days).
//! Printed per day: the ledger file's size (after a checkpoint), the bytes its live pages
//! hold (dbstat) and the export's size. The stated bounds: a week of a 50-agent town ends at
//! most 96 MB at the default settings and 64 MB at the tight ones (see the verdict line);
//! the raw week is ~172 MB.
//!
//! `cargo bench --bench week` (release); `cargo test --bench week` runs it unoptimised.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gt::ledger::Bead;
use gt::time::Clock;
use gt::work::Ctx;
use gt::work::molecule::{PourSpec, PourStep, pour_in};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The stated bounds: a week at the default settings, and at tight ones.
const BOUND_MB: f64 = 96.0;
const TIGHT_BOUND_MB: f64 = 64.0;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Bytes the ledger's pages hold (dbstat: what the rows need, without free space).
fn live_bytes(db: &Path) -> Option<u64> {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg("SELECT sum(pgsize - unused) FROM dbstat")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

struct Scenario {
    name: &'static str,
    overrides: Vec<String>,
    compact: bool,
}

struct Day {
    db: u64,
    live: Option<u64>,
    export: u64,
    beads: i64,
    events: i64,
}

fn text(what: &str, n: usize) -> String {
    let mut s = String::with_capacity(n + 40);
    while s.len() < n {
        s.push_str(what);
        s.push(' ');
    }
    s
}

fn bead(id: String, title: String, kind: &str, now: &str, actor: &str) -> Bead {
    Bead {
        id,
        title,
        status: "open".into(),
        priority: 2,
        issue_type: kind.into(),
        created_at: now.into(),
        updated_at: now.into(),
        created_by: Some(actor.into()),
        ..Bead::default()
    }
}

fn close(tx: &mut gt::ledger::Tx<'_>, id: &str, reason: &str) -> gt::Result<()> {
    let old = tx.reader().require(id)?;
    let mut new = old.clone();
    new.status = "closed".into();
    new.closed_at = Some(tx.now().to_string());
    new.close_reason = Some(reason.into());
    tx.update_bead(&old, new, "closed")?;
    Ok(())
}

/// Work waiting to be closed at an hour: (work bead, molecule root, steps).
type Pending = BTreeMap<usize, Vec<(String, String, Vec<String>)>>;

/// The week's days, and the town's directory (kept until the end: the town's log is open).
fn run(s: &Scenario, agents: usize, days: usize) -> (Vec<Day>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("town");
    gt::work::town::install::install(&root, false).expect("install");
    let mut ctx = Ctx::open_with(&root, &s.overrides).expect("open");
    let start = gt::time::parse("2026-03-02T00:00:00Z").expect("time");
    let clock = Clock::manual(start);
    ctx.set_clock(clock.clone());
    let names: Vec<String> = (0..agents).map(|a| format!("shop/polecats/p{a}")).collect();
    let mut pending: Pending = BTreeMap::new();
    let mut mail_open: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let desc = text(
        "the work to do, the files to read and the tests to run",
        600,
    );
    let body = text("a note from one agent to another about the work", 300);
    let step_desc = text("the instructions of this step of the formula", 200);
    let mut days_out = Vec::new();
    let mut n = 0usize;
    for hour in 0..days * 24 {
        let h_of_day = hour % 24;
        ctx.write(|tx| {
            for (a, agent) in names.iter().enumerate() {
                tx.record_event(None, "patrol", None, None, Some(agent))?;
                // One patrol record a hour: a wisp, closed at once.
                let now = tx.now().to_string();
                n += 1;
                let mut p = bead(
                    format!("hq-wisp{n}"),
                    format!("Patrol of {agent}"),
                    "task",
                    &now,
                    "witness",
                );
                p.ephemeral = true;
                p.wisp_type = Some("patrol".into());
                p.status = "closed".into();
                p.closed_at = Some(now.clone());
                tx.insert_bead(&p)?;
                // ~40 beads a day.
                let beads = (h_of_day + 1) * 40 / 24 - h_of_day * 40 / 24;
                for _ in 0..beads {
                    n += 1;
                    let id = format!("wk-{n}");
                    let mut b = bead(
                        id.clone(),
                        format!("Work item {n} for {agent}"),
                        "task",
                        &now,
                        "mayor",
                    );
                    b.description = Some(desc.clone());
                    tx.insert_bead(&b)?;
                    let old = b.clone();
                    let mut hooked = b;
                    hooked.status = "hooked".into();
                    hooked.assignee = Some(agent.clone());
                    tx.update_bead(&old, hooked, "hooked")?;
                    let spec = PourSpec {
                        formula: "polecat-work".into(),
                        title: format!("polecat-work for {id}"),
                        description: String::new(),
                        steps: (1..=5)
                            .map(|k| PourStep {
                                key: format!("s{k}"),
                                title: format!("Step {k}"),
                                description: step_desc.clone(),
                                needs: if k > 1 {
                                    vec![format!("s{}", k - 1)]
                                } else {
                                    vec![]
                                },
                                acceptance: None,
                            })
                            .collect(),
                        vars: BTreeMap::new(),
                        prefix: "sh".into(),
                        attach_to: Some(id.clone()),
                        priority: 2,
                    };
                    let poured = pour_in(tx, &spec)?;
                    let steps = poured.steps.into_iter().map(|(_, s)| s).collect();
                    pending
                        .entry(hour + 2 + a % 3)
                        .or_default()
                        .push((id, poured.root, steps));
                }
                // ~20 mails a day, each delivered (a notification record) and archived later.
                let mails = (h_of_day + 1) * 20 / 24 - h_of_day * 20 / 24;
                for k in 0..mails {
                    n += 1;
                    let to = &names[(a + k + 1) % names.len()];
                    let mut m = bead(
                        format!("hq-m{n}"),
                        format!("Mail {n}"),
                        "message",
                        &now,
                        agent,
                    );
                    m.assignee = Some(to.clone());
                    m.sender = Some(agent.clone());
                    m.description = Some(body.clone());
                    tx.insert_bead(&m)?;
                    let d = tx.add_delivery(to, agent, "You have mail", false)?;
                    tx.move_delivery(d, &["queued"], "delivered", None, true)?;
                    mail_open.entry(hour + 6).or_default().push(m.id);
                }
            }
            // Work finished this hour: steps, molecule, bead (with a comment).
            for (id, root, steps) in pending.remove(&hour).unwrap_or_default() {
                for st in &steps {
                    close(tx, st, "step done")?;
                }
                close(tx, &root, "all steps done")?;
                tx.add_comment(&id, "Done: tests pass, merged by the refinery.")?;
                close(tx, &id, "merged")?;
            }
            for m in mail_open.remove(&hour).unwrap_or_default() {
                close(tx, &m, "archived")?;
            }
            Ok(())
        })
        .expect("an hour of the town");
        clock.advance(chrono::Duration::hours(1));
        if h_of_day == 23 {
            if s.compact {
                gt::work::compact::run_if_due(&mut ctx).expect("compact");
            }
            ctx.ledger.reclaim().expect("checkpoint");
            let size = ctx.ledger.file_bytes().expect("size");
            let counts = ctx.reader().counts().expect("counts");
            let export = std::fs::metadata(root.join(".beads/issues.jsonl"))
                .map(|m| m.len())
                .unwrap_or(0);
            days_out.push(Day {
                db: size.total(),
                live: live_bytes(&root.join(".gt/ledger.db")),
                export,
                beads: counts.beads,
                events: counts.events,
            });
        }
    }
    (days_out, dir)
}

fn main() {
    let agents = env_num("BENCH_AGENTS", 50);
    let days = env_num("BENCH_DAYS", 7);
    println!(
        "A simulated week: {agents} agents, {days} days (40 beads with a 5-step molecule, 20 mails, 24 patrol wisps per agent per day)"
    );
    let short = ["ledger.event_ttl=2d", "ledger.compact_after=3d"];
    let scenarios = [
        Scenario {
            name: "no compaction",
            overrides: vec![],
            compact: false,
        },
        Scenario {
            name: "deacon compacts daily, default TTLs (wisps 1d, deliveries 1d, events 7d, summaries 30d)",
            overrides: vec!["deacon.compact_every=1d".into()],
            compact: true,
        },
        Scenario {
            name: "deacon compacts daily, tight TTLs (wisps 1d, deliveries 1d, events 2d, summaries 3d)",
            overrides: std::iter::once("deacon.compact_every=1d")
                .chain(short)
                .map(String::from)
                .collect(),
            compact: true,
        },
    ];
    let mut finals = Vec::new();
    let mut towns = Vec::new();
    for s in &scenarios {
        let t = std::time::Instant::now();
        let (out, dir) = run(s, agents, days);
        towns.push(dir);
        println!(
            "\n{} (written in {:.1}s)",
            s.name,
            t.elapsed().as_secs_f64()
        );
        println!("  day  ledger file   live pages   issues.jsonl   beads     events");
        for (i, d) in out.iter().enumerate() {
            println!(
                "  {:>3}  {:>8.1} MB  {:>8} MB  {:>9.1} MB  {:>7}  {:>9}",
                i + 1,
                mb(d.db),
                d.live
                    .map(|l| format!("{:.1}", mb(l)))
                    .unwrap_or_else(|| "?".into()),
                mb(d.export),
                d.beads,
                d.events
            );
        }
        finals.push(out.last().map(|d| d.db).unwrap_or(0));
    }
    let at = |i: usize| mb(finals.get(i).copied().unwrap_or(0));
    let default_end = at(1);
    println!(
        "\nbound: a week of a {agents}-agent town with the deacon compacting daily ends ≤ {BOUND_MB} MB at the default settings: {default_end:.1} MB — {}; ≤ {TIGHT_BOUND_MB} MB at tight ones: {:.1} MB — {} (no compaction: {:.1} MB)",
        if default_end <= BOUND_MB {
            "within"
        } else {
            "OVER"
        },
        at(2),
        if at(2) <= TIGHT_BOUND_MB {
            "within"
        } else {
            "OVER"
        },
        at(0)
    );
}
