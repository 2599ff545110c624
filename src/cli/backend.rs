//! `--backend URL|NAME`, `--api-key` and `--parallel` (global flags) as clap parses them;
//! `crate::backends` resolves them (and config.toml's `[backends.NAME]`) for the CLI and the TUI.

use std::path::PathBuf;

use clap::Args;

pub use crate::backends::{connect, selected};

#[derive(Debug, Clone, Args, Default)]
pub struct BackendArgs {
    /// Use a model server instead of the in-process engine: a URL (http://host:8080 for
    /// llama-server, Ollama or any OpenAI-compatible server) or a [backends.NAME] of config.toml;
    /// -m then names a model on that server
    #[arg(long = "backend", global = true, value_name = "URL|NAME")]
    pub backend: Option<String>,
    /// API key for the server (better: the backend's api_key_env in config.toml, since command
    /// lines are visible to other users of the machine)
    #[arg(long = "api-key", global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Requests a server gets at once (compare variants, eval rows); default: its slot count
    #[arg(long = "parallel", global = true, value_name = "N")]
    pub parallel: Option<usize>,
}

impl BackendArgs {
    /// The choice as `crate::backends` keeps it.
    pub fn choice(&self) -> crate::backends::Choice {
        crate::backends::Choice {
            backend: self.backend.clone(),
            api_key: self.api_key.clone(),
            parallel: self.parallel,
        }
    }
}

/// Records the global flags and `--config` once: commands see only their own arguments.
pub fn remember(args: &BackendArgs, config: Option<PathBuf>) {
    crate::backends::remember(&args.choice(), config);
}
