//! `gt sling|hook|unsling|done|prime|agents|whoami|nudge|peek|attach|polecat|agent`.

use super::output::{Out, Tone, or_dash};
use crate::agent::sim::{self, SimOptions};
use crate::ledger::jsonl;
use crate::work::agents::delivery::DeliveryState;
use crate::work::scheduler::Outcome;
use crate::work::{
    Ctx, agents, agents::delivery, agents::live, agents::polecat, scheduler, sling, sling::done,
    sling::hook, views::prime,
};
use crate::{Error, Result};
use serde_json::json;
use std::io::Read;
use std::time::Duration;

pub fn sling(out: &mut Out, ctx: &mut Ctx, a: SlingArgs) -> Result<()> {
    let mut items = a.items;
    let target = items.pop().unwrap_or_default();
    let opts = sling::SlingOptions {
        agent: a.agent,
        no_convoy: a.no_convoy,
        force: a.force,
        formula: a.formula,
        no_formula: a.no_formula,
        vars: crate::work::formulas::parse_vars(&a.vars)?,
    };
    let results = scheduler::sling_many(ctx, &items, &target, &opts)?;
    let mut first_error: Option<Error> = None;
    let mut ok = Vec::new();
    let mut queued = Vec::new();
    let mut failed = Vec::new();
    for (bead, r) in items.iter().zip(results) {
        match r {
            Ok(scheduler::Outcome::Slung(s)) => ok.push(s),
            Ok(scheduler::Outcome::Queued(q)) => queued.push(q),
            Err(e) => {
                failed.push(json!({"bead": bead, "code": e.exit_code(), "error": e.to_string()}));
                if !out.json && items.len() > 1 {
                    super::output::say(&format!("sling {bead}: {e}"));
                }
                first_error.get_or_insert(e);
            }
        }
    }
    if out.json {
        out.json(json!({ "slung": ok, "queued": queued, "failed": failed }))?;
    } else {
        for q in &queued {
            if out.batch {
                out.line(format!("{}\tqueued\t{}", q.bead, q.position))?;
            } else {
                let again = if q.already { " (already queued)" } else { "" };
                out.line(format!(
                    "Queued {} for {} at position {}{again}: {}; the deacon slings it when a polecat is free (`gt scheduler status`)",
                    q.bead, q.target, q.position, q.reason
                ))?;
            }
        }
        for s in &ok {
            if out.batch {
                out.line(format!("{}\t{}", s.bead, s.agent))?;
            } else if s.already {
                out.line(format!(
                    "{} is already on {}'s hook; nothing to do",
                    s.bead, s.agent
                ))?;
            } else {
                let how = if s.reused {
                    "reused idle polecat"
                } else {
                    "new polecat"
                };
                out.line(format!(
                    "Slung {} to {} ({}, {how})",
                    s.bead, s.agent, s.runtime
                ))?;
                out.line(format!(
                    "  branch {}  convoy {}  window {}",
                    or_dash(s.branch.as_deref()),
                    or_dash(s.convoy.as_deref()),
                    or_dash(s.window.as_deref())
                ))?;
                if let Some(m) = &s.molecule {
                    out.line(format!(
                        "  molecule {m}: the agent works through its steps (`gt mol status {m}`)"
                    ))?;
                }
                if let Some(from) = &s.moved_from {
                    let what = if from.contains("/polecats/") {
                        "its session was stopped; its worktree and branch are kept"
                    } else {
                        "it was told by message"
                    };
                    out.line(format!("  moved from {from} ({what})"))?;
                }
            }
        }
    }
    match first_error {
        // Several beads: each failure was reported on its own line (or in the JSON); the
        // exit code still tells scripts something failed.
        Some(e) if items.len() == 1 && out.json => Err(Error::Silent(e.exit_code())),
        Some(e) if items.len() > 1 => Err(Error::Failed(format!(
            "{} of {} bead(s) could not be slung (first: {e})",
            failed.len(),
            items.len()
        ))),
        Some(e) => Err(e),
        None => Ok(()),
    }
}

