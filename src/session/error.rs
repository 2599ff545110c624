//! Why a session could not be read, found or written; every message names the file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the file is empty (left untouched; delete it or restore it from a backup)")]
    Empty { path: PathBuf },
    #[error("{path}: the file is cut off at line {line}, column {column} (an interrupted write or copy?); it was left untouched")]
    Truncated {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("{path}: not valid session JSON: {detail}; the file was left untouched")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: written by a newer howdah (schema_version {found}; this build reads up to {supported}): update howdah to open it")]
    TooNew {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
    #[error("no session '{spec}' in {dir} (give a session id from `howdah session list`, or a path to a .json file)")]
    NotFound { spec: String, dir: PathBuf },
    #[error("'{spec}' matches several sessions ({matches}): give more of the id")]
    Ambiguous { spec: String, matches: String },
}

impl SessionError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> SessionError {
        SessionError::Io {
            path: path.into(),
            source,
        }
    }
}
