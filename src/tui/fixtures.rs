//! Made-up towns for tests, snapshots and the render benchmark: an empty one, a busy one,
//! one with very long names, and one with `n` agents.

use super::keymap::Keymap;
use super::state::State;
use super::theme::Theme;
use crate::ledger::{BeadSummary, TrackedRow};
use crate::work::convoy::ConvoyView;
use crate::work::mail::MailItem;
use crate::work::mail::escalation::EscalationView;
use crate::work::refinery::board::{QueueRow, QueueState};
use crate::work::views::attention::{self, Attention};
use crate::work::views::feed::FeedLine;
use crate::work::views::snapshot::{
    AgentRow, HookRow, MayorView, Preview, StepProgress, TownSnapshot,
};
use std::collections::HashMap;
use std::sync::Arc;

/// 2026-11-24T12:00:00Z: every fixture's "now".
pub const NOW: i64 = 1_795_521_600;

pub fn at(offset_secs: i64) -> String {
    crate::time::format(chrono::DateTime::from_timestamp(NOW + offset_secs, 0).unwrap_or_default())
}

/// A workspace state on `snapshot`, at `size`, with the built-in keymap and a plain theme.
pub fn state(snapshot: TownSnapshot, size: (u16, u16)) -> State {
    let mut s = State::new(Keymap::default(), Theme::no_color(), "overseer");
    s.snapshot = Arc::new(snapshot);
    s.loaded = true;
    s.size = size;
    s
}

pub fn empty_town() -> TownSnapshot {
    TownSnapshot {
        town: "empty".into(),
        taken_at: NOW,
        rigs: vec!["shop".into()],
        prefixes: HashMap::from([("sh".into(), "shop".into())]),
        identity: "overseer".into(),
        mayor: MayorView {
            running: false,
            session: "not running".into(),
            transcript: String::new(),
        },
        daemon: "supervisor not running".into(),
        ..TownSnapshot::default()
    }
}

pub fn bead(id: &str, title: &str, status: &str, priority: i64, kind: &str) -> BeadSummary {
    BeadSummary {
        id: id.into(),
        title: title.into(),
        status: status.into(),
        priority,
        issue_type: kind.into(),
        assignee: None,
        created_at: at(-7200),
        updated_at: at(-60),
        closed_at: None,
        labels: Vec::new(),
    }
}

pub fn agent(address: &str, session: &str, hook: Option<(&str, &str)>) -> AgentRow {
    let parts: Vec<&str> = address.split('/').collect();
    let (rig, role, name) = match parts.as_slice() {
        [rig, "polecats", name] => (Some(rig.to_string()), "polecat", name.to_string()),
        [rig, "crew", name] => (Some(rig.to_string()), "crew", name.to_string()),
        [rig, role] => (Some(rig.to_string()), *role, role.to_string()),
        _ => (None, address, address.to_string()),
    };
    AgentRow {
        address: address.into(),
        rig,
        role: role.into(),
        name,
        session: session.into(),
        hook: hook.map(|h| h.0.to_string()),
        hook_title: hook.map(|h| h.1.to_string()),
        runtime: Some("claude".into()),
        last_activity: Some(NOW - 42),
        last_delivery: Some(("delivered".into(), None)),
        queued: 0,
        window: Some("@1".into()),
        pane: Some("%1".into()),
        exit_status: None,
        unread_mail: 0,
        verdict: None,
    }
}

fn mail(id: &str, from: &str, subject: &str, priority: &'static str, read: bool) -> MailItem {
    MailItem {
        id: id.into(),
        from: from.into(),
        to: "overseer".into(),
        cc: Vec::new(),
        subject: subject.into(),
        priority,
        read,
        archived: false,
        thread: id.into(),
        reply_to: None,
        created_at: at(-300),
        claimed_by: None,
        redirected_from: None,
        note: None,
        body: None,
    }
}

fn queue_row(id: &str, state: QueueState, bead: &str, worker: &str, detail: &str) -> QueueRow {
    QueueRow {
        id: id.into(),
        rig: "shop".into(),
        state,
        source_bead: Some(bead.into()),
        worker: Some(worker.into()),
        branch: format!("polecat/{}/{bead}", worker.rsplit('/').next().unwrap_or("")),
        detail: detail.into(),
        updated_at: at(-120),
    }
}

