//! The models a user can pick: GGUF files found on disk or named by path, Ollama's blob store, and
//! the models a server lists (the files themselves are read through `crate::gguf`).

pub mod discover;
pub mod ollama;
