//! Prompt prefill for a generation: keeps what the KV cache already holds from the last request,
//! decodes the prefix all variants share once (tagged with every sequence), then each variant's
//! own suffix, and samples every sequence's first token while its logits are valid.

use super::batch::Entry;
use super::gen::{sample_at, Sampled, Seq};
use super::picker::Picker;
use super::render::common_prefix;
use super::worker::{Session, MAX_SEQS};
use super::EngineError;

impl Session<'_> {
    /// Decodes every sequence's prompt: the part cached from the last request is kept, the
    /// shared prefix is decoded once for all sequences, then each sequence's own suffix.
    pub(super) fn prefill(&mut self, seqs: &mut [Seq]) -> Result<(), EngineError> {
        let k = seqs.len();
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
        // What sequence 0 still holds from the last request needs no decoding.
        let reuse = common_prefix(&self.cached, &seqs[0].prompt).min(shared);
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
        {
            let mut samplers: Vec<&mut Picker> = seqs.iter_mut().map(|s| &mut s.sampler).collect();
            self.feed(&entries, |ctx, tag, idx| {
                sampled[tag] = Some(sample_at(ctx, &mut *samplers[tag], idx));
                Ok(())
            })?;
        }
        for (s, p) in seqs.iter_mut().zip(sampled) {
            s.pending = p;
        }
        Ok(())
    }
}
