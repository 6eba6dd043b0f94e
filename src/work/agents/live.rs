//! The live view of agents: the ledger's records joined with what tmux shows — one
//! `list-panes` and one batched capture, however many agents there are.

use crate::agent::liveness::{self, Facts, Verdict, classify};
use crate::agent::{self, procs, screen};
use crate::tmux::Pane;
use crate::work::Ctx;
use crate::work::agents::{self, AgentInfo};
use crate::{Error, Result};
use std::collections::HashMap;

#[derive(Debug, Clone, serde::Serialize)]
pub struct AgentView {
    #[serde(flatten)]
    pub info: AgentInfo,
    pub window: Option<String>,
    pub pane: Option<String>,
    pub session: SessionState,
    pub exit_status: Option<i32>,
    pub human_attached: bool,
    /// Messages still waiting for this agent.
    pub queued_messages: usize,
    /// The witness's verdict (working, idle, waiting, stalled, zombie, dead) and its reason.
    pub verdict: Verdict,
    pub reason: String,
    /// Unix time of its last sign of life: output in its window or a gt command it ran.
    pub last_activity: Option<i64>,
    /// The startup dialog on its screen that gt may answer (a blocked agent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answerable_dialog: Option<String>,
    /// Its start is still being watched by whoever started it.
    #[serde(skip)]
    pub starting: bool,
    /// The process in its pane, while it runs (the supervisor's watcher sees it end).
    #[serde(skip)]
    pub pid: Option<u32>,
    /// The last thing its runtime reported through its hooks, and how long ago (seconds).
    pub last_event: Option<super::runtime_events::LastEvent>,
    pub last_event_age_secs: Option<i64>,
}

/// Every agent with its session state. Windows gt tagged but the ledger does not know are
/// listed too (as `unknown`), so nothing runs unseen.
pub fn agents(ctx: &Ctx, rig: Option<&str>) -> Result<Vec<AgentView>> {
    let infos = agents::list(&ctx.reader(), rig)?;
    let server = ctx.tmux();
    let panes = server.panes()?;
    // Only the panes of the agents asked about (a rig's witness reads its own rig's); a dead
    // pane too when its runtime never started (its last words are the reason).
    let live: Vec<String> = panes
        .iter()
        .filter(|p| !p.dead || !p.ready)
        .filter(|p| {
            p.agent
                .as_deref()
                .is_some_and(|a| infos.iter().any(|i| i.address == a))
        })
        .map(|p| p.pane_id.clone())
        .collect();
    let screens = server.capture_many(&live, 40)?;
    let runtimes = agent::runtimes(&ctx.town)?;
    let mut out = Vec::new();
    let now = ctx.unix_now();
    let mut limits: HashMap<Option<String>, Thresholds> = HashMap::new();
    let brakes = crate::work::brakes::Brakes::read(&ctx.reader())?;
    // One statement each for every agent, not two per agent (a witness round over 250).
    let beads: Vec<String> = infos.iter().map(|i| i.bead_id.clone()).collect();
    let mut last_events = super::runtime_events::last_many(&ctx.reader(), &beads)?;
    let addresses: Vec<String> = infos.iter().map(|i| i.address.clone()).collect();
    let queued = ctx.reader().queued_counts(&addresses)?;
    for info in infos {
        let pane = panes
            .iter()
            .find(|p| p.agent.as_deref() == Some(info.address.as_str()));
        let rt = info.runtime.as_ref().and_then(|r| runtimes.get(r));
        let screen_text = pane
            .and_then(|p| screens.get(&p.pane_id))
            .map(String::as_str);
        let session = session_state(pane, rt, screen_text);
        let limit = match limits.get(&info.rig) {
            Some(l) => *l,
            None => {
                let l = thresholds(ctx, info.rig.as_deref())?;
                limits.insert(info.rig.clone(), l);
                l
            }
        };
        let last_event = last_events.remove(&info.bead_id);
        let seen = Observed {
            pane,
            rt,
            screen: screen_text,
            event: last_event.as_ref(),
            frozen: brakes.is_frozen(&info.address),
        };
        let judged = verdict_for(ctx, &info, seen, limit, now);
        let c = judged.verdict;
        let answerable_dialog = answerable(rt, screen_text, &c);
        let starting = pane.is_some_and(|p| {
            !p.dead
                && !p.ready
                && rt.is_some_and(|rt| {
                    p.started
                        .is_some_and(|t| now - t <= rt.startup_timeout_secs as i64)
                })
        });
        out.push(AgentView {
            verdict: c.verdict,
            reason: c.reason,
            last_activity: judged.last_activity,
            window: pane.map(|p| p.window_id.clone()),
            pane: pane.map(|p| p.pane_id.clone()),
            exit_status: pane.and_then(|p| p.exit_status.filter(|_| p.dead)),
            human_attached: pane.is_some_and(Pane::human_attached),
            queued_messages: queued.get(&info.address).copied().unwrap_or(0),
            session,
            answerable_dialog,
            starting,
            pid: pane.filter(|p| !p.dead).and_then(|p| p.pid),
            last_event_age_secs: last_event
                .as_ref()
                .and_then(|e| crate::time::parse(&e.at))
                .map(|t| (now - t.timestamp()).max(0)),
            last_event,
            info,
        });
    }
    for p in panes.iter().filter(|p| p.agent.is_some()) {
        let addr = p.agent.clone().unwrap_or_default();
        if out.iter().any(|v| v.info.address == addr) || rig.is_some_and(|r| p.session != r) {
            continue;
        }
        out.push(AgentView {
            info: AgentInfo {
                address: addr.clone(),
                role: crate::agent::Role::Unknown,
                rig: Some(p.session.clone()),
                name: p.window_name.clone(),
                bead_id: String::new(),
                state: agents::AgentState::Unknown,
                hook: p.bead.clone(),
                runtime: None,
                worktree: None,
                branch: None,
                updated_at: String::new(),
                session_args: Vec::new(),
                host: None,
            },
            window: Some(p.window_id.clone()),
            pane: Some(p.pane_id.clone()),
            session: if p.dead {
                SessionState::Exited
            } else {
                SessionState::Running
            },
            exit_status: p.exit_status.filter(|_| p.dead),
            human_attached: p.human_attached(),
            queued_messages: 0,
            verdict: if p.dead {
                Verdict::Zombie
            } else {
                Verdict::Idle
            },
            reason: "a window gt tagged for an agent the ledger does not know".into(),
            last_activity: p.activity,
            answerable_dialog: None,
            starting: false,
            pid: (!p.dead).then_some(p.pid).flatten(),
            last_event: None,
            last_event_age_secs: None,
        });
    }
    Ok(out)
}

