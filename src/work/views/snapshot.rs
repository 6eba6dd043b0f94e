//! The whole town as one value, for the workspace: agents with their live state, convoys,
//! hooks, mail, feed, escalations and what needs attention. A refresh costs two tmux
//! processes (`list-panes` and one batched capture) however many agents there are; ledger
//! parts are rebuilt only when the ledger changed, git facts only for worktrees that changed.

use crate::agent;
use crate::ledger::{BeadSummary, Delivery};
use crate::tmux::CaptureReq;
use crate::work::Ctx;
use crate::work::convoy::ConvoyView;
use crate::work::mail::MailItem;
use crate::work::mail::escalation::{self, EscalationView};
use crate::work::views::attention::{self, Attention};
use crate::work::views::feed::FeedLine;
use crate::{Result, git};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// History lines read with each agent's screen to tell working from idle: none, the visible
/// screen is enough (and 100 agents' histories would be a lot to read every second).
const STATE_LINES: usize = 0;
/// History read for a runtime that died before its prompt.
const DEAD_LINES: usize = 40;
/// Lines of the mayor's pane shown as the chat transcript.
const TRANSCRIPT_LINES: usize = 300;
/// Lines of the selected agent's pane shown in the preview.
const PREVIEW_LINES: usize = 200;
const FEED_LINES: usize = 200;

pub use super::agent_row::AgentRow;

