//! The inference engine: a handle that talks to one worker thread owning llama.cpp's backend,
//! model and context, through `Request`s in and `Event`s out.

mod batch;
mod bench;
mod chat_format;
pub mod cpu_load;
mod embed;
mod error;
pub mod gbnf;
mod gen;
mod inspect;
mod limits;
mod load;
mod logprobs;
mod model_context;
pub mod offload;
mod pooling;
mod prefill;
pub mod remote;
mod render;
mod sampler_chain;
pub mod sampling;
mod score;
pub mod settings;
mod shift;
mod stop;
mod sysinfo;
pub mod threads;
pub mod types;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub use chat_format::{builtin_names, format_of_source};
pub use error::EngineError;
pub use inspect::{inspect, inspect_hparams};
pub use offload::{GpuLayers, Offload};
pub use pooling::Pooling;
pub use sampling::Sampling;
pub use shift::{ContextOverflow, ContextState, OverflowReport};
pub use sysinfo::{enabled_features, system_info};
pub use threads::ThreadChoice;
pub use types::*;

/// Where a request's events go. Implemented for std and tokio channels so the CLI, the tests
/// and the async UI can all listen.
pub trait Sink: Send {
    /// Returns false when nobody listens any more (the worker may then stop early).
    fn send(&mut self, event: Event) -> bool;
}

impl Sink for mpsc::Sender<Event> {
    fn send(&mut self, event: Event) -> bool {
        mpsc::Sender::send(self, event).is_ok()
    }
}

impl Sink for tokio::sync::mpsc::UnboundedSender<Event> {
    fn send(&mut self, event: Event) -> bool {
        tokio::sync::mpsc::UnboundedSender::send(self, event).is_ok()
    }
}

impl<F: FnMut(Event) -> bool + Send> Sink for F {
    fn send(&mut self, event: Event) -> bool {
        self(event)
    }
}

/// A request's sink shared between the serving code and callbacks that outlive a borrow (the
/// load-progress callback llama.cpp holds).
pub(crate) type SharedSink = Arc<Mutex<Box<dyn Sink>>>;

/// Sends one event of request `id`; returns false when nobody listens.
pub(crate) fn emit(sink: &SharedSink, id: RequestId, kind: EventKind) -> bool {
    match sink.lock() {
        Ok(mut s) => s.send(Event { id, kind }),
        Err(_) => false,
    }
}

pub(crate) struct Job {
    pub id: RequestId,
    pub request: Request,
    pub sink: Box<dyn Sink>,
}

/// Cancellation shared with the worker: every request with an id at or below `upto` is cancelled.
/// A counter rather than a flag, so a cancel sent before its request starts is not lost.
#[derive(Default)]
pub(crate) struct CancelState {
    upto: AtomicU64,
}

impl CancelState {
    pub fn is_cancelled(&self, id: RequestId) -> bool {
        self.upto.load(Ordering::Acquire) >= id
    }
}

/// The handle to the engine thread. Cheap to share behind an `Arc`; dropping the last handle
/// stops the worker after its current request.
pub struct Engine {
    tx: Option<mpsc::Sender<Job>>,
    next_id: AtomicU64,
    cancel: Arc<CancelState>,
    thread: Option<JoinHandle<()>>,
    /// Requests worth having in flight at once: 1 for the in-process worker (it serves one at
    /// a time), a server's slot count for a remote backend.
    parallel: usize,
}

