//! `ssh://user@host[:port]`: where a host is, checked so nothing in it can become an ssh
//! option or shell syntax.

use super::SshError;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// None: the local user's name (ssh's default, or the ssh config's `User`).
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, SshError> {
        let bad = |why: &str| SshError::BadUrl(format!("{url:?}: {why}"));
        let rest = url
            .strip_prefix("ssh://")
            .ok_or_else(|| bad("an ssh URL starts with ssh://"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err(bad("no path after the host (ssh://user@host[:port])"));
        }
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        if let Some(u) = user {
            let ok = !u.is_empty()
                && !u.starts_with('-')
                && u.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                return Err(bad("a user name is letters, digits, . _ -"));
            }
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => {
                let port: u16 = p
                    .parse()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port is a number from 1 to 65535"))?;
                (h, Some(port))
            }
            None => (hostport, None),
        };
        let ok = !host.is_empty()
            && !host.starts_with(['-', '.'])
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c));
        if !ok {
            return Err(bad(
                "a host is a name or an IPv4 address (letters, digits, . -)",
            ));
        }
        Ok(Target {
            user: user.map(str::to_string),
            host: host.to_string(),
            port,
        })
    }

    /// `user@host` (or `host`): ssh's destination argument.
    pub fn destination(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }

    pub fn url(&self) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("ssh://{}{port}", self.destination())
    }
}

/// `s` as one word for a POSIX shell: ssh hands the remote side one command line.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A remote command line from words, each quoted.
pub fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_and_anything_else_is_refused() {
        let t = Target::parse("ssh://gt@box.example:2222").expect("ok");
        assert_eq!(t.user.as_deref(), Some("gt"));
        assert_eq!(t.host, "box.example");
        assert_eq!(t.port, Some(2222));
        assert_eq!(t.destination(), "gt@box.example");
        assert_eq!(t.url(), "ssh://gt@box.example:2222");
        let t = Target::parse("ssh://10.0.0.7").expect("ok");
        assert_eq!((t.user, t.port), (None, None));
        for bad in [
            "box",
            "http://box",
            "ssh://",
            "ssh://-oProxyCommand=x",
            "ssh://u@-host",
            "ssh://-u@host",
            "ssh://u@host:0",
            "ssh://u@host:99999",
            "ssh://u@host:22/path",
            "ssh://u@ho st",
            "ssh://u;rm@host",
            "ssh://u@host$(x)",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quoting_keeps_every_word_one_inert_word() {
        assert_eq!(quote("tmux"), "tmux");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's $(x)"), r"'it'\''s $(x)'");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf '%s\\n' {}",
                command_line(&["a b", "$(touch /tmp/gt-pwned)", "'", "`x`;y", "~"])
            ))
            .output()
            .expect("sh");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "a b\n$(touch /tmp/gt-pwned)\n'\n`x`;y\n~\n"
        );
    }
}
