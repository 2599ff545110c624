//! Models from the Hugging Face hub (or a mirror named by `HF_ENDPOINT`): naming a repository,
//! choosing its GGUF files as llama.cpp's `-hf` does, and downloading them — resumable and
//! checked — into the Hugging Face cache that other tools share.

pub mod api;
pub mod cache;
pub mod download;
pub mod error;
pub mod local;
pub mod pull;
pub mod resolve;
pub mod retry;
pub mod spec;

pub use api::Hub;
pub use error::HubError;
pub use pull::{list, pull, Event, Pulled};
pub use spec::Spec;
