//! Config layers: flag > env > rig.toml > town.toml > user config > defaults.
//!
//! Every setting is declared here once, with its type, default and where it may be set, so
//! `gt config list` can show all of them and a typo is an error instead of a silent no-op.

use super::{RigConfig, Town, TownError};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Choice(&'static [&'static str]),
    /// Some of these, comma-separated (`all`, `none`).
    Set(&'static [&'static str]),
    /// An amount of US dollars, zero or more (0: none set).
    Dollars,
    /// Polecat names: a theme's name, or a list of names (`a,b,c` on the command line).
    NamePool,
    /// A span of time (`90s`, `30m`, `2h`, `7d`), at least `min_secs`.
    Span {
        min_secs: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Rig,
    Town,
    User,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Rig => "rig",
            Scope::Town => "town",
            Scope::User => "user",
        }
    }
}

#[derive(Debug)]
pub struct Setting {
    pub key: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub scopes: &'static [Scope],
    pub help: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "default_agent",
        kind: Kind::Str,
        default: "claude",
        scopes: &[Scope::Rig, Scope::Town, Scope::User],
        help: "runtime used for agents when no role-specific one is set",
    },
    Setting {
        key: "owner",
        kind: Kind::Str,
        default: "",
        scopes: &[Scope::Town, Scope::User],
        help: "the human who owns this town (receives convoy and escalation mail)",
    },
    Setting {
        key: "dashboard.enabled",
        kind: Kind::Bool,
        default: "false",
        scopes: &[Scope::Town],
        help: "the supervisor serves the web dashboard too (on dashboard.listen), as `gt dashboard` does",
    },
    Setting {
        key: "dashboard.listen",
        kind: Kind::Str,
        default: "127.0.0.1:7370",
        scopes: &[Scope::Town],
        help: "where the supervisor's dashboard listens: a loopback address and port (anything else only with `gt dashboard --listen`)",
    },
    Setting {
        key: "polecats.hosts",
        kind: Kind::Str,
        default: "local",
        scopes: &[Scope::Rig, Scope::Town],
        help: "where a rig's polecats may run: `local` and host names (`gt host add`), comma-separated; each new polecat goes where the most room is left",
    },
    Setting {
        key: "local.max_agents",
        kind: Kind::Int {
            min: 0,
            max: 100_000,
        },
        default: "0",
        scopes: &[Scope::Town],
        help: "at most this many polecats at work on this machine when a rig may place them on hosts too (0: no limit)",
    },
    Setting {
        key: "sync.claims",
        kind: Kind::Bool,
        default: "false",
        scopes: &[Scope::Town],
        help: "a sling first claims its bead through `gt sync` (sync.remote), so towns sharing beads never hook the same one; a bead claimed by another town is refused",
    },
    Setting {
        key: "sync.remote",
        kind: Kind::Str,
        default: "origin",
        scopes: &[Scope::Town],
        help: "the town repository's git remote that claims go through (`gt sync --remote` names one for a sync)",
    },
    Setting {
        key: "ssh.config",
        kind: Kind::Str,
        default: "",
        scopes: &[Scope::Town, Scope::User],
        help: "an ssh config file gt uses to reach the town's hosts (`ssh -F`); empty: your own ~/.ssh/config",
    },
    Setting {
        key: "ledger.export_jsonl",
        kind: Kind::Bool,
        default: "true",
        scopes: &[Scope::Town],
        help: "keep .beads/issues.jsonl current after every ledger change",
    },
    Setting {
        key: "ledger.export_mail",
        kind: Kind::Bool,
        default: "false",
        scopes: &[Scope::Town],
        help: "also write mail into .beads/issues.jsonl (a file git tracks and may push); off: mail stays in the private ledger",
    },
    Setting {
        key: "ledger.wisp_ttl",
        kind: Kind::Span { min_secs: 0 },
        default: "1d",
        scopes: &[Scope::Town],
        help: "`gt compact` (and the deacon) remove closed wisps — ephemeral beads, the steps of finished molecules — closed this long ago, unless something open depends on them",
    },
    Setting {
        key: "ledger.event_ttl",
        kind: Kind::Span { min_secs: 0 },
        default: "7d",
        scopes: &[Scope::Town],
        help: "`gt compact` removes events older than this, except those of beads not yet closed",
    },
    Setting {
        key: "ledger.delivery_ttl",
        kind: Kind::Span { min_secs: 0 },
        default: "1d",
        scopes: &[Scope::Town],
        help: "`gt compact` removes records of text delivered to agents (or failed) this long ago; queued and unfinished ones stay",
    },
    Setting {
        key: "ledger.compact_after",
        kind: Kind::Span { min_secs: 0 },
        default: "30d",
        scopes: &[Scope::Town],
        help: "`gt compact` summarises beads closed this long ago: id, title and outcome kept, long text and comments folded into one summary",
    },
    Setting {
        key: "deacon.compact_every",
        kind: Kind::Span { min_secs: 60 },
        default: "1h",
        scopes: &[Scope::Town],
        help: "how often the deacon runs `gt compact` (the last run is recorded in the ledger, so a restart does not run it again at once)",
    },
    Setting {
        key: "rig.clone_timeout_secs",
        kind: Kind::Int {
            min: 1,
            max: 86_400,
        },
        default: "600",
        scopes: &[Scope::Town, Scope::User],
        help: "`gt rig add` gives up a clone that takes longer (a stalled remote), leaving nothing behind",
    },
    Setting {
        key: "ledger.busy_timeout_ms",
        kind: Kind::Int {
            min: 100,
            max: 600_000,
        },
        default: "10000",
        scopes: &[Scope::Town, Scope::User],
        help: "how long a command waits for another process's ledger write",
    },
    Setting {
        key: "scheduler.max_polecats",
        kind: Kind::Int { min: 0, max: 1000 },
        default: "0",
        scopes: &[Scope::Town],
        help: "most polecats working at once (0: no limit); further slings to a rig wait in a queue",
    },
    Setting {
        key: "sessions.resume",
        kind: Kind::Choice(&["never", "crew", "all"]),
        default: "never",
        scopes: &[Scope::Rig, Scope::Town],
        help: "whose restarts (by the witness, gt handoff) continue the runtime's last conversation instead of a fresh one: never, crew (crew and the mayor), all (polecats too)",
    },
    Setting {
        key: "accounts.rotate",
        kind: Kind::Bool,
        default: "false",
        scopes: &[Scope::Town],
        help: "a rate-limited agent's next session runs on its runtime's next account that is not limited ([accounts.<runtime>.<name>] in town.toml)",
    },
    Setting {
        key: "budget.daily_usd",
        kind: Kind::Dollars,
        default: "0",
        scopes: &[Scope::Town],
        help: "dollars the town's agents may spend in a UTC day (0: no budget); once crossed, queued and new slings to a rig wait, running agents go on",
    },
    Setting {
        key: "deacon.commit_secs",
        kind: Kind::Int {
            min: 10,
            max: 604_800,
        },
        default: "300",
        scopes: &[Scope::Town],
        help: "how often the deacon commits .beads/issues.jsonl and config to the town's git repository",
    },
    Setting {
        key: "sling.formula",
        kind: Kind::Str,
        default: "",
        scopes: &[Scope::Rig, Scope::Town, Scope::User],
        help: "formula poured for every bead slung to a polecat (e.g. polecat-work); empty: none",
    },
    Setting {
        key: "polecats.names",
        kind: Kind::NamePool,
        default: "field-guide",
        scopes: &[Scope::Rig, Scope::Town],
        help: "where new polecats' names come from: a theme (field-guide, harbor, pantry, weather, workshop) or a list of names (in a file: [\"a\", \"b\"]; on the command line: a,b); once all are in use they come round numbered (ash2, birch2, …)",
    },
    Setting {
        key: "merge.strategy",
        kind: Kind::Choice(&["rebase", "merge"]),
        default: "rebase",
        scopes: &[Scope::Rig, Scope::Town],
        help: "how the refinery lands a branch on the default branch",
    },
    Setting {
        key: "merge.batch_max",
        kind: Kind::Int { min: 1, max: 64 },
        default: "4",
        scopes: &[Scope::Rig, Scope::Town],
        help: "most merge requests the refinery tests as one batch (bisecting on a red gate); 1: one at a time",
    },
    Setting {
        key: "merge.review",
        kind: Kind::Choice(&["auto", "human"]),
        default: "auto",
        scopes: &[Scope::Rig, Scope::Town],
        help: "auto: work lands when its gates pass; human: it then waits for `gt mq approve` (a bead's or convoy's label review:human|auto beats this)",
    },
    Setting {
        key: "notify.on",
        kind: Kind::Set(crate::town::settings::NOTIFY_KINDS),
        default: "all",
        scopes: &[Scope::Town, Scope::User],
        help: "what tells you when it needs you (a bell and a desktop notice in the workspace, notify.command from the supervisor): comma-separated, or all, or none",
    },
    Setting {
        key: "notify.bell",
        kind: Kind::Bool,
        default: "true",
        scopes: &[Scope::Town, Scope::User],
        help: "the open workspace rings the terminal bell when something needs you",
    },
    Setting {
        key: "notify.desktop",
        kind: Kind::Bool,
        default: "true",
        scopes: &[Scope::Town, Scope::User],
        help: "the open workspace sends a desktop notification (OSC 9 and OSC 777, which terminals show as system notices)",
    },
    Setting {
        key: "notify.command",
        kind: Kind::Str,
        default: "",
        scopes: &[Scope::Town, Scope::User],
        help: "a command the supervisor runs (sh -c) for each notice; it reads GT_NOTIFY_TITLE, GT_NOTIFY_BODY, GT_NOTIFY_KINDS and the body on stdin",
    },
    Setting {
        key: "notify.min_gap_secs",
        kind: Kind::Int {
            min: 0,
            max: 86_400,
        },
        default: "30",
        scopes: &[Scope::Town, Scope::User],
        help: "at most one notice this often: what comes up meanwhile is gathered into the next one",
    },
    Setting {
        key: "merge.on_conflict",
        kind: Kind::Choice(&["sling", "bead", "send-back"]),
        default: "sling",
        scopes: &[Scope::Rig, Scope::Town],
        help: "a branch that conflicts: a resolution bead slung to a polecat, only created, or the work sent back",
    },
    Setting {
        key: "witness.stall_after_secs",
        kind: Kind::Int {
            min: 3,
            max: 604_800,
        },
        default: "600",
        scopes: &[Scope::Rig, Scope::Town, Scope::User],
        help: "seconds without output or gt call after which an agent with hooked work counts as stalled",
    },
    Setting {
        key: "witness.waiting_after_secs",
        kind: Kind::Int {
            min: 1,
            max: 604_800,
        },
        default: "30",
        scopes: &[Scope::Rig, Scope::Town, Scope::User],
        help: "seconds at its prompt with work hooked after which an agent counts as waiting for input",
    },
    Setting {
        key: "witness.interval_secs",
        kind: Kind::Int { min: 1, max: 300 },
        default: "3",
        scopes: &[Scope::Rig, Scope::Town],
        help: "how often the witness looks at every agent of a rig",
    },
    Setting {
        key: "witness.recovery",
        kind: Kind::Choice(&["restart", "nudge", "report"]),
        default: "restart",
        scopes: &[Scope::Rig, Scope::Town],
        help: "restart: nudge stalled agents, restart stalled/zombie/dead ones; nudge: only nudge; report: only classify",
    },
    Setting {
        key: "witness.grace_secs",
        kind: Kind::Int {
            min: 0,
            max: 86_400,
        },
        default: "60",
        scopes: &[Scope::Rig, Scope::Town],
        help: "after the witness starts or nudges an agent, seconds it leaves it alone",
    },
    Setting {
        key: "witness.max_restarts",
        kind: Kind::Int { min: 1, max: 100 },
        default: "3",
        scopes: &[Scope::Rig, Scope::Town],
        help: "restarts of one agent within witness.restart_window_secs before the witness stops and escalates",
    },
    Setting {
        key: "witness.restart_window_secs",
        kind: Kind::Int {
            min: 60,
            max: 604_800,
        },
        default: "3600",
        scopes: &[Scope::Rig, Scope::Town],
        help: "the window in which restarts count towards witness.max_restarts",
    },
    Setting {
        key: "witness.backoff_secs",
        kind: Kind::Int { min: 0, max: 3600 },
        default: "10",
        scopes: &[Scope::Rig, Scope::Town],
        help: "wait before a repeated restart of the same agent, doubled for each further one",
    },
    Setting {
        key: "refinery.interval_secs",
        kind: Kind::Int { min: 1, max: 3600 },
        default: "5",
        scopes: &[Scope::Rig, Scope::Town],
        help: "how often an idle refinery looks at its merge queue",
    },
    Setting {
        key: "deacon.interval_secs",
        kind: Kind::Int { min: 1, max: 3600 },
        default: "10",
        scopes: &[Scope::Town],
        help: "how often the deacon makes its round",
    },
    Setting {
        key: "log.max_bytes",
        kind: Kind::Int {
            min: 1024,
            max: 1 << 40,
        },
        default: "10485760",
        scopes: &[Scope::Town, Scope::User],
        help: "the town's log (.gt/logs/gt.log) is renamed gt.log.1 once it would grow past this many bytes, and a new one begins",
    },
    Setting {
        key: "log.keep",
        kind: Kind::Int { min: 1, max: 100 },
        default: "3",
        scopes: &[Scope::Town, Scope::User],
        help: "old log files kept (gt.log.1 … gt.log.<n>); the oldest beyond is removed",
    },
    Setting {
        key: "up.mayor",
        kind: Kind::Bool,
        default: "false",
        scopes: &[Scope::Town, Scope::User],
        help: "`gt up` also starts the mayor",
    },
    Setting {
        key: "ui.theme",
        kind: Kind::Choice(&["dark", "light", "high-contrast"]),
        default: "dark",
        scopes: &[Scope::Town, Scope::User],
        help: "workspace colour theme: dark, light, high-contrast (a user theme.toml may adjust it)",
    },
    Setting {
        key: "ui.supervise",
        kind: Kind::Bool,
        default: "true",
        scopes: &[Scope::Town, Scope::User],
        help: "while the workspace is open and no supervisor runs, it runs the witnesses, refineries and deacon itself",
    },
    Setting {
        key: "ui.keymap",
        kind: Kind::Str,
        default: "default",
        scopes: &[Scope::Town, Scope::User],
        help: "workspace key bindings (keymaps/<name>.toml)",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Flag,
    Env,
    Rig,
    Town,
    User,
    Default,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Flag => "flag",
            Layer::Env => "env",
            Layer::Rig => "rig",
            Layer::Town => "town",
            Layer::User => "user",
            Layer::Default => "default",
        }
    }
}

