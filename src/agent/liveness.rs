//! The witness's verdict on one agent, from facts alone (no I/O here): what tmux shows, the
//! hook, the agent's heartbeat and the runtime's markers. Every verdict carries its reason in
//! words a person can check.

use crate::agent::{Runtime, procs, screen};
use crate::time::human_duration;
use crate::tmux::Pane;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Working,
    Idle,
    /// The runtime asks a question, or sits at its prompt with work on its hook.
    Waiting,
    /// Work is hooked but nothing has moved (no output, no gt call) past the threshold.
    Stalled,
    /// The window is there but the runtime in it is gone.
    Zombie,
    /// The window is gone while work is hooked.
    Dead,
    /// Its runtime exited before it ever reached its prompt: starting it again fails again.
    #[serde(rename = "start-failed")]
    StartFailed,
    /// It sits on a screen that is not its prompt (a dialog, shell mode, a start that never
    /// finished) and does not move on by itself.
    Blocked,
    /// Its service refuses it for now (rate limit, usage limit, overload): it waits for the
    /// limit, or another account; a restart would meet the same limit.
    #[serde(rename = "rate-limited")]
    RateLimited,
    /// Stopped where it stands by an emergency stop (`gt thaw` lets it go on).
    Frozen,
    /// Its host does not answer: the town cannot see it (it may well be working there). One
    /// verdict for the host, not a restart per agent; it is seen again when the host is back.
    Unreachable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Working => "working",
            Verdict::Idle => "idle",
            Verdict::Waiting => "waiting",
            Verdict::Stalled => "stalled",
            Verdict::Zombie => "zombie",
            Verdict::Dead => "dead",
            Verdict::StartFailed => "start-failed",
            Verdict::Blocked => "blocked",
            Verdict::RateLimited => "rate-limited",
            Verdict::Frozen => "frozen",
            Verdict::Unreachable => "unreachable",
        }
    }

    /// A verdict someone (the witness or a person) has to act on.
    pub fn is_trouble(self) -> bool {
        matches!(
            self,
            Verdict::Stalled
                | Verdict::Zombie
                | Verdict::Dead
                | Verdict::StartFailed
                | Verdict::Blocked
                | Verdict::RateLimited
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Classified {
    pub verdict: Verdict,
    pub reason: String,
}

/// Everything the verdict is made from.
pub struct Facts<'a> {
    pub now: i64,
    pub hook: Option<&'a str>,
    pub pane: Option<&'a Pane>,
    /// The pane's text (None when it was not captured).
    pub screen: Option<&'a str>,
    pub runtime: Option<&'a Runtime>,
    /// Unix time of the agent's last gt command.
    pub heartbeat: Option<i64>,
    /// Whether the runtime's process is in the pane's process tree (None: not known).
    pub runtime_alive: Option<bool>,
    pub stall_after_secs: i64,
    /// At its prompt this long with work hooked reads as waiting for input.
    pub waiting_after_secs: i64,
    /// Unix time the screen last said something new (spinners and timers aside); None:
    /// not known, the pane's last output counts.
    pub screen_changed: Option<i64>,
    /// The last event its runtime reported through its hooks (gt's name, Unix time): the
    /// first evidence, ahead of screen text (`needs-input`, a `turn-end` with work hooked).
    pub event: Option<(&'a str, i64)>,
}

/// Question lines of coding CLIs that stop and wait for a person.
const QUESTION_MARKERS: &[&str] = &[
    "(y/n)",
    "[y/N]",
    "[Y/n]",
    "(yes/no)",
    "Do you want to",
    "Press Enter to continue",
];

fn v(verdict: Verdict, reason: impl Into<String>) -> Classified {
    Classified {
        verdict,
        reason: reason.into(),
    }
}

pub fn classify(f: &Facts<'_>) -> Classified {
    let Some(pane) = f.pane else {
        return match f.hook {
            Some(h) => v(
                Verdict::Dead,
                format!("its window is gone while {h} is hooked"),
            ),
            None => v(Verdict::Idle, "no session; nothing hooked"),
        };
    };
    let name = f.runtime.map(|r| r.name.as_str()).unwrap_or("its runtime");
    if pane.dead {
        let status = pane
            .exit_status
            .map(|s| format!(" with status {s}"))
            .unwrap_or_default();
        if !pane.ready && pane.started.is_some() {
            return v(
                Verdict::StartFailed,
                format!(
                    "{name} exited{status} before reaching its prompt{}",
                    tail(f.screen)
                ),
            );
        }
        return v(
            Verdict::Zombie,
            format!("its runtime exited{status}; the window is kept"),
        );
    }
    if f.runtime_alive == Some(false) && procs::is_shell(&pane.current_command) {
        return v(
            Verdict::Zombie,
            format!(
                "its runtime is gone; the pane shows a {} shell",
                pane.current_command
            ),
        );
    }
    let seen = f
        .runtime
        .zip(f.screen)
        .map(|(rt, text)| screen::read(rt, text));
    if let (Some(s), Some(rt)) = (&seen, f.runtime) {
        if let Some(d) = s.dialog.and_then(|i| rt.dialogs.get(i)) {
            return v(
                Verdict::Blocked,
                format!("stopped at its \"{}\" screen{}", d.name, tail(f.screen)),
            );
        }
        if let Some(l) = &s.rate_limit {
            let when = l
                .reset
                .as_deref()
                .map(|r| format!(" (retry or reset: {r})"))
                .unwrap_or_default();
            return v(
                Verdict::RateLimited,
                format!(
                    "{name} is refused by its service for now{when}: {}",
                    crate::inert::visible(&l.words)
                ),
            );
        }
        if s.shell_mode {
            return v(
                Verdict::Blocked,
                "its input is in shell mode: what is typed there runs as a command (leave it with Escape)",
            );
        }
        let stuck_starting = !pane.ready
            && !s.at_prompt
            && !s.busy
            && pane
                .started
                .is_some_and(|t| f.now - t > rt.startup_timeout_secs as i64);
        if stuck_starting {
            return v(
                Verdict::Blocked,
                format!(
                    "{name} has not reached its prompt {} after its start{}",
                    human_duration(f.now - pane.started.unwrap_or(f.now)),
                    tail(f.screen)
                ),
            );
        }
    }
    let output = f.screen_changed.or(pane.activity);
    let last = output
        .into_iter()
        .chain(f.heartbeat)
        .chain(f.event.map(|e| e.1))
        .max();
    let quiet = last.map(|t| (f.now - t).max(0));
    let busy = seen.as_ref().is_some_and(|s| s.busy);
    match f.event {
        Some(("needs-input", _)) => {
            return v(
                Verdict::Waiting,
                format!("{name} says it waits for a person{}", tail(f.screen)),
            );
        }
        Some(("turn-end", _)) if !busy && f.hook.is_some() => {
            return v(
                Verdict::Waiting,
                format!(
                    "{name} finished its turn with {} hooked and no gt done",
                    f.hook.unwrap_or_default()
                ),
            );
        }
        _ => {}
    }
    if let Some(q) = f.screen.and_then(question) {
        return v(Verdict::Waiting, format!("asks: {q}"));
    }
    let at_prompt = seen.as_ref().is_some_and(|s| s.at_prompt);
    let Some(hook) = f.hook else {
        return if busy {
            v(Verdict::Working, "busy marker shown; nothing hooked")
        } else {
            v(Verdict::Idle, "nothing hooked")
        };
    };
    let quiet_text = |q: i64| human_duration(q);
    match quiet {
        Some(q) if q > f.stall_after_secs => {
            let what = if busy {
                "busy marker shown but no output"
            } else {
                "no output"
            };
            v(
                Verdict::Stalled,
                format!(
                    "{what} and no gt call for {} with {hook} hooked",
                    quiet_text(q)
                ),
            )
        }
        Some(q) if at_prompt && q >= f.waiting_after_secs => v(
            Verdict::Waiting,
            format!("at its prompt for {} with {hook} hooked", quiet_text(q)),
        ),
        Some(q) if busy => v(
            Verdict::Working,
            format!("busy on {hook}; last sign of life {} ago", quiet_text(q)),
        ),
        Some(q) => v(
            Verdict::Working,
            format!("on {hook}; last sign of life {} ago", quiet_text(q)),
        ),
        None => v(Verdict::Working, format!("on {hook}")),
    }
}

/// The screen's last lines, for a reason a person reads.
fn tail(screen: Option<&str>) -> String {
    let lines = screen
        .map(|s| crate::agent::startup::last_lines(s, 4))
        .unwrap_or_default();
    if lines.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = lines
        .iter()
        .map(|l| crate::inert::visible(l.trim()))
        .collect();
    format!("; its screen ends with: {}", joined.join(" / "))
}

/// The question line a runtime waits on, if its screen's bottom shows one.
fn question(screen_text: &str) -> Option<String> {
    let lines: Vec<&str> = screen_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(6)..]
        .iter()
        .rev()
        .find(|l| QUESTION_MARKERS.iter().any(|m| l.contains(m)))
        .map(|l| l.chars().take(120).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runtime::presets;

    fn pane(dead: bool, activity: i64, cmd: &str) -> Pane {
        Pane {
            session: "r".into(),
            window_id: "@1".into(),
            window_name: "ash".into(),
            pane_id: "%1".into(),
            pid: Some(1),
            dead,
            exit_status: dead.then_some(3),
            current_command: cmd.into(),
            activity: Some(activity),
            attached_clients: 0,
            window_active: false,
            agent: Some("r/polecats/ash".into()),
            bead: None,
            width: 80,
            height: 24,
            daemon: false,
            started: Some(0),
            ready: true,
        }
    }

    fn facts<'a>(
        p: Option<&'a Pane>,
        hook: Option<&'a str>,
        screen: Option<&'a str>,
        rt: &'a Runtime,
    ) -> Facts<'a> {
        Facts {
            now: 1_000,
            hook,
            pane: p,
            screen,
            runtime: Some(rt),
            heartbeat: None,
            runtime_alive: Some(true),
            stall_after_secs: 300,
            waiting_after_secs: 30,
            screen_changed: None,
            event: None,
        }
    }

    #[test]
    fn a_runtime_event_is_first_evidence() {
        let rt = presets()["sim"].clone();
        let pane = pane(false, 990, "gt");
        let at_prompt = Some("sim❯ ");
        let mut f = facts(Some(&pane), Some("gt-1"), at_prompt, &rt);
        // At its prompt for 10 s with work hooked: by the screen alone, still working.
        assert_eq!(classify(&f).verdict, Verdict::Working);
        f.event = Some(("needs-input", 995));
        let c = classify(&f);
        assert_eq!(c.verdict, Verdict::Waiting, "{}", c.reason);
        assert!(c.reason.contains("waits for a person"), "{}", c.reason);
        f.event = Some(("turn-end", 995));
        let c = classify(&f);
        assert_eq!(c.verdict, Verdict::Waiting, "{}", c.reason);
        assert!(
            c.reason.contains("finished its turn with gt-1"),
            "{}",
            c.reason
        );
        f.event = Some(("prompt-submit", 995));
        assert_eq!(classify(&f).verdict, Verdict::Working);
        // Nothing hooked: a finished turn is just idle.
        let mut idle = facts(Some(&pane), None, at_prompt, &rt);
        idle.event = Some(("turn-end", 995));
        assert_eq!(classify(&idle).verdict, Verdict::Idle);
    }

    #[test]
    fn each_verdict_with_its_reason() {
        let rt = presets()["sim"].clone();
        let c = classify(&facts(None, Some("gt-1"), None, &rt));
        assert_eq!(c.verdict, Verdict::Dead);
        assert!(c.reason.contains("gt-1"), "{}", c.reason);
        assert_eq!(
            classify(&facts(None, None, None, &rt)).verdict,
            Verdict::Idle
        );

        let dead = pane(true, 990, "gt");
        let c = classify(&facts(Some(&dead), Some("gt-1"), None, &rt));
        assert_eq!(c.verdict, Verdict::Zombie);
        assert!(c.reason.contains("status 3"), "{}", c.reason);

        let shell = pane(false, 990, "bash");
        let mut f = facts(Some(&shell), Some("gt-1"), Some("$ "), &rt);
        f.runtime_alive = Some(false);
        let c = classify(&f);
        assert_eq!(c.verdict, Verdict::Zombie);
        assert!(c.reason.contains("bash"), "{}", c.reason);

        let busy = pane(false, 995, "gt");
        let text = "⠿ sim is working… (esc to interrupt)";
        let c = classify(&facts(Some(&busy), Some("gt-1"), Some(text), &rt));
        assert_eq!(c.verdict, Verdict::Working, "{}", c.reason);

        let quiet = pane(false, 100, "gt");
        let c = classify(&facts(Some(&quiet), Some("gt-1"), Some(text), &rt));
        assert_eq!(c.verdict, Verdict::Stalled);
        assert!(c.reason.contains("15m"), "{}", c.reason);
        // A recent gt call is a sign of life even with a quiet screen.
        let mut f = facts(Some(&quiet), Some("gt-1"), Some(text), &rt);
        f.heartbeat = Some(990);
        assert_eq!(classify(&f).verdict, Verdict::Working);

        let prompt = pane(false, 900, "gt");
        let c = classify(&facts(Some(&prompt), Some("gt-1"), Some("sim❯ "), &rt));
        assert_eq!(c.verdict, Verdict::Waiting, "{}", c.reason);
        let c = classify(&facts(Some(&prompt), None, Some("sim❯ "), &rt));
        assert_eq!(c.verdict, Verdict::Idle);

        let asks = "Do you want to overwrite main.rs? (y/n)\nsim❯ ";
        let c = classify(&facts(Some(&busy), Some("gt-1"), Some(asks), &rt));
        assert_eq!(c.verdict, Verdict::Waiting);
        assert!(c.reason.contains("overwrite"), "{}", c.reason);
    }

    #[test]
    fn a_runtime_that_never_started_is_start_failed_and_a_dialog_blocks() {
        let claude = presets()["claude"].clone();
        let mut never = pane(true, 990, "claude");
        never.ready = false;
        let text = "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n\nPane is dead (status 1)";
        let c = classify(&facts(Some(&never), Some("gt-1"), Some(text), &claude));
        assert_eq!(c.verdict, Verdict::StartFailed, "{}", c.reason);
        assert!(
            c.reason.contains("root/sudo") && c.reason.contains("status 3"),
            "{}",
            c.reason
        );
        // One that ran and then exited is a zombie (a restart may help).
        let ran = pane(true, 990, "claude");
        assert_eq!(
            classify(&facts(Some(&ran), Some("gt-1"), Some(text), &claude)).verdict,
            Verdict::Zombie
        );

        let live = pane(false, 995, "claude");
        let theme = "Let's get started.\n\n Choose the text style that looks best with your terminal\n ❯ ✔ Auto (match terminal)\n";
        let c = classify(&facts(Some(&live), None, Some(theme), &claude));
        assert_eq!(c.verdict, Verdict::Blocked, "{}", c.reason);
        assert!(c.reason.contains("first-run theme"), "{}", c.reason);

        // A start that never showed its prompt, long after its startup time.
        let mut slow = pane(false, 995, "claude");
        slow.ready = false;
        slow.started = Some(1_000 - 120);
        let c = classify(&facts(
            Some(&slow),
            Some("gt-1"),
            Some("Loading something"),
            &claude,
        ));
        assert_eq!(c.verdict, Verdict::Blocked, "{}", c.reason);
        assert!(c.reason.contains("Loading something"), "{}", c.reason);
    }

    #[test]
    fn a_spinner_is_no_progress_when_the_screen_says_nothing_new() {
        let claude = presets()["claude"].clone();
        let p = pane(false, 999, "claude");
        let text = "❯ do it\n\n✢ Swooping… (9m)\n  ⏵⏵ bypass permissions on · esc to interrupt";
        let mut f = facts(Some(&p), Some("gt-1"), Some(text), &claude);
        f.screen_changed = Some(100);
        let c = classify(&f);
        assert_eq!(c.verdict, Verdict::Stalled, "{}", c.reason);
        f.screen_changed = Some(990);
        assert_eq!(classify(&f).verdict, Verdict::Working);
    }
}
