//! Remote hosts over SSH: one multiplexed connection per host (OpenSSH's ControlMaster),
//! reused by every command gt runs there. The only module that runs `ssh`.

mod conn;
mod target;

pub use conn::{Conn, Options};
pub use target::{Target, command_line, quote};

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("bad ssh URL {0}")]
    BadUrl(String),
    #[error("could not run ssh: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("cannot reach {host}: {why}")]
    Unreachable { host: String, why: String },
    #[error("`{command}` on {host} failed{}: {stderr}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Failed {
        host: String,
        command: String,
        code: Option<i32>,
        stderr: String,
    },
    #[error("`{command}` on {host} did not finish within {secs} s")]
    Timeout {
        host: String,
        command: String,
        secs: u64,
    },
}

impl SshError {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, SshError::BadUrl(_))
    }

    /// The host did not answer (as opposed to a command that failed there).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            SshError::Unreachable { .. } | SshError::Timeout { .. }
        )
    }
}
