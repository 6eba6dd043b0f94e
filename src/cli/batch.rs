//! `gt --batch -`: one command per line from stdin, in one process (one ledger connection),
//! stopping at the first failure with its line number.

use super::{Session, execute, parse_line};
use std::ffi::OsString;
use std::io::BufRead;

/// For `gt [global flags] --batch [global flags] -`: the global flags, which then apply to
/// every line (`--json`, `-c key=value`). None for any other command line.
pub fn stdin_batch_globals(args: &[OsString]) -> Option<Vec<String>> {
    let (last, middle) = args.get(1..)?.split_last()?;
    if last != "-" || !middle.iter().any(|a| a == "--batch") {
        return None;
    }
    middle
        .iter()
        .map(|a| a.to_str().map(str::to_string))
        .collect()
}

pub fn run_stdin(session: &mut Session, globals: &[String]) -> i32 {
    // The global flags must parse on their own (no command among them).
    let mut check = vec!["gt".to_string()];
    check.extend(globals.iter().cloned());
    match parse_line(check) {
        Ok(cli) if cli.command.is_none() => {}
        Ok(_) => {
            super::output::say(
                "`--batch -` reads its commands from stdin; put no command before the `-`",
            );
            return 2;
        }
        Err(e) => {
            super::output::say(e.to_string().trim());
            return 2;
        }
    }
    let stdin = std::io::stdin();
    for (i, line) in stdin.lock().lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                super::output::say(&format!("line {n}: cannot read stdin: {e}"));
                return 1;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(words) = shlex::split(trimmed) else {
            super::output::say(&format!(
                "line {n}: unbalanced quotes in {trimmed:?}; nothing after line {} ran",
                n - 1
            ));
            return 2;
        };
        let words: Vec<String> = words.into_iter().skip_while(|w| w == "gt").collect();
        if words.iter().any(|w| w == "-") && words.iter().any(|w| w == "--batch") {
            super::output::say(&format!("line {n}: `--batch -` cannot be nested"));
            return 2;
        }
        let mut args = vec!["gt".to_string()];
        args.extend(globals.iter().cloned());
        args.extend(words);
        let cli = match parse_line(args) {
            Ok(c) => c,
            Err(e) => {
                super::output::say(&format!("line {n}: {}", e.to_string().trim()));
                return 2;
            }
        };
        let code = execute(cli, session);
        if code != 0 {
            super::output::say(&format!("stopped at line {n} (exit {code}): {trimmed}"));
            return code;
        }
    }
    0
}
