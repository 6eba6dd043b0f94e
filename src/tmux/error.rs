use std::time::Duration;

/// A failed tmux call, always with the command line that was run.
#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    #[error("`{command}` failed{}: {stderr}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Failed {
        command: String,
        code: Option<i32>,
        stderr: String,
    },
    #[error("`{command}` did not finish within {after:?}")]
    Timeout { command: String, after: Duration },
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Unexpected(String),
}

impl TmuxError {
    /// The town's tmux server is not running (nothing to find, nothing to kill).
    pub fn is_no_server(&self) -> bool {
        match self {
            TmuxError::Failed { stderr, .. } => {
                stderr.contains("no server running")
                    || stderr.contains("error connecting to")
                    || stderr.contains("No such file or directory")
            }
            _ => false,
        }
    }

    /// The server went away while this client talked to it (it was exiting, having no
    /// sessions left): trying again starts a fresh one.
    pub fn is_server_exiting(&self) -> bool {
        match self {
            TmuxError::Failed { stderr, .. } => {
                stderr.contains("server exited unexpectedly") || stderr.contains("lost server")
            }
            _ => false,
        }
    }

    /// The server runs but holds no session (`list-panes -a` then has no target).
    pub fn is_empty_server(&self) -> bool {
        matches!(self, TmuxError::Failed { stderr, .. } if stderr.contains("no current target"))
    }

    /// The target (session, window or pane) does not exist.
    pub fn is_missing_target(&self) -> bool {
        match self {
            TmuxError::Failed { stderr, .. } => {
                stderr.contains("can't find") || stderr.contains("no such") || self.is_no_server()
            }
            _ => false,
        }
    }
}
