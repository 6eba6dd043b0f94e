//! What the witness does about a verdict: the recovery ladder (nudge a stalled agent, restart
//! a stalled, zombie or dead one on its own worktree and hook, escalate a crash loop), with a
//! grace period after each action and exponential backoff between restarts. Pure: the
//! decision is made from the verdict, the policy and what the witness remembers.

use super::classify::Verdict;
use crate::Result;
use crate::town::RigConfig;
use crate::work::Ctx;
pub use crate::work::agents::live::{Thresholds, thresholds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    Restart,
    Nudge,
    Report,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub interval_secs: i64,
    pub stall_after_secs: i64,
    pub recovery: Recovery,
    pub grace_secs: i64,
    pub max_restarts: usize,
    pub restart_window_secs: i64,
    pub backoff_secs: i64,
}

impl Policy {
    pub fn for_rig(ctx: &Ctx, rig: &RigConfig) -> Result<Policy> {
        let int = |k: &str| -> Result<i64> { Ok(ctx.setting(k, Some(rig))?.as_int()) };
        let recovery = match ctx
            .setting("witness.recovery", Some(rig))?
            .as_str()
            .as_str()
        {
            "nudge" => Recovery::Nudge,
            "report" => Recovery::Report,
            _ => Recovery::Restart,
        };
        Ok(Policy {
            interval_secs: int("witness.interval_secs")?,
            stall_after_secs: int("witness.stall_after_secs")?,
            recovery,
            grace_secs: int("witness.grace_secs")?,
            max_restarts: int("witness.max_restarts")?.max(1) as usize,
            restart_window_secs: int("witness.restart_window_secs")?,
            backoff_secs: int("witness.backoff_secs")?,
        })
    }
}

/// `witness.stall_after_secs` as the witness of `rig` (None: town-level agents) reads it.
pub fn stall_after_secs(ctx: &Ctx, rig: Option<&str>) -> Result<i64> {
    Ok(thresholds(ctx, rig)?.stall_after_secs)
}

/// What the witness remembers about one agent (kept in `.gt/daemon/`, so a restarted
/// supervisor keeps counting).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Memory {
    /// Unix times of the restarts the witness made.
    #[serde(default)]
    pub restarts: Vec<i64>,
    pub nudged_at: Option<i64>,
    pub escalated_at: Option<i64>,
    /// When its start-failed or blocked state was escalated (once per episode; cleared when
    /// it is fine again).
    #[serde(default)]
    pub stuck_reported_at: Option<i64>,
}

impl Memory {
    fn recent_restarts(&self, now: i64, window: i64) -> Vec<i64> {
        self.restarts
            .iter()
            .copied()
            .filter(|t| now - t < window)
            .collect()
    }

