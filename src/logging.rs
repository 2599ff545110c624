//! Logging to a file in the data folder through `tracing` (llama.cpp's logs included): nothing
//! is ever written over the terminal UI or into a command's output.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Starts file logging; returns the log file's path, or None when the folder cannot be made
/// (logging is then off rather than on screen). `HOWDAH_LOG` sets the filter (default: info).
pub fn init() -> Option<PathBuf> {
    let dir = crate::paths::logs_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("howdah.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter = EnvFilter::try_from_env("HOWDAH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .ok()?;
    Some(path)
}