/// The dialog a blocked agent shows, when gt may answer it.
fn answerable(
    rt: Option<&agent::Runtime>,
    screen_text: Option<&str>,
    c: &liveness::Classified,
) -> Option<String> {
    if c.verdict != Verdict::Blocked {
        return None;
    }
    let (rt, text) = (rt?, screen_text?);
    let d = screen::read(rt, text)
        .dialog
        .and_then(|i| rt.dialogs.get(i))?;
    let env: Vec<(String, String)> = rt.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    agent::startup::may_answer(d, rt, &env).then(|| d.name.clone())
}

/// The witness's verdict on one agent: the one place the facts for `classify` are gathered
/// (the agents view, the workspace and the witness all read it from here).
pub(crate) fn verdict_for(
    ctx: &Ctx,
    info: &AgentInfo,
    seen: Observed<'_>,
    limit: Thresholds,
    now: i64,
) -> Judged {
    let Observed {
        pane,
        rt,
        screen: screen_text,
        event,
        frozen,
    } = seen;
    if let Some(host) = &info.host
        && pane.is_none_or(|p| p.dead)
        && let Some(why) = crate::work::hosts::health::unreachable(ctx, host, &info.address)
    {
        return Judged {
            verdict: liveness::Classified {
                verdict: Verdict::Unreachable,
                reason: why,
            },
            last_activity: pane.and_then(|p| p.activity),
        };
    }
    if frozen && pane.is_some_and(|p| !p.dead) {
        return Judged {
            verdict: liveness::Classified {
                verdict: Verdict::Frozen,
                reason: "frozen by the emergency stop (`gt thaw` lets it go on)".into(),
            },
            last_activity: pane.and_then(|p| p.activity),
        };
    }
    let screen_changed = match (pane, rt, screen_text) {
        (Some(p), Some(rt), Some(text)) if !p.dead => {
            Some(crate::work::agents::screen_activity::observe(
                &ctx.town.paths,
                &info.address,
                screen::fingerprint(rt, text),
                now,
            ))
        }
        _ => None,
    };
    let heartbeat = crate::work::agents::heartbeat::last(&ctx.town.paths, &info.address);
    // Only an event of the session that runs now counts (one from before a restart is stale).
    let started = pane.and_then(|p| p.started).unwrap_or(i64::MIN);
    let event = event.and_then(|e| {
        let at = crate::time::parse(&e.at)?.timestamp();
        (at >= started).then_some((e.event.as_str(), at))
    });
    let verdict = classify(&Facts {
        now,
        hook: info.hook.as_deref(),
        pane,
        screen: screen_text,
        runtime: rt,
        heartbeat,
        runtime_alive: runtime_alive(pane, rt),
        stall_after_secs: limit.stall_after_secs,
        waiting_after_secs: limit.waiting_after_secs,
        screen_changed,
        event,
    });
    Judged {
        verdict,
        last_activity: screen_changed
            .or(pane.and_then(|p| p.activity))
            .into_iter()
            .chain(heartbeat)
            .max(),
    }
}

