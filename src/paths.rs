//! Where howdah keeps things: the config folder and the data folder (models, sessions, logs),
//! from `directories`, overridable with HOWDAH_CONFIG_DIR / HOWDAH_DATA_DIR (tests use these).

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "howdah")
}

/// The user's data folder (models/, sessions/, logs/).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HOWDAH_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    project()
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".howdah"))
}

/// The user's config folder (config.toml, themes/, prompts/).
pub fn config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HOWDAH_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    project()
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".howdah"))
}

pub fn models_dir() -> PathBuf {
    data_dir().join("models")
}

pub fn sessions_dir() -> PathBuf {
    data_dir().join("sessions")
}

pub fn logs_dir() -> PathBuf {
    data_dir().join("logs")
}

/// The file name of the default chat model fetched by `scripts/fetch-models.sh`.
pub const DEFAULT_MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
