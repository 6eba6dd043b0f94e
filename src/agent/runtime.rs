//! Runtimes are data: the embedded presets plus the town's own (`[agents.<name>]`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const PRESETS: &str = include_str!("runtimes.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PromptMode {
    /// The beacon is the last argument.
    #[default]
    Arg,
    /// The beacon follows `prompt_flag`.
    Flag,
    /// The beacon is typed in once the runtime shows its ready marker.
    Paste,
}

impl PromptMode {
    pub fn parse(s: &str) -> Option<PromptMode> {
        match s {
            "arg" => Some(PromptMode::Arg),
            "flag" => Some(PromptMode::Flag),
            "paste" => Some(PromptMode::Paste),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runtime {
    #[serde(skip_deserializing, default)]
    pub name: String,
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub autonomous_args: Vec<String>,
    #[serde(default)]
    pub prompt: PromptMode,
    #[serde(default)]
    pub prompt_flag: Option<String>,
    #[serde(default)]
    pub ready_marker: Option<String>,
    #[serde(default)]
    pub busy_marker: Option<String>,
    #[serde(default)]
    pub process_names: Vec<String>,
    #[serde(default)]
    pub instruction_file: Option<String>,
    #[serde(default)]
    pub escape_cancels: bool,
    /// Urgent messages may interrupt its work: Escape, then delivery at its prompt. Off by
    /// default — an interrupted agent loses the step it was in the middle of.
    #[serde(default)]
    pub urgent_interrupts: bool,
    #[serde(default)]
    pub resume_args: Vec<String>,
    #[serde(default = "default_startup")]
    pub startup_timeout_secs: u64,
    /// True for the embedded presets, false for the town's own.
    #[serde(skip, default)]
    pub builtin: bool,
}

fn default_startup() -> u64 {
    60
}

impl Runtime {
    /// The program and arguments to start it with, the beacon placed per `prompt`.
    /// `{gt}` in the command or arguments becomes `gt_exe`.
    pub fn argv(&self, beacon: Option<&str>, gt_exe: &str) -> Vec<String> {
        let subst = |s: &String| s.replace("{gt}", gt_exe);
        let mut v = vec![subst(&self.command)];
        v.extend(self.args.iter().map(subst));
        v.extend(self.autonomous_args.iter().map(subst));
        if let Some(b) = beacon {
            match self.prompt {
                PromptMode::Arg => v.push(b.to_string()),
                PromptMode::Flag => {
                    if let Some(f) = &self.prompt_flag {
                        v.push(f.clone());
                    }
                    v.push(b.to_string());
                }
                PromptMode::Paste => {}
            }
        }
        v
    }

    /// The command line as a person would type it (for listings).
    pub fn command_line(&self) -> String {
        let mut parts = vec![self.command.clone()];
        parts.extend(self.args.iter().cloned());
        parts.extend(self.autonomous_args.iter().cloned());
        shlex::try_join(parts.iter().map(String::as_str)).unwrap_or_else(|_| parts.join(" "))
    }
}

/// The embedded presets, by name.
pub fn presets() -> BTreeMap<String, Runtime> {
    let parsed: BTreeMap<String, Runtime> = toml::from_str(PRESETS).unwrap_or_default();
    parsed
        .into_iter()
        .map(|(name, mut rt)| {
            rt.name = name.clone();
            rt.builtin = true;
            (name, rt)
        })
        .collect()
}

/// Runtimes declared in a config table (`[agents.<name>]`), checked one by one.
pub fn from_table(table: Option<&toml::Value>) -> Result<BTreeMap<String, Runtime>, String> {
    let mut out = BTreeMap::new();
    let Some(toml::Value::Table(t)) = table else {
        return Ok(out);
    };
    for (name, v) in t {
        let mut rt: Runtime = v
            .clone()
            .try_into()
            .map_err(|e| format!("[agents.{name}]: {e}"))?;
        rt.name = name.clone();
        if rt.urgent_interrupts && !rt.escape_cancels {
            return Err(format!(
                "[agents.{name}]: urgent_interrupts needs escape_cancels = true (gt interrupts with Escape)"
            ));
        }
        out.insert(name.clone(), rt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_with_what_delivery_needs() {
        let p = presets();
        for name in [
            "claude", "codex", "gemini", "cursor", "opencode", "copilot", "amp", "auggie", "sim",
        ] {
            let rt = p
                .get(name)
                .unwrap_or_else(|| panic!("preset {name} missing"));
            assert!(
                rt.ready_marker.is_some() && rt.busy_marker.is_some(),
                "{name}"
            );
            assert!(rt.instruction_file.is_some(), "{name}");
            assert!(!rt.process_names.is_empty(), "{name}");
            if rt.prompt == PromptMode::Flag {
                assert!(rt.prompt_flag.is_some(), "{name}");
            }
        }
    }

    #[test]
    fn argv_places_the_beacon_by_mode() {
        let p = presets();
        let claude = &p["claude"];
        assert_eq!(
            claude.argv(Some("hi"), "/bin/gt"),
            vec!["claude", "--dangerously-skip-permissions", "hi"]
        );
        let gemini = &p["gemini"];
        assert_eq!(
            gemini.argv(Some("hi"), "/bin/gt"),
            vec!["gemini", "--yolo", "--prompt-interactive", "hi"]
        );
        assert_eq!(
            p["amp"].argv(Some("hi"), "/bin/gt"),
            vec!["amp", "--dangerously-allow-all"]
        );
        assert_eq!(p["sim"].argv(None, "/x/gt"), vec!["/x/gt", "agent", "sim"]);
    }
}
