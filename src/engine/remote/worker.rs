//! The remote engine's worker: takes jobs from the same channel as the local worker and answers
//! with the same events. Model switches happen in order on this thread; every other request
//! runs on its own thread, at most `parallel` HTTP requests in flight, so a multi-slot server is
//! used fully when callers submit several requests (compare variants, eval rows).

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::detect::{self, Server};
use super::{llama, openai, Backend, Kind};
use crate::engine::types::*;
use crate::engine::{CancelState, EngineError, Job};

/// Most requests in flight when neither the user nor the server says.
const DEFAULT_PARALLEL: usize = 4;

/// A counting semaphore: how many requests may be in flight.
pub(super) struct Limiter {
    free: Mutex<usize>,
    cv: Condvar,
}

pub(super) struct Permit<'a>(&'a Limiter);

impl Limiter {
    fn new(n: usize) -> Limiter {
        Limiter {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }

    pub fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.cv.notify_one();
    }
}

/// One request being served: where its events go and what it may use.
pub(super) struct Call {
    pub server: Arc<Server>,
    pub model: Arc<String>,
    pub id: RequestId,
    sink: Arc<Mutex<Box<dyn crate::engine::Sink>>>,
    cancel: Arc<CancelState>,
    pub limiter: Arc<Limiter>,
}

impl Call {
    /// Sends one event; false when nobody listens any more.
    pub fn emit(&self, kind: EventKind) -> bool {
        match self.sink.lock() {
            Ok(mut s) => s.send(Event { id: self.id, kind }),
            Err(_) => false,
        }
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.is_cancelled(self.id)
    }
}

pub(super) fn run(
    backend: Backend,
    rx: Receiver<Job>,
    cancel: Arc<CancelState>,
    ready: Sender<Result<usize, EngineError>>,
) {
    // The ready handshake: an unreachable server, a wrong URL or a refused key surface here.
    let mut server = match detect::connect(&backend) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let parallel = backend
        .parallel
        .or(server.slots.map(|n| n as usize))
        .unwrap_or(DEFAULT_PARALLEL)
        .max(1);
    let _ = ready.send(Ok(parallel));
    let limiter = Arc::new(Limiter::new(parallel));
    tracing::info!(url = %server.url, kind = server.kind.as_str(), parallel, "remote backend ready");
    let mut model: Option<Arc<String>> = None;
    let mut running: Vec<JoinHandle<()>> = Vec::new();
    while let Ok(job) = rx.recv() {
        let Job { id, request, sink } = job;
        let call = |server: &Arc<Server>, model: Arc<String>| Call {
            server: server.clone(),
            model,
            id,
            sink: Arc::new(Mutex::new(sink)),
            cancel: cancel.clone(),
            limiter: limiter.clone(),
        };
        match request {
            Request::Load { path, .. } => {
                let c = call(&server, Arc::new(String::new()));
                c.emit(EventKind::LoadProgress(0.0));
                // Connect again: the server may have restarted with another model since.
                let loaded = detect::connect(&backend).and_then(|s| {
                    let m = s.pick(&path.to_string_lossy(), backend.model.as_deref())?;
                    Ok((Arc::new(s), m))
                });
                match loaded {
                    Ok((s, m)) => {
                        server = s;
                        let info = server.info(&m);
                        model = Some(Arc::new(m));
                        c.emit(EventKind::LoadProgress(1.0));
                        c.emit(EventKind::Loaded(info));
                    }
                    Err(error) => {
                        c.emit(EventKind::Error { seq: None, error });
                    }
                }
            }
            Request::Reset => {
                // The server keeps no conversation: each request carries its whole prompt.
                call(&server, Arc::new(String::new())).emit(EventKind::ResetDone);
            }
            request => {
                let Some(m) = model.clone() else {
                    call(&server, Arc::new(String::new())).emit(EventKind::Error {
                        seq: None,
                        error: EngineError::NoModel,
                    });
                    continue;
                };
                let c = call(&server, m);
                running.retain(|h| !h.is_finished());
                match std::thread::Builder::new()
                    .name("howdah-remote-req".into())
                    .spawn(move || serve(c, request))
                {
                    Ok(h) => running.push(h),
                    Err(e) => tracing::error!("cannot start a request thread: {e}"),
                }
            }
        }
    }
    for h in running {
        let _ = h.join();
    }
}

