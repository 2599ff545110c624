//! Context overflow: what happens when a chat outgrows the context. The default shifts the KV
//! cache as llama.cpp's context shift does (`seq_rm` the dropped turns, `seq_add` the kept cells
//! down to close the gap), so a turn after the overflow decodes only its new tokens; `redecode`
//! decodes everything after the dropped turns again; `stop` refuses to drop anything.

use llama_cpp_2::context::session::LlamaStateSeqFlags;
use llama_cpp_2::model::RopeType;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use super::model_context::ModelContext;
use super::render::common_prefix;

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
    /// The model's sliding attention window (0: none). Its layers' cache holds only the cells
    /// within the window of the newest one (llama.cpp may overwrite the others).
    pub n_swa: u32,
    /// The part of `state_bytes` for the sliding-window layers (0 without them): grows per cell
    /// up to `n_swa` cells, as the state leaves out cells outside the window.
    pub swa_state_bytes: u64,
}

/// What a shift attempt did.
pub(super) enum Shifted {
    /// Cells removed, cells kept and moved down.
    Done(u32, u32),
    /// The cache holds no run of the prompt's kept part worth shifting.
    NoMatch,
    /// The sliding-window layers lack start-of-conversation cells the shifted turn would see.
    WindowLost,
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

/// The sliding attention window llama.cpp applies to this model's SWA layers (0: none), from
/// the GGUF key `ARCH.attention.sliding_window` (Gemma 2/3, Cohere 2, ...).
pub(crate) fn sliding_window(model: &llama_cpp_2::model::LlamaModel) -> u32 {
    let Ok(arch) = model.meta_val_str("general.architecture") else {
        return 0;
    };
    model
        .meta_val_str(&format!("{arch}.attention.sliding_window"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

impl ModelContext<'_> {
    pub(super) fn context_state(&self) -> ContextState {
        let swa_state_bytes = if self.n_swa > 0 {
            self.ctx
                .state_seq_get_size_ext(0, LlamaStateSeqFlags::PARTIAL_ONLY) as u64
        } else {
            0
        };
        ContextState {
            cached_tokens: self.cached.len() as u32,
            pos_min: self.ctx.kv_cache_seq_pos_min(0),
            pos_max: self.ctx.kv_cache_seq_pos_max(0),
            state_bytes: self
                .ctx
                .state_seq_get_size_ext(0, LlamaStateSeqFlags::empty())
                as u64,
            n_swa: self.n_swa,
            swa_state_bytes,
        }
    }

    /// Whether the sliding-window layers lack cells that a token decoded at position `pos`
    /// attends to. llama.cpp lets a cell outside the window of the newest one be overwritten,
    /// so cells far behind may be gone; it overwrites in cell order, from the oldest, so the
    /// lowest position held tells. (llama-server makes the same check before reusing a cache.)
    pub(super) fn swa_lacks(&self, pos: usize) -> bool {
        if self.n_swa == 0 || pos == 0 {
            return false;
        }
        let pos_min = self.ctx.kv_cache_seq_pos_min(0);
        pos_min < 0 || pos_min as usize > pos.saturating_sub(self.n_swa as usize)
    }

    /// Shifts sequence 0's cache so that it holds `prompt`'s longest possible prefix: the part
    /// shared with the cache (system prompt), then the cached cells that follow the dropped
    /// turns, moved down to contiguous positions.
    pub(super) fn shift_to(&mut self, prompt: &[LlamaToken]) -> Shifted {
        let p = common_prefix(&self.cached, prompt);
        let Some(want) = prompt.get(p..).filter(|w| !w.is_empty()) else {
            return Shifted::NoMatch;
        };
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
        let Some((j, m)) = best.filter(|&(_, m)| m >= MIN_KEPT) else {
            return Shifted::NoMatch;
        };
        // A shift keeps each kept cell's distance to the tokens after it, so the window hides
        // what it hid before; only the start of the conversation (before position p) comes
        // closer. When the kept part is shorter than the window, the next token sees those
        // cells again, and they must still be there.
        if m + 1 < self.n_swa as usize && self.swa_lacks(p + m) {
            return Shifted::WindowLost;
        }
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
            return Shifted::NoMatch;
        }
        let kept: Vec<LlamaToken> = self.cached[j..j + m].to_vec();
        self.cached.truncate(p);
        self.cached.extend(kept);
        self.shift_pending = true;
        tracing::debug!(from = p, removed = d, kept = m, "context shift");
        Shifted::Done(d as u32, m as u32)
    }
}