/// A setting's effective value and where it came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub key: &'static str,
    pub value: toml::Value,
    pub layer: Layer,
    /// The file or variable that supplied it.
    pub source: String,
}

impl Resolved {
    pub fn as_str(&self) -> String {
        display_value(&self.value)
    }

    pub fn as_bool(&self) -> bool {
        matches!(self.value, toml::Value::Boolean(true))
    }

    /// A Dollars setting (0.0 when it is not a number).
    pub fn as_f64(&self) -> f64 {
        match self.value {
            toml::Value::Float(x) => x,
            toml::Value::Integer(i) => i as f64,
            _ => 0.0,
        }
    }

    /// A Span setting (zero when it does not read as one: values are checked when read).
    pub fn as_span(&self) -> std::time::Duration {
        crate::time::parse_span(&display_value(&self.value)).unwrap_or_default()
    }

    pub fn as_int(&self) -> i64 {
        match self.value {
            toml::Value::Integer(i) => i,
            _ => 0,
        }
    }
}

pub fn display_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn lookup(key: &str) -> Result<&'static Setting, TownError> {
    SETTINGS
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| TownError::BadName {
            what: "setting",
            name: key.to_string(),
            rule: format!(
                "known settings: {}",
                SETTINGS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

pub fn env_var(key: &str) -> String {
    format!("GT_{}", key.to_ascii_uppercase().replace('.', "_"))
}

/// `$XDG_CONFIG_HOME/gt/config.toml`, else `~/.config/gt/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("gt").join("config.toml"));
    }
    std::env::var_os("HOME").map(|h| {
        PathBuf::from(h)
            .join(".config")
            .join("gt")
            .join("config.toml")
    })
}

