//! Runtimes are data: the embedded presets plus the town's own (`[agents.<name>]`). A town
//! entry named like a preset changes only the fields it sets (its `env` is merged key by
//! key); any other name defines a runtime of its own.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const PRESETS: &str = include_str!("runtimes.toml");

/// Hook configuration gt knows how to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookDialect {
    /// Claude Code: `hooks` in the project's `.claude/settings.local.json`.
    ClaudeSettings,
    /// Codex: `-c hooks.<Event>=…` arguments of the invocation.
    CodexArgs,
    /// Gemini CLI: `hooks` in the project's `.gemini/settings.json`.
    GeminiSettings,
    /// OpenCode: a plugin (`.gt-opencode.js`) named in the project's `opencode.json`.
    OpencodePlugin,
}

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

    pub fn as_str(self) -> &'static str {
        match self {
            PromptMode::Arg => "arg",
            PromptMode::Flag => "flag",
            PromptMode::Paste => "paste",
        }
    }
}

/// What gt puts before text that starts with one of the runtime's command characters, so it
/// reaches the model as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Neutralize {
    /// A space (runtimes that check the first character only; some trim it again).
    #[default]
    Space,
    /// U+2060 WORD JOINER, invisible (runtimes that skip leading whitespace before checking).
    WordJoiner,
}

impl Neutralize {
    pub fn prefix(self) -> char {
        match self {
            Neutralize::Space => ' ',
            Neutralize::WordJoiner => '\u{2060}',
        }
    }
}

/// Where the input line is for a runtime whose input has no prompt glyph: `above` lines
/// over the last line that shows `text` (the bottom of its input box, say).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputAnchor {
    pub text: String,
    pub above: usize,
}

/// A change gt makes to a runtime's own config file, only when asked (`gt config agent
/// prepare <runtime>`): JSON keys merged into a file under the user's home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prepare {
    /// The file, `~/` for the home directory.
    pub file: String,
    /// Keys set in it (objects are merged; other keys are kept).
    pub set: toml::Table,
    /// What it saves the user from, in a sentence.
    pub why: String,
}

/// How the runtime shows pasted text and takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PasteRules {
    /// Texts shown in the input instead of a long paste (`[Pasted text #`).
    pub collapsed: Vec<String>,
    /// Milliseconds to wait after the paste shows before pressing Enter (a submit key too
    /// soon after a paste is taken as a newline by some runtimes).
    pub submit_delay_ms: u64,
    /// Milliseconds the runtime must have been idle (no output) before a paste: some drop
    /// input in the moment after a turn while they still tidy up.
    pub idle_settle_ms: u64,
    /// Texts that show a submitted message waiting inside the runtime while it works.
    pub queued: Vec<String>,
    /// End a paste whose last word starts with a symbol (`@`, `$`, `/`…) with a space: the
    /// word would otherwise leave a completion menu open, and Enter would accept a completion
    /// instead of submitting the text.
    pub trailing_space: bool,
}

/// Who may answer a startup dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogAnswer {
    /// It asks to trust the agent's own worktree: gt made that folder for this agent.
    TrustWorktree,
    /// It asks to confirm the autonomous mode the runtime's own arguments ask for.
    Autonomous,
    /// It asks whether to use the API key the runtime's `env` names (answered only when the
    /// agent's environment has that key).
    ApiKey,
    /// Only a person can answer: the agent shows as blocked, with the screen's text.
    Person,
}

impl DialogAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogAnswer::TrustWorktree => "trust_worktree",
            DialogAnswer::Autonomous => "autonomous",
            DialogAnswer::ApiKey => "api_key",
            DialogAnswer::Person => "person",
        }
    }
}

