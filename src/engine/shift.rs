//! Context overflow: what happens when a chat outgrows the context. The default shifts the KV
//! cache as llama.cpp's context shift does (`seq_rm` the dropped turns, `seq_add` the kept cells
//! down to close the gap), so a turn after the overflow decodes only its new tokens; `redecode`
//! decodes everything after the dropped turns again; `stop` refuses to drop anything.

use llama_cpp_2::context::session::LlamaStateSeqFlags;
use llama_cpp_2::model::RopeType;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use super::render::common_prefix;
use super::worker::Session;

/// Fewer matching tokens than this after the dropped turns is no shift worth making.
const MIN_KEPT: usize = 4;

/// The `context_overflow` setting (config key, `--context-overflow`, recorded in sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ContextOverflow {
    /// Drop the oldest turns and shift the kept KV cells (fast; the kept cells were computed
    /// while the dropped turns were there, so a reply may differ from a fresh decode).
    #[default]
    Shift,
    /// Drop the oldest turns and decode what is kept again (slow; exact).
    Redecode,
    /// Drop nothing: a conversation that no longer fits is an error.
    Stop,
}

impl ContextOverflow {
    pub fn as_str(self) -> &'static str {
        match self {
            ContextOverflow::Shift => "shift",
            ContextOverflow::Redecode => "redecode",
            ContextOverflow::Stop => "stop",
        }
    }
}

/// What a generation did about a conversation that outgrew the context (sent before decoding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverflowReport {
    /// The policy actually applied: `Redecode` when a shift was asked but was not possible.
    pub applied: ContextOverflow,
    /// Chat messages left out of the context, counted from the first after the system prompt.
    pub dropped_messages: u32,
    /// Cells removed from the KV cache by the shift (0 when re-decoded).
    pub shifted_out: u32,
    /// Cells kept and moved down by the shift (0 when re-decoded).
    pub shifted_kept: u32,
    /// Why a shift was not possible; sent once per loaded model.
    pub note: Option<String>,
}

/// What sequence 0 holds in the KV cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextState {
    /// Tokens the engine believes are cached (the base for prefix reuse).
    pub cached_tokens: u32,
    /// Lowest and highest position llama.cpp holds for the sequence (-1 when empty).
    pub pos_min: i32,
    pub pos_max: i32,
    /// Size of the sequence's saved state: grows by a fixed amount per cell, so two states of
    /// the same model compare cell counts.
    pub state_bytes: u64,
}

/// Why this model's cache cannot be shifted, if it cannot (llama.cpp would abort on the K-shift).
pub(crate) fn cannot_shift(model: &llama_cpp_2::model::LlamaModel) -> Option<String> {
    if model.is_recurrent() || model.is_hybrid() {
        return Some("its recurrent state cannot drop the middle of a conversation".into());
    }
    match model.rope_type() {
        Some(RopeType::MRope | RopeType::IMRope | RopeType::Vision) => {
            Some("its multi-section (M-RoPE) positions cannot be shifted".into())
        }
        _ => None,
    }
}

impl Session<'_> {
    pub(super) fn context_state(&self) -> ContextState {
        ContextState {
            cached_tokens: self.cached.len() as u32,
            pos_min: self.ctx.kv_cache_seq_pos_min(0),
            pos_max: self.ctx.kv_cache_seq_pos_max(0),
            state_bytes: self
                .ctx
                .state_seq_get_size_ext(0, LlamaStateSeqFlags::empty())
                as u64,
        }
    }

    /// Shifts sequence 0's cache so that it holds `prompt`'s longest possible prefix: the part
    /// shared with the cache (system prompt), then the cached cells that follow the dropped
    /// turns, moved down to contiguous positions. Returns (cells removed, cells kept and moved).
    pub(super) fn shift_to(&mut self, prompt: &[LlamaToken]) -> Option<(u32, u32)> {
        let p = common_prefix(&self.cached, prompt);
        let want = prompt.get(p..).filter(|w| !w.is_empty())?;
        // Where the kept part of the new prompt starts in the cache: the longest match wins,
        // the first one that runs to the end of the cache is taken at once.
        let mut best: Option<(usize, usize)> = None;
        for j in p + 1..self.cached.len() {
            if self.cached[j] != want[0] {
                continue;
            }
            let m = common_prefix(&self.cached[j..], want);
            if best.is_none_or(|(_, bm)| m > bm) {
                best = Some((j, m));
            }
            if j + m == self.cached.len() {
                break;
            }
        }
        // A handful of tokens (a turn marker) is chance, not the kept turns.
        let (j, m) = best.filter(|&(_, m)| m >= MIN_KEPT)?;
        let d = j - p;
        let mem_ok = self
            .ctx
            .kv_cache_seq_rm(0, Some(p as u32), Some(j as u32))
            .is_ok()
            && self
                .ctx
                .kv_cache_seq_rm(0, Some((j + m) as u32), None)
                .is_ok()
            && self
                .ctx
                .kv_cache_seq_add(0, Some(j as u32), Some((j + m) as u32), -(d as i32))
                .is_ok();
        if !mem_ok {
            // The cache is in an unknown state: forget it (the prompt is decoded again).
            self.clear_all();
            return None;
        }
        let kept: Vec<LlamaToken> = self.cached[j..j + m].to_vec();
        self.cached.truncate(p);
        self.cached.extend(kept);
        tracing::debug!(from = p, removed = d, kept = m, "context shift");
        Some((d as u32, m as u32))
    }
}