/// What can ask for a person's attention by a notice (`notify.on`).
pub const NOTIFY_KINDS: &[&str] = &[
    "needs-input",
    "stalled",
    "start-failed",
    "blocked",
    "dead",
    "failed-merge",
    "review-waiting",
    "escalation",
    "budget",
    "rate-limited",
    "undelivered",
    "convoy-landed",
];

/// Parses text into the setting's type (for flags, env and `config set`).
pub fn parse_value(setting: &Setting, text: &str) -> Result<toml::Value, String> {
    match setting.kind {
        Kind::Str => Ok(toml::Value::String(text.to_string())),
        Kind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(toml::Value::Boolean(true)),
            "false" | "no" | "off" | "0" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!(
                "{} must be true or false, not {text:?}",
                setting.key
            )),
        },
        Kind::Int { min, max } => match text.trim().parse::<i64>() {
            Ok(i) if (min..=max).contains(&i) => Ok(toml::Value::Integer(i)),
            _ => Err(format!(
                "{} must be a whole number from {min} to {max}, not {text:?}",
                setting.key
            )),
        },
        Kind::Span { min_secs } => match crate::time::parse_span(text) {
            Ok(d) if d.as_secs() >= min_secs => Ok(toml::Value::String(text.trim().to_string())),
            Ok(_) => Err(format!(
                "{} must be at least {}, not {text:?}",
                setting.key,
                crate::time::human_duration(min_secs as i64)
            )),
            Err(e) => Err(format!("{}: {e}", setting.key)),
        },
        Kind::Dollars => match text.trim().trim_start_matches('$').parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(toml::Value::Float(x)),
            _ => Err(format!(
                "{} must be an amount of dollars, zero or more (like 25 or 7.50), not {text:?}",
                setting.key
            )),
        },
        Kind::Set(options) => {
            let t = text.trim();
            if t == "all" || t == "none" {
                return Ok(toml::Value::String(t.to_string()));
            }
            let parts: Vec<&str> = t.split(',').map(str::trim).collect();
            match parts.iter().find(|p| !options.contains(p)) {
                None if !parts.is_empty() => Ok(toml::Value::String(parts.join(","))),
                bad => Err(format!(
                    "{} takes some of {} (comma-separated), or all, or none; {:?} is not one",
                    setting.key,
                    options.join(", "),
                    bad.copied().unwrap_or(t)
                )),
            }
        }
        Kind::NamePool => {
            let t = text.trim();
            let value = if t.contains(',') {
                toml::Value::Array(
                    t.split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(|n| toml::Value::String(n.to_string()))
                        .collect(),
                )
            } else {
                toml::Value::String(t.to_string())
            };
            crate::agent::names::parse_setting(&value).map(|_| value)
        }
        Kind::Choice(options) => {
            if options.contains(&text) {
                Ok(toml::Value::String(text.to_string()))
            } else {
                Err(format!(
                    "{} must be one of {}, not {text:?}",
                    setting.key,
                    options.join(", ")
                ))
            }
        }
    }
}

