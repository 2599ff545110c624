//! The full-screen UI as the CLI starts it (no subcommand): the config and flags become the UI's
//! `Setup`, engine flags are checked before the terminal is taken, and the `--backend` choice
//! is handed over, so the UI itself knows nothing of the command line.

use anyhow::Result;

use super::Cli;
use crate::ui::app::Setup;

/// Reads the config and CLI flags into the app's starting state (no terminal involved).
pub fn setup(cli: &Cli) -> Setup {
    let loaded = crate::config::load(cli.config.as_deref());
    let model = if cli.backend.backend.is_some() {
        // On a server, -m names one of its models; empty: the server's default.
        Ok(cli.model.model.clone().unwrap_or_default().into())
    } else {
        super::args::model_path(&cli.model).map_err(|e| format!("{e:#}"))
    };
    let mut engine = cli.engine.settings();
    if cli.engine.context_overflow.is_none() {
        engine.context_overflow = loaded.config.context_overflow;
    }
    Setup {
        config: loaded.config,
        config_text: loaded.text,
        config_dir: crate::paths::config_dir(),
        warnings: loaded.warnings,
        engine,
        models_dirs: cli.model.models_dir.clone(),
        model,
    }
}

/// Starts the chat UI and runs it until the user quits.
pub fn run(cli: &Cli) -> Result<()> {
    let setup = setup(cli);
    // Engine flags are checked before the terminal is taken: an error is plain text on stderr.
    super::values::check_flags(setup.model.as_ref().ok(), &setup.engine)?;
    let backend = super::backend::selected().map_err(|e| format!("{e:#}"));
    crate::ui::run(setup, backend)
}