pub fn hook_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    bead: Option<String>,
    agent: Option<String>,
) -> Result<()> {
    match (bead, agent) {
        (Some(b), Some(a)) => {
            let bead = hook::attach(ctx, &b, &a)?;
            if out.json {
                return out.json(json!({ "hooked": bead.id, "agent": bead.assignee }));
            }
            out.line(format!(
                "{} is on {}'s hook (no session was started)",
                bead.id,
                or_dash(bead.assignee.as_deref())
            ))
        }
        (Some(_), None) => Err(Error::invalid(
            "give both a bead and an agent: gt hook <bead> <agent>",
        )),
        (None, _) => {
            let me = agents::whoami(ctx).to_string();
            let v = hook::show(ctx, &me)?;
            if out.json {
                let bead = v.bead.as_ref().map(|b| {
                    serde_json::Value::Object(jsonl::export_object(&crate::ledger::BeadRecord {
                        bead: b.clone(),
                        labels: Vec::new(),
                        dependencies: Vec::new(),
                        comments: Vec::new(),
                    }))
                });
                return out
                    .json(json!({ "hook": { "agent": v.agent, "bead": bead, "branch": v.branch, "worktree": v.worktree } }));
            }
            match &v.bead {
                Some(b) => {
                    out.line(format!("{} has {} on its hook: {}", v.agent, b.id, b.title))?;
                    if let Some(br) = &v.branch {
                        out.line(format!(
                            "  branch {br}  worktree {}",
                            or_dash(v.worktree.as_deref())
                        ))?;
                    }
                    Ok(())
                }
                None => out.line(format!("{} has nothing on its hook", v.agent)),
            }
        }
    }
}

pub fn unsling(
    out: &mut Out,
    ctx: &mut Ctx,
    bead: Option<String>,
    agent: Option<String>,
) -> Result<()> {
    let r = hook::unsling(ctx, bead.as_deref(), agent.as_deref())?;
    if out.json {
        return out.json(json!({ "unslung": r }));
    }
    if r.unqueued {
        return out.line(format!(
            "Took {} out of the scheduler queue; it is open and not slung",
            r.bead
        ));
    }
    out.line(format!(
        "Took {} off {}'s hook; it is open again (the agent's session and worktree are untouched)",
        r.bead,
        r.agent.as_deref().unwrap_or("its holder")
    ))
}

pub fn done_cmd(
    out: &mut Out,
    ctx: &mut Ctx,
    agent: Option<String>,
    status: Option<String>,
) -> Result<()> {
    let r = done::done(ctx, agent.as_deref(), status.as_deref() == Some("deferred"))?;
    // Work that waited for this one (a convoy formula's synthesis) may go now. The done
    // itself is recorded whatever happens here.
    let mut followups = Vec::new();
    match crate::work::convoy::run::sling_due(ctx) {
        Ok(list) => {
            for s in list {
                match s {
                    Ok(Outcome::Slung(s)) => followups.push(format!(
                        "{} was waiting for this and is now slung to {}",
                        s.bead, s.agent
                    )),
                    Ok(Outcome::Queued(q)) => followups.push(format!(
                        "{} was waiting for this and is now queued for {} at position {} ({})",
                        q.bead, q.target, q.position, q.reason
                    )),
                    Err(e) => followups.push(format!(
                        "warning: work waiting for this could not be slung: {e}"
                    )),
                }
            }
        }
        Err(e) => followups.push(format!(
            "warning: could not check for work waiting on this: {e}"
        )),
    }
    if out.json {
        return out.json(json!({ "done": r, "followups": followups }));
    }
    for f in &followups {
        super::output::say(&f.to_string());
    }
    if r.saved_uncommitted {
        out.line("Committed work that was left uncommitted (nothing is lost).")?;
    }
    match &r.merge_request {
        Some(mr) => out.line(format!(
            "Done: {} → merge request {mr} ({}, {} commit(s)). {} is free for the next bead.",
            r.bead,
            or_dash(r.branch.as_deref()),
            r.commits_ahead,
            r.agent
        )),
        None => out.line(format!(
            "Done: {} deferred without a merge. {} is free.",
            r.bead, r.agent
        )),
    }
}