/// Checks a value read from a file against the setting's type.
fn check_file_value(
    setting: &Setting,
    value: &toml::Value,
    file: &Path,
) -> Result<toml::Value, TownError> {
    if setting.kind == Kind::NamePool {
        return crate::agent::names::parse_setting(value)
            .map(|_| value.clone())
            .map_err(|message| TownError::BadConfig {
                path: file.display().to_string(),
                message,
            });
    }
    let text = display_value(value);
    let typed_ok = matches!(
        (setting.kind, value),
        (Kind::Str, toml::Value::String(_))
            | (Kind::Choice(_), toml::Value::String(_))
            | (Kind::Set(_), toml::Value::String(_))
            | (Kind::Span { .. }, toml::Value::String(_))
            | (Kind::Bool, toml::Value::Boolean(_))
            | (Kind::Int { .. }, toml::Value::Integer(_))
            | (
                Kind::Dollars,
                toml::Value::Float(_) | toml::Value::Integer(_)
            )
    );
    let parsed = parse_value(setting, &text);
    match (typed_ok, parsed) {
        (true, Ok(v)) => Ok(v),
        (_, Err(msg)) => Err(TownError::BadConfig {
            path: file.display().to_string(),
            message: msg,
        }),
        (false, Ok(_)) => Err(TownError::BadConfig {
            path: file.display().to_string(),
            message: format!("{} has the wrong type ({value})", setting.key),
        }),
    }
}

