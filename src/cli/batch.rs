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
    // Each line is its own command and commits on its own: when one stops the batch, the
    // report names the lines that ran before it, so nobody mistakes it for "nothing written".
    let mut ran = 0usize;
    let mut last_ran = 0usize;
    let json = globals.iter().any(|g| g == "--json");
    let stop = |n: usize, why: String, ran: usize, last_ran: usize, doc: bool| {
        if json && doc {
            // A program reading --json gets the stop as a document too (a command that ran
            // and failed has printed its own).
            let doc = serde_json::json!({
                "schema": super::output::SCHEMA,
                "error": {"code": 2, "line": n, "message": &why, "lines_ran": ran}
            });
            println!("{doc}");
        }
        let before = match ran {
            0 => "no earlier line ran".to_string(),
            1 => format!("1 earlier command ran (line {last_ran})"),
            k => format!("{k} earlier commands ran (the last at line {last_ran})"),
        };
        super::output::say(&format!(
            "line {n}: {why}; {before}; nothing from line {n} on ran"
        ));
    };
    for (i, line) in stdin.lock().lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                stop(n, format!("cannot read stdin: {e}"), ran, last_ran, true);
                return 1;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(words) = shlex::split(trimmed) else {
            stop(
                n,
                format!("unbalanced quotes in {trimmed:?}"),
                ran,
                last_ran,
                true,
            );
            return 2;
        };
        let words: Vec<String> = words.into_iter().skip_while(|w| w == "gt").collect();
        if words.iter().any(|w| w == "-") && words.iter().any(|w| w == "--batch") {
            stop(
                n,
                "`--batch -` cannot be nested".into(),
                ran,
                last_ran,
                true,
            );
            return 2;
        }
        // Stdin is the batch itself: a command reading it would wait for ever.
        if words.iter().any(|w| w == "--stdin") {
            stop(
                n,
                "--stdin cannot be used inside `gt --batch -` (stdin is the batch); pass the text as an argument"
                    .into(),
                ran,
                last_ran,
                true,
            );
            return 2;
        }
        let mut args = vec!["gt".to_string()];
        args.extend(globals.iter().cloned());
        args.extend(words);
        let cli = match parse_line(args) {
            Ok(c) => c,
            Err(e) => {
                stop(n, e.to_string().trim().to_string(), ran, last_ran, true);
                return 2;
            }
        };
        let code = execute(cli, session);
        if code != 0 {
            stop(n, format!("exit {code}: {trimmed}"), ran, last_ran, false);
            return code;
        }
        ran += 1;
        last_ran = n;
    }
    0
}