/// A screen the runtime may stop at before its prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialog {
    pub name: String,
    /// Texts that all show on the screen when the dialog is up.
    pub screen: Vec<String>,
    /// The keys that answer it (tmux key names from a fixed set; see `dialog_key_ok`).
    #[serde(default)]
    pub keys: Vec<String>,
    pub answer: DialogAnswer,
    /// For `api_key`: the environment variable holding the key.
    #[serde(default)]
    pub env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    #[serde(skip_deserializing, default)]
    pub name: String,
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub autonomous_args: Vec<String>,
    /// Environment for its sessions (on top of gt's own: GT_*, PATH, git identity).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub prompt: PromptMode,
    #[serde(default)]
    pub prompt_flag: Option<String>,
    /// Text at the start of its input line when it waits for input.
    #[serde(default)]
    pub ready_marker: Option<String>,
    /// Other texts that start its input line (in another of its modes).
    #[serde(default)]
    pub ready_markers: Vec<String>,
    /// Text visible while it works.
    #[serde(default)]
    pub busy_marker: Option<String>,
    /// More texts that mean it works (shown while a hint replaces the main busy text).
    #[serde(default)]
    pub busy_markers: Vec<String>,
    /// Regular expressions, matched line by line, that mean it works (a spinner line).
    #[serde(default)]
    pub busy_patterns: Vec<String>,
    /// Regular expressions, matched line by line near the bottom, that mean its service
    /// refuses it for now (rate limit, usage limit, overload); a group named `reset` says
    /// when it tries again or the limit resets.
    #[serde(default)]
    pub rate_limit_patterns: Vec<String>,
    /// The variable that points it at another configuration directory (an account's own).
    #[serde(default)]
    pub config_dir_env: Option<String>,
    /// Where its input line is when it has no prompt glyph (`ready_marker`).
    #[serde(default)]
    pub input_anchor: Option<InputAnchor>,
    /// Hint text an empty input shows (not typed input); an input starting with one is empty.
    #[serde(default)]
    pub placeholders: Vec<String>,
    /// Whole lines that mean it is still starting, even when its prompt is drawn.
    #[serde(default)]
    pub starting_lines: Vec<String>,
    /// Texts near the bottom that mean it is still starting (a loading footer).
    #[serde(default)]
    pub starting_texts: Vec<String>,
    /// Texts near the bottom that show its input is in shell mode (what is typed there runs
    /// as a command): not a prompt for messages.
    #[serde(default)]
    pub shell_modes: Vec<String>,
    /// Its prompt must show this long, unchanged in kind, before a start counts as done
    /// (for runtimes that draw a prompt before their last startup dialog).
    #[serde(default)]
    pub ready_settle_ms: u64,
    #[serde(default)]
    pub paste: PasteRules,
    /// Characters that make the start of an input a command (`!` shell, `/` slash command…);
    /// such text gets the `neutralize` prefix.
    #[serde(default)]
    pub command_chars: String,
    #[serde(default)]
    pub neutralize: Neutralize,
    /// Leading characters no prefix makes safe for this runtime: such text is refused.
    #[serde(default)]
    pub refuse_chars: String,
    /// Whole messages the runtime takes as commands (`exit`, `quit`…): refused.
    #[serde(default)]
    pub command_words: Vec<String>,
    /// Changes to its own config files that `gt config agent prepare` makes when asked.
    #[serde(default)]
    pub prepare: Vec<Prepare>,
    /// Screens it may stop at before its prompt, and who answers them.
    #[serde(default)]
    pub dialogs: Vec<Dialog>,
    #[serde(default)]
    pub process_names: Vec<String>,
    #[serde(default)]
    pub instruction_file: Option<String>,
    /// How the runtime tells gt what happens in a session (session start, prompt, turn end,
    /// waiting, compaction, end): the dialect of hook configuration gt writes per worktree.
    #[serde(default)]
    pub hooks: Option<HookDialect>,
    #[serde(default)]
    pub escape_cancels: bool,
    /// Urgent messages may interrupt its work: Escape, then delivery at its prompt. Off by
    /// default — an interrupted agent loses the step it was in the middle of.
    #[serde(default)]
    pub urgent_interrupts: bool,
    #[serde(default)]
    pub resume_args: Vec<String>,
    /// Arguments that resume one past session by its id (`{session}`), for restarts that
    /// keep the conversation.
    #[serde(default)]
    pub resume_session_args: Vec<String>,
    /// Arguments that answer one question from a copy of a past session (`{session}`) under a
    /// new id (`{fork}`) and exit, the question following (`gt seance --ask`).
    #[serde(default)]
    pub seance_args: Vec<String>,
    #[serde(default = "default_startup")]
    pub startup_timeout_secs: u64,
    /// Arguments that make it print its version (`gt doctor`).
    #[serde(default = "default_version_args")]
    pub version_args: Vec<String>,
    /// What its autonomous mode needs in the environment when it runs as root.
    #[serde(default)]
    pub root_env: BTreeMap<String, String>,
    /// The version of the real CLI the conformance suite proved this preset against.
    #[serde(default)]
    pub verified: Option<String>,
    /// True for the embedded presets (also when the town changes some of their fields).
    #[serde(skip, default)]
    pub builtin: bool,
    /// The fields the town's config sets (empty for an untouched preset).
    #[serde(skip, default)]
    pub town_fields: Vec<String>,
}

