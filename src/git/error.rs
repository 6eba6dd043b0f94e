#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("`{command}` failed{}: {stderr}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Command {
        command: String,
        code: Option<i32>,
        stderr: String,
    },
    #[error("could not run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("git: {0}")]
    Lib(#[from] git2::Error),
    #[error("{0}")]
    BadInput(String),
}

impl GitError {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, GitError::BadInput(_))
    }
}
