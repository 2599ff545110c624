//! The engine's own last check of its settings, before llama.cpp sees them: whoever asked for a
//! load (CLI, TUI, replay) may have checked already, but nothing reaches llama.cpp unchecked.

use super::{EngineError, EngineSettings, ModelInfo};
use crate::engine::settings::{Checked, ModelLimits, Settings, Source};
use crate::gguf::hparams::Hparams;
use crate::gguf::kv::{available_memory, KvEstimate};

/// Validates `settings` for this model and machine (`Source::Engine` names the fields).
pub(crate) fn check(
    hparams: &Hparams,
    info: &ModelInfo,
    settings: &EngineSettings,
) -> Result<Checked, EngineError> {
    let limits = ModelLimits {
        estimate: KvEstimate::new(hparams, info.file_size, settings.n_batch),
        trained: hparams.n_ctx_train,
        available: available_memory(),
    };
    Settings {
        engine: settings,
        sampling: None,
    }
    .validate(&Source::Engine, Some(&limits))
    .map_err(EngineError::Setting)
}

/// Puts the checked values (and how they were chosen) into the model's info.
pub(crate) fn apply(info: &mut ModelInfo, checked: Checked) {
    let e = checked.engine;
    info.n_ctx = e.n_ctx.unwrap_or(crate::gguf::kv::MIN_CTX);
    info.threads = e.resolved_threads();
    info.n_batch = e.n_batch;
    info.ctx_reason = checked.ctx_reason;
    info.notes = checked.notes;
    tracing::info!(n_ctx = info.n_ctx, reason = %info.ctx_reason, "context size chosen");
}
