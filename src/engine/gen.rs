//! Generation: one or several sequences streamed from one context. The prompt prefix all
//! variants share is decoded once (and reused from the KV cache across requests); then every
//! live sequence advances by one token per batched decode, each with its own sampler.

use std::sync::Arc;
use std::time::Instant;

use encoding_rs::{Decoder, UTF_8};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use super::batch::decode_error;
use super::load::MAX_SEQS;
use super::logprobs::{log_sum_exp, top_n};
use super::model_context::ModelContext;
use super::prefill::Prefilled;
use super::sampler_chain::SamplerChain;
use super::stop::StopMatcher;
use super::types::*;
use super::{emit, SharedSink};
use super::{CancelState, EngineError};
use crate::text::Sanitizer;

/// Alternatives reported per generated token (for the token view).
pub(crate) const TOP_ALTS: usize = 5;

/// A token just sampled, with its probability facts, not yet processed.
pub(crate) struct Sampled {
    pub token: LlamaToken,
    pub logprob: f32,
    pub top: Vec<(i32, f32)>,
}

/// Samples from batch row `idx` and measures the pick against the raw distribution.
pub(crate) fn sample_at(ctx: &LlamaContext, sampler: &mut SamplerChain, idx: i32) -> Sampled {
    let logits = ctx.get_logits_ith(idx);
    let top = top_n(logits, TOP_ALTS);
    // Plain greedy needs no sampler pass over the vocabulary: the top token is the pick.
    let token = match top.first() {
        Some(&(t, _)) if sampler.is_plain_greedy() => LlamaToken(t),
        _ => sampler.pick(ctx, idx),
    };
    let lse = log_sum_exp(logits);
    let logprob = logits
        .get(token.0 as usize)
        .map(|l| l - lse)
        .unwrap_or(f32::NEG_INFINITY);
    let top = top.into_iter().map(|(t, l)| (t, (l - lse).exp())).collect();
    Sampled {
        token,
        logprob,
        top,
    }
}

pub(super) struct Seq {
    pub(super) index: usize,
    pub(super) seq_id: i32,
    pub(super) sampler: SamplerChain,
    pub(super) prompt: Vec<LlamaToken>,
    pub(super) prompt_decoded: u32,
    pub(super) dropped: u32,
    pub(super) max_tokens: u32,
    pub(super) decoder: Decoder,
    pub(super) sanitizer: Sanitizer,
    pub(super) stop: StopMatcher,
    pub(super) text: String,
    pub(super) generated: u32,
    pub(super) logprob_sum: f64,
    pub(super) pos: i32,
    pub(super) decoded: Vec<LlamaToken>,
    pub(super) pending: Option<Sampled>,
    pub(super) batch_idx: i32,
    pub(super) first_at: Option<Instant>,
    pub(super) done: bool,
    /// Why this prompt did not get the model's chat layout (said in `Done`).
    pub(super) template_fallback: Option<String>,
}

