//! The real agent CLIs for the runtime conformance suite: installed at pinned versions by
//! `runtimes/install` (npm, once, cached under target/), found here. Without them a test is
//! skipped loudly — unless `GT_REQUIRE_RUNTIMES=1` (set by `.ci/run`), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The crate's target directory (the test binary lives in `<target>/<profile>/deps/`).
pub fn target_dir() -> PathBuf {
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(t);
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent()?.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

pub fn required() -> bool {
    std::env::var("GT_REQUIRE_RUNTIMES").is_ok_and(|v| v == "1")
}

/// Runs `runtimes/install` once per test process (it is itself idempotent and quick when the
/// stamp matches); Err with npm's words when it could not install.
fn installed() -> &'static Result<PathBuf, String> {
    static DONE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let target = target_dir();
        std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        // Several test binaries may start at once: one installs, the others wait.
        let _held = gt::fsutil::LockGuard::acquire(&target.join("runtimes.install.lock"))
            .map_err(|e| e.to_string())?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimes/install");
        let out = Command::new(&script)
            .arg(&target)
            .output()
            .map_err(|e| format!("{}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(target.join("runtimes/node_modules/.bin"))
    })
}

/// The directory holding the pinned CLIs' executables, or None after saying loudly why the
/// caller's test is skipped. In CI (`GT_REQUIRE_RUNTIMES=1`) a missing CLI fails the test.
pub fn bin_dir(cli: &str, test: &str) -> Option<PathBuf> {
    let why = match installed() {
        Ok(dir) if dir.join(cli).exists() => return Some(dir.clone()),
        Ok(dir) => format!("{} is missing after the install", dir.join(cli).display()),
        Err(e) => e.clone(),
    };
    if required() {
        panic!("{test}: the pinned {cli} CLI is required (GT_REQUIRE_RUNTIMES=1) but: {why}");
    }
    eprintln!(
        "\n*** SKIPPED {test}: the pinned {cli} CLI is not available: {why}\n*** run runtimes/install (needs npm and the npm registry) to run it\n"
    );
    None
}

/// The version the CLI reports (`<cli> --version`, first line).
pub fn version(bin: &Path, cli: &str) -> String {
    Command::new(bin.join(cli))
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}