/// An agent's hook with its work in git.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookRow {
    pub agent: String,
    pub bead: Option<String>,
    pub title: Option<String>,
    pub branch: Option<String>,
    pub commits_ahead: Option<usize>,
    pub dirty_files: Option<usize>,
    /// The molecule guiding the work: steps done, steps in all, the step to do now.
    pub steps: Option<StepProgress>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepProgress {
    pub done: usize,
    pub total: usize,
    pub current: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MayorView {
    pub running: bool,
    /// idle, working, … (as for agents)
    pub session: String,
    /// The end of the mayor's pane, plain text.
    pub transcript: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    pub agent: String,
    /// The end of its pane, with colour escape sequences.
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct TownSnapshot {
    pub town: String,
    pub root: PathBuf,
    /// Unix time it was taken.
    pub taken_at: i64,
    pub rigs: Vec<String>,
    /// Bead id prefix → the rig it belongs to.
    pub prefixes: HashMap<String, String>,
    pub agents: Vec<AgentRow>,
    pub convoys: Vec<ConvoyView>,
    pub hooks: Vec<HookRow>,
    /// Ready beads (what can be slung), most urgent first.
    pub ready: Vec<BeadSummary>,
    /// Open work beads (for making convoys).
    pub open: Vec<BeadSummary>,
    /// Whose inbox `mail` is.
    pub identity: String,
    pub mail: Vec<MailItem>,
    pub unread: usize,
    pub feed: Vec<FeedLine>,
    pub escalations: Vec<EscalationView>,
    /// The merge queue: waiting for review, testing, failed, queued, lately landed.
    pub queue: Vec<crate::work::refinery::board::QueueRow>,
    /// Slings to a rig wait in the scheduler's queue (`gt scheduler pause`).
    pub scheduler_paused: bool,
    /// Emergency stops and rigs at rest (the workspace's frozen banner).
    pub brakes: crate::work::brakes::Brakes,
    pub attention: Vec<Attention>,
    /// Tokens and cost per agent and convoy, today's total, used-up budgets.
    pub costs: crate::work::costs::CostSummary,
    pub mayor: MayorView,
    pub preview: Option<Preview>,
    /// The screens asked for in `Request::screens` (agents without a pane are left out).
    pub screens: Vec<Preview>,
    /// The supervisor's state for the status bar.
    pub daemon: String,
    /// tmux processes this refresh spawned.
    pub tmux_calls: u64,
    /// Parts that could not be read this time (shown, not fatal).
    pub problems: Vec<String>,
}

/// What the workspace wants in the next snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub identity: String,
    /// The agent whose pane to preview.
    pub preview: Option<String>,
    /// The preview's size on screen (columns, rows): the agent's window is sized to it.
    pub preview_size: Option<(u16, u16)>,
    /// The mayor chat's transcript area, likewise for the mayor's window.
    pub mayor_size: Option<(u16, u16)>,
    /// More agents whose screens to read with their colours in the same batched capture
    /// (what the dashboard's open pages look at); their windows are never resized.
    pub screens: Vec<String>,
}

/// What a refresher keeps between refreshes so unchanged parts are not recomputed.
#[derive(Default)]
pub struct Cache {
    data_version: Option<i64>,
    identity: String,
    ledger: Option<std::sync::Arc<LedgerPart>>,
    git: HashMap<PathBuf, GitFacts>,
    /// Worktrees whose git facts must be read again.
    stale: HashSet<PathBuf>,
    all_stale: bool,
    /// Panes whose windows gt sized to a view (they are given back when no longer shown).
    sized: HashSet<String>,
}

impl Cache {
    pub fn new() -> Cache {
        Cache {
            all_stale: true,
            ..Cache::default()
        }
    }

    /// Something changed under `path` (a worktree or a repository): its facts are re-read.
    pub fn touched(&mut self, path: &std::path::Path) {
        let hit: Vec<PathBuf> = self
            .git
            .keys()
            .filter(|w| path.starts_with(w) || w.starts_with(path))
            .cloned()
            .collect();
        if hit.is_empty() {
            // A repository's refs (a commit, a merge) concern every worktree of it.
            self.all_stale = true;
        }
        self.stale.extend(hit);
    }

    /// Forget everything (an explicit refresh).
    pub fn invalidate(&mut self) {
        self.data_version = None;
        self.all_stale = true;
    }
}

struct LedgerPart {
    agents: Vec<crate::work::agents::AgentInfo>,
    titles: HashMap<String, String>,
    /// Molecule progress by hooked bead.
    steps: HashMap<String, StepProgress>,
    convoys: Vec<ConvoyView>,
    ready: Vec<BeadSummary>,
    open: Vec<BeadSummary>,
    mail: Vec<MailItem>,
    unread: HashMap<String, usize>,
    feed: Vec<FeedLine>,
    escalations: Vec<EscalationView>,
    deliveries: HashMap<String, Delivery>,
    failed_merges: Vec<BeadSummary>,
    queue: Vec<crate::work::refinery::board::QueueRow>,
    scheduler_paused: bool,
    brakes: crate::work::brakes::Brakes,
    /// The last event each agent's runtime reported, by agent bead (read with the rest of
    /// the ledger, not on every refresh).
    events: HashMap<String, crate::work::agents::runtime_events::LastEvent>,
    costs: crate::work::costs::CostSummary,
}

pub fn refresh(ctx: &Ctx, cache: &mut Cache, req: &Request) -> Result<TownSnapshot> {
    let before = crate::tmux::spawned();
    let mut problems = Vec::new();
    let lp = cached_ledger_part(ctx, cache, req)?;
    let server = ctx.tmux();
    let panes = match server.panes() {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("tmux: {e}"));
            Vec::new()
        }
    };
    let sizing = fit_windows(&panes, req, &mut cache.sized);
    let (reqs, coloured) = capture_requests(&panes, req.preview.as_deref(), &req.screens);
    let preview_pane = req
        .preview
        .as_deref()
        .and_then(|a| coloured.get(a).cloned());
    let screens = match server.capture_set_sizing(&sizing, &reqs) {
        Ok(s) => s,
        Err(e) => {
            problems.push(format!("tmux capture: {e}"));
            HashMap::new()
        }
    };
    let (mut agents, mayor) = agent_rows(ctx, &lp, &panes, &screens, &coloured)?;
    for a in &mut agents {
        a.queued = ctx.reader().queued_deliveries(&a.address)?.len();
    }
    let hooks = hook_rows(ctx, cache, &lp);
    let preview = match (&req.preview, &preview_pane) {
        (Some(a), Some(p)) => screens.get(p).map(|t| Preview {
            agent: a.clone(),
            text: t.clone(),
        }),
        _ => None,
    };
    let shown = req
        .screens
        .iter()
        .filter_map(|a| {
            let text = screens.get(coloured.get(a)?)?;
            Some(Preview {
                agent: a.clone(),
                text: text.clone(),
            })
        })
        .collect();
    let rigs = ctx.town.rigs()?;
    let now = ctx.unix_now();
    let attention = attention::compute(&attention::Facts {
        now,
        agents: &agents,
        escalations: &lp.escalations,
        failed_merges: &lp.failed_merges,
        budgets: &lp.costs.budgets,
        stall_after_secs: crate::work::witness::stall_after_secs(ctx, None).unwrap_or(600),
        reviews: &lp.queue,
    });
    Ok(TownSnapshot {
        town: ctx.town.config.name.clone(),
        root: ctx.town.root().to_path_buf(),
        taken_at: now,
        rigs: rigs.iter().map(|r| r.name.clone()).collect(),
        prefixes: rigs
            .iter()
            .map(|r| (r.prefix.clone(), r.name.clone()))
            .collect(),
        agents,
        convoys: lp.convoys.clone(),
        hooks,
        ready: lp.ready.clone(),
        open: lp.open.clone(),
        identity: req.identity.clone(),
        mail: lp.mail.clone(),
        unread: lp.unread.get(&req.identity).copied().unwrap_or(0),
        feed: lp.feed.clone(),
        escalations: lp.escalations.clone(),
        queue: lp.queue.clone(),
        scheduler_paused: lp.scheduler_paused,
        brakes: lp.brakes.clone(),
        attention,
        costs: lp.costs.clone(),
        mayor,
        preview,
        screens: shown,
        daemon: crate::town::supervisor_status::seen(&ctx.town.paths).line(now),
        tmux_calls: crate::tmux::spawned() - before,
        problems,
    })
}

