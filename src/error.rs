//! The library's one error type: every failure a user can cause names the table, column and row.
//! Exit codes are attached here so the CLI maps kinds of failure, not messages.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A required table has no file or folder in the data directory.
    #[error("table `{table}`: required table is missing (looked for {looked_for})")]
    MissingTable { table: String, looked_for: String },

    /// A required column is absent from a table.
    #[error(
        "table `{table}`: missing required column `{column}` (found: {})",
        clip(found)
    )]
    MissingColumn {
        table: String,
        column: String,
        found: String,
    },

    /// A cell that cannot be read or is out of range.
    #[error(
        "table `{table}`, column `{}`, {row}: {reason} (value: {:?})",
        clip(column),
        clip(value)
    )]
    BadValue {
        table: String,
        column: String,
        row: String,
        value: String,
        reason: String,
    },

    /// A key that must be unique appears twice.
    #[error(
        "table `{table}`, column `{}`, {row}: duplicate value {} (first at {first})",
        clip(column),
        quote(value)
    )]
    Duplicate {
        table: String,
        column: String,
        row: String,
        value: String,
        first: String,
    },

    /// A header that names a column twice.
    #[error("table `{table}`, column `{}`: appears twice in the header of {}", clip(column), path.display())]
    DuplicateColumn {
        table: String,
        column: String,
        path: PathBuf,
    },

    /// A table with no data rows where rows are needed.
    #[error("table `{table}`: {reason}")]
    EmptyTable { table: String, reason: String },

    /// A file that cannot be parsed as the table format it claims to be.
    #[error("table `{table}`: cannot read {}: {}", path.display(), clip(reason))]
    Unreadable {
        table: String,
        path: PathBuf,
        reason: String,
    },

    /// Training or evaluation needs both classes.
    #[error("{what}: only one class present ({detail}); need churners and non-churners")]
    SingleClass { what: String, detail: String },

    /// Cancellation labels were asked for but the history has no churn table.
    #[error("no churn table: cancellation labels need one")]
    NoChurnTable,

    /// Any other problem with the input data (bad settings against the data, no usable cutoff...).
    #[error("{0}")]
    BadData(String),

    /// A model whose features or format do not match what is being scored.
    #[error("model {model_id} does not match: {reason}")]
    ModelMismatch { model_id: String, reason: String },

    /// A model id that is not in the registry.
    #[error("model `{}` not found in {}", clip(model_id), dir.display())]
    ModelNotFound { model_id: String, dir: PathBuf },

    /// A feature that predicts the label too well to be honest (with `--fail-on-leak`).
    #[error("possible leakage: {features} (single-feature holdout ROC AUC >= 0.98)")]
    Leak { features: String },

    /// Population stability above the allowed maximum (the output is still written).
    #[error("drift alarm: {detail}")]
    Drift { detail: String },

    /// Settings that contradict each other or are out of range.
    #[error("invalid settings: {0}")]
    Usage(String),

    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(transparent)]
    Polars(#[from] polars::prelude::PolarsError),

    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),

    #[error("mapping file: {0}")]
    Toml(#[from] toml::de::Error),

    /// linfa, plotters and other foreign errors, as text where they leave their module.
    #[error("{0}")]
    Generic(String),
}

/// Longest value an error message quotes in full; longer ones are cut (a header line of 100 MB
/// must not become 100 MB of stderr).
pub const MAX_QUOTED: usize = 200;

/// `s`, or its first [`MAX_QUOTED`] characters and how long it was.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_QUOTED) {
        None => s.into(),
        Some((end, _)) => format!("{}... ({} bytes)", &s[..end], s.len()).into(),
    }
}

/// `s` in quotes (Rust's escaping), or its first [`MAX_QUOTED`] characters in quotes and how
/// long it was, outside them.
pub fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED) {
        None => format!("{s:?}"),
        Some((end, _)) => format!("{:?}... ({} bytes)", &s[..end], s.len()),
    }
}

/// Crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an error is, for exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags or settings (exit 2).
    Usage,
    /// Bad input data (exit 3).
    BadData,
    /// A model that does not fit the data or the tool (exit 4).
    ModelMismatch,
    /// Leakage detected with `--fail-on-leak` (exit 5).
    Leak,
    /// Drift above `--max-psi` (exit 6).
    Drift,
    /// Anything else: I/O, bugs (exit 1).
    Internal,
}

impl ErrorKind {
    /// The documented process exit code for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Usage => 2,
            ErrorKind::BadData => 3,
            ErrorKind::ModelMismatch => 4,
            ErrorKind::Leak => 5,
            ErrorKind::Drift => 6,
        }
    }
}

impl Error {
    /// Classify the error for the exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::MissingTable { .. }
            | Error::MissingColumn { .. }
            | Error::BadValue { .. }
            | Error::Duplicate { .. }
            | Error::DuplicateColumn { .. }
            | Error::EmptyTable { .. }
            | Error::Unreadable { .. }
            | Error::SingleClass { .. }
            | Error::NoChurnTable
            | Error::BadData(_)
            | Error::Toml(_) => ErrorKind::BadData,
            Error::ModelMismatch { .. } | Error::ModelNotFound { .. } => ErrorKind::ModelMismatch,
            Error::Leak { .. } => ErrorKind::Leak,
            Error::Drift { .. } => ErrorKind::Drift,
            Error::Usage(_) => ErrorKind::Usage,
            Error::Io { .. } | Error::Polars(_) | Error::Json(_) | Error::Generic(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// An I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A foreign error as text.
    pub fn generic(e: impl std::fmt::Display) -> Self {
        Error::Generic(e.to_string())
    }
}
