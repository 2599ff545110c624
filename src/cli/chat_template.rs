//! `howdah chat-template -m MODEL [--chat-template-file FILE] [--no-generation-prompt]
//! MESSAGES.json`: the exact text a conversation becomes through the model's chat layout, for
//! debugging a model's prompt format (and for tests comparing it with llama.cpp).

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::args::{load_engine, EngineArgs, ModelArgs};
use crate::chat_template::parse_openai_messages;
use crate::cli::output::eoutln;

#[derive(Debug, Clone, Args)]
pub struct ChatTemplateArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Render without the assistant header at the end (what a finished conversation looks like)
    #[arg(long = "no-generation-prompt")]
    pub no_generation_prompt: bool,
    /// An OpenAI `messages` array as JSON ("-" reads standard input)
    #[arg(value_name = "MESSAGES.json")]
    pub messages: PathBuf,
}

pub fn run(a: &ChatTemplateArgs) -> Result<()> {
    let text = if a.messages.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the messages from standard input")?;
        s
    } else {
        std::fs::read_to_string(&a.messages)
            .with_context(|| format!("cannot read {}", a.messages.display()))?
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", a.messages.display()))?;
    let messages = parse_openai_messages(&json)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.messages.display()))?;
    if messages.is_empty() {
        bail!("{}: the messages array is empty", a.messages.display());
    }
    // Rendering needs only the vocabulary and the template: a tiny context is enough.
    let mut engine_args = a.engine.clone();
    engine_args.ctx_size.get_or_insert(256);
    let (engine, info) = load_engine(&a.model, &engine_args)?;
    eoutln!(
        "howdah: chat template: {}",
        crate::text::sanitize(&info.chat_format.label())
    );
    let prompt = engine.apply_template(messages, !a.no_generation_prompt)?;
    // The prompt itself goes out byte for byte (special tokens and all): that is the point.
    super::output::out_exact(&prompt);
    Ok(())
}