/// The ledger's part of the snapshot, read again only when the ledger changed (or whose
/// mail is shown did).
fn cached_ledger_part(
    ctx: &Ctx,
    cache: &mut Cache,
    req: &Request,
) -> Result<std::sync::Arc<LedgerPart>> {
    let version = ctx.reader().data_version()?;
    let fresh = cache.data_version == Some(version) && cache.identity == req.identity;
    Ok(match (&cache.ledger, fresh) {
        (Some(p), true) => p.clone(),
        _ => {
            let p = std::sync::Arc::new(ledger_part(ctx, &req.identity)?);
            cache.ledger = Some(p.clone());
            cache.data_version = Some(version);
            cache.identity = req.identity.clone();
            p
        }
    })
}

/// How the previewed agent's and the mayor's windows are to be sized to what the workspace
/// shows of them, and which windows no longer shown get their own size back — nothing on a
/// steady view, and otherwise carried by the refresh's one capture call. The mayor's own
/// pane wins when the preview shows the mayor too.
fn fit_windows(
    panes: &[crate::tmux::Pane],
    req: &Request,
    sized: &mut HashSet<String>,
) -> Vec<crate::tmux::Sizing> {
    let mut out = Vec::new();
    let mut shown = HashSet::new();
    let preview = req
        .preview
        .as_deref()
        .filter(|a| !(*a == "mayor" && req.mayor_size.is_some()));
    for (agent, size) in [(preview, req.preview_size), (Some("mayor"), req.mayor_size)] {
        let (Some(agent), Some(size)) = (agent, size) else {
            continue;
        };
        let Some(pane) = panes
            .iter()
            .find(|p| p.agent.as_deref() == Some(agent) && !p.dead)
        else {
            continue;
        };
        shown.insert(pane.pane_id.clone());
        sized.insert(pane.pane_id.clone());
        out.extend(crate::work::agents::live::fit_to_view(pane, size));
    }
    // No longer shown: the window follows whoever looks at it next (a person switching to
    // it from the town's menu gets their own size, not the preview's).
    let gone: Vec<String> = sized.difference(&shown).cloned().collect();
    for pane in gone {
        sized.remove(&pane);
        if panes.iter().any(|x| x.pane_id == pane) {
            out.push(crate::tmux::Sizing::Release { pane });
        }
    }
    out
}

/// One batched capture: every live agent pane at the depth its use needs, the previewed one
/// and the other screens asked for with their colours (each pane only once). Also: the pane
/// of each agent read with colours, by agent.
fn capture_requests(
    panes: &[crate::tmux::Pane],
    preview: Option<&str>,
    screens: &[String],
) -> (Vec<CaptureReq>, HashMap<String, String>) {
    // A dead pane too when its runtime never started: its last words are the reason.
    let mut reqs: Vec<CaptureReq> = panes
        .iter()
        .filter(|p| (!p.dead || !p.ready) && p.agent.is_some())
        .map(|p| CaptureReq {
            pane: p.pane_id.clone(),
            lines: if p.agent.as_deref() == Some("mayor") {
                TRANSCRIPT_LINES
            } else if p.dead {
                // tmux may push a dead runtime's last words into the history.
                DEAD_LINES
            } else {
                STATE_LINES
            },
            escapes: false,
        })
        .collect();
    let mut coloured = HashMap::new();
    for a in preview
        .into_iter()
        .chain(screens.iter().map(String::as_str))
    {
        if coloured.contains_key(a) {
            continue;
        }
        let Some(pane) = panes.iter().find(|p| p.agent.as_deref() == Some(a)) else {
            continue;
        };
        // The coloured capture replaces the plain one of the same pane: one entry per pane.
        reqs.retain(|r| r.pane != pane.pane_id);
        reqs.push(CaptureReq {
            pane: pane.pane_id.clone(),
            lines: PREVIEW_LINES,
            escapes: true,
        });
        coloured.insert(a.to_string(), pane.pane_id.clone());
    }
    (reqs, coloured)
}

