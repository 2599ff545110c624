//! Loading a model: our own checks of the file before llama.cpp sees it, the offload plan, the
//! weights (retried with fewer GPU layers when they do not fit), and the context parameters the
//! model is then served with.

use std::num::NonZeroU32;
use std::sync::Arc;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;

use super::chat_format::Formatter;
use super::types::*;
use super::{emit, CancelState, EngineError, SharedSink};

/// Most sequences one context serves at once (variants, or label candidates).
pub(crate) const MAX_SEQS: u32 = 16;

/// A model whose weights are in memory, with what was decided for it at load; `worker::serve`
/// makes the context it answers requests with.
pub(crate) struct Loaded {
    pub model: LlamaModel,
    pub info: ModelInfo,
    pub chat: Formatter,
    pub overflow: super::ContextOverflow,
    /// Where its layers went (a context that does not fit retries with fewer).
    pub plan: super::offload::OffloadPlan,
    /// The user set no thread count: it follows the CPUs' load (`threads.rs`).
    pub auto_threads: bool,
    /// Memory a context of this model takes (KV cache and batch), for re-creating one.
    pub ctx_bytes: u64,
}

/// Checks the file, plans where its layers go (or takes `retry`'s plan with fewer on the GPU),
/// and loads it, reporting progress to `sink`.
pub(crate) fn load_model(
    backend: &LlamaBackend,
    path: &std::path::Path,
    settings: &EngineSettings,
    retry: Option<super::offload::OffloadPlan>,
    id: RequestId,
    sink: &SharedSink,
    cancel: &Arc<CancelState>,
) -> Result<Loaded, EngineError> {
    let file_err = |reason: String| file_error(path, reason);
    // Our own checks first: llama.cpp's GGUF loader must never see a malformed file, and no
    // value it would assert on (or allocate without limit for) reaches it.
    let (mut info, hparams) = crate::engine::inspect_hparams(path).map_err(|e| {
        file_err(
            e.strip_prefix(&format!("{}: ", path.display()))
                .unwrap_or(&e)
                .to_string(),
        )
    })?;
    let checked = super::limits::check(&hparams, &info, settings)?;
    let mut plan = match retry {
        Some(p) => p,
        None => super::offload::plan_for(path, &hparams, settings, &checked.engine)?,
    };
    emit(sink, id, EventKind::LoadProgress(0.0));
    let model = loop {
        match load_weights(backend, path, &plan, id, sink, cancel) {
            Ok(m) => break m,
            Err(e) => match plan.fewer("llama.cpp could not allocate them") {
                Some(fewer) if !cancel.is_cancelled(id) => {
                    tracing::warn!(error = %e, note = ?fewer.note, "GPU load failed");
                    plan = fewer;
                }
                _ => return Err(e),
            },
        }
    };
    let trained = model.n_ctx_train();
    if info.context_trained == 0 {
        info.context_trained = trained;
    }
    info.parameters = model.n_params();
    info.has_chat_template = model.chat_template(None).is_ok();
    let chat = Formatter::new(&model, settings.chat_template.as_ref())?;
    info.chat_format = Box::new(chat.status.clone());
    tracing::info!(chat_template = %info.chat_format.label(), "chat layout chosen");
    let ctx_bytes =
        crate::gguf::kv::KvEstimate::new(&hparams, info.file_size, checked.engine.n_batch)
            .context_bytes(checked.engine.n_ctx.unwrap_or(crate::gguf::kv::MIN_CTX) as u64);
    super::limits::apply(&mut info, checked);
    info.offload = Some(Box::new(plan.record(super::offload::cpu_label)));
    info.notes.extend(plan.note.clone());
    tracing::info!(offload = ?info.offload, "layers placed");
    Ok(Loaded {
        model,
        info,
        chat,
        overflow: settings.context_overflow,
        plan,
        auto_threads: settings.threads.is_none(),
        ctx_bytes,
    })
}

/// Loads the weights with `plan`'s layers on its device.
fn load_weights(
    backend: &LlamaBackend,
    path: &std::path::Path,
    plan: &super::offload::OffloadPlan,
    id: RequestId,
    sink: &SharedSink,
    cancel: &Arc<CancelState>,
) -> Result<LlamaModel, EngineError> {
    let file_err = |reason: String| file_error(path, reason);
    let progress_sink = sink.clone();
    let progress_cancel = cancel.clone();
    let mut last = 0.0f32;
    let mut params = LlamaModelParams::default().with_n_gpu_layers(plan.layers);
    if let Some(d) = plan.device.as_ref().filter(|_| plan.layers > 0) {
        // The planned device only (llama.cpp would otherwise split over every GPU it sees).
        params = params
            .with_devices(&[d.index])
            .map_err(|e| file_err(format!("cannot use GPU device {}: {e}", d.label())))?;
    }
    let params = params.with_progress_callback(move |p| {
        // llama.cpp calls this very often; a percent step is enough for a progress bar.
        if p - last >= 0.01 || p >= 1.0 {
            last = p;
            emit(
                &progress_sink,
                id,
                EventKind::LoadProgress(p.clamp(0.0, 1.0)),
            );
        }
        !progress_cancel.is_cancelled(id)
    });
    LlamaModel::load_from_file(backend, path, &params).map_err(|e| {
        if cancel.is_cancelled(id) {
            file_err("loading was cancelled".into())
        } else {
            file_err(format!(
                "llama.cpp could not load it ({e}); the file may be damaged or use an architecture this build does not know"
            ))
        }
    })
}

pub(crate) fn context_params(info: &ModelInfo, threads: u32) -> LlamaContextParams {
    // -ngl 0 means the CPU: without this a GPU build still sends large batches to the GPU.
    let on_gpu = info
        .offload
        .as_ref()
        .is_some_and(|o| o.layers_offloaded > 0);
    context_params_for(info.n_ctx, info.n_batch, threads, on_gpu)
}

/// The context a model is served with; llama.cpp's fitting (`offload::fit`) measures the same.
pub(crate) fn context_params_for(
    n_ctx: u32,
    n_batch: u32,
    threads: u32,
    on_gpu: bool,
) -> LlamaContextParams {
    LlamaContextParams::default()
        .with_op_offload(on_gpu)
        .with_offload_kqv(on_gpu)
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_batch(n_batch)
        .with_n_ubatch(n_batch)
        .with_n_seq_max(MAX_SEQS)
        // One KV pool shared by all sequences: a prefix copy is metadata only, and one long chat
        // may use the whole context.
        .with_kv_unified(true)
        // Full-size sliding-window caches, so a cached prefix can be cut anywhere (Gemma 3).
        .with_swa_full(true)
        .with_n_threads(threads as i32)
        .with_n_threads_batch(threads as i32)
}

/// The error for a model file that cannot be loaded, naming the file and why.
fn file_error(path: &std::path::Path, reason: String) -> EngineError {
    EngineError::ModelFile {
        path: path.to_path_buf(),
        reason,
    }
}
