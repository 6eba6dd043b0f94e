//! Tracing to `<town>/.gt/logs/gt.log`: the terminal belongs to the output (and later the
//! workspace), so nothing is logged to it. Level from `$GT_LOG` (default `info`).

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::OnceLock;

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Starts logging into the town's log file; later calls do nothing. Failure to open the log
/// is not fatal: the command still runs.
pub fn init(town_root: &Path) {
    if INSTALLED.get().is_some() {
        return;
    }
    let dir = town_root.join(".gt").join("logs");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("gt.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(file)
        .finish();
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        let _ = INSTALLED.set(());
    }
}