/// Each agent as the workspace shows it, and the mayor's view.
fn agent_rows(
    ctx: &Ctx,
    lp: &LedgerPart,
    panes: &[crate::tmux::Pane],
    screens: &HashMap<String, String>,
    coloured: &HashMap<String, String>,
) -> Result<(Vec<AgentRow>, MayorView)> {
    let runtimes = agent::runtimes(&ctx.town)?;
    let mut agents = Vec::new();
    let mut mayor = MayorView {
        session: "not running".into(),
        ..MayorView::default()
    };
    // Per rig, as the rig's witness sees it.
    let mut limits: HashMap<Option<String>, crate::work::witness::Thresholds> = HashMap::new();
    let now_secs = ctx.unix_now();
    for info in &lp.agents {
        let pane = panes
            .iter()
            .find(|p| p.agent.as_deref() == Some(info.address.as_str()));
        let rt = info.runtime.as_ref().and_then(|r| runtimes.get(r));
        let text = pane.and_then(|p| screens.get(&p.pane_id));
        let plain = text.map(|t| {
            if pane.is_some_and(|p| coloured.get(&info.address) == Some(&p.pane_id)) {
                strip_escapes(t)
            } else {
                t.clone()
            }
        });
        let session = crate::work::agents::live::session_state(pane, rt, plain.as_deref());
        let limit = *limits.entry(info.rig.clone()).or_insert_with(|| {
            crate::work::witness::thresholds(ctx, info.rig.as_deref()).unwrap_or(
                crate::work::witness::Thresholds {
                    stall_after_secs: 600,
                    waiting_after_secs: 30,
                },
            )
        });
        let seen = crate::work::agents::live::Observed {
            pane,
            rt,
            screen: plain.as_deref(),
            event: lp.events.get(&info.bead_id),
            frozen: lp.brakes.is_frozen(&info.address),
        };
        let judged = crate::work::agents::live::verdict_for(ctx, info, seen, limit, now_secs);
        let verdict = judged.verdict;
        if info.address == "mayor" {
            mayor = MayorView {
                running: pane.is_some_and(|p| !p.dead),
                session: session.to_string(),
                transcript: plain.clone().unwrap_or_default(),
            };
        }
        agents.push(AgentRow {
            address: info.address.clone(),
            rig: info.rig.clone(),
            role: info.role.to_string(),
            name: info.name.clone(),
            session,
            hook: info.hook.clone(),
            hook_title: info.hook.as_ref().and_then(|h| lp.titles.get(h).cloned()),
            runtime: info.runtime.clone(),
            last_activity: judged.last_activity,
            last_delivery: lp
                .deliveries
                .get(&info.address)
                .map(|d| (d.state.clone(), d.reason.clone())),
            queued: 0,
            window: pane.map(|p| p.window_id.clone()),
            pane: pane.map(|p| p.pane_id.clone()),
            exit_status: pane.and_then(|p| p.exit_status.filter(|_| p.dead)),
            unread_mail: lp.unread.get(&info.address).copied().unwrap_or(0),
            verdict: Some((verdict.verdict, verdict.reason)),
        });
    }
    Ok((agents, mayor))
}

