//! Prompt prefill for a generation: keeps what the KV cache already holds from the last request,
//! decodes the prefix all variants share once (tagged with every sequence), then each variant's
//! own suffix, and samples every sequence's first token while its logits are valid.

use std::sync::Arc;

use llama_cpp_2::token::LlamaToken;

use super::batch::Entry;
use super::gen::{sample_at, Sampled, Seq};
use super::load::MAX_SEQS;
use super::model_context::ModelContext;
use super::render::common_prefix;
use super::sampler_chain::SamplerChain;
use super::shift::{ContextOverflow, OverflowReport, Shifted};
use super::types::{EventKind, RequestId};
use super::{emit, SharedSink};
use super::{CancelState, EngineError};

/// How a prefill ended.
pub(super) enum Prefilled {
    /// Every prompt is in the cache and every sequence has its first token sampled.
    Done,
    /// Cancelled between batches; the cache holds what was decoded.
    Cancelled,
}

impl ModelContext<'_> {
    /// Decodes every sequence's prompt: the part cached from the last request is kept, the
    /// shared prefix is decoded once for all sequences, then each sequence's own suffix. A chat
    /// that lost its oldest turns shifts the cache first (policy permitting); progress is
    /// reported after each batch and a cancel is honoured between batches.
    pub(super) fn prefill(
        &mut self,
        seqs: &mut [Seq],
        id: RequestId,
        sink: &SharedSink,
        cancel: &Arc<CancelState>,
    ) -> Result<Prefilled, EngineError> {
        let k = seqs.len();
        if seqs[0].dropped > 0 {
            let report = self.overflow_step(&seqs[0].prompt, seqs[0].dropped, k);
            emit(sink, id, EventKind::Overflow(report));
        }
        let min_len = seqs.iter().map(|s| s.prompt.len()).min().unwrap_or(0);
        // Each sequence keeps at least one token of its own, whose logits start its generation.
        let mut shared = min_len.saturating_sub(1);
        for s in &seqs[1..] {
            shared = shared.min(common_prefix(&seqs[0].prompt, &s.prompt));
        }
        let total = shared + seqs.iter().map(|s| s.prompt.len() - shared).sum::<usize>();
        if total >= self.n_ctx as usize {
            return Err(EngineError::PromptTooLong {
                prompt: total as u32,
                n_ctx: self.n_ctx,
            });
        }
        // What sequence 0 still holds from the last request needs no decoding, unless the
        // sliding-window layers lost cells the first new token would attend to.
        let mut reuse = common_prefix(&self.cached, &seqs[0].prompt).min(shared);
        if reuse > 0 && self.swa_lacks(reuse) {
            tracing::debug!(
                reuse,
                "sliding-window cells gone: the prompt is decoded again"
            );
            self.clear_all();
            reuse = 0;
        }
        for s in 1..MAX_SEQS as i32 {
            self.seq_rm(s, 0);
        }
        self.seq_rm(0, reuse);
        self.cached.truncate(reuse);
        for s in 1..k as i32 {
            self.ctx
                .copy_kv_cache_seq(0, s, Some(0), Some(reuse as u32))
                .map_err(|e| {
                    EngineError::Backend(format!("cannot share the cached prompt: {e}"))
                })?;
        }
        let all: Vec<i32> = (0..k as i32).collect();
        let shared_from = reuse;
        let mut entries: Vec<Entry> = seqs[0].prompt[shared_from..shared]
            .iter()
            .enumerate()
            .map(|(i, &token)| Entry {
                token,
                pos: (shared_from + i) as i32,
                seqs: all.clone(),
                logits: false,
                tag: 0,
            })
            .collect();
        for (tag, s) in seqs.iter_mut().enumerate() {
            let own_from = shared;
            let own = &s.prompt[own_from..];
            // The shared part is decoded once: it counts for the first sequence only.
            let shared_part = if tag == 0 { shared - shared_from } else { 0 };
            s.prompt_decoded = (shared_part + own.len()) as u32;
            for (i, &token) in own.iter().enumerate() {
                entries.push(Entry {
                    token,
                    pos: (own_from + i) as i32,
                    seqs: vec![s.seq_id],
                    logits: i + 1 == own.len(),
                    tag,
                });
            }
        }
        let mut sampled: Vec<Option<Sampled>> = (0..k).map(|_| None).collect();
        let total = entries.len() as u32;
        let decoded = {
            let mut samplers: Vec<&mut SamplerChain> =
                seqs.iter_mut().map(|s| &mut s.sampler).collect();
            // A prompt of one batch needs no progress line: it is over before it could show.
            let report = entries.len() > self.n_batch as usize;
            if report {
                emit(sink, id, EventKind::PromptProgress { done: 0, total });
            }
            self.feed_with_progress(
                &entries,
                |ctx, tag, idx| {
                    sampled[tag] = Some(sample_at(ctx, &mut *samplers[tag], idx));
                    Ok(())
                },
                |done| {
                    if report {
                        emit(
                            sink,
                            id,
                            EventKind::PromptProgress {
                                done: done as u32,
                                total,
                            },
                        );
                    }
                    !cancel.is_cancelled(id)
                },
            )?
        };
        if decoded < entries.len() {
            if k == 1 {
                // Entries were sequence 0's own tokens in order: keep what reached the cache.
                let upto = reuse + decoded;
                self.seq_rm(0, upto);
                self.cached = seqs[0].prompt[..upto].to_vec();
            } else {
                self.clear_all();
            }
            return Ok(Prefilled::Cancelled);
        }
        for (s, p) in seqs.iter_mut().zip(sampled) {
            s.pending = p;
        }
        Ok(Prefilled::Done)
    }

    /// Applies the overflow policy to a chat whose oldest turns were dropped.
    fn overflow_step(&mut self, prompt: &[LlamaToken], dropped: u32, k: usize) -> OverflowReport {
        let mut report = OverflowReport {
            applied: ContextOverflow::Redecode,
            dropped_messages: dropped,
            shifted_out: 0,
            shifted_kept: 0,
            note: None,
        };
        // Several variants share one context: each would need its own shift; they re-decode.
        if self.overflow != ContextOverflow::Shift || k != 1 {
            return report;
        }
        if let Some(why) = &self.cannot_shift {
            if !self.shift_noted {
                self.shift_noted = true;
                report.note = Some(format!(
                    "this model's context cannot be shifted ({why}): earlier turns are decoded again instead"
                ));
            }
            return report;
        }
        match self.shift_to(prompt) {
            Shifted::Done(out, kept) => {
                report.applied = ContextOverflow::Shift;
                report.shifted_out = out;
                report.shifted_kept = kept;
            }
            Shifted::WindowLost if !self.shift_noted => {
                self.shift_noted = true;
                report.note = Some(
                    "the sliding-window layers no longer hold the start of the conversation, so the kept turns are decoded again (said once)"
                        .into(),
                );
            }
            Shifted::WindowLost | Shifted::NoMatch => {}
        }
        report
    }
}