fn serve(call: Call, request: Request) {
    let kind = call.server.kind;
    let whole = |r: Result<EventKind, EngineError>| {
        call.emit(r.unwrap_or_else(|error| EventKind::Error { seq: None, error }));
    };
    match request {
        Request::Generate { variants } => generate(&call, variants),
        Request::Score {
            prompt, candidates, ..
        } => {
            let _p = call.limiter.acquire();
            whole(match kind {
                Kind::LlamaServer => llama::score(&call, &prompt, &candidates),
                _ => openai::score(&call, &prompt, &candidates),
            }
            .map(EventKind::Scored))
        }
        Request::CountTokens { texts } => whole(
            llama_only(kind, "counting tokens")
                .and_then(|_| {
                    texts
                        .iter()
                        .map(|t| llama::tokenize(&call, t, false, false).map(|v| v.len() as u32))
                        .collect()
                })
                .map(EventKind::TokenCounts),
        ),
        Request::CountPrompt { prompt } => whole(
            llama_only(kind, "counting prompt tokens")
                .and_then(|_| llama::prompt_tokens(&call, &prompt))
                .map(|t| EventKind::TokenCounts(vec![t.len() as u32])),
        ),
        Request::RenderPrompt { prompt } => whole(match (&prompt, kind) {
            (Prompt::Raw(t), _) => Ok(EventKind::Rendered(t.clone())),
            (_, Kind::LlamaServer) => llama::render(&call, &prompt)
                .map(|(t, _)| EventKind::Rendered(crate::text::sanitize(&t))),
            _ => Err(unsupported(kind, "showing the rendered chat prompt")),
        }),
        Request::ApplyTemplate {
            messages,
            add_generation_prompt,
        } => whole(
            llama_only(kind, "showing the rendered chat prompt")
                .and_then(|_| llama::apply_template(&call, &messages, add_generation_prompt))
                .map(EventKind::Rendered),
        ),
        Request::ContextState => whole(Err(EngineError::Remote(
            "the KV cache's state is the server's own: ask it (llama-server's /slots)".into(),
        ))),
        Request::Embed { texts } => whole(openai::embed(&call, &texts).map(EventKind::Embedded)),
        Request::Bench(_) => whole(Err(EngineError::Remote(format!(
            "bench measures the in-process engine; for a {} server run llama-bench (or the server's own metrics) on its machine",
            kind.as_str()
        )))),
        Request::Load { .. } | Request::Reset => unreachable!("handled on the worker thread"),
    }
}

/// Every variant as its own streamed request, concurrently within the limit.
fn generate(call: &Call, variants: Vec<Variant>) {
    std::thread::scope(|s| {
        for (seq, v) in variants.into_iter().enumerate() {
            s.spawn(move || {
                let _p = call.limiter.acquire();
                let r = match v.sampling.validate() {
                    Err(e) => Err(EngineError::Sampling(e)),
                    Ok(()) => match call.server.kind {
                        Kind::LlamaServer => llama::generate(call, seq, &v),
                        _ => openai::generate(call, seq, &v),
                    },
                };
                call.emit(match r {
                    Ok(done) => EventKind::Done(done),
                    Err(error) => EventKind::Error {
                        seq: Some(seq),
                        error,
                    },
                });
            });
        }
    });
}

fn llama_only(kind: Kind, what: &str) -> Result<(), EngineError> {
    if kind == Kind::LlamaServer {
        Ok(())
    } else {
        Err(unsupported(kind, what))
    }
}

pub(super) fn unsupported(kind: Kind, what: &str) -> EngineError {
    EngineError::Remote(format!(
        "{what} needs the server's tokenizer, which a {} server does not offer (llama-server does)",
        kind.as_str()
    ))
}
