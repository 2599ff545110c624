//! Evaluation on a labelled data set: every variant over every row, with accuracy, macro-F1, a
//! confusion matrix, the mean probability of the true label and rows per second. Variants run one
//! after the other so that a variant's rows, whose prompts share the instruction and examples,
//! reuse that prefix's KV cache.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::calibrate::calibrated_variant;
use super::methods::{self, RowOutcome};
use super::metrics::{Confusion, Mean};
use super::prototypes;
use super::rows::{EvalData, SkippedRow};
use super::stats::{self, paired_tests, Paired};
use super::variant::VariantSpec;
use super::{CompareError, MAX_VARIANTS};
use crate::engine::Engine;
use crate::prompt::{Embedder, Mode, Selection, Template};

/// How a row's label is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The label with the highest log-likelihood after the prompt (one batched decode).
    #[default]
    Score,
    /// Greedy generation; the first label named in the answer.
    Generate,
    /// No prompt: the label whose prototype (its description's embedding, averaged with its
    /// examples' at k shots) is closest to the input's embedding (cosine).
    Embed,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Score => "score",
            Method::Generate => "generate",
            Method::Embed => "embed",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Method, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "score" => Ok(Method::Score),
            "generate" => Ok(Method::Generate),
            "embed" => Ok(Method::Embed),
            other => Err(format!(
                "unknown method '{other}': use score, generate or embed"
            )),
        }
    }
}

#[derive(Clone, Default)]
pub struct EvalOptions<'a> {
    pub method: Method,
    /// Reuse the KV cache of the prompt prefix rows share (off only to measure what it gains).
    pub reuse_cache: bool,
    /// For `similar` selection and the `embed` method (without one, the engine's model embeds).
    pub embedder: Option<&'a Embedder<'a>>,
    /// After each scored variant, add its contextually calibrated twin (`<name> +cal`).
    pub calibrate: bool,
}

/// Where an evaluation is, after each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalProgress {
    pub variant: usize,
    pub variants: usize,
    /// Rows finished in this variant.
    pub done: usize,
    pub total: usize,
    /// Correct so far in this variant.
    pub correct: usize,
}

/// One row's prediction by one variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowPrediction {
    /// Line of the row in the data file.
    pub line: usize,
    /// Index of the row in `EvalData::rows`.
    pub row: usize,
    pub label: usize,
    pub predicted: Option<usize>,
    /// Probability of each label (score and embed), index-aligned with the labels.
    pub probs: Option<Vec<f64>>,
    /// The generated answer (generate).
    pub output: Option<String>,
    /// Why this row could not be evaluated by this variant (not counted in the figures).
    pub error: Option<String>,
}

/// One variant's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantEval {
    pub name: String,
    pub method: Method,
    pub shots: usize,
    /// `None` for `embed` at 0 shots (no examples chosen).
    pub selection: Option<Selection>,
    /// `None` for `embed`, which uses no prompt.
    pub mode: Option<Mode>,
    pub seed: u64,
    /// Rows predicted (errors excluded).
    pub rows: usize,
    pub correct: usize,
    pub errors: usize,
    pub accuracy: f64,
    /// 95 % Wilson interval of `accuracy`.
    pub accuracy_ci: [f64; 2],
    pub macro_f1: f64,
    /// 95 % bootstrap interval of `macro_f1` (rows resampled, fixed seed).
    pub macro_f1_ci: [f64; 2],
    /// `confusion.matrix[true][predicted]`, in label order.
    pub confusion: Confusion,
    pub mean_true_prob: Option<f64>,
    pub rows_per_sec: f64,
    pub elapsed_s: f64,
    /// Mean prompt length in tokens (score and generate).
    pub mean_prompt_tokens: Option<f64>,
    /// Tokens that went through the model, prompts and labels (what prefix reuse saves).
    pub tokens_decoded: u64,
    /// Set when the variant could not evaluate any row; the first row's error.
    pub error: Option<String>,
    /// Calibrated variants: the label probabilities of the content-free input they divide by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Vec<f64>>,
    #[serde(skip)]
    pub predictions: Vec<RowPrediction>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalResult {
    pub template: String,
    pub method: Method,
    pub labels: Vec<String>,
    pub reuse_cache: bool,
    /// Usable rows in the data (each variant evaluates these, unless cancelled).
    pub total_rows: usize,
    pub skipped: Vec<SkippedRow>,
    pub variants: Vec<VariantEval>,
    /// An exact McNemar test for every pair of variants evaluated on the same rows.
    pub paired: Vec<Paired>,
    /// Stopped by the cancel flag: the figures cover the rows finished.
    pub cancelled: bool,
}

impl EvalResult {
    /// Adds `other`'s variants (evaluated on the same data) and redoes the paired tests.
    pub fn merge(&mut self, other: EvalResult) {
        self.variants.extend(other.variants);
        self.cancelled |= other.cancelled;
        self.paired = paired_tests(&self.variants);
    }
}

