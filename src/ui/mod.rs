//! The full-screen terminal UI.

/// Starts the chat UI.
pub fn run(_cli: &crate::cli::Cli) -> anyhow::Result<()> {
    anyhow::bail!("the chat UI is not built yet")
}