pub fn prime_cmd(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let p = prime::prime(ctx)?;
    if out.json {
        let hook = p.hook.as_ref().map(|b| json!({"id": b.id, "title": b.title, "status": b.status, "description": b.description}));
        return out.json(json!({
            "agent": p.address.to_string(), "role": p.address.role(), "rig": p.address.rig(),
            "town": ctx.town.config.name, "hook": hook, "branch": p.branch, "worktree": p.worktree,
            "runtime": p.runtime, "unread_mail": p.unread_mail, "role_text": p.role_text,
            "handoff": p.handoff.as_ref().map(|(id, note)| json!({"mail": id, "note": note})),
            "molecule": p.molecule,
        }));
    }
    out.line(format!(
        "# gt prime — {} ({} of {}) in town {}",
        p.address,
        p.address.role(),
        p.address.rig().unwrap_or("the town"),
        ctx.town.config.name
    ))?;
    out.line("")?;
    out.line(p.role_text.trim_end())?;
    if let Some((id, note)) = &p.handoff {
        out.line(format!(
            "\n## Handoff note from your previous session ({id})"
        ))?;
        out.line(note.trim_end())?;
        out.line(format!("(mark it read with `gt mail read {id}`)"))?;
    }
    out.line("\n## Your hook")?;
    match &p.hook {
        Some(b) => {
            out.line(format!(
                "{}: {}  [{}, P{}, {}]",
                b.id, b.title, b.status, b.priority, b.issue_type
            ))?;
            if let Some(d) = b.description.as_deref().filter(|d| !d.is_empty()) {
                out.line("")?;
                out.line(d)?;
            }
            if let Some(br) = &p.branch {
                out.line(format!(
                    "\nBranch {br} in {}",
                    or_dash(p.worktree.as_deref())
                ))?;
            }
            match &p.molecule {
                Some(m) => print_checklist(out, m)?,
                None => out.line("\nThis is your work now: do it, commit, then run `gt done`.")?,
            }
        }
        None => out.line("Nothing is on your hook. Wait for work to be slung to you.")?,
    }
    out.line(format!("\n## Mail\n{} unread", p.unread_mail))
}

/// The molecule as a checklist, the current step spelled out: what an agent works from.
fn print_checklist(out: &mut Out, m: &crate::work::molecule::MolView) -> Result<()> {
    use crate::work::molecule::StepState;
    out.line(format!(
        "\n## Checklist: molecule {} ({}), {}/{} steps done",
        m.root,
        m.formula.as_deref().unwrap_or("formula"),
        m.done_count(),
        m.steps.len()
    ))?;
    let current = m.ready().next().map(|s| s.bead.clone());
    for s in &m.steps {
        let mark = match s.state {
            StepState::Done => "[x]",
            _ if Some(&s.bead) == current.as_ref() => "[>]",
            StepState::Ready => "[ ]",
            StepState::Blocked => "[ ]",
        };
        let wait = if s.state == StepState::Blocked {
            format!("  (after {})", s.needs.join(", "))
        } else {
            String::new()
        };
        out.line(format!("{mark} {}  {}{wait}", s.key, s.title))?;
    }
    match m.steps.iter().find(|s| Some(&s.bead) == current.as_ref()) {
        Some(s) => {
            out.line(format!("\n### Now: {} ({})", s.title, s.key))?;
            if let Some(d) = s.description.as_deref().filter(|d| !d.is_empty()) {
                out.line(d)?;
            }
            if let Some(a) = s.acceptance.as_deref().filter(|a| !a.is_empty()) {
                out.line(format!("Done when: {a}"))?;
            }
            out.line(format!(
                "\nWhen it is done: `gt mol step done {}`. Then `gt prime` (or `gt mol status`) shows the next step. After the last step, commit and run `gt done`.",
                s.key
            ))
        }
        None if m.is_complete() => out
            .line("\nEvery step is done: commit, then run `gt done`."),
        None => out
            .line("\nNo step is ready: the open ones wait on something outside this molecule (`gt mol status`)."),
    }
}

