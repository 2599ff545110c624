//! The ways of predicting a row's label with a prompt: label scoring and greedy generation (the
//! third, embedding similarity, is in `prototypes`). Each walks the rows, hands finished rows to
//! `record` as it goes, and stops at the cancel flag without recording a half-done row.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::rows::{EvalData, EvalRow};
use super::variant::VariantSpec;
use super::CompareError;
use crate::engine::{DoneStats, Engine, EngineError, EventKind, Request, Variant};
use crate::prompt::{Embedder, Rendered, Template};

/// Rows per generation request: they share one context and their common prefix.
const GENERATE_BATCH: usize = 8;
/// Most tokens a generated answer may take: a label, maybe a short phrase around it.
const GENERATE_MAX_TOKENS: u32 = 32;

pub(super) struct Ctx<'a> {
    pub engine: &'a Engine,
    pub template: &'a Template,
    pub data: &'a EvalData,
    pub cancel: &'a AtomicBool,
    pub reuse_cache: bool,
    pub embedder: Option<&'a Embedder<'a>>,
}

impl Ctx<'_> {
    pub(super) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire)
    }

    pub(super) fn render(&self, spec: &VariantSpec, row: &EvalRow) -> Result<Rendered, String> {
        let mut opts = spec.render_options();
        opts.embedder = self.embedder;
        self.template
            .render(&row.vars(), &opts)
            .map_err(|e| e.to_string())
    }
}

/// Token counts over a variant's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct TokenStats {
    prompt_tokens: u64,
    prompts: u64,
    pub decoded: u64,
}

impl TokenStats {
    pub(super) fn add(&mut self, prompt_tokens: u32, decoded: u32) {
        self.prompt_tokens += prompt_tokens as u64;
        self.prompts += 1;
        self.decoded += decoded as u64;
    }

