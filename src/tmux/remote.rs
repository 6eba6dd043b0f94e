//! tmux command lines for a tmux server on another machine (run there over ssh by
//! `work::hosts`): the same escaping as local calls — an argument ending in `;` stays an
//! argument, and text tmux would read as a format (`#(…)`) stays text. The caller quotes
//! each word for the remote shell.

use super::escape::{argument, format_literal};

/// `tmux -u [-f conf] -L <socket>`: UTF-8 whatever the remote locale (an ssh session often
/// has none, and tmux would draw every non-ASCII character as `_`).
fn base(socket: &str, config: Option<&str>) -> Vec<String> {
    let mut v = vec!["tmux".to_string(), "-u".to_string()];
    if let Some(c) = config {
        v.push("-f".into());
        v.push(c.to_string());
    }
    v.push("-L".into());
    v.push(socket.to_string());
    v
}

fn chain(mut v: Vec<String>, commands: Vec<Vec<String>>) -> Vec<String> {
    for (i, c) in commands.into_iter().enumerate() {
        if i > 0 {
            v.push(";".into());
        }
        let mut it = c.into_iter();
        if let Some(name) = it.next() {
            v.push(name);
        }
        v.extend(it.map(|a| argument(&a)));
    }
    v
}

/// Attaches to the session `session`, making it first (in `cwd`, running `argv`) when it is
/// not there. The server shows no status line (the town's window has its own) and a session
/// ends with its program (the town's window then ends too).
pub fn attach_or_create(
    socket: &str,
    config: Option<&str>,
    session: &str,
    cwd: &str,
    argv: &[String],
) -> Vec<String> {
    let s = |x: &str| x.to_string();
    let mut new = vec![
        s("new-session"),
        s("-A"),
        s("-s"),
        format_literal(session),
        s("-c"),
        format_literal(cwd),
        s("--"),
    ];
    new.extend(argv.iter().cloned());
    chain(
        base(socket, config),
        vec![
            vec![s("start-server")],
            vec![s("set-option"), s("-g"), s("status"), s("off")],
            vec![s("set-option"), s("-g"), s("remain-on-exit"), s("off")],
            new,
        ],
    )
}

/// Lists the server's session names.
pub fn list_sessions(socket: &str, config: Option<&str>) -> Vec<String> {
    chain(
        base(socket, config),
        vec![vec![
            "list-sessions".into(),
            "-F".into(),
            "#{session_name}".into(),
        ]],
    )
}

/// Ends one session (by exact name).
pub fn kill_session(socket: &str, config: Option<&str>, session: &str) -> Vec<String> {
    chain(
        base(socket, config),
        vec![vec![
            "kill-session".into(),
            "-t".into(),
            format!("={session}"),
        ]],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_stay_arguments() {
        let w = attach_or_create(
            "gt-abc",
            None,
            "shop-polecats-ash",
            "/home/u/#(x)",
            &["sim".into(), "x; run-shell y".into(), "z;".into()],
        );
        assert_eq!(&w[..4], &["tmux", "-u", "-L", "gt-abc"]);
        // The separators gt puts are bare `;` words; an argument ending in `;` is escaped.
        assert_eq!(w.iter().filter(|x| x.as_str() == ";").count(), 3);
        assert!(w.contains(&"z\\;".to_string()), "{w:?}");
        assert!(w.contains(&"/home/u/##(x)".to_string()), "{w:?}");
    }
}
