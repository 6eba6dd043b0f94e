//! Text pieces: `{{var}}` references, `{target}`/`{step.id}` placeholders, step-id globs.

use std::ops::Range;

/// Words that mean template syntax (Go text/template, Handlebars) rather than a variable, so
/// `{{else}}` or `{{end}}` in text meant for an agent is never taken for a variable.
const KEYWORDS: &[&str] = &[
    "else", "this", "root", "index", "key", "first", "last", "end", "range", "with", "block",
    "define", "template", "nil",
];

/// `[A-Za-z_][A-Za-z0-9_]*`, not a template keyword.
pub(crate) fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&s)
}

/// Every `{{name}}` reference: the byte range of the whole `{{name}}` and the name. Anything
/// else between braces (`{{.x}}`, `{{#each x}}`, `{{a.b}}`, `{{ x }}`) is left to the agent.
pub(crate) fn var_refs(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let inner_start = open + 2;
        let Some(close) = text[inner_start..].find("}}").map(|i| inner_start + i) else {
            break;
        };
        let inner = &text[inner_start..close];
        if is_var_name(inner) {
            out.push((open..close + 2, inner));
            from = close + 2;
        } else {
            // `{{{x}}}` and the like: look again one brace later.
            from = open + 1;
        }
    }
    out
}

/// Replace each `{{name}}` that `value` knows; unknown ones stay as written. One pass, so a
/// value that itself contains `{{...}}` is not expanded again.
pub(crate) fn substitute_vars<'v>(text: &str, value: impl Fn(&str) -> Option<&'v str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, name) in var_refs(text) {
        if let Some(v) = value(name) {
            out.push_str(&text[last..range.start]);
            out.push_str(v);
            last = range.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Replace single-brace placeholders (`{target}`, `{step.id}`) from `map`. Double-brace
/// spans (`{{...}}`) are copied untouched: they are variables or agent text.
pub(crate) fn substitute_placeholders(text: &str, map: &[(&str, &str)]) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        if after.starts_with("{{") {
            let end = after.find("}}").map(|i| i + 2).unwrap_or(after.len());
            out.push_str(&after[..end]);
            rest = &after[end..];
            continue;
        }
        let replaced = after.find('}').and_then(|close| {
            let key = &after[1..close];
            map.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (close, *v))
        });
        match replaced {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Step-id glob: `*` matches any run of characters (dots included); everything else is literal.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much text it has swallowed so far (for backtracking).
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_only_plain_names() {
        let text = "{{a}} {{.b}} {{#each c}} {{/each}} {{d.e}} {{ f }} {{else}} {{g_1}} {{epic or feature}} {{{h}}}";
        let names: Vec<_> = var_refs(text).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["a", "g_1", "h"]);
    }

    #[test]
    fn substitution_is_single_pass() {
        let out = substitute_vars("x={{x}} y={{y}} z={{.x}}", |n| match n {
            "x" => Some("{{y}}"),
            _ => None,
        });
        assert_eq!(out, "x={{y}} y={{y}} z={{.x}}");
    }

    #[test]
    fn placeholders_skip_double_braces() {
        let map = [("target", "impl"), ("target.title", "Implement")];
        assert_eq!(
            substitute_placeholders("{target}.draft: {target.title} {{target}} {other} {", &map),
            "impl.draft: Implement {{target}} {other} {"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", "anything.at-all"));
        assert!(glob_match("implement", "implement"));
        assert!(!glob_match("implement", "implement.draft"));
        assert!(glob_match("implement*", "implement.draft"));
        assert!(glob_match("*.refine-*", "x.refine-4"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
    }
}