/// What was seen of one agent this round: its pane, its runtime, its screen, and the last
/// event its runtime reported.
#[derive(Clone, Copy)]
pub(crate) struct Observed<'a> {
    pub pane: Option<&'a Pane>,
    pub rt: Option<&'a agent::Runtime>,
    pub screen: Option<&'a str>,
    pub event: Option<&'a super::runtime_events::LastEvent>,
    /// An emergency stop froze it (its silence is not its own).
    pub frozen: bool,
}

/// A verdict and the sign of life it was judged from.
pub(crate) struct Judged {
    pub verdict: liveness::Classified,
    /// Unix time of the last sign of life: something new on its screen, or a gt call.
    pub last_activity: Option<i64>,
}

/// Whether the runtime still runs under a live pane that now shows a shell (the only case
/// where the process table is read: a pane running anything else is the runtime itself).
pub(crate) fn runtime_alive(pane: Option<&Pane>, rt: Option<&agent::Runtime>) -> Option<bool> {
    let (p, rt) = (pane?, rt?);
    if p.dead || rt.process_names.is_empty() || !procs::is_shell(&p.current_command) {
        return None;
    }
    procs::tree_runs(p.pid?, &rt.process_names)
}

/// What an agent's window shows, read from tmux and its screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum SessionState {
    /// Busy (its runtime's busy marker is on screen).
    #[serde(rename = "working")]
    Working,
    /// At its prompt.
    #[serde(rename = "idle")]
    Idle,
    /// A dialog or shell mode holds it.
    #[serde(rename = "blocked")]
    Blocked,
    /// Markers not seen yet.
    #[serde(rename = "starting")]
    Starting,
    /// Its process ended; the window stays for its last words.
    #[serde(rename = "exited")]
    Exited,
    /// No window.
    #[default]
    #[serde(rename = "no session")]
    NoSession,
    /// A runtime without markers to read.
    #[serde(rename = "running")]
    Running,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Working => "working",
            SessionState::Idle => "idle",
            SessionState::Blocked => "blocked",
            SessionState::Starting => "starting",
            SessionState::Exited => "exited",
            SessionState::NoSession => "no session",
            SessionState::Running => "running",
        }
    }

    /// The state named by `as_str` (fixtures and saved views); anything else is no session.
    pub fn parse(s: &str) -> SessionState {
        [
            SessionState::Working,
            SessionState::Idle,
            SessionState::Blocked,
            SessionState::Starting,
            SessionState::Exited,
            SessionState::Running,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .unwrap_or(SessionState::NoSession)
    }

    /// Gone: exited or no window at all.
    pub fn is_gone(self) -> bool {
        matches!(self, SessionState::Exited | SessionState::NoSession)
    }
}

impl From<&str> for SessionState {
    fn from(s: &str) -> Self {
        SessionState::parse(s)
    }
}