impl ModelContext<'_> {
    pub(crate) fn generate(
        &mut self,
        id: RequestId,
        variants: Vec<Variant>,
        sink: &SharedSink,
        cancel: &Arc<CancelState>,
    ) {
        let start = Instant::now();
        if variants.is_empty() || variants.len() > MAX_SEQS as usize {
            emit(
                sink,
                id,
                EventKind::Error {
                    seq: None,
                    error: EngineError::Input(format!(
                        "a generation needs 1 to {MAX_SEQS} variants, got {}",
                        variants.len()
                    )),
                },
            );
            return;
        }
        let n_variants = variants.len();
        let mut seqs: Vec<Seq> = Vec::new();
        for (index, v) in variants.into_iter().enumerate() {
            match self.prepare(index, seqs.len() as i32, v) {
                Ok(s) => seqs.push(s),
                Err(error) => {
                    emit(
                        sink,
                        id,
                        EventKind::Error {
                            seq: Some(index),
                            error,
                        },
                    );
                }
            }
        }
        if seqs.is_empty() {
            return;
        }
        match self.prefill(&mut seqs, id, sink, cancel) {
            Ok(Prefilled::Done) => {}
            Ok(Prefilled::Cancelled) => {
                let prompt_secs = start.elapsed().as_secs_f64();
                // The gauge stays true: what reached the cache, not the whole prompt.
                let held = if seqs.len() == 1 {
                    self.cached.len()
                } else {
                    0
                };
                for s in seqs.iter_mut() {
                    let missing = s.prompt.len().saturating_sub(held) as u32;
                    s.prompt_decoded = s.prompt_decoded.saturating_sub(missing);
                    s.pos = held as i32;
                    self.finish(id, s, StopReason::Cancelled, start, prompt_secs, sink);
                }
                for s in 1..n_variants.min(MAX_SEQS as usize) {
                    self.seq_rm(s as i32, 0);
                }
                return;
            }
            Err(error) => {
                self.clear_all();
                for s in &seqs {
                    emit(
                        sink,
                        id,
                        EventKind::Error {
                            seq: Some(s.index),
                            error: error.clone(),
                        },
                    );
                }
                return;
            }
        }
        let prompt_secs = start.elapsed().as_secs_f64();
        let mut batch = LlamaBatch::new(seqs.len(), 1);
        loop {
            batch.clear();
            let mut listening = true;
            for s in seqs.iter_mut().filter(|s| !s.done) {
                let Some(sampled) = s.pending.take() else {
                    continue;
                };
                if let Some(reason) = self.advance(id, s, sampled, sink, &mut listening) {
                    self.finish(id, s, reason, start, prompt_secs, sink);
                    continue;
                }
                s.batch_idx = batch.n_tokens();
                let token = *s.decoded.last().expect("advance pushed the token");
                if batch.add(token, s.pos - 1, &[s.seq_id], true).is_err() {
                    self.finish(id, s, StopReason::ContextFull, start, prompt_secs, sink);
                }
            }
            if batch.n_tokens() == 0 {
                break;
            }
            if cancel.is_cancelled(id) || !listening {
                for s in seqs.iter_mut().filter(|s| !s.done) {
                    // The token in the batch never reached the cache.
                    s.decoded.pop();
                    self.finish(id, s, StopReason::Cancelled, start, prompt_secs, sink);
                }
                break;
            }
            if let Err(e) = self.ctx.decode(&mut batch) {
                let err = decode_error(e, self.n_ctx);
                for s in seqs.iter_mut().filter(|s| !s.done) {
                    s.decoded.pop();
                    if matches!(err, EngineError::ContextFull { .. }) {
                        self.finish(id, s, StopReason::ContextFull, start, prompt_secs, sink);
                    } else {
                        s.done = true;
                        emit(
                            sink,
                            id,
                            EventKind::Error {
                                seq: Some(s.index),
                                error: err.clone(),
                            },
                        );
                    }
                }
                break;
            }
            for s in seqs.iter_mut().filter(|s| !s.done) {
                s.pending = Some(sample_at(&self.ctx, &mut s.sampler, s.batch_idx));
            }
        }
        // Sequence 0 stays cached for the next turn; the others are dropped.
        let first = &seqs[0];
        let mut cached = first.prompt.clone();
        cached.extend_from_slice(&first.decoded);
        self.cached = cached;
        for s in 1..n_variants.min(MAX_SEQS as usize) {
            self.seq_rm(s as i32, 0);
        }
    }

    fn prepare(&self, index: usize, seq_id: i32, v: Variant) -> Result<Seq, EngineError> {
        let sampler = SamplerChain::new(self.model, &v.sampling)?;
        let fitted = self.fit(&v.prompt, v.sampling.max_tokens)?;
        let mut stops = v.sampling.stop.clone();
        stops.extend(fitted.extra_stops);
        Ok(Seq {
            index,
            seq_id,
            sampler,
            pos: fitted.tokens.len() as i32,
            prompt: fitted.tokens,
            prompt_decoded: 0,
            dropped: fitted.dropped,
            max_tokens: v.sampling.max_tokens,
            decoder: UTF_8.new_decoder_without_bom_handling(),
            sanitizer: Sanitizer::new(),
            stop: StopMatcher::new(stops),
            text: String::new(),
            generated: 0,
            logprob_sum: 0.0,
            decoded: Vec::new(),
            pending: None,
            batch_idx: 0,
            first_at: None,
            done: false,
            template_fallback: fitted.template_fallback,
        })
    }

    /// Handles a freshly sampled token: emits its text and decides whether the sequence ends.
    /// On `None` the token is appended to `decoded` and must go into the next batch.
    fn advance(
        &self,
        id: RequestId,
        s: &mut Seq,
        sampled: Sampled,
        sink: &SharedSink,
        listening: &mut bool,
    ) -> Option<StopReason> {
        if sampled.token.0 < 0 || self.model.vocab().is_eog(sampled.token) {
            return Some(StopReason::Eos);
        }
        if s.first_at.is_none() {
            s.first_at = Some(Instant::now());
        }
        let bytes = self.piece_bytes(sampled.token);
        let mut decoded = String::with_capacity(
            s.decoder
                .max_utf8_buffer_length(bytes.len())
                .unwrap_or(bytes.len() * 3 + 8),
        );
        let _ = s.decoder.decode_to_string(&bytes, &mut decoded, false);
        let piece = s.sanitizer.push(&decoded);
        let (text, hit) = s.stop.push(&piece);
        s.text.push_str(&text);
        s.generated += 1;
        s.logprob_sum += sampled.logprob as f64;
        let top = sampled
            .top
            .iter()
            .map(|&(t, p)| TokenAlt {
                token_id: t,
                text: crate::text::sanitize(&String::from_utf8_lossy(
                    &self.piece_bytes(LlamaToken(t)),
                )),
                prob: p,
            })
            .collect();
        *listening &= emit(
            sink,
            id,
            EventKind::Token(TokenEvent {
                seq: s.index,
                token_id: sampled.token.0,
                text,
                piece,
                logprob: sampled.logprob,
                top,
                context_used: s.pos as u32,
            }),
        );
        if hit {
            return Some(StopReason::StopString);
        }
        if s.generated >= s.max_tokens {
            return Some(StopReason::MaxTokens);
        }
        if s.pos >= self.n_ctx as i32 {
            return Some(StopReason::ContextFull);
        }
        s.decoded.push(sampled.token);
        s.pos += 1;
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        id: RequestId,
        s: &mut Seq,
        stop: StopReason,
        start: Instant,
        prompt_secs: f64,
        sink: &SharedSink,
    ) {
        s.done = true;
        // Room for what the decoder still holds: a reply cut inside a multi-byte character ends
        // in U+FFFD, which encoding_rs writes without growing the string (it panicked on 0).
        let mut rest = String::with_capacity(s.decoder.max_utf8_buffer_length(0).unwrap_or(16));
        let _ = s.decoder.decode_to_string(&[], &mut rest, true);
        let mut tail = s.sanitizer.push(&rest);
        if stop != StopReason::StopString {
            let (released, _) = s.stop.push(&tail);
            tail = released + &s.stop.flush();
        } else {
            tail.clear();
        }
        if !tail.is_empty() {
            s.text.push_str(&tail);
            // Not a real token: the text held back (stop-string look-ahead, a split character)
            // released at the end, so that joined token texts equal the final text.
            emit(
                sink,
                id,
                EventKind::Token(TokenEvent {
                    seq: s.index,
                    token_id: -1,
                    text: tail.clone(),
                    piece: String::new(),
                    logprob: 0.0,
                    top: Vec::new(),
                    context_used: s.pos as u32,
                }),
            );
        }
        // Generation speed is measured between tokens, as llama-bench's tg: from the first.
        let gen_secs = s.first_at.map(|f| f.elapsed().as_secs_f64()).unwrap_or(0.0);
        let ttft_ms = s
            .first_at
            .map(|f| (f - start).as_secs_f64() * 1000.0)
            .unwrap_or(0.0);
        let rate = |n: u32, secs: f64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        emit(
            sink,
            id,
            EventKind::Done(DoneStats {
                seq: s.index,
                stop,
                text: s.text.clone(),
                prompt_tokens: s.prompt.len() as u32,
                prompt_tokens_decoded: s.prompt_decoded,
                generated_tokens: s.generated,
                ttft_ms,
                prompt_tps: rate(s.prompt_decoded, prompt_secs),
                gen_tps: rate(s.generated.saturating_sub(1), gen_secs),
                mean_logprob: if s.generated > 0 {
                    s.logprob_sum / s.generated as f64
                } else {
                    0.0
                },
                dropped_messages: s.dropped,
                context_used: s.pos as u32,
                template_fallback: s.template_fallback.clone(),
            }),
        );
    }
}
