//! Tracing to `<town>/.gt/logs/gt.log`: the terminal belongs to the output (and later the
//! workspace), so nothing is logged to it. Level from `$GT_LOG` (default `info`). The file is
//! bounded: past `log.max_bytes` it rotates to `gt.log.1` … (`rotate`); `read` gives it back
//! (`gt daemon logs`).

pub mod read;
pub mod rotate;

pub use rotate::Limits;
use std::path::Path;
use std::sync::{Arc, OnceLock};

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Starts logging into the town's log file; later calls do nothing. Failure to open the log
/// is not fatal: the command still runs.
pub fn init(town_root: &Path, limits: Limits) {
    if INSTALLED.get().is_some() {
        return;
    }
    let dir = town_root.join(".gt").join("logs");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(log) = rotate::Rotating::new(&dir, limits) else {
        return;
    };
    let log = Arc::new(log);
    let filter = tracing_subscriber::EnvFilter::try_from_env("GT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(move || rotate::RecordWriter(log.clone()))
        .finish();
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        let _ = INSTALLED.set(());
    }
}

/// The town's log limits (`log.max_bytes`, `log.keep`); a bad value leaves the default (the
/// log is no reason for a command to fail; `gt config list` names the bad value).
pub fn limits_for(town: &crate::town::Town) -> Limits {
    let get = |key| crate::town::settings::resolve(town, None, key, None).map(|r| r.as_int());
    let d = Limits::default();
    Limits {
        max_bytes: get("log.max_bytes").map_or(d.max_bytes, |v| v.max(1) as u64),
        keep: get("log.keep").map_or(d.keep, |v| v.clamp(1, 1000) as u32),
    }
}
