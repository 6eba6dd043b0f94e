//! The installed tmux's version (`tmux -V`), which needs no server.

use super::TmuxError;

/// `tmux -V` without the `tmux ` prefix, e.g. `3.3a`.
pub fn version() -> Result<String, TmuxError> {
    let line = "tmux -V".to_string();
    let out = std::process::Command::new("tmux")
        .arg("-V")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| TmuxError::Spawn {
            command: line.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(TmuxError::Failed {
            command: line,
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(text.strip_prefix("tmux ").unwrap_or(&text).to_string())
}
