#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no bead {id:?} in the ledger{hint}")]
    NotFound { id: String, hint: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{file}:{line}: {message} (nothing was imported)")]
    Import {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the ledger at {path} was written by a newer gt (schema {found}, this gt knows {known}); upgrade gt"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
}

impl LedgerError {
    pub fn not_found(id: &str) -> Self {
        LedgerError::NotFound {
            id: id.to_string(),
            hint: String::new(),
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        LedgerError::Invalid(msg.into())
    }

    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        LedgerError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            LedgerError::NotFound { .. } | LedgerError::Invalid(_) | LedgerError::Import { .. }
        )
    }
}
