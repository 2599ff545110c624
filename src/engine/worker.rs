//! The engine thread: owns llama.cpp's backend, the loaded model and its contexts, and serves
//! requests one at a time. A model switch happens between requests; a failed load leaves the
//! previous model in place.

use std::num::NonZeroU32;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::chat_format::Formatter;
use super::types::*;
use super::{CancelState, EngineError, Job, Sink};

/// Most sequences one context serves at once (variants, or label candidates).
pub(crate) const MAX_SEQS: u32 = 16;

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

/// The loaded model's live llama.cpp context and what its KV cache holds for sequence 0: what
/// every request is served with. (Not a chat session: those are `session::Session` files.)
pub(crate) struct ModelContext<'m> {
    pub model: &'m LlamaModel,
    pub backend: &'m LlamaBackend,
    pub info: &'m ModelInfo,
    pub ctx: LlamaContext<'m>,
    /// Tokens whose keys/values sequence 0 holds, in order: the base for prefix reuse.
    pub cached: Vec<LlamaToken>,
    /// Created on the first embedding request: a second, pooling context on the same model.
    pub embed_ctx: Option<LlamaContext<'m>>,
    /// The chat layout (the model's Jinja template, a built-in one, or plain).
    pub chat: &'m Formatter,
    /// Set for an embedding model, which makes vectors and cannot generate.
    pub pooling: Option<super::Pooling>,
    pub n_ctx: u32,
    pub n_batch: u32,
    /// Threads the context runs with now.
    pub threads: u32,
    /// Why that many ("as asked", or the adaptive count's reason).
    pub threads_reason: String,
    /// The count without other programs' load (one per physical core, or as asked).
    pub default_threads: u32,
    /// Whether `threads` follows the load (the user set none).
    pub auto_threads: bool,
    pub tuner: &'m mut super::threads::Tuner,
    /// Memory one context takes (see `Loaded::ctx_bytes`).
    pub ctx_bytes: u64,
    /// A shift moved cells and no decode has applied it yet (saved state would lack it).
    pub shift_pending: bool,
    /// The `context_overflow` policy this model was loaded with.
    pub overflow: super::ContextOverflow,
    /// Why this model's cache cannot be shifted (then a shift falls back to re-decoding).
    pub cannot_shift: Option<String>,
    /// Whether the fallback was already reported (it is said once per loaded model).
    pub shift_noted: bool,
    /// The model's sliding attention window (0: none).
    pub n_swa: u32,
}

pub(crate) type SharedSink = Arc<Mutex<Box<dyn Sink>>>;

/// Sends one event of request `id`; returns false when nobody listens.
pub(crate) fn emit(sink: &SharedSink, id: RequestId, kind: EventKind) -> bool {
    match sink.lock() {
        Ok(mut s) => s.send(Event { id, kind }),
        Err(_) => false,
    }
}

/// llama.cpp's backend is process-wide and may be initialized only once, so every engine
/// (tests run several) shares one that lives for the whole process.
fn backend() -> Result<&'static LlamaBackend, EngineError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp's own logging goes to tracing (so to the log file), never to the screen.
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            let backend = LlamaBackend::init().map_err(|e| e.to_string());
            tracing::info!(system = %super::system_info(), "llama.cpp backend started");
            backend
        })
        .as_ref()
        .map_err(|e| EngineError::Backend(format!("cannot start llama.cpp: {e}")))
}

enum End {
    /// A load request arrived; the context was dropped so the model can be switched.
    Load(Job),
    Closed,
    /// The context could not be created: the error was reported, or (for a model just loaded
    /// with GPU layers) here is the plan with fewer layers to load it again with.
    NoContext(Option<super::offload::OffloadPlan>),
}