fn tracked(id: &str, title: &str, status: &str, who: Option<&str>) -> TrackedRow {
    TrackedRow {
        id: id.into(),
        title: Some(title.into()),
        status: Some(status.into()),
        assignee: who.map(str::to_string),
    }
}

pub fn busy_town() -> TownSnapshot {
    let mut agents = vec![
        agent("mayor", "idle", None),
        agent("shop/witness", "idle", None),
        agent(
            "shop/polecats/ash",
            "working",
            Some(("sh-a1", "Cart page lists items")),
        ),
        agent(
            "shop/polecats/birch",
            "idle",
            Some(("sh-b2", "Payment form validates")),
        ),
        agent(
            "shop/polecats/cedar",
            "exited",
            Some(("sh-c3", "Receipt email")),
        ),
        agent("shop/crew/maya", "working", None),
        agent(
            "docs/polecats/dune",
            "working",
            Some(("do-d4", "Checkout guide")),
        ),
    ];
    agents[4].exit_status = Some(3);
    agents[6].last_activity = Some(NOW - 3600);
    agents[3].last_delivery = Some((
        "failed".into(),
        Some("the agent did not show the pasted text".into()),
    ));
    agents[2].queued = 2;
    let convoys = vec![
        ConvoyView {
            id: "hq-cv-aaaaa".into(),
            title: "Launch checkout".into(),
            status: "open".into(),
            created_at: at(-86400),
            closed_at: None,
            close_reason: None,
            total: 4,
            closed: 1,
            tracked: vec![
                tracked(
                    "sh-a1",
                    "Cart page lists items",
                    "hooked",
                    Some("shop/polecats/ash"),
                ),
                tracked(
                    "sh-b2",
                    "Payment form validates",
                    "hooked",
                    Some("shop/polecats/birch"),
                ),
                tracked("sh-c3", "Receipt email", "in_progress", None),
                tracked("sh-z9", "Old skeleton", "closed", None),
            ],
            watchers: Vec::new(),
            feed: false,
            plan: None,
            rig: None,
        },
        ConvoyView {
            id: "hq-cv-bbbbb".into(),
            title: "Bug bash".into(),
            status: "open".into(),
            created_at: at(-3600),
            closed_at: None,
            close_reason: None,
            total: 2,
            closed: 0,
            tracked: vec![
                tracked("sh-e5", "Crash on empty cart", "open", None),
                tracked("sh-f6", "Slow search", "blocked", None),
            ],
            watchers: Vec::new(),
            feed: false,
            plan: None,
            rig: None,
        },
    ];
    let hooks = vec![
        HookRow {
            agent: "shop/polecats/ash".into(),
            bead: Some("sh-a1".into()),
            title: Some("Cart page lists items".into()),
            branch: Some("polecat/ash/sh-a1".into()),
            commits_ahead: Some(2),
            dirty_files: Some(3),
            steps: Some(StepProgress {
                done: 2,
                total: 6,
                current: Some("test".into()),
            }),
        },
        HookRow {
            agent: "shop/crew/maya".into(),
            bead: None,
            title: None,
            branch: Some("crew/maya".into()),
            commits_ahead: Some(0),
            dirty_files: Some(0),
            steps: None,
        },
    ];
    let feed = (0..12)
        .map(|i| FeedLine {
            id: i,
            at: at(-600 + i * 30),
            actor: if i % 2 == 0 {
                "shop/polecats/ash".into()
            } else {
                "overseer".into()
            },
            kind: "slung".into(),
            subject: Some(format!("sh-{i}")),
            text: format!("event number {i} happened to sh-{i}"),
        })
        .collect();
    let escalations = vec![EscalationView {
        id: "hq-esc1".into(),
        severity: "high".into(),
        title: "CI is red on main".into(),
        text: "Tests fail since 10:00".into(),
        from: "shop/witness".into(),
        bead: None,
        status: "open".into(),
        acked_by: None,
        escalated_at: at(-900),
        created_at: at(-900),
        routed: vec![],
    }];
    let queue = vec![
        queue_row(
            "sh-mr3",
            QueueState::Review,
            "sh-c3",
            "shop/polecats/ash",
            "",
        ),
        queue_row(
            "sh-mr2",
            QueueState::Failed,
            "sh-b2",
            "shop/polecats/birch",
            "cargo test: test cart::total ... FAILED",
        ),
        queue_row(
            "sh-mr4",
            QueueState::Queued,
            "sh-d4",
            "docs/polecats/dune",
            "",
        ),
        queue_row(
            "sh-mr1",
            QueueState::Landed,
            "sh-a0",
            "shop/polecats/ash",
            "as 3f2a9c1d0e",
        ),
    ];
    let attention: Vec<Attention> = attention::compute(&attention::Facts {
        now: NOW,
        agents: &agents,
        escalations: &escalations,
        failed_merges: &[],
        budgets: &[],
        stall_after_secs: 600,
        reviews: &queue,
    });
    TownSnapshot {
        town: "busy".into(),
        root: "/towns/busy".into(),
        taken_at: NOW,
        rigs: vec!["docs".into(), "shop".into()],
        prefixes: HashMap::from([
            ("sh".into(), "shop".into()),
            ("do".into(), "docs".into()),
        ]),
        agents,
        convoys,
        hooks,
        ready: vec![
            bead("sh-e5", "Crash on empty cart", "open", 0, "bug"),
            bead("sh-g7", "Dark mode toggle", "open", 2, "feature"),
            bead("do-h8", "FAQ: payment methods", "open", 3, "task"),
            bead("sh-ep", "Checkout flow", "open", 1, "epic"),
        ],
        open: vec![
            bead("sh-e5", "Crash on empty cart", "open", 0, "bug"),
            bead("sh-g7", "Dark mode toggle", "open", 2, "feature"),
            bead("do-h8", "FAQ: payment methods", "open", 3, "task"),
        ],
        identity: "overseer".into(),
        mail: vec![
            mail("hq-m1", "mayor", "Status of the checkout convoy", "urgent", false),
            mail("hq-m2", "shop/polecats/ash", "Done: sh-a0 Cart skeleton", "normal", true),
            mail("hq-m3", "shop/witness", "birch looks stuck", "high", false),
        ],
        unread: 2,
        feed,
        escalations,
        queue,
        scheduler_paused: false,
        brakes: Default::default(),
        attention,
        costs: costs(),
        mayor: MayorView {
            running: true,
            session: "idle".into(),
            transcript: "mayor ready\n› what is ready?\n(sim mayor) 3 beads are ready: sh-e5, sh-g7, do-h8\nsim❯ \n\n".into(),
        },
        preview: Some(Preview {
            agent: "mayor".into(),
            text: "\x1b[1mmayor ready\x1b[0m\n› what is ready?\n(sim mayor) \x1b[32m3 beads\x1b[0m are ready\nsim❯ \n".into(),
        }),
        screens: Vec::new(),
        daemon: "supervisor not running".into(),
        tmux_calls: 2,
        problems: Vec::new(),
    }
}

