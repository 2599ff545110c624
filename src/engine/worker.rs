//! The engine thread: owns llama.cpp's backend, the loaded model and its contexts, and serves
//! requests one at a time. A model switch happens between requests; a failed load leaves the
//! previous model in place. Loading is in `load.rs`, the served context in `model_context.rs`.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use llama_cpp_2::llama_backend::LlamaBackend;

use super::load::{context_params, load_model, Loaded};
use super::model_context::ModelContext;
use super::types::*;
use super::{emit, CancelState, EngineError, Job, SharedSink};

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
                // Said beside the load: the count is not what a plain run on a quiet machine
                // gets.
                info.threads_reason = Some(context.threads_reason.clone());
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
