//! tmux and git: present and new enough.

use super::Check;

/// tmux 3.2 brought the features gt's windows rely on (window options as tags, `-e` on
/// new-window, display-menu placement); git 2.30 is what the worktree commands are tested on.
const TMUX_MIN: (u32, u32) = (3, 2);
const GIT_MIN: (u32, u32) = (2, 30);

pub(super) fn check() -> Vec<Check> {
    vec![
        judge(
            "tmux",
            crate::tmux::version().map_err(|e| e.to_string()),
            TMUX_MIN,
        ),
        judge(
            "git",
            crate::git::version().map_err(|e| e.to_string()),
            GIT_MIN,
        ),
    ]
}

fn judge(tool: &str, found: Result<String, String>, min: (u32, u32)) -> Check {
    let need = format!("{}.{} or newer", min.0, min.1);
    let text = match found {
        Ok(t) => t,
        Err(e) => {
            return Check::error(
                tool,
                format!("{tool} cannot be run: {e}"),
                format!("install {tool} {need}"),
            );
        }
    };
    match parse_version(&text) {
        Some(v) if v >= min => Check::ok(tool, format!("{tool} {text} ({need} needed)")),
        Some(_) => Check::error(
            tool,
            format!("{tool} {text} is too old"),
            format!("install {tool} {need}"),
        ),
        None => Check::warn(
            tool,
            format!("cannot tell which {tool} this is ({text:?})"),
            format!("gt needs {tool} {need}"),
        ),
    }
}

/// `3.3a` → (3, 3), `next-3.4` → (3, 4), `2.47.3` → (2, 47), `3` → (3, 0).
pub(super) fn parse_version(text: &str) -> Option<(u32, u32)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let major_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let major = rest[..major_end].parse().ok()?;
    let minor = rest[major_end..]
        .strip_prefix('.')
        .map(|m| {
            let end = m.find(|c: char| !c.is_ascii_digit()).unwrap_or(m.len());
            m[..end].parse().unwrap_or(0)
        })
        .unwrap_or(0);
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("3.3a"), Some((3, 3)));
        assert_eq!(parse_version("next-3.4"), Some((3, 4)));
        assert_eq!(parse_version("2.47.3"), Some((2, 47)));
        assert_eq!(parse_version("3"), Some((3, 0)));
        assert_eq!(parse_version("master"), None);
    }

    #[test]
    fn old_and_new_are_judged() {
        assert_eq!(
            judge("tmux", Ok("3.1c".into()), TMUX_MIN).status,
            super::super::Status::Error
        );
        assert_eq!(
            judge("tmux", Ok("3.3a".into()), TMUX_MIN).status,
            super::super::Status::Ok
        );
        assert_eq!(
            judge("git", Ok("2.29.0".into()), GIT_MIN).status,
            super::super::Status::Error
        );
        assert_eq!(
            judge("git", Err("not found".into()), GIT_MIN).status,
            super::super::Status::Error
        );
    }
}
