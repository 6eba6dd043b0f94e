//! `gt polecat stale`: polecats left behind — a branch far behind its rig's default branch
//! (its work will be hard to land), or no sign of life for a long time. Reading only: what
//! to do about each is the person's call (`gt polecat gc`, `gt agent restart`, `gt nudge`).

use crate::work::Ctx;
use crate::work::agents::live::{self, SessionState};
use crate::work::agents::{AgentInfo, AgentState};
use crate::{Result, git};
use std::time::Duration;

/// A branch this many commits behind its default branch is stale, unless told otherwise.
pub const DEFAULT_BEHIND: usize = 50;
/// No sign of life for this long is stale, unless told otherwise.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(24 * 3600);

/// One stale polecat and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StalePolecat {
    pub agent: String,
    pub rig: Option<String>,
    pub state: AgentState,
    pub session: SessionState,
    pub hook: Option<String>,
    pub branch: Option<String>,
    /// Commits on the default branch its branch lacks (None: could not be read).
    pub behind: Option<usize>,
    /// Commits on its branch the default branch lacks.
    pub ahead: Option<usize>,
    /// Unix time of its last sign of life: screen output, a gt call, a commit on its branch,
    /// or a change of its record (hooked, freed, started).
    pub last_activity: Option<i64>,
    /// Seconds since then.
    pub idle_secs: Option<i64>,
    /// Why it is listed, one sentence each.
    pub reasons: Vec<String>,
}

/// Polecats (of `rig`, or every rig) whose branch is at least `behind` commits behind the
/// rig's default branch, or whose last sign of life is at least `idle` old.
pub fn stale(
    ctx: &Ctx,
    rig: Option<&str>,
    behind: usize,
    idle: Duration,
) -> Result<Vec<StalePolecat>> {
    if let Some(r) = rig {
        ctx.town.rig(r)?;
    }
    let now = ctx.unix_now();
    let idle_limit = i64::try_from(idle.as_secs()).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for v in live::agents(ctx, rig)? {
        if v.info.role != crate::agent::Role::Polecat {
            continue;
        }
        let (ahead, behind_by, branch_error, commit_time) = branch_facts(ctx, &v.info)?;
        let last_activity = [
            v.last_activity,
            commit_time,
            crate::time::parse(&v.info.updated_at).map(|t| t.timestamp()),
        ]
        .into_iter()
        .flatten()
        .max();
        let idle_secs = last_activity.map(|t| (now - t).max(0));
        let mut reasons = Vec::new();
        if let Some(n) = behind_by.filter(|n| *n >= behind) {
            reasons.push(format!(
                "{n} commit(s) behind {}",
                default_branch(ctx, &v.info)
            ));
        }
        if let Some(e) = branch_error {
            reasons.push(e);
        }
        if let Some(secs) = idle_secs.filter(|s| *s >= idle_limit) {
            reasons.push(format!(
                "no sign of life for {} (no screen output, gt call, commit or hook change)",
                crate::time::human_duration(secs)
            ));
        }
        if reasons.is_empty() {
            continue;
        }
        out.push(StalePolecat {
            agent: v.info.address.clone(),
            rig: v.info.rig.clone(),
            state: v.info.state,
            session: v.session,
            hook: v.info.hook.clone(),
            branch: v.info.branch.clone(),
            behind: behind_by,
            ahead,
            last_activity,
            idle_secs,
            reasons,
        });
    }
    Ok(out)
}

fn default_branch(ctx: &Ctx, info: &AgentInfo) -> String {
    info.rig
        .as_deref()
        .and_then(|r| ctx.town.rig(r).ok())
        .map(|r| r.default_branch)
        .unwrap_or_else(|| "the default branch".into())
}

/// Its branch against the default branch: (ahead, behind, why they could not be read, the
/// time of the branch's tip commit).
#[allow(clippy::type_complexity)]
fn branch_facts(
    ctx: &Ctx,
    info: &AgentInfo,
) -> Result<(Option<usize>, Option<usize>, Option<String>, Option<i64>)> {
    let (Some(rig), Some(branch)) = (&info.rig, &info.branch) else {
        return Ok((None, None, None, None));
    };
    let cfg = ctx.town.rig(rig)?;
    let repo = ctx.town.paths.rig_repo(rig);
    let time = git::branch_time(&repo, branch).ok();
    match git::ahead_behind(&repo, branch, &cfg.default_branch) {
        Ok((a, b)) => Ok((Some(a), Some(b), None, time)),
        // An unknown is said, never taken for "up to date".
        Err(e) => Ok((
            None,
            None,
            Some(format!("cannot tell how far {branch} is behind: {e}")),
            time,
        )),
    }
}
