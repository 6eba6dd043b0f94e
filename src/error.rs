//! The crate-wide error: every failure knows its exit code (DESIGN.md §9).

use crate::agent::AgentError;
use crate::git::GitError;
use crate::ledger::LedgerError;
use crate::tmux::TmuxError;
use crate::town::TownError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller asked for something malformed or impossible; nothing was written.
    #[error("{0}")]
    Invalid(String),
    /// A named thing does not exist; nothing was written.
    #[error("{0}")]
    NotFound(String),
    /// A feature that this build does not have yet.
    #[error("{0}")]
    NotBuilt(String),
    /// The operation was attempted and failed.
    #[error("{0}")]
    Failed(String),
    /// An answer given by exit code alone (`gt mail check`: 1 = no unread mail).
    #[error("")]
    Silent(i32),
    #[error(transparent)]
    Town(#[from] TownError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    #[error(transparent)]
    Ssh(#[from] crate::ssh::SshError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Formula(#[from] crate::formula::FormulaError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }

    pub fn failed(msg: impl Into<String>) -> Self {
        Error::Failed(msg.into())
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// 0 ok, 1 the operation failed, 2 bad input (nothing was written).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::NotFound(_) => 2,
            Error::NotBuilt(_) | Error::Failed(_) | Error::Io { .. } => 1,
            Error::Silent(code) => *code,
            Error::Town(e) => {
                if e.is_bad_input() {
                    2
                } else {
                    1
                }
            }
            Error::Ledger(e) => {
                if e.is_bad_input() {
                    2
                } else {
                    1
                }
            }
            Error::Tmux(_) => 1,
            Error::Ssh(e) => {
                if e.is_bad_input() {
                    2
                } else {
                    1
                }
            }
            Error::Agent(AgentError::UnknownRuntime { .. }) => 2,
            Error::Agent(AgentError::BadConfig { .. }) => 1,
            Error::Git(e) => {
                if e.is_bad_input() {
                    2
                } else {
                    1
                }
            }
            Error::Formula(e) => {
                if e.is_bad_input() {
                    2
                } else {
                    1
                }
            }
        }
    }
}
