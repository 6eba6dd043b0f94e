//! Values gt passes to tmux reach it as text, never as syntax: tmux expands formats (`#S`,
//! `#(command)`) in some arguments and reads an argument ending in `;` as the end of a command.

/// A value for an argument tmux expands as a format (`-c` start directories, `-s` and `-n`
/// names, `rename-window`, menu titles and item names): shown literally.
pub fn format_literal(text: &str) -> String {
    text.replace('#', "##")
}

/// Any argument of a command on tmux's command line: one ending in `;` would end the command
/// there (tmux keeps the `;` when a backslash precedes it). The separators gt puts between
/// commands are added after this.
pub fn argument(arg: &str) -> String {
    match arg.strip_suffix(';') {
        Some(rest) => format!("{rest}\\;"),
        None => arg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_separators_are_kept_literal() {
        assert_eq!(
            format_literal("/t#(touch x)/C#Sharp"),
            "/t##(touch x)/C##Sharp"
        );
        assert_eq!(argument("/srv/a;"), "/srv/a\\;");
        assert_eq!(argument("/srv/a\\;"), "/srv/a\\\\;");
        assert_eq!(argument("a;b"), "a;b");
        assert_eq!(argument(";"), "\\;");
    }
}