pub fn agents_cmd(out: &mut Out, ctx: &mut Ctx, rig: Option<String>) -> Result<()> {
    if let Some(r) = &rig {
        ctx.town.rig(r)?;
    }
    let list = live::agents(ctx, rig.as_deref())?;
    if out.json {
        return out.json(json!({ "count": list.len(), "agents": list }));
    }
    if list.is_empty() && !out.batch {
        return out.line("No agents yet. Start one with: gt sling <bead> <rig>");
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let session = match v.exit_status {
                Some(s) => format!("exited ({s})"),
                None => v.session.to_string(),
            };
            let tone = match v.session.as_str() {
                "working" => Tone::Warn,
                "idle" => Tone::Good,
                "exited" | "no session" => Tone::Bad,
                _ => Tone::Dim,
            };
            vec![
                v.info.address.clone(),
                or_dash(v.info.runtime.as_deref()),
                out.paint(tone, &session),
                format!("{} ({})", v.verdict.as_str(), v.reason),
                v.info.state.to_string(),
                or_dash(v.info.hook.as_deref()),
                or_dash(v.window.as_deref()),
                if v.queued_messages > 0 {
                    v.queued_messages.to_string()
                } else {
                    "-".into()
                },
            ]
        })
        .collect();
    out.table(
        &[
            "AGENT", "RUNTIME", "SESSION", "VERDICT", "STATE", "HOOK", "WINDOW", "QUEUED",
        ],
        &rows,
    )
}

pub fn whoami(out: &mut Out, ctx: &mut Ctx) -> Result<()> {
    let me = agents::whoami(ctx);
    if out.json {
        return out
            .json(json!({ "agent": me.to_string(), "role": me.role(), "rig": me.rig(), "town": ctx.town.config.name, "root": ctx.town.root() }));
    }
    out.line(format!(
        "{} ({}{}) in town {} at {}",
        me,
        me.role(),
        me.rig().map(|r| format!(" of {r}")).unwrap_or_default(),
        ctx.town.config.name,
        ctx.town.root().display()
    ))
}

pub fn nudge(out: &mut Out, ctx: &mut Ctx, a: NudgeArgs) -> Result<()> {
    if let Some(id) = a.status {
        let d = delivery::status(ctx, id)?;
        if out.json {
            return out.json(json!({ "delivery": d }));
        }
        return out.line(format!(
            "message {} to {}: {}{} (attempts: {}, updated {})",
            d.id,
            d.agent,
            d.state,
            d.reason.map(|r| format!(" — {r}")).unwrap_or_default(),
            d.attempts,
            d.updated_at
        ));
    }
    let agent = a.agent.unwrap_or_default();
    let text = if a.stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("read stdin", e))?;
        s
    } else {
        a.text.join(" ")
    };
    let sender = ctx.actor.clone();
    let r = delivery::nudge(
        ctx,
        &agent,
        &sender,
        &text,
        Duration::from_secs(a.wait),
        !a.no_background,
    )?;
    if out.json {
        out.json(json!({ "delivery": r }))?;
    } else {
        match r.state {
            DeliveryState::Delivered => out
                .line(format!(
                    "Delivered to {} (message {}){}.",
                    r.agent,
                    r.id,
                    r.reason.as_deref().map(|w| format!("; {w}")).unwrap_or_default()
                ))?,
            DeliveryState::Queued => out
                .line(format!(
                    "Queued: {} is busy; it gets the message at its next idle prompt (message {}; `gt nudge --status {}`).",
                    r.agent, r.id, r.id
                ))?,
            _ => {}
        }
    }
    if r.state == DeliveryState::Failed {
        return Err(Error::failed(format!(
            "message {} was not delivered to {}: {}",
            r.id,
            r.agent,
            r.reason.unwrap_or_default()
        )));
    }
    Ok(())
}

pub fn peek(out: &mut Out, ctx: &mut Ctx, agent: &str, lines: usize) -> Result<()> {
    let text = live::peek(ctx, agent, lines)?;
    if out.json {
        return out.json(json!({ "agent": agent, "screen": text }));
    }
    out.line(text)
}

pub fn attach(_out: &mut Out, ctx: &mut Ctx, agent: &str, batch: bool) -> Result<()> {
    if batch {
        return Err(Error::invalid(
            "gt attach needs a terminal; it cannot run in --batch mode",
        ));
    }
    live::attach(ctx, agent)
}

