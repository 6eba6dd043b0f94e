//! What a dashboard page is sent: the town snapshot the workspace shows, as JSON. Text from
//! the ledger goes as JSON strings and the page only ever sets it as text (never as markup),
//! so a title like `<script>…` is shown, not run.

use crate::work::views::snapshot::TownSnapshot;
use serde::Serialize;

/// Ready beads sent (most urgent first); the page says how many more there are.
const READY_SHOWN: usize = 100;
/// Feed lines sent (the latest).
const FEED_SHOWN: usize = 100;

#[derive(Serialize)]
struct AgentView<'a> {
    address: &'a str,
    rig: Option<&'a str>,
    role: &'a str,
    name: &'a str,
    session: String,
    verdict: Option<&'a str>,
    reason: Option<&'a str>,
    hook: Option<&'a str>,
    hook_title: Option<&'a str>,
    runtime: Option<&'a str>,
    last_activity: Option<i64>,
    delivery: Option<&'a str>,
    delivery_problem: Option<&'a str>,
    queued: usize,
    unread_mail: usize,
    exit_status: Option<i32>,
    /// Dollars spent (`$?` when a model has no price), tokens.
    cost: Option<String>,
    tokens: Option<i64>,
}

#[derive(Serialize)]
struct PageState<'a> {
    town: &'a str,
    taken_at: i64,
    daemon: &'a str,
    rigs: &'a [String],
    agents: Vec<AgentView<'a>>,
    convoys: &'a [crate::work::convoy::ConvoyView],
    queue: &'a [crate::work::refinery::board::QueueRow],
    escalations: &'a [crate::work::mail::escalation::EscalationView],
    attention: &'a [crate::work::views::attention::Attention],
    identity: &'a str,
    mail: &'a [crate::work::mail::MailItem],
    unread: usize,
    feed: &'a [crate::work::views::feed::FeedLine],
    ready: &'a [crate::ledger::BeadSummary],
    ready_total: usize,
    scheduler_paused: bool,
    brakes: &'a crate::work::brakes::Brakes,
    cost_today: String,
    /// tmux processes the refresh behind this state spawned (the same however many pages).
    tmux_calls: u64,
    problems: &'a [String],
}

/// The page's JSON for a snapshot.
pub fn to_json(s: &TownSnapshot) -> String {
    json(s, true)
}

/// The same without the snapshot's clock and tmux count: equal for two looks at a town
/// that shows the same (whether pages need a new state).
pub fn unstamped_json(s: &TownSnapshot) -> String {
    json(s, false)
}

fn json(s: &TownSnapshot, stamped: bool) -> String {
    let agents = s
        .agents
        .iter()
        .map(|a| {
            let spend = s.costs.by_agent.get(&a.address);
            AgentView {
                address: &a.address,
                rig: a.rig.as_deref(),
                role: &a.role,
                name: &a.name,
                session: a.session.to_string(),
                verdict: a.verdict.as_ref().map(|(v, _)| v.as_str()),
                reason: a.verdict.as_ref().map(|(_, r)| r.as_str()),
                hook: a.hook.as_deref(),
                hook_title: a.hook_title.as_deref(),
                runtime: a.runtime.as_deref(),
                last_activity: a.last_activity,
                delivery: a.last_delivery.as_ref().map(|(d, _)| d.as_str()),
                delivery_problem: a.last_delivery.as_ref().and_then(|(_, p)| p.as_deref()),
                queued: a.queued,
                unread_mail: a.unread_mail,
                exit_status: a.exit_status,
                cost: spend.map(|s| s.dollars()),
                tokens: spend.map(|s| s.tokens),
            }
        })
        .collect();
    let feed_from = s.feed.len().saturating_sub(FEED_SHOWN);
    let page = PageState {
        town: &s.town,
        taken_at: if stamped { s.taken_at } else { 0 },
        daemon: &s.daemon,
        rigs: &s.rigs,
        agents,
        convoys: &s.convoys,
        queue: &s.queue,
        escalations: &s.escalations,
        attention: &s.attention,
        identity: &s.identity,
        mail: &s.mail,
        unread: s.unread,
        feed: &s.feed[feed_from..],
        ready: &s.ready[..s.ready.len().min(READY_SHOWN)],
        ready_total: s.ready.len(),
        scheduler_paused: s.scheduler_paused,
        brakes: &s.brakes,
        cost_today: s.costs.today.dollars(),
        tmux_calls: if stamped { s.tmux_calls } else { 0 },
        problems: &s.problems,
    };
    // Serialising plain data cannot fail; were it ever to, the page is told.
    serde_json::to_string(&page).unwrap_or_else(|e| {
        serde_json::json!({ "problems": [format!("the town could not be encoded: {e}")] })
            .to_string()
    })
}
