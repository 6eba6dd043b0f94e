//! What needs a person: agents waiting for input, stalled or dead with work on their hook,
//! messages that could not be delivered, merges that failed, unacknowledged escalations.
//! The first thing a returning user should look at, most serious first.

use crate::ledger::BeadSummary;
use crate::work::agents::live::SessionState;
use crate::work::mail::escalation::EscalationView;
use crate::work::views::agent_row::AgentRow;
use crate::work::witness::Verdict;

pub use crate::work::beads::merge_request::MERGE_FAILED;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Escalation,
    /// A budget is used up: new work waits.
    Budget,
    StartFailed,
    Blocked,
    Dead,
    FailedMerge,
    /// Green work waits for a person's approval.
    ReviewWaiting,
    Undelivered,
    Stalled,
    /// Its service refuses it for now (it waits for the limit or another account).
    RateLimited,
    NeedsInput,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attention {
    pub kind: Kind,
    /// The agent or bead it is about (what Enter acts on).
    pub subject: String,
    pub text: String,
}

pub struct Facts<'a> {
    pub now: i64,
    pub agents: &'a [AgentRow],
    pub escalations: &'a [EscalationView],
    pub failed_merges: &'a [BeadSummary],
    pub budgets: &'a [crate::work::costs::budget::Crossed],
    pub stall_after_secs: i64,
    /// Merge requests whose gates passed and which wait for a person.
    pub reviews: &'a [crate::work::refinery::board::QueueRow],
}

