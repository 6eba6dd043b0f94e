//! The command palette (`:`): any gt command, completed from the command line's own grammar
//! and the town's names, run as a child process (never through a shell), its output shown.

use crate::work::views::snapshot::TownSnapshot;

/// The grammar, built once (completion runs on every key).
pub fn grammar() -> &'static clap::Command {
    static G: std::sync::OnceLock<clap::Command> = std::sync::OnceLock::new();
    G.get_or_init(crate::cli::grammar)
}

/// Commands that need the terminal the workspace is using, or never end.
const NEEDS_A_TERMINAL: &[&[&str]] = &[
    &["attach"],
    &["demo"],
    &["daemon", "run"],
    &["agent", "sim"],
    &["mayor", "attach"],
    &["crew", "at"],
    &["crew", "attach"],
];

/// The words of a command line, as a shell would split them (quotes, backslashes) — but no
/// shell ever sees them.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(line).ok_or("an unfinished quote")?;
    if words.is_empty() {
        return Err("type a gt command (Tab completes)".into());
    }
    let words: Vec<String> = match words.first().map(String::as_str) {
        Some("gt") => words[1..].to_vec(),
        _ => words,
    };
    if words.is_empty() {
        return Err("type a gt command after `gt`".into());
    }
    // The command path, global flags in front of it left out (`--json attach x`).
    let path: Vec<&String> = words.iter().filter(|w| !w.starts_with('-')).collect();
    for bad in NEEDS_A_TERMINAL {
        if path.len() >= bad.len() && path[..bad.len()].iter().zip(*bad).all(|(a, b)| a == b) {
            return Err(format!(
                "`gt {}` needs the terminal itself; run it from a shell",
                bad.join(" ")
            ));
        }
    }
    if words.iter().any(|w| w == "--follow") {
        return Err("--follow never ends; the Feed pane follows the town already".into());
    }
    Ok(words)
}

/// The names a command may take: agents, beads, convoys, merge requests, rigs.
pub fn town_words(s: &TownSnapshot) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    out.extend(s.agents.iter().map(|a| a.address.clone()));
    out.extend(s.rigs.iter().cloned());
    out.extend(s.ready.iter().map(|b| b.id.clone()));
    out.extend(s.open.iter().map(|b| b.id.clone()));
    out.extend(s.convoys.iter().map(|c| c.id.clone()));
    out.extend(s.queue.iter().map(|q| q.id.clone()));
    out.sort();
    out.dedup();
    out
}

/// Completions of the word being typed at the end of `line`: subcommands and flags from the
/// grammar, then the town's names.
pub fn complete(grammar: &clap::Command, line: &str, names: &[String]) -> Vec<String> {
    let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let partial = if line.ends_with(char::is_whitespace) || line.is_empty() {
        String::new()
    } else {
        words.pop().unwrap_or_default()
    };
    if words.first().map(String::as_str) == Some("gt") {
        words.remove(0);
    }
    let mut cmd = grammar;
    let mut at_command = true;
    for w in &words {
        match cmd.find_subcommand(w) {
            Some(sub) => cmd = sub,
            None => {
                at_command = false;
                break;
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    if partial.starts_with('-') {
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(l) = a.get_long() {
                out.push(format!("--{l}"));
            }
        }
    } else {
        if at_command {
            out.extend(
                cmd.get_subcommands()
                    .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                    .map(|s| s.get_name().to_string()),
            );
        }
        let takes_values = cmd.get_positionals().next().is_some();
        if takes_values || !at_command {
            out.extend(names.iter().cloned());
        }
    }
    out.retain(|c| c.starts_with(&partial) && *c != partial);
    out.dedup();
    out.truncate(12);
    out
}

/// `line` with its last (partial) word replaced by `word`, and a space to go on.
pub fn accept(line: &str, word: &str) -> String {
    let keep = if line.ends_with(char::is_whitespace) {
        line
    } else {
        line.rsplit_once(char::is_whitespace)
            .map(|(head, _)| &line[..head.len() + 1])
            .unwrap_or("")
    };
    format!("{keep}{word} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_subcommands_flags_and_names() {
        let g = crate::cli::grammar();
        let names = vec![
            "shop".to_string(),
            "sh-a1".to_string(),
            "shop/polecats/ash".to_string(),
        ];
        assert!(complete(&g, "sl", &names).contains(&"sling".to_string()));
        let mq = complete(&g, "mq ", &names);
        for want in ["approve", "send-back", "list"] {
            assert!(mq.contains(&want.to_string()), "{mq:?}");
        }
        assert!(complete(&g, "mq send-back --", &names).contains(&"--message".to_string()));
        assert_eq!(complete(&g, "show sh-", &names), ["sh-a1"]);
        assert!(complete(&g, "gt sling sh-a1 sho", &names).contains(&"shop".to_string()));
        assert_eq!(accept("sling sh-a1 sho", "shop"), "sling sh-a1 shop ");
        assert_eq!(accept("mq ", "approve"), "mq approve ");
        assert_eq!(accept("sl", "sling"), "sling ");
    }

    #[test]
    fn splits_like_a_shell_and_refuses_what_needs_the_terminal() {
        assert_eq!(
            split("gt bead create \"Fix the cart\" --rig shop").expect("ok"),
            ["bead", "create", "Fix the cart", "--rig", "shop"]
        );
        // Shell syntax is only text here: it reaches gt as words.
        assert_eq!(
            split("show $(rm -rf /) ; ls").expect("ok"),
            ["show", "$(rm", "-rf", "/)", ";", "ls"]
        );
        assert!(split("attach shop/polecats/ash").is_err());
        assert!(split("--json attach shop/polecats/ash").is_err());
        assert!(split("crew at shop/crew/max").is_err());
        assert!(split("feed --follow").is_err());
        assert!(split("show \"open").is_err());
        assert!(split("   ").is_err());
    }
}