    pub fn mean_prompt_tokens(&self) -> Option<f64> {
        (self.prompts > 0).then(|| self.prompt_tokens as f64 / self.prompts as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct RowOutcome {
    pub predicted: Option<usize>,
    pub probs: Option<Vec<f64>>,
    pub output: Option<String>,
    pub error: Option<String>,
}

impl RowOutcome {
    pub(super) fn failed(error: impl Into<String>) -> RowOutcome {
        RowOutcome {
            error: Some(error.into()),
            ..RowOutcome::default()
        }
    }

    pub(super) fn from_probs(probs: Vec<f64>) -> RowOutcome {
        RowOutcome {
            predicted: argmax(&probs),
            probs: Some(probs),
            ..RowOutcome::default()
        }
    }
}

pub(super) fn argmax(v: &[f64]) -> Option<usize> {
    (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
}

pub(super) type Record<'r> = dyn FnMut(Vec<(usize, RowOutcome)>) + 'r;

/// The engine stopping ends the run; any other error belongs to the row.
pub(super) fn row_error(e: EngineError) -> Result<RowOutcome, CompareError> {
    match e {
        EngineError::Stopped => Err(EngineError::Stopped.into()),
        e => Ok(RowOutcome::failed(e.to_string())),
    }
}

pub(super) fn score_rows(
    ctx: &Ctx<'_>,
    spec: &VariantSpec,
    record: &mut Record<'_>,
) -> Result<TokenStats, CompareError> {
    if ctx.engine.parallelism() > 1 {
        return super::parallel::score_rows(ctx, spec, record);
    }
    let candidates = ctx.template.label_candidates(spec.mode);
    let mut stats = TokenStats::default();
    for (i, row) in ctx.data.rows.iter().enumerate() {
        if ctx.cancelled() {
            break;
        }
        let outcome = match ctx.render(spec, row) {
            Err(e) => RowOutcome::failed(e),
            Ok(r) => match ctx
                .engine
                .score(r.prompt, candidates.clone(), ctx.reuse_cache)
            {
                Ok(s) => {
                    stats.add(s.prompt_tokens, s.prompt_tokens_decoded);
                    RowOutcome::from_probs(s.candidates.iter().map(|c| c.prob).collect())
                }
                Err(e) => row_error(e)?,
            },
        };
        record(vec![(i, outcome)]);
    }
    Ok(stats)
}

/// The label probabilities `spec`'s prompt gives a content-free input (every variable "N/A"),
/// for contextual calibration; `None` when there are no rows or the prompt cannot be scored.
pub(super) fn content_free_probs(
    ctx: &Ctx<'_>,
    spec: &VariantSpec,
) -> Result<Option<Vec<f64>>, CompareError> {
    let Some(first) = ctx.data.rows.first() else {
        return Ok(None);
    };
    let row = first.with_vars(&super::calibrate::content_free_vars(&first.vars()));
    let Ok(r) = ctx.render(spec, &row) else {
        return Ok(None);
    };
    let candidates = ctx.template.label_candidates(spec.mode);
    match ctx.engine.score(r.prompt, candidates, ctx.reuse_cache) {
        Ok(s) => Ok(Some(s.candidates.iter().map(|c| c.prob).collect())),
        Err(EngineError::Stopped) => Err(EngineError::Stopped.into()),
        Err(_) => Ok(None),
    }
}

pub(super) fn generate_rows(
    ctx: &Ctx<'_>,
    spec: &VariantSpec,
    record: &mut Record<'_>,
) -> Result<TokenStats, CompareError> {
    let mut sampling = spec.sampling.clone();
    sampling.temperature = 0.0;
    sampling.max_tokens = sampling.max_tokens.clamp(1, GENERATE_MAX_TOKENS);
    let mut stats = TokenStats::default();
    let indices: Vec<usize> = (0..ctx.data.rows.len()).collect();
    for chunk in indices.chunks(GENERATE_BATCH) {
        if ctx.cancelled() {
            break;
        }
        let mut outcomes: Vec<(usize, RowOutcome)> = Vec::new();
        let mut sent: Vec<usize> = Vec::new();
        let mut variants = Vec::new();
        for &i in chunk {
            match ctx.render(spec, &ctx.data.rows[i]) {
                Ok(r) => {
                    sent.push(i);
                    variants.push(Variant {
                        prompt: r.prompt,
                        sampling: sampling.clone(),
                    });
                }
                Err(e) => outcomes.push((i, RowOutcome::failed(e))),
            }
        }
        if !variants.is_empty() {
            let Some(results) = generate_batch(ctx.engine, variants, ctx.cancel)? else {
                break;
            };
            for (i, res) in sent.into_iter().zip(results) {
                let outcome = match res {
                    Ok(d) => {
                        stats.add(
                            d.prompt_tokens,
                            d.prompt_tokens_decoded + d.generated_tokens,
                        );
                        RowOutcome {
                            predicted: ctx.template.match_label(&d.text),
                            output: Some(d.text),
                            ..RowOutcome::default()
                        }
                    }
                    Err(e) => row_error(e)?,
                };
                outcomes.push((i, outcome));
            }
        }
        outcomes.sort_by_key(|(i, _)| *i);
        record(outcomes);
    }
    Ok(stats)
}

/// One generation request, polled so the cancel flag stops it within a token. `None` when
/// cancelled (the partial answers are dropped: a cut-off answer is no prediction).
fn generate_batch(
    engine: &Engine,
    variants: Vec<Variant>,
    cancel: &AtomicBool,
) -> Result<Option<Vec<Result<DoneStats, EngineError>>>, CompareError> {
    let n = variants.len();
    let (tx, rx) = mpsc::channel();
    let id = engine.submit(Request::Generate { variants }, tx);
    let mut out: Vec<Option<Result<DoneStats, EngineError>>> = vec![None; n];
    let mut open = n;
    while open > 0 {
        let ev = match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(ev) => ev,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if cancel.load(Ordering::Acquire) {
                    engine.cancel(id);
                    // Drain to the end so the engine is idle before the caller goes on.
                    while rx.recv().is_ok() {}
                    return Ok(None);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(EngineError::Stopped.into()),
        };
        match ev.kind {
            EventKind::Done(d) if d.seq < n => {
                let seq = d.seq;
                out[seq] = Some(Ok(d));
                open -= 1;
            }
            EventKind::Error {
                seq: Some(s),
                error,
            } if s < n => {
                out[s] = Some(Err(error));
                open -= 1;
            }
            EventKind::Error { seq: None, error } => {
                for o in out.iter_mut().filter(|o| o.is_none()) {
                    *o = Some(Err(error.clone()));
                }
                open = 0;
            }
            _ => {}
        }
    }
    Ok(Some(
        out.into_iter()
            .map(|o| o.unwrap_or(Err(EngineError::Stopped)))
            .collect(),
    ))
}

pub(super) fn softmax(x: &[f64], scale: f64) -> Vec<f64> {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|v| ((v - max) * scale).exp()).collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|v| v / z).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_prefers_the_first_of_equals_and_softmax_normalizes() {
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), Some(1));
        assert_eq!(argmax(&[]), None);
        let p = softmax(&[0.1, 0.2], 20.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[1] > 0.85, "{p:?}");
    }
}