pub fn compute(f: &Facts<'_>) -> Vec<Attention> {
    let mut out = Vec::new();
    for e in f.escalations.iter().filter(|e| e.acked_by.is_none()) {
        out.push(Attention {
            kind: Kind::Escalation,
            subject: e.id.clone(),
            text: format!("{} escalation from {}: {}", e.severity, e.from, e.title),
        });
    }
    for b in f.budgets {
        out.push(Attention {
            kind: Kind::Budget,
            subject: b.budget.clone(),
            text: format!("{}; new work waits", b.describe()),
        });
    }
    for a in f.agents {
        // A runtime that cannot start, or sits on a screen only a person can clear, needs
        // someone whether or not work is hooked (a crew member, the mayor).
        if let Some((v @ (Verdict::StartFailed | Verdict::Blocked), reason)) = &a.verdict {
            out.push(Attention {
                kind: if *v == Verdict::StartFailed {
                    Kind::StartFailed
                } else {
                    Kind::Blocked
                },
                subject: a.address.clone(),
                text: format!("{} is {}: {reason}", a.address, v.as_str()),
            });
            continue;
        }
        if let (Some(hook), Some((verdict, reason))) = (&a.hook, &a.verdict) {
            if let Some(item) = from_verdict(a, hook, *verdict, reason) {
                out.push(item);
            }
            if let Some((state, why)) = &a.last_delivery
                && state == "failed"
            {
                out.push(undelivered(a, why.as_deref()));
            }
            continue;
        }
        let Some(hook) = &a.hook else {
            if let Some((state, reason)) = &a.last_delivery
                && state == "failed"
            {
                out.push(undelivered(a, reason.as_deref()));
            }
            continue;
        };
        match a.session {
            SessionState::Exited | SessionState::NoSession => out.push(Attention {
                kind: Kind::Dead,
                subject: a.address.clone(),
                text: format!(
                    "{} holds {hook} but its session {}",
                    a.address,
                    if a.session == SessionState::Exited {
                        match a.exit_status {
                            Some(s) => format!("exited (status {s})"),
                            None => "exited".to_string(),
                        }
                    } else {
                        "is gone".to_string()
                    }
                ),
            }),
            SessionState::Idle => out.push(Attention {
                kind: Kind::NeedsInput,
                subject: a.address.clone(),
                text: format!(
                    "{} is waiting at its prompt with {hook} on its hook",
                    a.address
                ),
            }),
            SessionState::Working | SessionState::Running | SessionState::Starting => {
                if let Some(t) = a.last_activity
                    && f.now - t > f.stall_after_secs
                {
                    out.push(Attention {
                        kind: Kind::Stalled,
                        subject: a.address.clone(),
                        text: format!(
                            "{} has shown nothing for {} while on {hook}",
                            a.address,
                            crate::time::human_duration(f.now - t)
                        ),
                    });
                }
            }
            _ => {}
        }
        if let Some((state, reason)) = &a.last_delivery
            && state == "failed"
        {
            out.push(undelivered(a, reason.as_deref()));
        }
    }
    for m in f
        .failed_merges
        .iter()
        .filter(|m| m.status != crate::ledger::Status::Closed)
    {
        out.push(Attention {
            kind: Kind::FailedMerge,
            subject: m.id.clone(),
            text: format!("merge failed: {}", m.title),
        });
    }
    for q in f
        .reviews
        .iter()
        .filter(|q| q.state == crate::work::refinery::board::QueueState::Review)
    {
        out.push(Attention {
            kind: Kind::ReviewWaiting,
            subject: q.id.clone(),
            text: format!(
                "review waiting: {} ({}) passed its gates; approve or send back",
                q.source_bead.as_deref().unwrap_or(&q.branch),
                q.id
            ),
        });
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

/// The witness's verdict on an agent with work, in the words of its reason.
fn from_verdict(a: &AgentRow, hook: &str, v: Verdict, reason: &str) -> Option<Attention> {
    let (kind, text) = match v {
        Verdict::Dead | Verdict::Zombie => (
            Kind::Dead,
            format!("{} holds {hook} but is {}: {reason}", a.address, v.as_str()),
        ),
        Verdict::Stalled => (Kind::Stalled, format!("{} is stalled: {reason}", a.address)),
        Verdict::Waiting => (Kind::NeedsInput, format!("{} waits: {reason}", a.address)),
        Verdict::RateLimited => (
            Kind::RateLimited,
            format!("{} is rate-limited: {reason}", a.address),
        ),
        // A frozen agent is the banner's business, not one line per agent; an unreachable
        // one is its host's (one line for the host).
        Verdict::Working
        | Verdict::Idle
        | Verdict::StartFailed
        | Verdict::Blocked
        | Verdict::Frozen
        | Verdict::Unreachable => return None,
    };
    Some(Attention {
        kind,
        subject: a.address.clone(),
        text,
    })
}

fn undelivered(a: &AgentRow, reason: Option<&str>) -> Attention {
    Attention {
        kind: Kind::Undelivered,
        subject: a.address.clone(),
        text: format!(
            "a message to {} was not delivered: {}",
            a.address,
            reason.unwrap_or("no reason recorded")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(addr: &str, session: &str, hook: Option<&str>) -> AgentRow {
        AgentRow {
            address: addr.into(),
            session: session.into(),
            hook: hook.map(str::to_string),
            ..AgentRow::default()
        }
    }

    #[test]
    fn each_kind_is_found_and_the_serious_ones_come_first() {
        let mut stalled = agent("r/polecats/slow", "working", Some("r-1"));
        stalled.last_activity = Some(0);
        let mut unheard = agent("r/polecats/deaf", "idle", None);
        unheard.last_delivery = Some(("failed".into(), Some("hung".into())));
        let agents = vec![
            agent("r/polecats/ok", "working", Some("r-2")),
            agent("r/polecats/wait", "idle", Some("r-3")),
            agent("r/polecats/dead", "exited", Some("r-4")),
            stalled,
            unheard,
            agent("r/polecats/free", "idle", None),
        ];
        let esc = EscalationView {
            id: "hq-e1".into(),
            severity: "high".into(),
            title: "CI red".into(),
            text: String::new(),
            from: "r/witness".into(),
            bead: None,
            status: crate::ledger::Status::Open.into(),
            acked_by: None,
            escalated_at: String::new(),
            created_at: String::new(),
            routed: vec![],
        };
        let got = compute(&Facts {
            now: 10_000,
            agents: &agents,
            escalations: &[esc],
            failed_merges: &[],
            budgets: &[crate::work::costs::budget::Crossed {
                budget: "daily".into(),
                limit_usd: 5.0,
                spent_usd: 5.5,
                over_usd: 0.5,
            }],
            stall_after_secs: 600,
            reviews: &[],
        });
        let kinds: Vec<(&Kind, &str)> = got.iter().map(|a| (&a.kind, a.subject.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (&Kind::Escalation, "hq-e1"),
                (&Kind::Budget, "daily"),
                (&Kind::Dead, "r/polecats/dead"),
                (&Kind::Undelivered, "r/polecats/deaf"),
                (&Kind::Stalled, "r/polecats/slow"),
                (&Kind::NeedsInput, "r/polecats/wait"),
            ]
        );
        assert!(got[4].text.contains("2h"), "{}", got[4].text);
        assert!(
            got[1].text.contains("$5.00") && got[1].text.contains("$0.50 over"),
            "{}",
            got[1].text
        );
    }
}
