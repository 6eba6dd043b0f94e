//! What a user of each agent CLI sets up to run it against a model endpoint of their own —
//! here the scripted model server — shared by the conformance suite and the runtime bench:
//! the runtime's `env` in the town (`gt config agent set <cli> --env …`), the CLI's own config
//! files in the (fresh) home, and whether `gt config agent prepare` is wanted.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub struct Setup {
    /// `KEY=VALUE` for `gt config agent set <cli> --env`.
    pub env: Vec<String>,
    /// Files written under the home directory (path relative to it, contents).
    pub files: Vec<(PathBuf, String)>,
    /// Run `gt config agent prepare <cli> --yes` (Claude Code's first-run onboarding).
    pub prepare: bool,
}

/// The setup for `cli` against the model server at `url`; `cache` is a directory the CLIs
/// may share between homes (Copilot unpacks its package there once).
pub fn for_cli(cli: &str, url: &str, cache: &Path, root: bool) -> Setup {
    match cli {
        "claude" => {
            let mut env = vec![
                format!("ANTHROPIC_BASE_URL={url}"),
                // An API key: gt answers Claude Code's "use this API key?" for the key the
                // runtime's env names.
                "ANTHROPIC_API_KEY=sk-ant-test-0123456789abcdefghij".to_string(),
                "DISABLE_AUTOUPDATER=1".to_string(),
                "DISABLE_TELEMETRY=1".to_string(),
                "DISABLE_ERROR_REPORTING=1".to_string(),
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1".to_string(),
                "CLAUDE_CODE_MODEL_CATALOG=off".to_string(),
                "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1".to_string(),
            ];
            if root {
                env.push("IS_SANDBOX=1".into());
            }
            Setup {
                env,
                files: Vec::new(),
                prepare: true,
            }
        }
        "codex" => Setup {
            env: vec!["SCRIPTED_OPENAI_KEY=sk-test".into()],
            files: vec![(
                ".codex/config.toml".into(),
                format!(
                    r#"model = "scripted-model"
model_provider = "scripted"
check_for_update_on_startup = false

[model_providers.scripted]
name = "scripted model server"
base_url = "{url}/v1"
env_key = "SCRIPTED_OPENAI_KEY"
wire_api = "responses"

[analytics]
enabled = false

[features]
plugins = false
"#
                ),
            )],
            prepare: false,
        },
        // No auth method and no trusted folders: gt answers those dialogs. No update checks.
        "gemini" => Setup {
            env: vec![
                "GEMINI_API_KEY=test-key".into(),
                format!("GOOGLE_GEMINI_BASE_URL={url}"),
            ],
            files: vec![(
                ".gemini/settings.json".into(),
                // API-key sign-in chosen, as a user who set it up once has: without it
                // Gemini CLI sometimes asks how to sign in, though GEMINI_API_KEY is set.
                r#"{"general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},
 "privacy": {"usageStatisticsEnabled": false},
 "security": {"auth": {"selectedType": "gemini-api-key"}}}"#
                    .into(),
            )],
            prepare: false,
        },
        "opencode" => {
            let config = serde_json::json!({
                "provider": {"scripted": {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "scripted model server",
                    "options": {"baseURL": format!("{url}/v1"), "apiKey": "sk-test"},
                    "models": {"scripted-model": {"name": "Scripted"}}
                }},
                "model": "scripted/scripted-model",
                "small_model": "scripted/scripted-model",
                "autoupdate": false,
                "share": "disabled",
                "permission": "allow"
            });
            let deps = r#"{"dependencies":{"@opencode-ai/plugin":"1.18.33"}}"#;
            let lock = r#"{"lockfileVersion":3,"packages":{"":{"dependencies":{"@opencode-ai/plugin":"1.18.33"}}}}"#;
            Setup {
                env: vec![
                    format!("OPENCODE_CONFIG_CONTENT={config}"),
                    "OPENCODE_DISABLE_MODELS_FETCH=1".into(),
                    "OPENCODE_DISABLE_AUTOUPDATE=1".into(),
                ],
                // Its plugin package counts as installed: no fetch in the background.
                files: vec![
                    (".config/opencode/node_modules/.keep".into(), String::new()),
                    (".config/opencode/package.json".into(), deps.into()),
                    (".config/opencode/package-lock.json".into(), lock.into()),
                ],
                prepare: false,
            }
        }
        // Its own local-provider mode (no GitHub account), offline.
        "copilot" => Setup {
            env: vec![
                format!("COPILOT_PROVIDER_BASE_URL={url}/v1"),
                "COPILOT_PROVIDER_API_KEY=sk-test".into(),
                "COPILOT_MODEL=scripted-model".into(),
                "COPILOT_PROVIDER_MAX_PROMPT_TOKENS=128000".into(),
                "COPILOT_PROVIDER_MAX_OUTPUT_TOKENS=8192".into(),
                "COPILOT_OFFLINE=true".into(),
                "COPILOT_AUTO_UPDATE=false".into(),
                format!(
                    "COPILOT_PKG_CACHE_HOME={}",
                    cache.join("copilot-pkg").display()
                ),
            ],
            files: Vec::new(),
            prepare: false,
        },
        other => panic!("no setup for {other}"),
    }
}

impl Setup {
    /// Writes the files under `home`.
    pub fn write_files(&self, home: &Path) {
        for (rel, text) in &self.files {
            let path = home.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("mkdir");
            }
            std::fs::write(&path, text).expect("write");
        }
    }

    /// The `gt config agent set <cli>` arguments for the env.
    pub fn set_args<'a>(&'a self, cli: &'a str) -> Vec<&'a str> {
        let mut v = vec!["--batch", "config", "agent", "set", cli];
        for e in &self.env {
            v.push("--env");
            v.push(e);
        }
        v
    }
}
