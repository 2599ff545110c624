//! howdah: chat with local language models and engineer prompts, in the terminal.

pub mod arena;
pub mod backends;
pub mod chat_template;
pub mod cli;
pub mod compare;
pub mod config;
pub mod embed_model;
pub mod engine;
pub mod gguf;
pub mod hub;
pub mod log_file;
pub mod logging;
pub mod model;
pub mod paths;
pub mod prompt;
pub mod session;
pub mod stderr_log;
pub mod text;
pub mod ui;