pub fn polecat_cmd(out: &mut Out, ctx: &mut Ctx, cmd: PolecatCmd) -> Result<()> {
    match cmd {
        PolecatCmd::List { rig } => {
            let list = polecat::list(ctx, rig.as_deref())?;
            if out.json {
                return out.json(json!({ "count": list.len(), "polecats": list }));
            }
            if list.is_empty() && !out.batch {
                return out.line("No polecats.");
            }
            worker_table(out, "POLECAT", &list)
        }
        PolecatCmd::Show { agent } => {
            let p = polecat::show(ctx, &agent)?;
            if out.json {
                return out.json(json!({ "polecat": p }));
            }
            out.line(format!(
                "{}  ({}, runtime {})",
                p.agent.address,
                p.agent.state,
                or_dash(p.agent.runtime.as_deref())
            ))?;
            out.line(format!("  hook: {}", or_dash(p.agent.hook.as_deref())))?;
            out.line(format!("  branch: {}", or_dash(p.agent.branch.as_deref())))?;
            out.line(format!(
                "  worktree: {}",
                p.agent
                    .worktree
                    .as_ref()
                    .map(|w| w.display().to_string())
                    .unwrap_or_else(|| "-".into())
            ))?;
            out.line(format!(
                "  uncommitted files: {}   commits not merged: {}",
                p.dirty_files
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
                p.commits_ahead
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into())
            ))
        }
        PolecatCmd::Remove { agent, force } => {
            let r = agents::polecat_remove::remove(ctx, &agent, force)?;
            if out.json {
                return out.json(json!({ "removed": r }));
            }
            print_removed(out, &r)
        }
    }
}

/// Workers (polecats or crew) with their hook and what their worktree holds.
pub(super) fn worker_table(
    out: &mut Out,
    heading: &str,
    list: &[crate::work::agents::polecat::PolecatView],
) -> Result<()> {
    let count = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                p.agent.address.clone(),
                p.agent.state.to_string(),
                or_dash(p.agent.hook.as_deref()),
                or_dash(p.agent.branch.as_deref()),
                count(p.dirty_files),
                count(p.commits_ahead),
            ]
        })
        .collect();
    out.table(
        &[heading, "STATE", "HOOK", "BRANCH", "DIRTY", "AHEAD"],
        &rows,
    )
}

/// What removing a worker did, and what it kept.
pub(super) fn print_removed(
    out: &mut Out,
    r: &crate::work::agents::polecat_remove::RemoveReport,
) -> Result<()> {
    out.line(format!("Removed {}", r.address))?;
    for d in &r.discarded {
        out.line(format!("  discarded (--force): {d}"))?;
    }
    if let Some(b) = &r.branch_kept {
        out.line(format!("  kept branch {b}: its commits are not merged"))?;
    }
    Ok(())
}

/// `gt agent sim` runs without a town; `gt agent flush` with one.
pub fn agent_cmd(out: &mut Out, session: &mut super::Session, cmd: AgentCmd) -> Result<()> {
    match cmd {
        AgentCmd::Sim(a) => {
            let code = sim::run(SimOptions {
                slow_start: a.slow_start,
                busy: a.busy,
                ignore_first_enter: a.ignore_first_enter,
                hang: a.hang,
                crash_after: a.crash_after,
                no_commit: a.no_commit,
                exit_on_input: a.exit_on_input,
                report_to: a.report_to,
                step_secs: a.step_secs,
                once: a.once,
                prompt: a.prompt,
            });
            if code == 0 {
                Ok(())
            } else {
                Err(Error::failed(format!(
                    "the simulator stopped with status {code}"
                )))
            }
        }
        AgentCmd::Flush { agent, wait } => {
            let ctx = session.ctx()?;
            let info = agents::require(ctx, &agent)?;
            let rt = delivery::runtime_of(ctx, &info)?;
            let ran = delivery::flush_as_deliverer(ctx, &info, &rt, Duration::from_secs(wait))?;
            let left = delivery::queued_count(ctx, &info.address)?;
            if out.json {
                return out
                    .json(json!({ "agent": info.address, "still_queued": left, "another_deliverer": !ran }));
            }
            let who = if ran {
                ""
            } else {
                " (another deliverer is at work on them)"
            };
            out.line(format!(
                "{}: {left} message(s) still queued{who}",
                info.address
            ))
        }
    }
}

// ---- command-line grammar of these commands (clap) ----