fn default_startup() -> u64 {
    60
}

fn default_version_args() -> Vec<String> {
    vec!["--version".into()]
}

/// Variables that tell a program it runs in CI. A window inherits them from whoever started
/// gt's tmux server, and a runtime that sees one runs headless (Gemini CLI with `CI=true` shows
/// no input line and exits at once) — an agent's window is an interactive terminal.
pub const CI_MARKERS: [&str; 2] = ["CI", "GITHUB_ACTIONS"];

impl Runtime {
    /// The variables removed from its environment: the CI markers it does not set itself.
    pub fn env_removed(&self) -> Vec<String> {
        CI_MARKERS
            .iter()
            .filter(|k| !self.env.contains_key(**k))
            .map(|k| k.to_string())
            .collect()
    }

    /// The program and arguments to start it with, the beacon placed per `prompt`.
    /// `{gt}` in the command or arguments becomes `gt_exe`.
    pub fn argv(&self, beacon: Option<&str>, gt_exe: &str) -> Vec<String> {
        self.argv_resuming(beacon, gt_exe, &[])
    }

    /// `argv` with `resume` (arguments that continue an earlier conversation) before the
    /// beacon.
    pub fn argv_resuming(
        &self,
        beacon: Option<&str>,
        gt_exe: &str,
        resume: &[String],
    ) -> Vec<String> {
        let subst = |s: &String| s.replace("{gt}", gt_exe);
        let mut v = vec![subst(&self.command)];
        v.extend(self.args.iter().map(subst));
        v.extend(self.autonomous_args.iter().map(subst));
        v.extend(resume.iter().cloned());
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

    /// Every text that starts its input line.
    pub fn ready_texts(&self) -> impl Iterator<Item = &str> {
        self.ready_marker
            .iter()
            .chain(self.ready_markers.iter())
            .map(String::as_str)
            .filter(|m| !m.trim().is_empty())
    }

    /// Every text that means it is working.
    pub fn busy_texts(&self) -> impl Iterator<Item = &str> {
        self.busy_marker
            .iter()
            .chain(self.busy_markers.iter())
            .map(String::as_str)
            .filter(|m| !m.is_empty())
    }

    /// The checks a runtime definition must pass, whoever wrote it.
    pub fn check(&self) -> Result<(), String> {
        if self.command.trim().is_empty() {
            return Err("command is empty".into());
        }
        if self.prompt == PromptMode::Flag && self.prompt_flag.is_none() {
            return Err("prompt = \"flag\" needs prompt_flag".into());
        }
        if self.urgent_interrupts && !self.escape_cancels {
            return Err(
                "urgent_interrupts needs escape_cancels = true (gt interrupts with Escape)".into(),
            );
        }
        if !(1..=3600).contains(&self.startup_timeout_secs) {
            return Err(format!(
                "startup_timeout_secs must be 1 to 3600, not {}",
                self.startup_timeout_secs
            ));
        }
        if self.paste.idle_settle_ms > 10_000 {
            return Err(format!(
                "paste.idle_settle_ms must be at most 10000, not {}",
                self.paste.idle_settle_ms
            ));
        }
        if self.paste.submit_delay_ms > 5_000 {
            return Err(format!(
                "paste.submit_delay_ms must be at most 5000, not {}",
                self.paste.submit_delay_ms
            ));
        }
        for (k, _) in self.env.iter().chain(self.root_env.iter()) {
            if !valid_env_name(k) {
                return Err(format!("{k:?} is not an environment variable name"));
            }
            if IDENTITY_ENV.contains(&k.as_str()) {
                return Err(format!(
                    "{k} is set by gt for each session (the agent's identity); a runtime cannot set it"
                ));
            }
        }
        for d in &self.dialogs {
            if d.screen.iter().all(|s| s.trim().is_empty()) {
                return Err(format!(
                    "dialog {:?} has no screen text to know it by",
                    d.name
                ));
            }
            if let Some(k) = d.keys.iter().find(|k| !crate::tmux::dialog_key(k)) {
                return Err(format!(
                    "dialog {:?}: {k:?} is not a key gt presses (Enter, Escape, Up, Down, Left, Right, Tab, BTab, Space, or one letter or digit)",
                    d.name
                ));
            }
            if d.answer != DialogAnswer::Person && d.keys.is_empty() {
                return Err(format!(
                    "dialog {:?} is answered by gt but names no keys",
                    d.name
                ));
            }
            if d.answer == DialogAnswer::ApiKey && d.env.is_none() {
                return Err(format!(
                    "dialog {:?} (api_key) must name the variable holding the key (env)",
                    d.name
                ));
            }
        }
        if let Some(c) = self
            .command_chars
            .chars()
            .chain(self.refuse_chars.chars())
            .find(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!("command_chars and refuse_chars cannot hold {c:?}"));
        }
        for p in &self.busy_patterns {
            if let Err(e) = regex::Regex::new(p) {
                return Err(format!(
                    "busy_patterns: {p:?} is not a regular expression: {e}"
                ));
            }
        }
        if self.ready_marker.is_none()
            && self.input_anchor.is_none()
            && !self.placeholders.is_empty()
        {
            return Err(
                "placeholders need a ready_marker or an input_anchor to find the input by".into(),
            );
        }
        if self.ready_settle_ms > 10_000 {
            return Err(format!(
                "ready_settle_ms must be at most 10000, not {}",
                self.ready_settle_ms
            ));
        }
        for p in &self.prepare {
            if !p.file.starts_with("~/") || p.file.contains("..") {
                return Err(format!(
                    "prepare: {:?} must be a file under the home directory (~/…, no ..)",
                    p.file
                ));
            }
        }
        Ok(())
    }
}

