//! One validation for every engine and sampling setting, whatever its source (flags, the TUI,
//! presets, session files, the engine's own last check): ranges come from what llama.cpp accepts
//! and what this machine has, errors name the source, and clamping is always said.

pub mod source;

use crate::engine::{EngineSettings, Sampling};
use crate::gguf::kv::{KvEstimate, MIN_CTX};

pub use source::{Key, SettingError, Source};

/// The smallest batch: llama.cpp needs room for one output per sequence, and howdah's contexts
/// serve up to 16 sequences (`n_outputs_max <= n_batch` is asserted, or the process aborts).
pub const MIN_BATCH: u32 = 16;
/// Above this a micro-batch's activations alone take gigabytes; llama.cpp's tools stop earlier.
pub const MAX_BATCH: u32 = 1 << 16;
/// Threads beyond this multiple of the CPUs only make llama.cpp's threads wait on each other
/// (on 2 CPUs: -t 1000 took 20 s for 4 tokens, -t 100000 corrupted the heap).
pub const THREADS_PER_CPU: u32 = 4;

/// What the model and machine allow; without it only the fixed ranges are checked.
#[derive(Debug, Clone, Copy)]
pub struct ModelLimits {
    pub estimate: KvEstimate,
    pub trained: u32,
    /// Bytes of memory available (`None`: unknown, no memory check).
    pub available: Option<u64>,
}

impl ModelLimits {
    /// The limits of the model at `path` (its header checked) with this batch size.
    pub fn of(path: &std::path::Path, n_batch: u32) -> Result<ModelLimits, String> {
        let (info, hp) = crate::engine::inspect_hparams(path)?;
        Ok(ModelLimits {
            estimate: KvEstimate::new(&hp, info.file_size, n_batch),
            trained: hp.n_ctx_train,
            available: crate::gguf::kv::available_memory(),
        })
    }
}

/// Settings that passed: threads and context resolved, and what was changed or chosen, said.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub engine: EngineSettings,
    /// One line per clamped value: what it became and why.
    pub notes: Vec<String>,
    /// How the context size was chosen ("asked for", or the default's reason).
    pub ctx_reason: String,
}

/// Engine settings and (optionally) sampling, checked together.
pub struct Settings<'a> {
    pub engine: &'a EngineSettings,
    pub sampling: Option<&'a Sampling>,
}

/// The most threads this machine is given: a multiple of its logical CPUs.
pub fn max_threads() -> u32 {
    (num_cpus::get().max(1) as u32).saturating_mul(THREADS_PER_CPU)
}

