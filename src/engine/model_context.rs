//! The context a loaded model is served with (`ModelContext`): its llama.cpp context, what the KV
//! cache holds, its thread and shift state; and the dispatch of one request to the method that
//! serves it. The methods themselves live by concern: gen, prefill, score, embed, render,
//! shift, threads, bench.

use std::sync::Arc;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::chat_format::Formatter;
use super::types::*;
use super::{emit, CancelState, EngineError, SharedSink};

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

impl ModelContext<'_> {
    pub(super) fn handle(
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