impl Engine {
    /// Starts the worker thread (and llama.cpp's backend). No model is loaded yet.
    pub fn spawn() -> Result<Engine, EngineError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let cancel = Arc::new(CancelState::default());
        let (ready_tx, ready_rx) = mpsc::channel();
        let worker_cancel = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("howdah-engine".into())
            .spawn(move || worker::run(rx, worker_cancel, ready_tx))
            .map_err(|e| EngineError::Backend(format!("cannot start the engine thread: {e}")))?;
        // The ready handshake: backend start-up errors surface here, not as a dead engine later.
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Engine {
                tx: Some(tx),
                next_id: AtomicU64::new(1),
                cancel,
                thread: Some(thread),
                parallel: 1,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(EngineError::Stopped),
        }
    }

    /// How many requests callers may usefully keep in flight (see `parallel`).
    pub fn parallelism(&self) -> usize {
        self.parallel
    }

    /// Queues a request; its events go to `sink`. Returns the request's id.
    pub fn submit(&self, request: Request, sink: impl Sink + 'static) -> RequestId {
        let id = self.next_id.fetch_add(1, Ordering::AcqRel);
        let job = Job {
            id,
            request,
            sink: Box::new(sink),
        };
        if let Some(tx) = &self.tx {
            if let Err(mpsc::SendError(mut job)) = tx.send(job) {
                job.sink.send(Event {
                    id,
                    kind: EventKind::Error {
                        seq: None,
                        error: EngineError::Stopped,
                    },
                });
            }
        }
        id
    }

    /// Cancels request `id` and every earlier one; generation stops within one token.
    pub fn cancel(&self, id: RequestId) {
        self.cancel.upto.fetch_max(id, Ordering::AcqRel);
    }

    /// Cancels everything submitted so far.
    pub fn cancel_all(&self) {
        let last = self.next_id.load(Ordering::Acquire).saturating_sub(1);
        self.cancel(last);
    }

    /// Submits and collects every event of the request until it is over (blocking helper for
    /// the command line and tests). `on_event` sees each event as it arrives.
    pub fn run_blocking(
        &self,
        request: Request,
        mut on_event: impl FnMut(&Event),
    ) -> Result<Vec<Event>, EngineError> {
        let expected_ends = match &request {
            Request::Generate { variants } => variants.len().max(1),
            _ => 1,
        };
        let (tx, rx) = mpsc::channel();
        self.submit(request, tx);
        let mut events = Vec::new();
        let mut ends = 0;
        while ends < expected_ends {
            let ev = rx.recv().map_err(|_| EngineError::Stopped)?;
            on_event(&ev);
            match &ev.kind {
                EventKind::Error { seq: None, error } => return Err(error.clone()),
                EventKind::LoadProgress(_)
                | EventKind::Token(_)
                | EventKind::PromptProgress { .. }
                | EventKind::Overflow(_)
                | EventKind::Threads(_) => {}
                _ => ends += 1,
            }
            events.push(ev);
        }
        Ok(events)
    }

    /// Loads a model and waits for it: the ready handshake for a model.
    pub fn load(
        &self,
        path: impl Into<std::path::PathBuf>,
        settings: EngineSettings,
    ) -> Result<ModelInfo, EngineError> {
        let events = self.run_blocking(
            Request::Load {
                path: path.into(),
                settings,
            },
            |_| {},
        )?;
        events
            .into_iter()
            .find_map(|e| match e.kind {
                EventKind::Loaded(info) => Some(info),
                _ => None,
            })
            .ok_or(EngineError::Stopped)
    }

    /// Runs a generation to the end and returns each sequence's result in order.
    pub fn generate(
        &self,
        variants: Vec<Variant>,
        on_token: impl FnMut(&TokenEvent),
    ) -> Result<Vec<Result<DoneStats, EngineError>>, EngineError> {
        let n = variants.len();
        let mut on_token = on_token;
        let events = self.run_blocking(Request::Generate { variants }, |e| {
            if let EventKind::Token(t) = &e.kind {
                on_token(t)
            }
        })?;
        let mut out: Vec<Option<Result<DoneStats, EngineError>>> = vec![None; n];
        for e in events {
            match e.kind {
                EventKind::Done(d) => {
                    let seq = d.seq;
                    out[seq] = Some(Ok(d));
                }
                EventKind::Error {
                    seq: Some(seq),
                    error,
                } => out[seq] = Some(Err(error)),
                _ => {}
            }
        }
        Ok(out
            .into_iter()
            .map(|o| o.unwrap_or(Err(EngineError::Stopped)))
            .collect())
    }

    /// One sequence, blocking.
    pub fn generate_one(
        &self,
        prompt: Prompt,
        sampling: Sampling,
        on_token: impl FnMut(&TokenEvent),
    ) -> Result<DoneStats, EngineError> {
        self.generate(vec![Variant { prompt, sampling }], on_token)?
            .pop()
            .unwrap_or(Err(EngineError::Stopped))
    }

    pub fn score(
        &self,
        prompt: Prompt,
        candidates: Vec<String>,
        reuse_cache: bool,
    ) -> Result<ScoreResult, EngineError> {
        let events = self.run_blocking(
            Request::Score {
                prompt,
                candidates,
                reuse_cache,
            },
            |_| {},
        )?;
        last_of(events, |k| match k {
            EventKind::Scored(s) => Some(s),
            _ => None,
        })
    }

    pub fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EngineError> {
        let events = self.run_blocking(Request::Embed { texts }, |_| {})?;
        last_of(events, |k| match k {
            EventKind::Embedded(v) => Some(v),
            _ => None,
        })
    }

    pub fn count_tokens(&self, texts: Vec<String>) -> Result<Vec<u32>, EngineError> {
        let events = self.run_blocking(Request::CountTokens { texts }, |_| {})?;
        last_of(events, |k| match k {
            EventKind::TokenCounts(v) => Some(v),
            _ => None,
        })
    }

    /// Tokens `prompt` occupies once rendered (what a generation would decode).
    pub fn count_prompt(&self, prompt: Prompt) -> Result<u32, EngineError> {
        let events = self.run_blocking(Request::CountPrompt { prompt }, |_| {})?;
        last_of(events, |k| match k {
            EventKind::TokenCounts(v) => v.first().copied(),
            _ => None,
        })
    }

    pub fn render_prompt(&self, prompt: Prompt) -> Result<String, EngineError> {
        let events = self.run_blocking(Request::RenderPrompt { prompt }, |_| {})?;
        last_of(events, |k| match k {
            EventKind::Rendered(s) => Some(s),
            _ => None,
        })
    }

    /// An OpenAI-style conversation rendered through the loaded model's chat layout.
    pub fn apply_template(
        &self,
        messages: Vec<crate::chat_template::TemplateMessage>,
        add_generation_prompt: bool,
    ) -> Result<String, EngineError> {
        let req = Request::ApplyTemplate {
            messages,
            add_generation_prompt,
        };
        let events = self.run_blocking(req, |_| {})?;
        last_of(events, |k| match k {
            EventKind::Rendered(s) => Some(s),
            _ => None,
        })
    }

    pub fn bench(&self, params: BenchParams) -> Result<BenchResult, EngineError> {
        let events = self.run_blocking(Request::Bench(params), |_| {})?;
        last_of(events, |k| match k {
            EventKind::Benched(b) => Some(b),
            _ => None,
        })
    }

    pub fn context_state(&self) -> Result<ContextState, EngineError> {
        let events = self.run_blocking(Request::ContextState, |_| {})?;
        last_of(events, |k| match k {
            EventKind::ContextState(s) => Some(s),
            _ => None,
        })
    }

    pub fn reset(&self) -> Result<(), EngineError> {
        self.run_blocking(Request::Reset, |_| {}).map(|_| ())
    }
}

fn last_of<T>(events: Vec<Event>, pick: impl Fn(EventKind) -> Option<T>) -> Result<T, EngineError> {
    events
        .into_iter()
        .rev()
        .find_map(|e| match e.kind {
            EventKind::Error { error, .. } => Some(Err(error)),
            k => pick(k).map(Ok),
        })
        .unwrap_or(Err(EngineError::Stopped))
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.cancel_all();
        // Closing the channel ends the worker loop; joining frees llama.cpp before exit.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