pub fn long_names() -> TownSnapshot {
    let mut s = busy_town();
    for a in &mut s.agents {
        if let Some(t) = &mut a.hook_title {
            *t = format!(
                "{t} — with a very long explanation that will never fit into any pane at all"
            );
        }
        a.name = format!("{}-with-an-extraordinarily-long-name", a.name);
    }
    s.convoys[0].title = "A convoy whose title goes on and on and on well past the edge".into();
    s.mail[0].subject =
        "A subject line that someone wrote as if it were the whole message body".into();
    s
}

/// `n` polecats across four rigs, most working (for the render benchmark).
pub fn town_with_agents(n: usize) -> TownSnapshot {
    let mut s = busy_town();
    s.agents = (0..n)
        .map(|i| {
            let rig = ["shop", "docs", "api", "infra"][i % 4];
            let session = if i % 5 == 0 { "idle" } else { "working" };
            let id = format!("sh-{i:04}");
            agent(
                &format!("{rig}/polecats/p{i:03}"),
                session,
                Some((&id, "Some piece of work with a title")),
            )
        })
        .collect();
    s
}

/// What the busy town's agents and convoys have spent.
fn costs() -> crate::work::costs::CostSummary {
    use crate::work::costs::Spend;
    let spend = |tokens: i64, usd: Option<f64>| Spend { tokens, usd };
    crate::work::costs::CostSummary {
        by_agent: [
            ("shop/polecats/ash".to_string(), spend(412_000, Some(1.84))),
            ("shop/polecats/birch".to_string(), spend(96_500, None)),
        ]
        .into(),
        by_convoy: [("hq-cv-aaaaa".to_string(), spend(508_500, Some(2.31)))].into(),
        today: spend(508_500, Some(2.31)),
        budgets: Vec::new(),
    }
}
