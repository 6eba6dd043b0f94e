//! Pushing the default branch after it moved, when rig.toml names a remote of the rig's
//! repository (`push_remote = "origin"`). A failed push never undoes the landing: it is
//! recorded (event `push_failed`) and tried again on a later call — at once after the next
//! landing, otherwise at most every `push_retry_secs` (rig.toml, default 30).
//!
//! What was last pushed is kept in `.gt/refinery/<rig>.push.json`; a push is pending while the
//! default branch is somewhere else.

use crate::town::RigConfig;
use crate::work::Ctx;
use crate::work::refinery::queue::Outcome;
use crate::{Error, Result, git};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `gt mq list`: where the rig pushes and whether the default branch is there yet.
#[derive(Debug, Clone, Serialize)]
pub struct PushStatus {
    pub rig: String,
    pub remote: String,
    pub branch: String,
    /// The default branch now.
    pub commit: String,
    /// What was last pushed.
    pub pushed: Option<String>,
    pub push_pending: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    pushed: Option<String>,
    error: Option<String>,
    /// Unix seconds of the last attempt that failed.
    failed_at: Option<i64>,
}

fn state_file(ctx: &Ctx, rig: &RigConfig) -> PathBuf {
    ctx.town
        .paths
        .runtime_dir()
        .join("refinery")
        .join(format!("{}.push.json", rig.name))
}

fn load(ctx: &Ctx, rig: &RigConfig) -> State {
    std::fs::read(state_file(ctx, rig))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save(ctx: &Ctx, rig: &RigConfig, st: &State) {
    let path = state_file(ctx, rig);
    let res = path
        .parent()
        .map(std::fs::create_dir_all)
        .unwrap_or(Ok(()))
        .and_then(|_| {
            crate::fsutil::write_atomic(&path, &serde_json::to_vec(st).unwrap_or_default())
        });
    if let Err(e) = res {
        tracing::warn!(file = %path.display(), error = %e, "cannot record the push state");
    }
}

/// `push_remote` from rig.toml (None: the rig does not push).
fn remote(rig: &RigConfig) -> Result<Option<String>> {
    match rig.raw.get("push_remote") {
        None => Ok(None),
        Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(Error::invalid(format!(
            "rig {}: `push_remote` must be the name of a remote of {}/.repo.git",
            rig.name, rig.name
        ))),
    }
}

fn retry_secs(rig: &RigConfig) -> i64 {
    rig.raw
        .get("push_retry_secs")
        .and_then(|v| v.as_integer())
        .filter(|n| *n >= 0)
        .unwrap_or(30)
}

/// The rig's push state; None when it does not push.
pub fn push_status(ctx: &Ctx, rig: &RigConfig) -> Result<Option<PushStatus>> {
    let Some(remote) = remote(rig)? else {
        return Ok(None);
    };
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let commit = git::branch_tip(&repo, &rig.default_branch)?;
    let st = load(ctx, rig);
    Ok(Some(PushStatus {
        rig: rig.name.clone(),
        remote,
        branch: rig.default_branch.clone(),
        push_pending: st.pushed.as_deref() != Some(commit.as_str()),
        commit,
        pushed: st.pushed,
        error: st.error,
    }))
}

/// Pushes the default branch when it is not where it was last pushed: at once when it just
/// moved (`landed`), else when the last failure is old enough. Never an error: a failure is
/// the outcome.
pub(in crate::work) fn push_if_due(
    ctx: &mut Ctx,
    rig: &RigConfig,
    landed: bool,
) -> Option<Outcome> {
    let status = match push_status(ctx, rig) {
        Ok(Some(s)) if s.push_pending => s,
        Ok(_) => return None,
        Err(e) => {
            tracing::warn!(rig = %rig.name, error = %e, "cannot tell whether a push is due");
            return None;
        }
    };
    let mut st = load(ctx, rig);
    let recent = st
        .failed_at
        .is_some_and(|t| ctx.unix_now() - t < retry_secs(rig));
    if !landed && recent {
        return None;
    }
    let repo = ctx.town.paths.rig_repo(&rig.name);
    let tried = if git::has_remote(&repo, &status.remote) {
        git::push_branch(&repo, &status.remote, &rig.default_branch).map_err(|e| e.to_string())
    } else {
        Err(format!(
            "{} has no remote {:?} (add it with `git -C {} remote add {} <url>`)",
            repo.display(),
            status.remote,
            repo.display(),
            status.remote
        ))
    };
    let note = |error: Option<&str>| serde_json::json!({"rig": rig.name, "remote": status.remote, "branch": rig.default_branch, "commit": status.commit, "error": error});
    match tried {
        Ok(()) => {
            st = State {
                pushed: Some(status.commit.clone()),
                error: None,
                failed_at: None,
            };
            save(ctx, rig, &st);
            record(ctx, "pushed", note(None));
            Some(Outcome::Pushed {
                remote: status.remote,
                commit: status.commit,
            })
        }
        Err(error) => {
            tracing::warn!(rig = %rig.name, remote = %status.remote, %error, "push failed");
            // One event per new failure, not one per retry of the same one.
            if landed || st.error.as_deref() != Some(error.as_str()) {
                record(ctx, "push_failed", note(Some(&error)));
            }
            st.error = Some(error.clone());
            st.failed_at = Some(ctx.unix_now());
            save(ctx, rig, &st);
            Some(Outcome::PushFailed {
                remote: status.remote,
                commit: status.commit,
                error,
            })
        }
    }
}

fn record(ctx: &mut Ctx, kind: &str, note: serde_json::Value) {
    let res = ctx.write(|tx| {
        tx.record_event(None, kind, None, Some(note), None)?;
        Ok(())
    });
    if let Err(e) = res {
        tracing::warn!(error = %e, "cannot record the push event");
    }
}
