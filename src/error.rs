//! The crate's error type. Each variant says what the caller can do about it;
//! [`Error::exit_code`] maps that to the exit codes scripts rely on
//! (0 done, 1 failed, 2 bad usage or input).

use std::path::PathBuf;

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file or an environment override is wrong. The
    /// message names the key, and the file and line where known.
    #[error("{0}")]
    Config(String),

    /// Something the user gave us (an argument, a file) is wrong. Nothing
    /// was changed.
    #[error("{0}")]
    Input(String),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database failed. Usually transient (locked, connection lost) or a
    /// bug; never the user's input.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// The job ran, but part of it failed for good (e.g. deliveries that
    /// failed). The message is the summary.
    #[error("{0}")]
    Failed(String),

    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// True when the user's input or configuration is at fault: fix it and
    /// run again. Nothing was changed.
    pub fn is_input(&self) -> bool {
        matches!(self, Error::Config(_) | Error::Input(_))
    }

    /// The process exit code for this error: 2 for bad usage or input, 1 for
    /// everything else.
    pub fn exit_code(&self) -> i32 {
        if self.is_input() { 2 } else { 1 }
    }
}
