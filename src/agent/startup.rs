//! What gt may do about a runtime's startup screens, and the traps it can name: pure
//! decisions from the runtime's data and the session's environment.

use super::runtime::{Dialog, DialogAnswer, Runtime};

/// Whether gt answers `d` itself: only dialogs that confirm what the town's configuration
/// already chose — the agent's own worktree (gt made it for this agent), the autonomous mode
/// the runtime's own arguments ask for, an API key the agent's environment holds.
pub fn may_answer(d: &Dialog, rt: &Runtime, env: &[(String, String)]) -> bool {
    match d.answer {
        DialogAnswer::TrustWorktree => !d.keys.is_empty(),
        DialogAnswer::Autonomous => !d.keys.is_empty() && !rt.autonomous_args.is_empty(),
        DialogAnswer::ApiKey => {
            !d.keys.is_empty()
                && d.env
                    .as_deref()
                    .is_some_and(|k| value(env, k).is_some_and(|v| !v.is_empty()))
        }
        DialogAnswer::Person => false,
    }
}

/// A variable's value in a session environment (later entries win), else in this process's.
pub fn value(env: &[(String, String)], key: &str) -> Option<String> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(key).ok())
}

/// The root trap: running as root, the runtime's autonomous mode needs variables the session
/// lacks. Returns the fix, in words.
pub fn root_trap(rt: &Runtime, env: &[(String, String)], is_root: bool) -> Option<String> {
    if !is_root || rt.root_env.is_empty() || rt.autonomous_args.is_empty() {
        return None;
    }
    let missing: Vec<(&String, &String)> = rt
        .root_env
        .iter()
        .filter(|(k, v)| value(env, k).as_deref() != Some(v.as_str()))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let sets: Vec<String> = missing.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let flags: Vec<String> = sets.iter().map(|s| format!("--env {s}")).collect();
    Some(format!(
        "running as root, {} refuses its autonomous mode ({}) unless {} is set; if this machine is a sandbox or container, run `gt config agent set {} {}`",
        rt.name,
        rt.autonomous_args.join(" "),
        sets.join(" "),
        rt.name,
        flags.join(" ")
    ))
}

/// The lines of a screen from where `dialog` begins (its first text) to the bottom, at most
/// `n` non-empty ones: what a person needs to see to answer it.
pub fn dialog_lines(screen: &str, dialog: &Dialog, n: usize) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let top = dialog
        .screen
        .iter()
        .filter_map(|t| lines.iter().rposition(|l| l.contains(t.as_str())))
        .min()
        .unwrap_or(0);
    lines[top..]
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(|l| l.chars().take(200).collect())
        .collect()
}

/// The last non-empty lines of a screen, for an error a person reads (without tmux's own
/// `Pane is dead (…)` line: the exit status is said separately).
pub fn last_lines(screen: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = screen
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Pane is dead ("))
        .collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.chars().take(200).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::runtime::presets;

    #[test]
    fn gt_answers_only_what_the_configuration_already_chose() {
        let p = presets();
        let claude = &p["claude"];
        let by = |name: &str| {
            claude
                .dialogs
                .iter()
                .find(|d| d.name == name)
                .expect("dialog")
        };
        assert!(may_answer(by("trust this folder"), claude, &[]));
        assert!(may_answer(by("bypass permissions warning"), claude, &[]));
        assert!(!may_answer(by("first-run theme"), claude, &[]));
        let key = by("use this API key");
        let with = [("ANTHROPIC_API_KEY".to_string(), "sk-x".to_string())];
        let without = [("ANTHROPIC_API_KEY".to_string(), String::new())];
        assert!(may_answer(key, claude, &with));
        assert!(!may_answer(key, claude, &without));
        let mut tame = claude.clone();
        tame.autonomous_args.clear();
        assert!(!may_answer(by("bypass permissions warning"), &tame, &[]));
    }

    #[test]
    fn the_root_trap_is_named_with_its_fix() {
        let claude = presets()["claude"].clone();
        let fix = root_trap(&claude, &[("IS_SANDBOX".into(), "yes".into())], true)
            .expect("a trap as root without IS_SANDBOX=1");
        assert!(
            fix.contains("gt config agent set claude --env IS_SANDBOX=1"),
            "{fix}"
        );
        assert_eq!(
            root_trap(&claude, &[("IS_SANDBOX".into(), "1".into())], true),
            None
        );
        assert_eq!(root_trap(&claude, &[], false), None);
        assert_eq!(root_trap(&presets()["codex"], &[], true), None);
    }
}
