//! The adaptive thread count: where the user did not set threads, generation uses the physical
//! cores less those other programs keep busy. With one thread per core and a `yes` on one of
//! two cores, llama.cpp's threads wait on the descheduled one at every step and generation fell
//! to 0.26-0.43 of its idle speed; one thread kept it. The choice is checked before every
//! generation, score and bench request (two small /proc reads); when it changes, the context is
//! re-created with the new count (llama-cpp-2 does not expose `llama_set_n_threads`) and
//! sequence 0's KV cache is carried over, so no prompt is decoded again.

use llama_cpp_2::context::session::LlamaStateSeqFlags;
use serde::{Deserialize, Serialize};

use super::cpu_load::{load_between, others_now, Probe, Sample};
use super::load::context_params;
use super::model_context::ModelContext;
use super::types::{EventKind, RequestId};
use super::{emit, SharedSink};

/// A window shorter than this (seconds) says too little: the last choice stands.
const MIN_WINDOW_SECS: f64 = 0.2;
/// Other programs' load must pass a half-core boundary by this much to change the count, so a
/// program hovering at half a core does not re-create the context at every request.
const HYSTERESIS: f64 = 0.15;

/// Threads changed at a request boundary (sent before the request's other events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadChoice {
    pub threads: u32,
    pub previous: u32,
    /// Why, in words: "2 → 1 thread: a core is busy".
    pub reason: String,
}

/// Cores other programs keep busy: `others` rounded to whole cores, keeping `prev` while
/// `others` stays within `HYSTERESIS` of its rounding range.
pub fn busy_cores(others: f64, prev: Option<u32>) -> u32 {
    let others = others.max(0.0);
    if let Some(p) = prev {
        let p = p as f64;
        if others >= p - 0.5 - HYSTERESIS && others < p + 0.5 + HYSTERESIS {
            return p as u32;
        }
    }
    (others + 0.5).floor() as u32
}

/// Threads for `default` (one per physical core) on `usable` CPUs of which `busy` are taken.
pub fn choose(default: u32, usable: u32, busy: u32) -> u32 {
    default.min(usable.saturating_sub(busy)).max(1)
}

fn plural(n: u32, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Why `threads` of `default`, in words.
pub fn reason(default: u32, threads: u32, usable: u32, busy: u32) -> String {
    if threads >= default {
        return format!("{}, one per physical core", plural(threads, "thread"));
    }
    let why = match busy {
        0 => format!("only {} usable", plural(usable, "CPU")),
        1 => "a core is busy".to_string(),
        n => format!("{n} cores are busy"),
    };
    format!("{default} → {}: {why}", plural(threads, "thread"))
}

/// One decision: the count and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub threads: u32,
    pub usable: u32,
    pub busy: u32,
}

/// Measures over the window since its last decision; lives as long as the engine thread, so
/// the first window (engine start to the first context) spans the model's load.
pub(crate) struct Tuner {
    probe: Probe,
    base: Option<Sample>,
    last: Option<Decision>,
}

impl Tuner {
    pub fn start() -> Tuner {
        let probe = Probe::new();
        let base = probe.sample(false);
        Tuner {
            probe,
            base,
            last: None,
        }
    }

    /// The count a new context starts with, and why: `default` as asked, or the count now.
    pub fn at_load(&mut self, auto: bool, default: u32) -> (u32, String) {
        if !auto {
            return (default, "as asked".into());
        }
        match self.decide(default) {
            Some(d) => (d.threads, reason(default, d.threads, d.usable, d.busy)),
            None => (default, reason(default, default, 0, 0)),
        }
    }

    /// The count for `default` now; `None` where the load cannot be read (then `default`, as
    /// before this existed).
    pub fn decide(&mut self, default: u32) -> Option<Decision> {
        let now = self.probe.sample(false)?;
        let usable = self.probe.usable(&now);
        let window = self
            .base
            .as_ref()
            .and_then(|b| load_between(b, &now, |c| self.probe.allows(c)));
        let min_ticks = MIN_WINDOW_SECS * self.probe.ticks_per_sec;
        let busy = match (window, self.last) {
            (Some(l), prev) if l.window_ticks >= min_ticks => {
                self.base = Some(now);
                busy_cores(l.others, prev.map(|d| d.busy))
            }
            (_, Some(prev)) => return Some(prev),
            // No window worth the name yet: what is runnable right now.
            _ => others_now(&self.probe.sample(true)?),
        };
        let d = Decision {
            threads: choose(default, usable, busy),
            usable,
            busy,
        };
        tracing::debug!(?window, ?d, "thread count checked");
        self.last = Some(d);
        Some(d)
    }
}

impl ModelContext<'_> {
    /// Before a generation, score or bench: re-checks an automatic thread count and moves the
    /// context to the new one when it changed (said with a `Threads` event).
    pub(super) fn retune(&mut self, id: RequestId, sink: &SharedSink) {
        if !self.auto_threads {
            return;
        }
        let Some(d) = self.tuner.decide(self.default_threads) else {
            return;
        };
        if d.threads == self.threads {
            return;
        }
        let previous = self.threads;
        match self.recreate(d.threads) {
            Ok(()) => {
                let why = reason(self.default_threads, d.threads, d.usable, d.busy);
                self.threads_reason = why.clone();
                let reason = if d.threads > previous {
                    format!(
                        "{previous} → {}: the cores are free again",
                        plural(d.threads, "thread")
                    )
                } else {
                    why
                };
                tracing::info!(previous, threads = d.threads, %reason, "thread count changed");
                emit(
                    sink,
                    id,
                    EventKind::Threads(ThreadChoice {
                        threads: d.threads,
                        previous,
                        reason,
                    }),
                );
            }
            Err(e) => tracing::warn!(error = %e, threads = d.threads, "thread count kept"),
        }
    }

    /// Replaces the context by one with `threads`, carrying sequence 0's cache over.
    pub(crate) fn recreate(&mut self, threads: u32) -> Result<(), String> {
        // Both contexts exist for a moment: only where their memory is there.
        if let Some(avail) = crate::gguf::kv::available_memory() {
            if avail < self.ctx_bytes {
                return Err(format!(
                    "a second context needs {} and {} is available",
                    crate::text::human_bytes(self.ctx_bytes),
                    crate::text::human_bytes(avail)
                ));
            }
        }
        // A shift not yet applied (no decode since) is not in the saved state: start empty.
        let state = if self.cached.is_empty() || self.shift_pending {
            None
        } else {
            self.ctx.state_seq_get(0, LlamaStateSeqFlags::empty()).ok()
        };
        let mut ctx = self
            .model
            .new_context(self.backend, context_params(self.info, threads))
            .map_err(|e| e.to_string())?;
        let kept = state.is_some_and(|s| ctx.state_seq_set(&s, 0).is_ok());
        if !kept && !self.cached.is_empty() {
            tracing::warn!("the cache could not be carried over: the next prompt is decoded");
            self.cached.clear();
        }
        self.ctx = ctx;
        self.shift_pending = false;
        // The embedding context is made again on its next use, with the new count.
        self.embed_ctx = None;
        self.threads = threads;
        Ok(())
    }
}
