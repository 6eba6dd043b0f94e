//! `gt --batch -`: one command per line from stdin, in one process (one ledger connection),
//! stopping at the first failure with its line number.

use super::{Session, execute, parse_line};
use std::ffi::OsString;
use std::io::BufRead;

/// True for `gt --batch -` (in any order of the two).
pub fn is_stdin_batch(args: &[OsString]) -> bool {
    let rest: Vec<&OsString> = args.iter().skip(1).collect();
    rest.len() == 2 && rest.iter().any(|a| *a == "--batch") && rest.iter().any(|a| *a == "-")
}

pub fn run_stdin(session: &mut Session) -> i32 {
    let stdin = std::io::stdin();
    for (i, line) in stdin.lock().lines().enumerate() {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("gt: line {n}: cannot read stdin: {e}");
                return 1;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(words) = shlex::split(trimmed) else {
            eprintln!(
                "gt: line {n}: unbalanced quotes in {trimmed:?}; nothing after line {} ran",
                n - 1
            );
            return 2;
        };
        let words: Vec<String> = words.into_iter().skip_while(|w| w == "gt").collect();
        if words.iter().any(|w| w == "-") && words.iter().any(|w| w == "--batch") {
            eprintln!("gt: line {n}: `--batch -` cannot be nested");
            return 2;
        }
        let mut args = vec!["gt".to_string(), "--batch".to_string()];
        args.extend(words);
        let cli = match parse_line(args) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("gt: line {n}: {}", e.to_string().trim());
                return 2;
            }
        };
        let code = execute(cli, session);
        if code != 0 {
            eprintln!("gt: stopped at line {n} (exit {code}): {trimmed}");
            return code;
        }
    }
    0
}