    /// Forgets restarts that fell out of the window, so memory stays small; once fewer than
    /// `max` remain, a new crash loop is escalated again.
    pub fn prune(&mut self, now: i64, window: i64, max: usize) {
        self.restarts = self.recent_restarts(now, window);
        if self.restarts.len() < max {
            self.escalated_at = None;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", content = "why", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do (or nothing the witness may do), and why.
    None(String),
    /// Not yet: a grace period or backoff runs.
    Wait(String),
    Nudge(String),
    Restart(String),
    Escalate(String),
    /// Answer the startup dialog of this name (one gt may answer: see `agent::startup`).
    Answer(String),
}

pub struct Situation<'a> {
    pub now: i64,
    pub verdict: Verdict,
    pub reason: &'a str,
    pub hooked: bool,
    pub human_attached: bool,
    /// Unix time of the agent's last sign of life (output or gt call).
    pub last_activity: Option<i64>,
    /// Unix time its record last changed (a sling hooks the bead before the window exists).
    pub record_changed: Option<i64>,
    /// A polecat (the witness restarts only those: crew and the mayor are a person's to run).
    pub polecat: bool,
    /// The dialog on its screen that gt may answer (a blocked agent).
    pub answerable: Option<&'a str>,
    /// Its start is still being watched by whoever started it (not ready yet, within its
    /// startup time): the starter answers its dialogs, not the witness.
    pub starting: bool,
    /// A rate-limited agent's next session could run on this account (`accounts.rotate`).
    pub next_account: Option<&'a str>,
}

pub fn decide(s: &Situation<'_>, p: &Policy, m: &Memory) -> Action {
    if !s.verdict.is_trouble() {
        return Action::None(String::new());
    }
    if s.starting {
        return Action::Wait("its start is under way; the starter answers its screens".into());
    }
    if s.human_attached {
        return Action::None("a person is attached to its window; the witness keeps off".into());
    }
    if s.verdict == Verdict::Blocked
        && let Some(d) = s.answerable
    {
        return Action::Answer(d.to_string());
    }
    // Starting it again would fail the same way; a blocked screen needs a person. Either is
    // said once (an escalation), never retried in a loop.
    if matches!(s.verdict, Verdict::StartFailed | Verdict::Blocked) {
        if !s.hooked && !s.polecat {
            return Action::None("reported only (crew and the mayor are a person's to run)".into());
        }
        if m.stuck_reported_at.is_some() {
            return Action::None(format!(
                "{}; escalated, waiting for a person (not restarted: it would fail the same way)",
                s.verdict.as_str()
            ));
        }
        return Action::Escalate(format!("{}: {}", s.verdict.as_str(), s.reason));
    }
    if s.verdict == Verdict::RateLimited {
        // A new session on the same account meets the same limit: it waits (and is shown),
        // unless another account can take its next session.
        let rotate = s.hooked && s.polecat && p.recovery == Recovery::Restart;
        let Some(next) = s.next_account.filter(|_| rotate) else {
            return Action::None(
                "rate-limited: it waits for its service; not restarted (a new session meets the same limit)"
                    .into(),
            );
        };
        if let Some(t) = m.restarts.last()
            && s.now - t < p.grace_secs
        {
            return Action::Wait(format!("restarted {}s ago; grace period", s.now - t));
        }
        return Action::Restart(format!(
            "rate-limited ({}); its next session runs on account {next}",
            s.reason
        ));
    }
    if !s.hooked {
        return Action::None("nothing hooked; left as it is".into());
    }
    if !s.polecat {
        return Action::None(
            "crew and the mayor are started and stopped by a person; reported only".into(),
        );
    }
    if p.recovery == Recovery::Report {
        return Action::None("witness.recovery = report".into());
    }
    if let Some(t) = m.restarts.last()
        && s.now - t < p.grace_secs
    {
        return Action::Wait(format!("restarted {}s ago; grace period", s.now - t));
    }
    if let Some(t) = s.record_changed
        && s.verdict == Verdict::Dead
        && s.now - t < p.grace_secs
    {
        return Action::Wait(format!(
            "work hooked {}s ago; its window may be on its way",
            s.now - t
        ));
    }
    if s.verdict == Verdict::Stalled {
        // One nudge per stall episode: stalled again soon after a nudge means the nudge
        // did not help (even if the pasted text itself showed as output).
        let episode = 3 * p.stall_after_secs.max(p.grace_secs);
        match m.nudged_at {
            Some(n) if s.now - n < episode => {
                let since = s.now - n;
                if since < p.grace_secs {
                    return Action::Wait(format!("nudged {since}s ago; waiting for it to move"));
                }
                if p.recovery == Recovery::Nudge {
                    return Action::None(
                        "nudged and still stalled; witness.recovery = nudge".into(),
                    );
                }
            }
            _ => return Action::Nudge(format!("{}; asking it to go on", s.reason)),
        }
    }
    if p.recovery == Recovery::Nudge {
        return Action::None("witness.recovery = nudge: restarts are left to a person".into());
    }
    let recent = m.recent_restarts(s.now, p.restart_window_secs);
    if recent.len() >= p.max_restarts {
        if m.escalated_at.is_some() {
            return Action::None(format!(
                "{} restarts within {}; escalated, waiting for a person",
                recent.len(),
                crate::time::human_duration(p.restart_window_secs)
            ));
        }
        return Action::Escalate(format!(
            "{} restarts within {} and still {}: {}",
            recent.len(),
            crate::time::human_duration(p.restart_window_secs),
            s.verdict.as_str(),
            s.reason
        ));
    }
    if let Some(last) = recent.last() {
        let wait = p
            .backoff_secs
            .saturating_mul(1 << (recent.len() - 1).min(20));
        let due = last + wait;
        if s.now < due {
            return Action::Wait(format!(
                "restart {} of {} in {}s (backoff)",
                recent.len() + 1,
                p.max_restarts,
                due - s.now
            ));
        }
    }
    Action::Restart(format!("{}: {}", s.verdict.as_str(), s.reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            interval_secs: 3,
            stall_after_secs: 60,
            recovery: Recovery::Restart,
            grace_secs: 30,
            max_restarts: 3,
            restart_window_secs: 3600,
            backoff_secs: 10,
        }
    }

    fn sit(verdict: Verdict, now: i64) -> Situation<'static> {
        Situation {
            now,
            verdict,
            reason: "r",
            hooked: true,
            human_attached: false,
            last_activity: Some(0),
            record_changed: None,
            polecat: true,
            answerable: None,
            starting: false,
            next_account: None,
        }
    }

