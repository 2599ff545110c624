//! Feeding token lists to llama.cpp in batches, with callbacks that read each batch's logits
//! while they are still valid (the next decode overwrites them).

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::DecodeError;

use super::model_context::ModelContext;
use super::EngineError;

/// One token to decode: where it sits, which sequences it belongs to, whether its logits are
/// wanted, and a caller-defined tag handed back with those logits.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub token: LlamaToken,
    pub pos: i32,
    pub seqs: Vec<i32>,
    pub logits: bool,
    pub tag: usize,
}

pub(crate) fn decode_error(e: DecodeError, n_ctx: u32) -> EngineError {
    match e {
        DecodeError::NoKvCacheSlot => EngineError::ContextFull { n_ctx },
        other => EngineError::Backend(format!("decoding failed: {other}")),
    }
}

impl ModelContext<'_> {
    /// Decodes `entries` in order, in batches of at most n_batch tokens. After each batch,
    /// `on_logits(ctx, tag, index)` runs for every entry of that batch that asked for logits.
    pub fn feed(
        &mut self,
        entries: &[Entry],
        on_logits: impl FnMut(&LlamaContext, usize, i32) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        self.feed_with_progress(entries, on_logits, |_| true)
            .map(|_| ())
    }

    /// `feed`, calling `on_batch(entries decoded so far)` after each batch; when it returns
    /// false the rest is not decoded. Returns how many entries were decoded.
    pub fn feed_with_progress(
        &mut self,
        entries: &[Entry],
        mut on_logits: impl FnMut(&LlamaContext, usize, i32) -> Result<(), EngineError>,
        mut on_batch: impl FnMut(usize) -> bool,
    ) -> Result<usize, EngineError> {
        let n_batch = self.n_batch as usize;
        let max_seqs = entries
            .iter()
            .map(|e| e.seqs.len())
            .max()
            .unwrap_or(1)
            .max(1);
        let mut batch = LlamaBatch::new(n_batch.min(entries.len()).max(1), max_seqs as i32);
        let mut done = 0;
        for chunk in entries.chunks(n_batch) {
            batch.clear();
            for e in chunk {
                batch
                    .add(e.token, e.pos, &e.seqs, e.logits)
                    .map_err(|err| EngineError::Backend(err.to_string()))?;
            }
            self.ctx
                .decode(&mut batch)
                .map_err(|e| decode_error(e, self.n_ctx))?;
            // A decode applies any pending shift to the cache.
            self.shift_pending = false;
            for (i, e) in chunk.iter().enumerate() {
                if e.logits {
                    on_logits(&self.ctx, e.tag, i as i32)?;
                }
            }
            done += chunk.len();
            if !on_batch(done) && done < entries.len() {
                break;
            }
        }
        Ok(done)
    }
}
