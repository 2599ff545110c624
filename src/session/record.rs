//! Building reply records from what the engine reports: the one place that decides which
//! facts of a reply are kept.

use super::format::{
    resolved_settings, ModelRef, PromptMode, PromptSetup, ReplyRecord, ReplyStats,
};
use super::model_hash::sha256_cached;
use crate::engine::{DoneStats, EngineSettings, ModelInfo, Prompt, Sampling};

/// The model reference for a loaded model, with its SHA-256 (cached after the first time; `None`
/// when the file cannot be read, which is logged).
pub fn model_ref(info: &ModelInfo) -> ModelRef {
    // A server's model has no file here to hash; its `backend` identifies it.
    if info.backend.is_some() {
        return ModelRef::from_info(info, None);
    }
    let sha = match sha256_cached(&info.path) {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::warn!("cannot hash {}: {e}", info.path.display());
            None
        }
    };
    ModelRef::from_info(info, sha)
}

/// What one finished reply needs recorded. `asked` is what the engine was loaded with (for the
/// GPU layers, which `ModelInfo` does not report); `setup` and `prompt` come from the template
/// system when it built the prompt (`prompt` only when it differs from the conversation).
pub struct ReplyInput<'a> {
    pub model: &'a ModelRef,
    pub info: &'a ModelInfo,
    pub asked: &'a EngineSettings,
    pub sampling: &'a Sampling,
    pub mode: PromptMode,
    pub setup: Option<PromptSetup>,
    pub prompt: Option<Prompt>,
    pub done: &'a DoneStats,
}

pub fn reply_record(r: ReplyInput<'_>) -> ReplyRecord {
    ReplyRecord {
        model: r.model.clone(),
        engine: resolved_settings(r.info, r.asked),
        sampling: r.sampling.clone(),
        mode: r.mode,
        setup: r.setup,
        prompt: r.prompt,
        stats: ReplyStats::from(r.done),
        build: build_id(),
        device: r.info.offload.as_deref().cloned(),
    }
}

/// This build's identity as recorded in replies.
pub fn build_id() -> String {
    format!("howdah {}", env!("CARGO_PKG_VERSION"))
}