impl Settings<'_> {
    /// Checks everything; the first problem is an error that names `source`.
    pub fn validate(
        &self,
        source: &Source,
        model: Option<&ModelLimits>,
    ) -> Result<Checked, SettingError> {
        let err = |key: Key, value: String, problem: String| SettingError {
            source: source.clone(),
            key,
            value,
            problem,
        };
        if let Some(s) = self.sampling {
            s.validate()
                .map_err(|problem| err(Key::Sampling, String::new(), problem))?;
        }
        let e = self.engine;
        let mut notes = Vec::new();
        let mut threads = e.resolved_threads();
        let max = max_threads();
        if threads > max && matches!(source, Source::Session(_)) {
            // A session recorded on a bigger machine still replays here; said, not silent.
            notes.push(format!(
                "{} is more than this machine's {max}: using {max}",
                source.name(Key::Threads, &threads.to_string())
            ));
            threads = max;
        }
        if threads == 0 || threads > max {
            return Err(err(
                Key::Threads,
                threads.to_string(),
                format!(
                    "this machine takes 1 to {max} threads ({THREADS_PER_CPU} per CPU, {} CPUs); more only make them wait on each other",
                    max / THREADS_PER_CPU
                ),
            ));
        }
        let mut n_batch = e.n_batch;
        if !(MIN_BATCH..=MAX_BATCH).contains(&n_batch) && matches!(source, Source::Session(_)) {
            // Replay has no batch flag, and the batch size does not change what is generated:
            // a stored value out of range is clamped (and said) rather than blocking the replay.
            let to = n_batch.clamp(MIN_BATCH, MAX_BATCH);
            notes.push(format!(
                "{} is {} {}, the {} batch llama.cpp accepts for howdah's 16 sequences: using {to}",
                source.name(Key::NBatch, &n_batch.to_string()),
                if n_batch < MIN_BATCH {
                    "below"
                } else {
                    "above"
                },
                to,
                if n_batch < MIN_BATCH {
                    "smallest"
                } else {
                    "largest"
                },
            ));
            n_batch = to;
        }
        if !(MIN_BATCH..=MAX_BATCH).contains(&n_batch) {
            let why = if n_batch < MIN_BATCH {
                format!("is below {MIN_BATCH}, the smallest batch llama.cpp accepts for howdah's 16 sequences")
            } else {
                format!("is above {MAX_BATCH}")
            };
            return Err(err(
                Key::NBatch,
                n_batch.to_string(),
                format!("{why}; use {MIN_BATCH} to {MAX_BATCH} (512 is the default)"),
            ));
        }
        let mut n_ctx = e.n_ctx;
        if let Some(n) = n_ctx {
            if n < MIN_CTX {
                notes.push(format!(
                    "{} is below the smallest context howdah creates: using {MIN_CTX}",
                    source.name(Key::NCtx, &n.to_string())
                ));
                n_ctx = Some(MIN_CTX);
            }
        }
        let (n_ctx, ctx_reason) = match (n_ctx, model) {
            (Some(n), _) => (n, "as asked".to_string()),
            (None, Some(m)) => m.estimate.default_ctx(m.trained, m.available),
            (None, None) => (4096, "the default (4096)".to_string()),
        };
        if let Some(m) = model {
            check_memory(n_ctx, e.n_ctx.is_some(), m).map_err(|p| {
                let key = if e.n_ctx.is_some() {
                    Key::NCtx
                } else {
                    Key::NBatch
                };
                let value = if e.n_ctx.is_some() {
                    n_ctx.to_string()
                } else {
                    e.n_batch.to_string()
                };
                err(key, value, p)
            })?;
            if e.n_ctx.is_some() && m.trained > 0 && n_ctx > m.trained {
                notes.push(format!(
                    "{} is more than the {} tokens the model was trained on: replies past that may degrade",
                    source.name(Key::NCtx, &n_ctx.to_string()),
                    m.trained
                ));
            }
        }
        Ok(Checked {
            engine: EngineSettings {
                threads: Some(threads),
                n_ctx: Some(n_ctx),
                n_batch,
                ..e.clone()
            },
            notes,
            ctx_reason,
        })
    }
}

/// Refuses a context whose KV cache (plus the weights) does not fit the memory available,
/// before anything is allocated, saying what would fit.
fn check_memory(n_ctx: u32, asked: bool, m: &ModelLimits) -> Result<(), String> {
    use crate::text::human_bytes;
    let Some(avail) = m.available else {
        return Ok(());
    };
    let need = m.estimate.total(n_ctx as u64);
    if need <= avail {
        return Ok(());
    }
    let fits = m.estimate.max_fitting(avail);
    let what = format!(
        "a context of {n_ctx} tokens needs {} ({} of KV cache at {} per token, plus {} for the weights and a batch) but {} of memory is available",
        human_bytes(need),
        human_bytes(m.estimate.kv_per_token * n_ctx as u64),
        human_bytes(m.estimate.kv_per_token),
        human_bytes(m.estimate.fixed),
        human_bytes(avail)
    );
    Err(if fits >= MIN_CTX && asked {
        format!("{what}; at most {fits} tokens fit: use -c {fits} or less")
    } else if fits >= MIN_CTX {
        format!("{what}; a smaller batch (-b) leaves room")
    } else {
        format!("{what}; not even the smallest context fits: close other programs or use a smaller model")
    })
}

/// Validates settings for the model at `path` (read from its header) and returns the engine
/// settings to load with; notes about clamped values are added to `notes` (deduplicated).
pub fn check_for_model(
    engine: &EngineSettings,
    sampling: &Sampling,
    path: &std::path::Path,
    source: &Source,
    notes: &mut Vec<String>,
) -> Result<EngineSettings, String> {
    let limits = ModelLimits::of(path, engine.n_batch)?;
    let checked = Settings {
        engine,
        sampling: Some(sampling),
    }
    .validate(source, Some(&limits))
    .map_err(|e| e.to_string())?;
    for n in checked.notes {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    // Keep what was asked where it was valid (a `None` context stays the model's default), and
    // take what had to change.
    let mut out = engine.clone();
    out.n_batch = checked.engine.n_batch;
    if engine.threads.is_some() {
        out.threads = checked.engine.threads;
    }
    if engine.n_ctx.is_some() {
        out.n_ctx = checked.engine.n_ctx;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