/// Evaluates `variants` on `data` (for `embed`, a variant's shots and selection choose the
/// examples that join the label prototypes). Row failures are counted per variant; only an
/// engine that stopped ends the whole run with an error.
pub fn run_eval(
    engine: &Engine,
    template: &Template,
    data: &EvalData,
    variants: &[VariantSpec],
    opts: &EvalOptions<'_>,
    cancel: &AtomicBool,
    mut on_progress: impl FnMut(&EvalProgress),
) -> Result<EvalResult, CompareError> {
    if variants.is_empty() || variants.len() > MAX_VARIANTS {
        return Err(CompareError::Usage(format!(
            "an evaluation runs 1 to {MAX_VARIANTS} variants, got {}",
            variants.len()
        )));
    }
    let n_variants = variants.len();
    let mut out = Vec::with_capacity(n_variants);
    let mut cancelled = false;
    for (v, spec) in variants.iter().enumerate() {
        if cancel.load(Ordering::Acquire) {
            cancelled = true;
            break;
        }
        let start = Instant::now();
        let mut predictions: Vec<RowPrediction> = Vec::with_capacity(data.rows.len());
        let mut correct = 0;
        let mut record = |outcomes: Vec<(usize, RowOutcome)>| {
            for (row, o) in outcomes {
                let r = &data.rows[row];
                if o.error.is_none() && o.predicted == Some(r.label) {
                    correct += 1;
                }
                predictions.push(RowPrediction {
                    line: r.line,
                    row,
                    label: r.label,
                    predicted: o.predicted,
                    probs: o.probs,
                    output: o.output,
                    error: o.error,
                });
                on_progress(&EvalProgress {
                    variant: v,
                    variants: n_variants,
                    done: predictions.len(),
                    total: data.rows.len(),
                    correct,
                });
            }
        };
        let ctx = methods::Ctx {
            engine,
            template,
            data,
            cancel,
            reuse_cache: opts.reuse_cache,
            embedder: opts.embedder,
        };
        let stats = match opts.method {
            Method::Embed => prototypes::embed_rows(&ctx, spec, &mut record)?,
            Method::Score => methods::score_rows(&ctx, spec, &mut record)?,
            Method::Generate => methods::generate_rows(&ctx, spec, &mut record)?,
        };
        let elapsed = start.elapsed().as_secs_f64();
        if predictions.len() < data.rows.len() {
            cancelled = true;
        }
        out.push(figures(
            spec,
            opts.method,
            &data.labels,
            predictions,
            stats,
            elapsed,
        ));
        if opts.calibrate && opts.method == Method::Score && !cancelled {
            if let Some(free) = methods::content_free_probs(&ctx, &variants[v])? {
                let cal = calibrated_variant(&out[out.len() - 1], free, data.labels.len());
                out.push(cal);
            }
        }
    }
    Ok(EvalResult {
        template: template.name.clone(),
        method: opts.method,
        labels: data.labels.clone(),
        reuse_cache: opts.reuse_cache,
        total_rows: data.rows.len(),
        skipped: data.skipped.clone(),
        paired: paired_tests(&out),
        variants: out,
        cancelled,
    })
}

fn figures(
    spec: &VariantSpec,
    method: Method,
    labels: &[String],
    predictions: Vec<RowPrediction>,
    stats: methods::TokenStats,
    elapsed: f64,
) -> VariantEval {
    let mut confusion = Confusion::new(labels.len());
    let mut true_prob = Mean::default();
    let mut errors = 0;
    let mut first_error = None;
    for p in &predictions {
        if let Some(e) = &p.error {
            errors += 1;
            first_error.get_or_insert_with(|| format!("line {}: {e}", p.line));
            continue;
        }
        confusion.add(p.label, p.predicted);
        if let Some(probs) = &p.probs {
            true_prob.add(probs[p.label]);
        }
    }
    let rows = confusion.total() as usize;
    let correct = confusion.correct() as usize;
    let embed = method == Method::Embed;
    VariantEval {
        name: spec.name(),
        method,
        shots: spec.shots,
        selection: (!embed || spec.shots > 0).then_some(spec.selection),
        // The embed method lays out no prompt.
        mode: (!embed).then_some(spec.mode),
        seed: spec.seed,
        rows,
        correct,
        errors,
        accuracy: confusion.accuracy(),
        accuracy_ci: stats::wilson(correct, rows),
        macro_f1: confusion.macro_f1(),
        macro_f1_ci: stats::bootstrap_macro_f1(&stats::outcomes(&predictions), labels.len()),
        confusion,
        mean_true_prob: true_prob.get(),
        rows_per_sec: if elapsed > 0.0 {
            predictions.len() as f64 / elapsed
        } else {
            0.0
        },
        elapsed_s: elapsed,
        mean_prompt_tokens: stats.mean_prompt_tokens(),
        tokens_decoded: stats.decoded,
        error: if rows == 0 { first_error } else { None },
        calibration: None,
        predictions,
    }
}
