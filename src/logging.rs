//! Logging to a file in the data folder through `tracing` (llama.cpp's logs included): nothing
//! is ever written over the terminal UI or into a command's output.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Starts file logging; returns the log file's path, or None when the folder cannot be made
/// (logging is then off rather than on screen). `HOWDAH_LOG` sets the filter (default: info).
pub fn init() -> Option<PathBuf> {
    let dir = crate::paths::logs_dir();
    let path = dir.join("howdah.log");
    let file = crate::log_file::RotatingLog::open(&dir, "howdah.log").ok()?;
    let filter = EnvFilter::try_from_env("HOWDAH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .ok()?;
    Some(path)
}

/// While alive, the process's stderr (fd 2) goes to `logs/stderr.log`, size-capped and rolled
/// like the log file: llama.cpp prints some errors (a bad grammar, for one) straight to stderr,
/// which would scribble over the UI. Dropping it puts the terminal's stderr back.
pub struct StderrToLog {
    _to: crate::stderr_log::FdToLog,
}

impl StderrToLog {
    pub fn start() -> Option<StderrToLog> {
        let dir = crate::paths::logs_dir();
        let limits = crate::stderr_log::Limits::default();
        crate::stderr_log::FdToLog::start(2, &dir, "stderr.log", limits)
            .ok()
            .map(|to| StderrToLog { _to: to })
    }
}