fn ledger_part(ctx: &Ctx, identity: &str) -> Result<LedgerPart> {
    let r = ctx.reader();
    let agents = crate::work::agents::list(&r, None)?;
    let mut titles = HashMap::new();
    let mut steps = HashMap::new();
    for h in agents.iter().filter_map(|a| a.hook.as_ref()) {
        if let Some(b) = r.bead(h)? {
            if let Some(root) = crate::work::molecule::root_of(&r, &b)? {
                let m = crate::work::molecule::view(&r, &root)?;
                steps.insert(
                    h.clone(),
                    StepProgress {
                        done: m.done_count(),
                        total: m.steps.len(),
                        current: m.ready().next().map(|s| s.key.clone()),
                    },
                );
            }
            titles.insert(h.clone(), b.title);
        }
    }
    let convoys = crate::work::convoy::list(ctx, false, None)?;
    let ready = crate::work::beads::ready(ctx, None, Some(500))?;
    let open = crate::work::beads::list(ctx, Default::default(), None)?
        .into_iter()
        .filter(|b| !crate::ledger::INFRA_TYPES.contains(&b.issue_type.as_str()))
        .take(1000)
        .collect();
    let mail = crate::work::mail::inbox(ctx, identity, false, false).unwrap_or_default();
    let mut unread = HashMap::new();
    let mut addresses: Vec<String> = agents.iter().map(|a| a.address.clone()).collect();
    addresses.push(identity.to_string());
    for a in addresses {
        let n = r.messages_for(&a, false, true)?.len();
        unread.insert(a, n);
    }
    let feed = crate::work::views::feed::latest(ctx, None, FEED_LINES)?;
    let escalations = escalation::read(ctx, false, false)?;
    let mut deliveries = HashMap::new();
    for d in r.recent_deliveries(None, 500)? {
        deliveries.entry(d.agent.clone()).or_insert(d);
    }
    let failed_merges = crate::work::beads::list(
        ctx,
        crate::ledger::ListFilter {
            types: vec!["merge-request".into()],
            label: Some(attention::MERGE_FAILED.into()),
            ..Default::default()
        },
        None,
    )?;
    let mut events = HashMap::new();
    for a in &agents {
        if let Some(e) = crate::work::agents::runtime_events::last(&r, &a.bead_id)? {
            events.insert(a.bead_id.clone(), e);
        }
    }
    Ok(LedgerPart {
        costs: crate::work::costs::summary(ctx)?,
        events,
        agents,
        titles,
        steps,
        convoys,
        ready,
        open,
        mail,
        unread,
        feed,
        escalations,
        deliveries,
        failed_merges,
        queue: crate::work::refinery::board::board(ctx)?,
        scheduler_paused: crate::work::scheduler::is_paused(ctx)?,
        brakes: crate::work::brakes::Brakes::read(&ctx.reader())?,
    })
}

/// Git facts (commits ahead, dirty files) per hooked worktree, read again only when stale.
fn hook_rows(ctx: &Ctx, cache: &mut Cache, lp: &LedgerPart) -> Vec<HookRow> {
    let mut rows = Vec::new();
    let all = std::mem::take(&mut cache.all_stale);
    let stale = std::mem::take(&mut cache.stale);
    for a in &lp.agents {
        let (Some(wt), Some(_)) = (&a.worktree, &a.branch) else {
            continue;
        };
        if a.hook.is_none()
            && a.role == crate::agent::Role::Polecat
            && a.state != crate::work::agents::AgentState::Working
        {
            // Idle polecats hold nothing worth a row.
            continue;
        }
        let known = cache.git.get(wt);
        let facts = match known {
            Some(f) if !all && !stale.contains(wt) && f.2 == a.branch => f.clone(),
            _ => {
                let f = git_facts(ctx, wt, a);
                cache.git.insert(wt.clone(), f.clone());
                f
            }
        };
        rows.push(HookRow {
            agent: a.address.clone(),
            bead: a.hook.clone(),
            title: a.hook.as_ref().and_then(|h| lp.titles.get(h).cloned()),
            branch: a.branch.clone(),
            commits_ahead: facts.0,
            dirty_files: facts.1,
            steps: a.hook.as_ref().and_then(|h| lp.steps.get(h).cloned()),
        });
    }
    rows
}

type GitFacts = (Option<usize>, Option<usize>, Option<String>);

/// (commits ahead of the rig's default branch, dirty files, the branch they are for).
fn git_facts(ctx: &Ctx, wt: &std::path::Path, a: &crate::work::agents::AgentInfo) -> GitFacts {
    let dirty = git::worktree_state(wt).ok().map(|s| s.dirty_files);
    let ahead = match (&a.branch, a.rig.as_ref().and_then(|r| ctx.town.rig(r).ok())) {
        (Some(b), Some(rig)) => {
            git::commits_ahead(&ctx.town.paths.rig_repo(&rig.name), b, &rig.default_branch).ok()
        }
        _ => None,
    };
    (ahead, dirty, a.branch.clone())
}

/// Drops escape sequences (the preview pane is captured with colours; states read plain).
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() || n == '~' {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_stripped_and_text_kept() {
        assert_eq!(
            strip_escapes("\x1b[31mred\x1b[0m and \x1b[1;38;5;2mgreen\x1b[m"),
            "red and green"
        );
        assert_eq!(strip_escapes("plain sim❯ "), "plain sim❯ ");
    }
}
