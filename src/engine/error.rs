//! Engine errors: each says what went wrong with which file or value, and what to do about it.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("cannot load model {path}: {reason}")]
    ModelFile { path: PathBuf, reason: String },
    #[error("no model is loaded: load one first (howdah models lists what is available)")]
    NoModel,
    #[error(
        "the prompt is {prompt} tokens but the context holds {n_ctx}: shorten the input or raise --ctx-size"
    )]
    PromptTooLong { prompt: u32, n_ctx: u32 },
    #[error("the context ({n_ctx} tokens) is full: start a new conversation or raise --ctx-size")]
    ContextFull { n_ctx: u32 },
    #[error(
        "the conversation is {prompt} tokens and no longer fits the context ({n_ctx} tokens), and context_overflow is \"stop\": start a new chat, or set context_overflow to \"shift\" (config, --context-overflow or the settings panel)"
    )]
    ConversationFull { prompt: u32, n_ctx: u32 },
    #[error("invalid sampling settings: {0}")]
    Sampling(String),
    /// A setting refused before llama.cpp saw it (it names its source).
    #[error("{0}")]
    Setting(crate::engine::settings::SettingError),
    #[error("invalid grammar: {0}")]
    Grammar(String),
    #[error("invalid input: {0}")]
    Input(String),
    #[error("llama.cpp failed: {0}")]
    Backend(String),
    /// A model server (remote backend) failed; the text says what and what to do.
    #[error("{0}")]
    Remote(String),
    #[error("the engine has stopped")]
    Stopped,
}
