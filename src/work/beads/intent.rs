//! What a sling says about the work beyond "do it": instructions that go with it (shown in
//! `gt prime`), extra arguments for the runtime, the branch to start from and land onto, and
//! how it lands. Kept on the work bead (metadata `sling`), so `gt prime`, `gt done`, a restart
//! and the refinery all read the same thing; each sling writes it afresh.

use crate::ledger::{Bead, Tx};
use crate::town::RigConfig;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How finished work lands.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MergeMode {
    /// Through the merge queue: built, gated, landed by the refinery.
    #[default]
    Mr,
    /// Fast-forward the base branch at `gt done`, without the queue (into the queue when it
    /// cannot be fast-forwarded: nothing is lost, and the report says so).
    Direct,
    /// Kept on its branch; the bead closes, nothing is merged.
    Local,
    /// No merge at all (work that changes no code); the bead closes, its branch is kept.
    None,
}

impl MergeMode {
    pub fn parse(s: &str) -> Result<MergeMode> {
        match s {
            "mr" => Ok(MergeMode::Mr),
            "direct" => Ok(MergeMode::Direct),
            "local" => Ok(MergeMode::Local),
            "none" => Ok(MergeMode::None),
            other => Err(Error::invalid(format!(
                "--merge {other:?}: use mr (through the queue), direct (fast-forward), local (keep on the branch) or none"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MergeMode::Mr => "mr",
            MergeMode::Direct => "direct",
            MergeMode::Local => "local",
            MergeMode::None => "none",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Intent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Extra arguments for the runtime, for the sessions of this work.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// The branch to start from and land onto (None: the rig's default branch, or the
    /// integration branch of the bead's epic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_branch: Option<String>,
    #[serde(default)]
    pub merge: MergeMode,
}

const KEY: &str = "sling";
/// Longest instructions taken with a sling (they go into the agent's context).
const MAX_MESSAGE: usize = 16 * 1024;

impl Intent {
    pub fn is_plain(&self) -> bool {
        *self == Intent::default()
    }

    /// Checks what a person gave; bad input is refused before anything is written.
    pub fn validate(&self) -> Result<()> {
        if let Some(m) = &self.message {
            if m.trim().is_empty() {
                return Err(Error::invalid("the message is empty"));
            }
            if m.len() > MAX_MESSAGE {
                return Err(Error::invalid(format!(
                    "the message is {} bytes; at most {MAX_MESSAGE}",
                    m.len()
                )));
            }
        }
        for a in &self.args {
            if a.chars().any(char::is_control) {
                return Err(Error::invalid(format!(
                    "--args: {a:?} holds a control character"
                )));
            }
        }
        if let Some(b) = &self.base_branch {
            crate::git::check_branch_name(b)
                .map_err(|e| Error::invalid(format!("--base-branch: {e}")))?;
        }
        Ok(())
    }

    /// The intent recorded on `bead` (plain when there is none, or it cannot be read).
    pub fn of(bead: &Bead) -> Intent {
        bead.metadata
            .as_deref()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .and_then(|m| m.get(KEY).cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }

    /// Writes this intent on the bead (a plain one removes what an earlier sling left).
    pub fn record(&self, tx: &mut Tx<'_>, bead: &str) -> Result<()> {
        let old = tx.reader().require(bead)?;
        let mut meta = metadata_object(&old);
        let had = meta.get(KEY).is_some();
        if self.is_plain() {
            if !had {
                return Ok(());
            }
            if let Some(o) = meta.as_object_mut() {
                o.remove(KEY);
            }
        } else {
            meta[KEY] = serde_json::to_value(self)
                .map_err(|e| Error::failed(format!("could not record the sling's intent: {e}")))?;
        }
        let mut new = old.clone();
        new.metadata = Some(meta.to_string());
        tx.update_bead(&old, new, "sling_intent")?;
        Ok(())
    }
}

/// A bead's metadata as a JSON object to add keys to. Metadata that is not an object (an
/// import may bring anything) is kept whole under `metadata` rather than dropped, and
/// indexing it can never panic.
pub fn metadata_object(bead: &Bead) -> serde_json::Value {
    match bead
        .metadata
        .as_deref()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    {
        Some(v) if v.is_object() => v,
        Some(other) => serde_json::json!({ "metadata": other }),
        None => serde_json::json!({}),
    }
}

/// `rig` as the work sees it: its "default branch" is the branch the work lands onto, so
/// every step that branches from or lands onto it (worktree, `gt done`, the refinery) needs
/// no other change.
pub fn rig_on(rig: &RigConfig, base: &str) -> RigConfig {
    RigConfig {
        default_branch: base.to_string(),
        ..rig.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_modes_round_trip_and_bad_ones_are_named() {
        for m in ["mr", "direct", "local", "none"] {
            assert_eq!(MergeMode::parse(m).map(|x| x.as_str()).ok(), Some(m));
        }
        let e = MergeMode::parse("squash").expect_err("bad");
        assert!(e.to_string().contains("squash") && e.exit_code() == 2);
    }

    #[test]
    fn metadata_that_is_not_an_object_is_kept_and_never_panics() {
        let mut b = Bead {
            metadata: Some("[1,2]".into()),
            ..Bead::default()
        };
        let mut m = metadata_object(&b);
        m[KEY] = serde_json::json!({"merge": "mr"});
        assert_eq!(m["metadata"], serde_json::json!([1, 2]));
        b.metadata = Some("{\"a\":1}".into());
        assert_eq!(metadata_object(&b)["a"], 1);
        b.metadata = None;
        assert_eq!(metadata_object(&b), serde_json::json!({}));
    }

    #[test]
    fn validation_refuses_what_could_do_harm() {
        let ok = Intent {
            message: Some("use the v2 API".into()),
            args: vec!["--model".into(), "fast".into()],
            base_branch: Some("release/1.2".into()),
            merge: MergeMode::Direct,
        };
        assert!(ok.validate().is_ok());
        let bad_arg = Intent {
            args: vec!["a\u{1b}[2J".into()],
            ..Default::default()
        };
        assert!(bad_arg.validate().is_err());
        let bad_branch = Intent {
            base_branch: Some("..nope".into()),
            ..Default::default()
        };
        assert!(bad_branch.validate().is_err());
        assert!(
            Intent {
                message: Some(" ".into()),
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}
