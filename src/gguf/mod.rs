//! GGUF files as data, below everything that loads them: the bounds-checked header reader, the
//! hyper-parameters llama.cpp would assert on (checked here first), and the KV-cache size they
//! imply. The engine, the settings check and the model catalogue all read files through here.

mod ggml_types;
pub mod header;
pub mod hparams;
pub mod kv;
mod reader;

pub use ggml_types::{file_type_name, type_name};
pub use header::*;
pub use reader::Value;