/// The variables that say who an agent is: set by gt for each session, never by a runtime's
/// configuration (one agent's identity must not leak into another's session).
pub const IDENTITY_ENV: &[&str] = &[
    "GT_TOWN",
    "GT_ROLE",
    "GT_RIG",
    "GT_AGENT",
    "BD_ACTOR",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
];

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn valid_env_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The presets as TOML tables, by name.
fn preset_tables() -> toml::Table {
    toml::from_str(PRESETS).unwrap_or_default()
}

/// The embedded presets, by name.
pub fn presets() -> BTreeMap<String, Runtime> {
    preset_tables()
        .into_iter()
        .filter_map(|(name, v)| {
            let mut rt: Runtime = v.try_into().ok()?;
            rt.name = name.clone();
            rt.builtin = true;
            Some((name, rt))
        })
        .collect()
}

/// Runtimes declared in a config table (`[agents.<name>]`), each laid over the preset of
/// its name if there is one, and checked.
pub fn from_table(table: Option<&toml::Value>) -> Result<BTreeMap<String, Runtime>, String> {
    let mut out = BTreeMap::new();
    let Some(toml::Value::Table(t)) = table else {
        return Ok(out);
    };
    let presets = preset_tables();
    for (name, v) in t {
        let toml::Value::Table(own) = v else {
            return Err(format!("[agents.{name}] must be a table"));
        };
        let base = presets.get(name).and_then(|p| p.as_table()).cloned();
        let builtin = base.is_some();
        let merged = overlay(base.unwrap_or_default(), own);
        let mut rt: Runtime = toml::Value::Table(merged)
            .try_into()
            .map_err(|e| format!("[agents.{name}]: {e}"))?;
        rt.name = name.clone();
        rt.builtin = builtin;
        rt.town_fields = own.keys().cloned().collect();
        rt.check().map_err(|e| format!("[agents.{name}]: {e}"))?;
        out.insert(name.clone(), rt);
    }
    Ok(out)
}