use super::args::{WEEK, at_most, seconds};
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct SlingArgs {
    /// One or more bead ids, then the target (a rig, `<rig>/polecats/<name>` or `<rig>/<name>`).
    #[arg(required = true, num_args = 2.., value_name = "BEAD… TARGET")]
    pub items: Vec<String>,
    /// Runtime to start (overrides role_agents / default_agent).
    #[arg(long)]
    pub agent: Option<String>,
    /// Do not create a `Work: <title>` convoy for untracked beads.
    #[arg(long)]
    pub no_convoy: bool,
    /// Move a bead that is on another agent's hook; to a rig, also start it now even when
    /// the scheduler is full or paused.
    #[arg(long)]
    pub force: bool,
    /// Pour this formula for the bead (the agent works through its steps).
    #[arg(long, conflicts_with = "no_formula")]
    pub formula: Option<String>,
    /// Pour no formula, even when `sling.formula` names one.
    #[arg(long)]
    pub no_formula: bool,
    /// A formula variable: `--var name=value`; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NudgeArgs {
    /// The agent's address.
    #[arg(required_unless_present = "status")]
    pub agent: Option<String>,
    /// The text (words are joined with spaces); or use --stdin.
    pub text: Vec<String>,
    /// Read the text from stdin.
    #[arg(long, conflicts_with = "text")]
    pub stdin: bool,
    /// Seconds to wait for a busy agent before leaving the message queued.
    #[arg(long, default_value_t = 10, value_parser = at_most::<WEEK>)]
    pub wait: u64,
    /// Show the state of an earlier message by its id.
    #[arg(long, conflicts_with_all = ["agent", "text", "stdin"])]
    pub status: Option<i64>,
    /// Do not hand a still-queued message to a background deliverer.
    #[arg(long)]
    pub no_background: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolecatCmd {
    /// Polecats with their state, hook, branch and unsaved work.
    List {
        #[arg(long)]
        rig: Option<String>,
    },
    /// One polecat in detail.
    Show { agent: String },
    /// Remove a polecat (its window, worktree and record); refuses to lose work without --force.
    Remove {
        agent: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCmd {
    /// The simulator: a stand-in for an AI coding CLI (no AI), used by `gt demo` and the tests.
    Sim(SimArgs),
    /// Deliver an agent's queued messages once it is idle (run in the background by `gt nudge`).
    Flush {
        agent: String,
        /// Give up (leaving messages queued) after this many seconds.
        #[arg(long, default_value_t = 1800, value_parser = at_most::<WEEK>)]
        wait: u64,
    },
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seconds before the prompt first appears [env GT_SIM_SLOW_START].
    #[arg(long, env = "GT_SIM_SLOW_START", default_value_t = 0.0, value_parser = seconds)]
    pub slow_start: f64,
    /// Seconds each piece of work keeps it busy [env GT_SIM_BUSY].
    #[arg(long, env = "GT_SIM_BUSY", default_value_t = 1.0, value_parser = seconds)]
    pub busy: f64,
    /// Swallow the first Enter it receives [env GT_SIM_IGNORE_FIRST_ENTER].
    #[arg(long, env = "GT_SIM_IGNORE_FIRST_ENTER")]
    pub ignore_first_enter: bool,
    /// Show the prompt, then never read input again [env GT_SIM_HANG].
    #[arg(long, env = "GT_SIM_HANG")]
    pub hang: bool,
    /// Crash (exit 3) after this many seconds [env GT_SIM_CRASH_AFTER].
    #[arg(long, env = "GT_SIM_CRASH_AFTER", value_parser = seconds)]
    pub crash_after: Option<f64>,
    /// Make the change, then exit without committing or `gt done` [env GT_SIM_NO_COMMIT].
    #[arg(long, env = "GT_SIM_NO_COMMIT")]
    pub no_commit: bool,
    /// Exit (status 4) as soon as anything is typed or pasted [env GT_SIM_EXIT_ON_INPUT].
    #[arg(long, env = "GT_SIM_EXIT_ON_INPUT")]
    pub exit_on_input: bool,
    /// Mail this address a short report after each `gt done`.
    #[arg(long)]
    pub report_to: Option<String>,
    /// Misbehave (hang, crash, no commit) only in this agent's first session; a restarted
    /// session works normally, as a transient failure would [env GT_SIM_ONCE].
    #[arg(long, env = "GT_SIM_ONCE")]
    pub once: bool,
    /// Seconds each step of a molecule keeps it busy [env GT_SIM_STEP_SECS].
    #[arg(long, env = "GT_SIM_STEP_SECS", default_value_t = 0.0, value_parser = seconds)]
    pub step_secs: f64,
    /// The first prompt (gt passes the beacon here).
    pub prompt: Option<String>,
}
