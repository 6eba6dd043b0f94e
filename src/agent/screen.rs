//! Reading an agent's state off its screen: idle at a prompt, busy, and what sits in its
//! input line — the evidence confirmed delivery is built on.

use super::Runtime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// The runtime's busy marker is visible near the bottom.
    pub busy: bool,
    /// The ready marker (the input prompt) is visible near the bottom.
    pub at_prompt: bool,
    /// What follows the ready marker on the last prompt line (empty: nothing typed).
    pub input: Option<String>,
}

const BOTTOM_LINES: usize = 12;

pub fn read(rt: &Runtime, capture: &str) -> Screen {
    let lines: Vec<&str> = capture
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let bottom = &lines[lines.len().saturating_sub(BOTTOM_LINES)..];
    let busy = rt
        .busy_marker
        .as_deref()
        .is_some_and(|m| bottom.iter().any(|l| l.contains(m)));
    let prompt_line = rt
        .ready_marker
        .as_deref()
        .and_then(|m| bottom.iter().rev().find(|l| l.contains(m)).map(|l| (m, *l)));
    let input = prompt_line.map(|(m, l)| {
        let at = l.find(m).unwrap_or(0) + m.len();
        l[at..].trim().to_string()
    });
    Screen {
        busy,
        at_prompt: prompt_line.is_some() && !busy,
        input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> Runtime {
        super::super::runtime::presets()["sim"].clone()
    }

    #[test]
    fn reads_idle_typed_and_busy_screens() {
        let rt = sim();
        let idle = read(&rt, "banner\n\nsim❯ \n\n\n");
        assert_eq!(
            idle,
            Screen {
                busy: false,
                at_prompt: true,
                input: Some(String::new())
            }
        );
        let typed = read(&rt, "banner\nsim❯ hello there\n");
        assert_eq!(typed.input.as_deref(), Some("hello there"));
        let busy = read(&rt, "› do it\n⠿ working on gt-1 (esc to interrupt)\n");
        assert!(busy.busy && !busy.at_prompt);
        let starting = read(&rt, "gt sim starting…\n");
        assert!(!starting.at_prompt && starting.input.is_none());
    }
}
