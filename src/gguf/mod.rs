//! GGUF files as data, below everything that loads them: the bounds-checked header reader, the
//! hyper-parameters llama.cpp would assert on (checked here first), and the KV-cache size they
//! imply. The engine, the settings check and the model catalogue all read files through here.

pub mod header;
pub mod hparams;
pub mod kv;

pub use header::*;