impl std::fmt::Display for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The session state of an agent from its pane and screen.
pub fn session_state(
    pane: Option<&Pane>,
    rt: Option<&agent::Runtime>,
    screen_text: Option<&str>,
) -> SessionState {
    let Some(p) = pane else {
        return SessionState::NoSession;
    };
    if p.dead {
        return SessionState::Exited;
    }
    match (rt, screen_text) {
        (Some(rt), Some(text)) => {
            let s = screen::read(rt, text);
            if s.dialog.is_some() || s.shell_mode {
                SessionState::Blocked
            } else if s.busy {
                SessionState::Working
            } else if s.at_prompt {
                SessionState::Idle
            } else {
                SessionState::Starting
            }
        }
        _ => SessionState::Running,
    }
}

/// The pane of a live agent, or why there is none.
pub fn pane_of(ctx: &Ctx, address: &str) -> Result<Pane> {
    let info = agents::require(ctx, address)?;
    ctx.tmux()
        .panes()?
        .into_iter()
        .find(|p| p.agent.as_deref() == Some(info.address.as_str()))
        .ok_or_else(|| Error::failed(format!("{} has no running session", info.address)))
}

/// The last `lines` lines of an agent's screen.
pub fn peek(ctx: &Ctx, address: &str, lines: usize) -> Result<String> {
    let pane = pane_of(ctx, address)?;
    let text = ctx.tmux().capture(&pane.pane_id, lines)?;
    let trimmed: Vec<&str> = text.lines().collect();
    let end = trimmed
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    let start = end.saturating_sub(lines);
    Ok(trimmed[start..end].join("\n"))
}

/// Attaches the caller's terminal to the agent's window: `switch-client` when already inside
/// this town's tmux server, else `attach-session` (returning when the person detaches).
pub fn attach(ctx: &Ctx, address: &str) -> Result<()> {
    let pane = pane_of(ctx, address)?;
    let server = ctx.tmux();
    let target = format!("{}:{}", pane.session, pane.window_id);
    // Sized for the workspace's preview: the person's terminal decides again (best effort:
    // the attach goes on regardless).
    if let Err(e) = server.follow_clients(&[&pane.pane_id]) {
        tracing::debug!(error = %e, "could not give the window its own size back");
    }
    let inside_ours = std::env::var("TMUX")
        .ok()
        .and_then(|v| v.split(',').next().map(str::to_string))
        .is_some_and(|sock| sock.ends_with(&format!("/{}", server.socket())));
    if inside_ours {
        server.switch_client(&target)?;
    } else {
        server.attach(&target)?;
    }
    Ok(())
}

/// The smallest window gt sizes an agent to: runtimes lay out their status lines for a
/// usable terminal, and the screen readers expect that (a smaller view wraps instead).
pub const MIN_VIEW: (u16, u16) = (60, 15);

/// The sizing that makes the agent's window what a viewer shows (`want`, no smaller than
/// `MIN_VIEW`); None when it is that size already or a person is attached to it (their
/// terminal decides).
pub fn fit_to_view(pane: &Pane, want: (u16, u16)) -> Option<crate::tmux::Sizing> {
    let (w, h) = (want.0.max(MIN_VIEW.0), want.1.max(MIN_VIEW.1));
    if pane.attached_clients > 0 || (pane.width, pane.height) == (u32::from(w), u32::from(h)) {
        return None;
    }
    Some(crate::tmux::Sizing::Fit {
        pane: pane.pane_id.clone(),
        width: w,
        height: h,
    })
}

/// When quiet becomes a verdict, as the witness of `rig` (None: town-level agents) reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// No sign of life this long with work hooked: stalled.
    pub stall_after_secs: i64,
    /// At its prompt this long with work hooked: waiting for input.
    pub waiting_after_secs: i64,
}

/// How long an agent may sit without a sign of life (stalled) or at a question (waiting), for
/// the rig (or the town's defaults).
pub fn thresholds(ctx: &Ctx, rig: Option<&str>) -> Result<Thresholds> {
    let cfg = rig.and_then(|r| ctx.town.rig(r).ok());
    Ok(Thresholds {
        stall_after_secs: ctx
            .setting("witness.stall_after_secs", cfg.as_ref())?
            .as_int(),
        waiting_after_secs: ctx
            .setting("witness.waiting_after_secs", cfg.as_ref())?
            .as_int(),
    })
}