fn get_path<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let first = parts.next()?;
    let mut cur = table.get(first)?;
    for p in parts {
        cur = cur.as_table()?.get(p)?;
    }
    Some(cur)
}

fn read_user_table() -> Result<Option<(PathBuf, toml::Table)>, TownError> {
    let Some(path) = user_config_path() else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| TownError::io(&path, e))?;
    let table = text
        .parse::<toml::Table>()
        .map_err(|e| TownError::BadConfig {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    Ok(Some((path, table)))
}

/// Resolves `key` through every layer. `flag` is a value given on the command line.
pub fn resolve(
    town: &Town,
    rig: Option<&RigConfig>,
    key: &str,
    flag: Option<&str>,
) -> Result<Resolved, TownError> {
    let setting = lookup(key)?;
    let bad_input = |msg: String, source: String| TownError::BadName {
        what: "value",
        name: source,
        rule: msg,
    };
    if let Some(text) = flag {
        let value = parse_value(setting, text).map_err(|m| bad_input(m, format!("-c {key}=…")))?;
        return Ok(Resolved {
            key: setting.key,
            value,
            layer: Layer::Flag,
            source: "command line".into(),
        });
    }
    let var = env_var(key);
    if let Some(text) = std::env::var_os(&var) {
        let text = text.to_string_lossy().to_string();
        let value = parse_value(setting, &text).map_err(|m| bad_input(m, format!("${var}")))?;
        return Ok(Resolved {
            key: setting.key,
            value,
            layer: Layer::Env,
            source: format!("${var}"),
        });
    }
    if let Some(rig) = rig.filter(|_| setting.scopes.contains(&Scope::Rig))
        && let Some(v) = get_path(&rig.raw, key)
    {
        let file = town.paths.rig_toml(&rig.name);
        let value = check_file_value(setting, v, &file)?;
        return Ok(Resolved {
            key: setting.key,
            value,
            layer: Layer::Rig,
            source: file.display().to_string(),
        });
    }
    if setting.scopes.contains(&Scope::Town)
        && let Some(v) = get_path(&town.config.raw, key)
    {
        let file = town.paths.town_toml();
        let value = check_file_value(setting, v, &file)?;
        return Ok(Resolved {
            key: setting.key,
            value,
            layer: Layer::Town,
            source: file.display().to_string(),
        });
    }
    if setting.scopes.contains(&Scope::User)
        && let Some((path, table)) = read_user_table()?
        && let Some(v) = get_path(&table, key)
    {
        let value = check_file_value(setting, v, &path)?;
        return Ok(Resolved {
            key: setting.key,
            value,
            layer: Layer::User,
            source: path.display().to_string(),
        });
    }
    let value = parse_value(setting, setting.default).map_err(|m| TownError::BadConfig {
        path: "built-in defaults".into(),
        message: m,
    })?;
    Ok(Resolved {
        key: setting.key,
        value,
        layer: Layer::Default,
        source: "built-in default".into(),
    })
}

/// Writes `key = value` into the file of `scope` (keeping comments and other keys).
pub fn set(
    town: &Town,
    scope: Scope,
    rig: Option<&str>,
    key: &str,
    text: &str,
) -> Result<PathBuf, TownError> {
    let setting = lookup(key)?;
    if !setting.scopes.contains(&scope) {
        return Err(TownError::BadName {
            what: "scope",
            name: scope.name().into(),
            rule: format!(
                "{key} can be set in: {}",
                setting
                    .scopes
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let value = parse_value(setting, text).map_err(|m| TownError::BadName {
        what: "value",
        name: text.to_string(),
        rule: m,
    })?;
    let path = scope_file(town, scope, rig)?;
    edit_file(&path, |doc| {
        let parts: Vec<&str> = key.split('.').collect();
        let Some((last, tables)) = parts.split_last() else {
            return Err(format!("{key:?} is not a setting"));
        };
        let mut item = doc.as_table_mut() as &mut toml_edit::Table;
        for t in tables {
            let entry = item
                .entry(t)
                .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
            item = entry
                .as_table_mut()
                .ok_or_else(|| format!("`{t}` is not a table"))?;
        }
        item[*last] = toml_edit::value(to_edit_value(&value));
        Ok(())
    })?;
    Ok(path)
}

/// Removes `key` from the file of `scope`; returns whether it was there.
pub fn unset(town: &Town, scope: Scope, rig: Option<&str>, key: &str) -> Result<bool, TownError> {
    lookup(key)?;
    let path = scope_file(town, scope, rig)?;
    if !path.is_file() {
        return Ok(false);
    }
    let mut removed = false;
    edit_file(&path, |doc| {
        let parts: Vec<&str> = key.split('.').collect();
        let Some((last, tables)) = parts.split_last() else {
            return Err(format!("{key:?} is not a setting"));
        };
        let mut item = doc.as_table_mut() as &mut toml_edit::Table;
        for t in tables {
            match item.get_mut(t).and_then(|i| i.as_table_mut()) {
                Some(next) => item = next,
                None => return Ok(()),
            }
        }
        removed = item.remove(last).is_some();
        Ok(())
    })?;
    Ok(removed)
}

/// Writes `[agents.<name>]` into town.toml (replacing any previous definition).
pub fn set_agent_runtime(
    town: &Town,
    name: &str,
    table: toml_edit::Table,
) -> Result<(), TownError> {
    let path = town.paths.town_toml();
    edit_file(&path, |doc| {
        let agents = doc
            .as_table_mut()
            .entry("agents")
            .or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| "`agents` is not a table".to_string())?;
        agents.insert(name, toml_edit::Item::Table(table));
        Ok(())
    })
}

/// Removes `[agents.<name>]` from town.toml; returns whether it was there.
pub fn remove_agent_runtime(town: &Town, name: &str) -> Result<bool, TownError> {
    let path = town.paths.town_toml();
    let mut removed = false;
    edit_file(&path, |doc| {
        if let Some(agents) = doc
            .as_table_mut()
            .get_mut("agents")
            .and_then(|i| i.as_table_mut())
        {
            removed = agents.remove(name).is_some();
        }
        Ok(())
    })?;
    Ok(removed)
}

/// Replaces `[mail.<kind>].<name>` in town.toml (None removes it); returns whether it existed.
pub fn set_mail_entry(
    town: &Town,
    kind: &str,
    name: &str,
    value: Option<toml_edit::Item>,
) -> Result<bool, TownError> {
    let path = town.paths.town_toml();
    let mut existed = false;
    edit_file(&path, |doc| {
        let mail = doc
            .as_table_mut()
            .entry("mail")
            .or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| "`mail` is not a table".to_string())?;
        let table = mail
            .entry(kind)
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("`mail.{kind}` is not a table"))?;
        existed = table.contains_key(name);
        match value {
            Some(v) => {
                table.insert(name, v);
            }
            None => {
                table.remove(name);
            }
        }
        Ok(())
    })?;
    Ok(existed)
}

fn scope_file(town: &Town, scope: Scope, rig: Option<&str>) -> Result<PathBuf, TownError> {
    Ok(match scope {
        Scope::Town => town.paths.town_toml(),
        Scope::Rig => {
            let name = rig.ok_or_else(|| TownError::BadName {
                what: "scope",
                name: "rig".into(),
                rule: "rig settings need --rig <name>".into(),
            })?;
            town.rig(name)?;
            town.paths.rig_toml(name)
        }
        Scope::User => user_config_path().ok_or_else(|| TownError::BadConfig {
            path: "user config".into(),
            message: "neither $XDG_CONFIG_HOME nor $HOME is set".into(),
        })?,
    })
}

fn to_edit_value(v: &toml::Value) -> toml_edit::Value {
    match v {
        toml::Value::Array(items) => {
            toml_edit::Value::Array(items.iter().map(to_edit_value).collect())
        }
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(x) => (*x).into(),
        other => display_value(other).into(),
    }
}

fn edit_file(
    path: &Path,
    f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), String>,
) -> Result<(), TownError> {
    let text = if path.is_file() {
        std::fs::read_to_string(path).map_err(|e| TownError::io(path, e))?
    } else {
        String::new()
    };
    let mut doc = text
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| TownError::BadConfig {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    f(&mut doc).map_err(|message| TownError::BadConfig {
        path: path.display().to_string(),
        message,
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| TownError::io(dir, e))?;
    }
    crate::town::write_atomic(path, doc.to_string().as_bytes())
}