/// `own` over `base`: its keys replace the base's, except `env`, merged key by key (an
/// empty value removes the base's variable).
fn overlay(mut base: toml::Table, own: &toml::Table) -> toml::Table {
    for (k, v) in own {
        if k == "env"
            && let (Some(toml::Value::Table(b)), toml::Value::Table(o)) = (base.get_mut("env"), v)
        {
            for (ek, ev) in o {
                if ev.as_str() == Some("") {
                    b.remove(ek);
                } else {
                    b.insert(ek.clone(), ev.clone());
                }
            }
            continue;
        }
        base.insert(k.clone(), v.clone());
    }
    if let Some(toml::Value::Table(env)) = base.get_mut("env") {
        env.retain(|_, v| v.as_str() != Some(""));
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_checks_and_has_what_delivery_needs() {
        let raw = preset_tables();
        let p = presets();
        assert_eq!(raw.len(), p.len(), "a preset failed to parse: {raw:?}");
        for name in [
            "claude", "codex", "gemini", "cursor", "opencode", "copilot", "amp", "auggie", "sim",
        ] {
            let rt = p
                .get(name)
                .unwrap_or_else(|| panic!("preset {name} missing"));
            rt.check().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                (rt.ready_marker.is_some() || rt.input_anchor.is_some())
                    && (rt.busy_texts().next().is_some() || !rt.busy_patterns.is_empty()),
                "{name}"
            );
            assert!(rt.instruction_file.is_some(), "{name}");
            assert!(!rt.process_names.is_empty(), "{name}");
        }
    }

    #[test]
    fn argv_places_the_beacon_by_mode() {
        let p = presets();
        assert_eq!(p["sim"].argv(None, "/x/gt"), vec!["/x/gt", "agent", "sim"]);
        let mut rt = p["sim"].clone();
        rt.prompt = PromptMode::Flag;
        rt.prompt_flag = Some("--prompt".into());
        assert_eq!(
            rt.argv(Some("hi"), "/x/gt"),
            vec!["/x/gt", "agent", "sim", "--prompt", "hi"]
        );
        rt.prompt = PromptMode::Paste;
        assert_eq!(rt.argv(Some("hi"), "/x/gt"), vec!["/x/gt", "agent", "sim"]);
    }

    #[test]
    fn a_town_entry_changes_only_what_it_sets_of_a_preset() {
        let t: toml::Value = toml::from_str(
            r#"
            [claude]
            env = { IS_SANDBOX = "1" }
            startup_timeout_secs = 90
            [mine]
            command = "my-agent"
            "#,
        )
        .expect("toml");
        let own = from_table(Some(&t)).expect("valid");
        let claude = &own["claude"];
        let preset = &presets()["claude"];
        assert_eq!(claude.env.get("IS_SANDBOX").map(String::as_str), Some("1"));
        for (k, v) in &preset.env {
            assert_eq!(claude.env.get(k), Some(v), "preset env {k} kept");
        }
        assert_eq!(claude.startup_timeout_secs, 90);
        assert_eq!(claude.ready_marker, preset.ready_marker);
        assert_eq!(claude.dialogs, preset.dialogs);
        assert!(claude.builtin);
        assert_eq!(claude.town_fields, vec!["env", "startup_timeout_secs"]);
        assert!(!own["mine"].builtin);
    }

    #[test]
    fn bad_definitions_are_refused_with_the_reason() {
        for (toml_text, want) in [
            ("[x]\ncommand = \"a\"\nprompt = \"flag\"", "prompt_flag"),
            (
                "[x]\ncommand = \"a\"\nurgent_interrupts = true",
                "escape_cancels",
            ),
            (
                "[x]\ncommand = \"a\"\nenv = { \"A B\" = \"1\" }",
                "environment variable",
            ),
            ("[x]\ncommand = \"a\"\nbogus = 1", "bogus"),
            (
                "[x]\ncommand = \"a\"\n[[x.dialogs]]\nname = \"d\"\nscreen = [\"Trust?\"]\nkeys = [\"rm -rf\"]\nanswer = \"trust_worktree\"",
                "not a key",
            ),
            ("[x]\ncommand = \"\"", "empty"),
            (
                "[x]\ncommand = \"a\"\nenv = { GT_AGENT = \"mayor\" }",
                "identity",
            ),
            (
                "[x]\ncommand = \"a\"\nbusy_patterns = [\"(\"]",
                "regular expression",
            ),
            (
                "[x]\ncommand = \"a\"\n[[x.prepare]]\nfile = \"/etc/passwd\"\nset = {}\nwhy = \"w\"",
                "home directory",
            ),
        ] {
            let t: toml::Value = toml::from_str(toml_text).expect("toml");
            let e = from_table(Some(&t)).expect_err(toml_text);
            assert!(e.contains(want), "{toml_text}: {e}");
        }
    }
}