pub(crate) fn run(
    rx: Receiver<Job>,
    cancel: Arc<CancelState>,
    ready: Sender<Result<(), EngineError>>,
) {
    let backend = match backend() {
        Ok(b) => b,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    // Started now, so the first window measured spans the model's load.
    let mut tuner = super::threads::Tuner::start();

    let mut current: Option<Loaded> = None;
    let mut next: Option<Job> = None;
    loop {
        let job = match next.take() {
            Some(j) => j,
            None => match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
        };
        let id = job.id;
        match job.request {
            Request::Load { path, settings } => {
                let sink: SharedSink = Arc::new(Mutex::new(job.sink));
                let mut retry: Option<super::offload::OffloadPlan> = None;
                loop {
                    let new = match load_model(
                        backend,
                        &path,
                        &settings,
                        retry.take(),
                        id,
                        &sink,
                        &cancel,
                    ) {
                        Err(error) => {
                            emit(&sink, id, EventKind::Error { seq: None, error });
                            break;
                        }
                        Ok(new) => new,
                    };
                    match serve(
                        backend,
                        &new,
                        First::Announce(id, sink.clone()),
                        &rx,
                        &cancel,
                        &mut tuner,
                    ) {
                        End::Load(j) => {
                            current = Some(new);
                            next = Some(j);
                        }
                        End::Closed => return,
                        // The context did not fit on the GPU: load again with fewer layers.
                        End::NoContext(Some(fewer)) => {
                            retry = Some(fewer);
                            continue;
                        }
                        // The new model is dropped; the previous one stays.
                        End::NoContext(None) => {}
                    }
                    break;
                }
            }
            request => {
                let job = Job {
                    id,
                    request,
                    sink: job.sink,
                };
                match &current {
                    None => {
                        let sink: SharedSink = Arc::new(Mutex::new(job.sink));
                        emit(
                            &sink,
                            id,
                            EventKind::Error {
                                seq: None,
                                error: EngineError::NoModel,
                            },
                        );
                    }
                    Some(cur) => {
                        match serve(backend, cur, First::Job(job), &rx, &cancel, &mut tuner) {
                            End::Load(j) => next = Some(j),
                            End::Closed => return,
                            End::NoContext(_) => {}
                        }
                    }
                }
            }
        }
    }
}

enum First {
    Announce(RequestId, SharedSink),
    Job(Job),
}

fn load_model(
    backend: &LlamaBackend,
    path: &std::path::Path,
    settings: &EngineSettings,
    retry: Option<super::offload::OffloadPlan>,
    id: RequestId,
    sink: &SharedSink,
    cancel: &Arc<CancelState>,
) -> Result<Loaded, EngineError> {
    let file_err = |reason: String| EngineError::ModelFile {
        path: path.to_path_buf(),
        reason,
    };
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
    let file_err = |reason: String| EngineError::ModelFile {
        path: path.to_path_buf(),
        reason,
    };
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

fn serve(
    backend: &LlamaBackend,
    loaded: &Loaded,
    first: First,
    rx: &Receiver<Job>,
    cancel: &Arc<CancelState>,
    tuner: &mut super::threads::Tuner,
) -> End {
    let default_threads = loaded.info.threads;
    let (threads, threads_reason) = tuner.at_load(loaded.auto_threads, default_threads);
    let ctx = match loaded
        .model
        .new_context(backend, context_params(&loaded.info, threads))
    {
        Ok(c) => c,
        Err(e) => {
            if let (First::Announce(..), Some(fewer)) = (
                &first,
                loaded.plan.fewer(&format!(
                    "no room for a {}-token context",
                    loaded.info.n_ctx
                )),
            ) {
                tracing::warn!(error = %e, note = ?fewer.note, "GPU context failed");
                return End::NoContext(Some(fewer));
            }
            let error = EngineError::ModelFile {
                path: loaded.info.path.clone(),
                reason: format!(
                    "cannot create a context of {} tokens ({e}); try a smaller --ctx-size",
                    loaded.info.n_ctx
                ),
            };
            match first {
                First::Announce(id, sink) => {
                    emit(&sink, id, EventKind::Error { seq: None, error });
                }
                First::Job(job) => {
                    let sink: SharedSink = Arc::new(Mutex::new(job.sink));
                    emit(&sink, job.id, EventKind::Error { seq: None, error });
                }
            }
            return End::NoContext(None);
        }
    };
    let mut context = ModelContext {
        model: &loaded.model,
        backend,
        info: &loaded.info,
        ctx,
        cached: Vec::new(),
        embed_ctx: None,
        chat: &loaded.chat,
        pooling: loaded.info.pooling,
        n_ctx: loaded.info.n_ctx,
        n_batch: loaded.info.n_batch,
        threads,
        threads_reason,
        default_threads,
        auto_threads: loaded.auto_threads,
        tuner,
        ctx_bytes: loaded.ctx_bytes,
        shift_pending: false,
        overflow: loaded.overflow,
        cannot_shift: super::shift::cannot_shift(&loaded.model),
        shift_noted: false,
        n_swa: super::shift::sliding_window(&loaded.model),
    };
    tracing::info!(model = %loaded.info.path.display(), n_ctx = context.n_ctx, threads = context.threads, "context ready");
    let mut job = match first {
        First::Announce(id, sink) => {
            emit(&sink, id, EventKind::LoadProgress(1.0));
            let mut info = loaded.info.clone();
            info.threads = context.threads;
            if context.threads < default_threads {
                // Said where clamped settings are: the count is not what a plain run gets.
                info.notes
                    .push(format!("threads: {}", context.threads_reason));
            }
            emit(&sink, id, EventKind::Loaded(info));
            match rx.recv() {
                Ok(j) => j,
                Err(_) => return End::Closed,
            }
        }
        First::Job(j) => j,
    };
    loop {
        if matches!(job.request, Request::Load { .. }) {
            return End::Load(job);
        }
        let sink: SharedSink = Arc::new(Mutex::new(job.sink));
        context.handle(job.id, job.request, &sink, cancel);
        job = match rx.recv() {
            Ok(j) => j,
            Err(_) => return End::Closed,
        };
    }
}

impl ModelContext<'_> {
    fn handle(
        &mut self,
        id: RequestId,
        request: Request,
        sink: &SharedSink,
        cancel: &Arc<CancelState>,
    ) {
        if let (Some(p), false) = (self.pooling, request.works_on_embedding_models()) {
            let error = EngineError::Input(format!(
                "this is an embedding model ({p} pooling): it makes vectors, not text; load a chat model and use this one with --embed-model"
            ));
            emit(sink, id, EventKind::Error { seq: None, error });
            return;
        }
        if matches!(
            request,
            Request::Generate { .. } | Request::Score { .. } | Request::Bench(_)
        ) {
            self.retune(id, sink);
        }
        let result = match request {
            Request::Load { .. } => unreachable!("load requests end serving"),
            Request::Generate { variants } => {
                self.generate(id, variants, sink, cancel);
                return;
            }
            Request::Score {
                prompt,
                candidates,
                reuse_cache,
            } => self
                .score(&prompt, &candidates, reuse_cache)
                .map(EventKind::Scored),
            Request::Embed { texts } => self.embed(&texts).map(EventKind::Embedded),
            Request::CountTokens { texts } => Ok(EventKind::TokenCounts(
                texts
                    .iter()
                    .map(|t| self.tokenize(t, false, false).len() as u32)
                    .collect(),
            )),
            Request::CountPrompt { prompt } => self
                .prompt_tokens(&prompt)
                .map(|(t, _)| EventKind::TokenCounts(vec![t.len() as u32])),
            Request::RenderPrompt { prompt } => self
                .render(&prompt)
                .map(|(text, _)| EventKind::Rendered(text)),
            Request::ApplyTemplate {
                messages,
                add_generation_prompt,
            } => Ok(EventKind::Rendered(
                self.chat.render(&messages, add_generation_prompt).text,
            )),
            Request::Bench(params) => self.bench(&params, cancel, id).map(EventKind::Benched),
            Request::Reset => {
                self.clear_all();
                Ok(EventKind::ResetDone)
            }
            Request::ContextState => Ok(EventKind::ContextState(self.context_state())),
        };
        let kind = result.unwrap_or_else(|error| EventKind::Error { seq: None, error });
        emit(sink, id, kind);
    }

    /// Forgets every sequence's cache.
    pub fn clear_all(&mut self) {
        self.ctx.clear_kv_cache();
        self.cached.clear();
        self.shift_pending = false;
    }

    /// Drops sequence `seq` from the cache from position `from` on.
    pub fn seq_rm(&mut self, seq: i32, from: usize) {
        let _ = self.ctx.kv_cache_seq_rm(seq, Some(from as u32), None);
    }
}