    #[test]
    fn a_rate_limit_is_waited_out_unless_another_account_can_take_over() {
        let p = policy();
        let m = Memory::default();
        let mut s = sit(Verdict::RateLimited, 100);
        assert!(matches!(decide(&s, &p, &m), Action::None(_)));
        s.next_account = Some("spare");
        assert!(matches!(decide(&s, &p, &m), Action::Restart(w) if w.contains("account spare")));
        let mut recent = Memory::default();
        recent.restarts.push(90);
        assert!(matches!(decide(&s, &p, &recent), Action::Wait(_)));
        s.polecat = false;
        assert!(matches!(decide(&s, &p, &m), Action::None(_)));
    }

    #[test]
    fn the_ladder_nudge_then_restart_with_backoff_then_escalate() {
        let p = policy();
        let mut m = Memory::default();
        assert!(matches!(
            decide(&sit(Verdict::Stalled, 100), &p, &m),
            Action::Nudge(_)
        ));
        m.nudged_at = Some(100);
        // A stall long after the nudge is a new episode: nudged again.
        assert!(matches!(
            decide(&sit(Verdict::Stalled, 300), &p, &m),
            Action::Nudge(_)
        ));
        assert!(matches!(
            decide(&sit(Verdict::Stalled, 110), &p, &m),
            Action::Wait(_)
        ));
        assert!(matches!(
            decide(&sit(Verdict::Stalled, 140), &p, &m),
            Action::Restart(_)
        ));
        // Zombies restart at once; the next restarts back off 40 s, then 80 s.
        let p = Policy {
            backoff_secs: 40,
            ..policy()
        };
        let at = |now: i64, m: &Memory| decide(&sit(Verdict::Zombie, now), &p, m);
        assert!(matches!(at(140, &m), Action::Restart(_)));
        m.restarts.push(140);
        assert!(matches!(at(160, &m), Action::Wait(w) if w.contains("grace")));
        assert!(matches!(at(175, &m), Action::Wait(w) if w.contains("backoff")));
        assert!(matches!(at(181, &m), Action::Restart(_)));
        m.restarts.push(181);
        assert!(matches!(at(215, &m), Action::Wait(w) if w.contains("backoff")));
        assert!(matches!(at(262, &m), Action::Restart(_)));
        m.restarts.push(262);
        assert!(matches!(
            decide(&sit(Verdict::Dead, 300), &p, &m),
            Action::Escalate(_)
        ));
        m.escalated_at = Some(300);
        assert!(matches!(
            decide(&sit(Verdict::Dead, 400), &p, &m),
            Action::None(_)
        ));
        // Out of the window, it may try again.
        assert!(matches!(
            decide(&sit(Verdict::Dead, 4000), &p, &m),
            Action::Restart(_)
        ));
    }

    #[test]
    fn a_runtime_that_cannot_start_is_escalated_once_never_restarted() {
        let p = policy();
        let mut m = Memory::default();
        assert!(matches!(
            decide(&sit(Verdict::StartFailed, 100), &p, &m),
            Action::Escalate(_)
        ));
        m.stuck_reported_at = Some(100);
        // Pruning (which resets crash-loop escalations) does not forget it.
        m.prune(200, 3600, 3);
        for now in [110, 500, 5000] {
            assert!(matches!(
                decide(&sit(Verdict::StartFailed, now), &p, &m),
                Action::None(_)
            ));
        }
        let mut s = sit(Verdict::Blocked, 100);
        s.answerable = Some("trust this folder");
        assert!(
            matches!(decide(&s, &p, &Memory::default()), Action::Answer(d) if d == "trust this folder")
        );
        s.starting = true;
        assert!(matches!(
            decide(&s, &p, &Memory::default()),
            Action::Wait(_)
        ));
        let s = sit(Verdict::Blocked, 100);
        assert!(matches!(
            decide(&s, &p, &Memory::default()),
            Action::Escalate(_)
        ));
    }

    #[test]
    fn never_acts_on_a_watched_window_or_without_work_or_when_told_to_report() {
        let m = Memory::default();
        let mut s = sit(Verdict::Zombie, 100);
        s.human_attached = true;
        assert!(matches!(decide(&s, &policy(), &m), Action::None(_)));
        let mut s = sit(Verdict::Zombie, 100);
        s.polecat = false;
        assert!(matches!(decide(&s, &policy(), &m), Action::None(_)));
        let mut s = sit(Verdict::Zombie, 100);
        s.hooked = false;
        assert!(matches!(decide(&s, &policy(), &m), Action::None(_)));
        let mut p = policy();
        p.recovery = Recovery::Report;
        assert!(matches!(
            decide(&sit(Verdict::Dead, 100), &p, &m),
            Action::None(_)
        ));
        p.recovery = Recovery::Nudge;
        assert!(matches!(
            decide(&sit(Verdict::Dead, 100), &p, &m),
            Action::None(_)
        ));
        assert!(matches!(
            decide(&sit(Verdict::Working, 100), &policy(), &m),
            Action::None(_)
        ));
    }
}
