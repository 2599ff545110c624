//! howdah: chat with local language models and engineer prompts, in the terminal.

pub mod cli;
pub mod compare;
pub mod config;
pub mod embed_model;
pub mod engine;
pub mod logging;
pub mod model;
pub mod paths;
pub mod prompt;
pub mod session;
pub mod text;
pub mod ui;
