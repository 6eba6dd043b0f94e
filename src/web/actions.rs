//! What a page may ask the town to do, run one at a time on a thread with its own ledger
//! connection — through the very code the workspace's actions run (`tui::workers::run_effect`,
//! which calls the same `work/` use cases as the CLI), so a page, the workspace and the CLI
//! say the same thing about the same outcome.

use crate::tui::msg::{Effect, Msg};
use crate::work::Ctx;
use serde::Deserialize;
use std::sync::mpsc::{Receiver, Sender};
use tokio::sync::oneshot;

/// One action, as a page sends it (`POST /api/act/<name>` with this JSON).
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    Approve {
        mr: String,
    },
    SendBack {
        mr: String,
        comment: String,
    },
    Nudge {
        agent: String,
        text: String,
    },
    Ack {
        escalation: String,
    },
    Sling {
        bead: String,
        target: String,
    },
    Scheduler {
        paused: bool,
    },
    /// Not a change: the merge request's diff, for review.
    Diff {
        mr: String,
    },
}

/// The longest text a page may send (a nudge, a comment).
const TEXT_MAX: usize = 16 * 1024;
/// The longest id or address.
const NAME_MAX: usize = 200;

impl Action {
    pub fn changes_town(&self) -> bool {
        !matches!(self, Action::Diff { .. })
    }

    /// What is wrong with the request itself (nothing is run then).
    pub fn check(&self) -> Result<(), String> {
        let name = |field: &str, v: &str| -> Result<(), String> {
            if v.trim().is_empty() {
                return Err(format!("{field} is empty"));
            }
            if v.len() > NAME_MAX || v.chars().any(char::is_control) {
                return Err(format!(
                    "{field} is not an id (at most {NAME_MAX} characters, no control characters)"
                ));
            }
            Ok(())
        };
        let text = |field: &str, v: &str| -> Result<(), String> {
            if v.trim().is_empty() {
                return Err(format!("{field} is empty"));
            }
            if v.len() > TEXT_MAX {
                return Err(format!("{field} is longer than {TEXT_MAX} bytes"));
            }
            Ok(())
        };
        match self {
            Action::Approve { mr } | Action::Diff { mr } => name("mr", mr),
            Action::SendBack { mr, comment } => name("mr", mr).and(text("comment", comment)),
            Action::Nudge { agent, text: t } => name("agent", agent).and(text("text", t)),
            Action::Ack { escalation } => name("escalation", escalation),
            Action::Sling { bead, target } => name("bead", bead).and(name("target", target)),
            Action::Scheduler { .. } => Ok(()),
        }
    }
}

/// What came of it: said as the workspace says it.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    pub ok: bool,
    pub message: String,
    /// The diff, for `Diff`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<crate::work::refinery::diff::DiffView>,
}

type Job = (Action, oneshot::Sender<Outcome>);

#[derive(Clone)]
pub struct Executor {
    jobs: Sender<Job>,
}

impl Executor {
    pub fn start(root: &std::path::Path) -> crate::Result<Executor> {
        let mut ctx = Ctx::open(root)?;
        // The person at the page acts, whoever started the dashboard ($GT_AGENT of an
        // agent's window is not them); $BD_ACTOR names the person when set.
        ctx.actor = std::env::var("BD_ACTOR")
            .ok()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "overseer".into());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("gt-web-actions".into())
            .spawn(move || run(ctx, rx))
            .map_err(|e| crate::Error::io("start the dashboard's action thread", e))?;
        Ok(Executor { jobs: tx })
    }

    pub async fn run(&self, action: Action) -> Outcome {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send((action, tx)).is_err() {
            return failed("the dashboard's action thread has stopped".into());
        }
        rx.await
            .unwrap_or_else(|_| failed("the action was dropped before it finished".into()))
    }
}

fn failed(message: String) -> Outcome {
    Outcome {
        ok: false,
        message,
        diff: None,
    }
}

fn run(mut ctx: Ctx, rx: Receiver<Job>) {
    for (action, reply) in rx {
        let _ = reply.send(act(&mut ctx, action));
    }
}

fn act(ctx: &mut Ctx, action: Action) -> Outcome {
    let effect = match action {
        Action::Diff { mr } => {
            return match crate::work::refinery::diff::diff(ctx, &mr, true) {
                Ok(d) => Outcome {
                    ok: true,
                    message: d.what.clone(),
                    diff: Some(d),
                },
                Err(e) => failed(e.to_string()),
            };
        }
        Action::Scheduler { paused } => {
            let _ = ctx.follow_town();
            let verb = if paused { "paused" } else { "running" };
            return match crate::work::scheduler::set_paused(ctx, paused) {
                Ok(true) => Outcome {
                    ok: true,
                    message: format!("The scheduler is {verb}"),
                    diff: None,
                },
                Ok(false) => Outcome {
                    ok: true,
                    message: format!("The scheduler was already {verb}"),
                    diff: None,
                },
                Err(e) => failed(e.to_string()),
            };
        }
        Action::Approve { mr } => Effect::Approve { id: 0, mr },
        Action::SendBack { mr, comment } => Effect::SendBack { id: 0, mr, comment },
        Action::Nudge { agent, text } => Effect::Nudge { id: 0, agent, text },
        Action::Ack { escalation } => Effect::AckEscalation { id: 0, escalation },
        Action::Sling { bead, target } => Effect::Sling {
            id: 0,
            bead,
            target,
        },
    };
    match crate::tui::workers::run_effect(ctx, effect) {
        Some(Msg::Done { result, .. } | Msg::Slung { result, .. }) => match result {
            Ok(message) => Outcome {
                ok: true,
                message,
                diff: None,
            },
            Err(message) => failed(message),
        },
        _ => failed("the action gave no outcome".into()),
    }
}
