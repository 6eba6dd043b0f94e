//! Timing decisions tested by moving the town's clock, never by sleeping: the use cases read
//! time from `Ctx`'s clock and the ledger stamps rows with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use gt::time::{Clock, parse};
use gt::work::Ctx;
use gt::work::mail::escalation;

fn town(extra_toml: &str) -> (tempfile::TempDir, Ctx, Clock) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("town");
    gt::work::town::install::install(&root, false).expect("install");
    if !extra_toml.is_empty() {
        let path = root.join("town.toml");
        let mut text = std::fs::read_to_string(&path).expect("town.toml");
        text.push_str(extra_toml);
        std::fs::write(&path, text).expect("write");
    }
    let mut ctx = Ctx::open(&root).expect("open");
    let clock = Clock::manual(parse("2026-03-01T09:00:00Z").expect("time"));
    ctx.set_clock(clock.clone());
    (dir, ctx, clock)
}

fn severity(ctx: &Ctx, id: &str) -> String {
    escalation::read(ctx, false, true)
        .expect("read")
        .into_iter()
        .find(|e| e.id == id)
        .expect("listed")
        .severity
}

#[test]
fn an_unacknowledged_escalation_climbs_one_level_per_period() {
    let (_dir, mut ctx, clock) = town("\n[escalation]\nreescalate_after = \"30m\"\n");
    let low = escalation::escalate(&mut ctx, "low", "Typo in docs", None).expect("low");
    let high = escalation::escalate(&mut ctx, "high", "Build is red", None).expect("high");
    assert_eq!(
        low.escalated_at, "2026-03-01T09:00:00Z",
        "stamped by the clock"
    );
    escalation::ack(&mut ctx, &high.id).expect("ack");

    assert!(escalation::sweep(&mut ctx).expect("sweep").is_empty());
    clock.advance(Duration::minutes(29));
    assert!(
        escalation::sweep(&mut ctx).expect("sweep").is_empty(),
        "29 minutes is not yet overdue"
    );
    clock.advance(Duration::minutes(1));
    assert_eq!(
        escalation::sweep(&mut ctx).expect("sweep"),
        vec![low.id.clone()]
    );
    assert_eq!(severity(&ctx, &low.id), "medium");
    assert!(
        escalation::sweep(&mut ctx).expect("sweep").is_empty(),
        "raised once per period, not once per sweep"
    );
    clock.advance(Duration::minutes(30));
    escalation::sweep(&mut ctx).expect("sweep");
    assert_eq!(severity(&ctx, &low.id), "high");
    clock.advance(Duration::minutes(30));
    escalation::sweep(&mut ctx).expect("sweep");
    assert_eq!(severity(&ctx, &low.id), "critical");
    clock.advance(Duration::hours(5));
    assert!(
        escalation::sweep(&mut ctx).expect("sweep").is_empty(),
        "critical is the top"
    );
    assert_eq!(
        severity(&ctx, &high.id),
        "high",
        "acknowledged ones stay put"
    );
}

#[test]
fn queued_work_ages_by_the_clock() {
    let (_dir, mut ctx, clock) = town("");
    let bead = gt::work::beads::create(
        &mut ctx,
        gt::work::beads::NewBead {
            title: "Later".into(),
            ..Default::default()
        },
    )
    .expect("bead");
    ctx.write(|tx| {
        let entry = gt::work::beads::queue::Entry {
            target: "gastown".into(),
            ..Default::default()
        };
        gt::work::beads::queue::enqueue_in(tx, &bead.id, entry)?;
        Ok(())
    })
    .expect("enqueue");
    let age = |ctx: &Ctx| {
        gt::work::beads::queue::list(&ctx.reader(), ctx.now()).expect("list")[0]
            .0
            .age_secs
    };
    assert_eq!(age(&ctx), 0);
    clock.advance(Duration::seconds(95));
    assert_eq!(age(&ctx), 95);
}
