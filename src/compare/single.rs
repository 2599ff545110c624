//! One input, several variants at once: label probabilities from scoring, then every variant's
//! answer streamed from one batched generation (the shared prompt prefix is decoded once). A
//! variant that fails (bad grammar, prompt too long, too many shots) fails in its own column.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::Serialize;

use super::variant::VariantSpec;
use super::{CompareError, MAX_VARIANTS};
use crate::engine::{DoneStats, Engine, EventKind, Prompt, Request, TokenEvent, Variant};
use crate::prompt::{Embedder, Rendered, Task, Template};

/// The probability the model gives one label, from label scoring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelProb {
    pub label: String,
    /// Normalized over the template's labels.
    pub prob: f64,
    /// Sum of the label tokens' log-probabilities.
    pub logprob: f64,
}

/// What a comparison reports as it goes; `variant` indexes the variants as given.
#[derive(Debug, Clone)]
pub enum CompareEvent {
    /// The prompt this variant sends (for "show the exact prompt").
    Rendered {
        variant: usize,
        rendered: Rendered,
    },
    /// Label probabilities (classify templates), before any text streams.
    Scored {
        variant: usize,
        labels: Vec<LabelProb>,
    },
    Token {
        variant: usize,
        token: TokenEvent,
    },
    Done {
        variant: usize,
        stats: DoneStats,
    },
    /// This variant failed; the others go on.
    Failed {
        variant: usize,
        error: String,
    },
}

impl CompareEvent {
    /// The index of the variant the event is about.
    pub fn variant_mut(&mut self) -> &mut usize {
        match self {
            CompareEvent::Rendered { variant, .. }
            | CompareEvent::Scored { variant, .. }
            | CompareEvent::Token { variant, .. }
            | CompareEvent::Done { variant, .. }
            | CompareEvent::Failed { variant, .. } => variant,
        }
    }
}

/// One column's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantOutcome {
    pub name: String,
    #[serde(flatten)]
    pub spec: VariantSpec,
    /// Example indices used, in prompt order.
    pub examples: Vec<usize>,
    /// The prompt as sent to the engine (before the model's chat template).
    pub prompt: Option<Prompt>,
    pub text: String,
    /// Label probabilities, most likely first (classify templates).
    pub labels: Option<Vec<LabelProb>>,
    /// The highest-probability label, or for unscored runs the first label in the text.
    pub predicted: Option<String>,
    pub stats: Option<DoneStats>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareResult {
    pub template: String,
    /// The template's labels in its own order (empty unless it classifies).
    pub labels: Vec<String>,
    pub vars: BTreeMap<String, String>,
    pub variants: Vec<VariantOutcome>,
    /// Stopped by the cancel flag: texts are partial.
    pub cancelled: bool,
}

/// Runs every variant on one input. Returns an error only when nothing can run at all (no or too
/// many variants, the engine stopped); per-variant failures are in their outcome.
pub fn run_compare<'a>(
    engine: &Engine,
    template: &Template,
    vars: &BTreeMap<String, String>,
    variants: &[VariantSpec],
    embedder: Option<&'a Embedder<'a>>,
    cancel: &AtomicBool,
    mut on_event: impl FnMut(&CompareEvent),
) -> Result<CompareResult, CompareError> {
    if variants.is_empty() || variants.len() > MAX_VARIANTS {
        return Err(CompareError::Usage(format!(
            "a comparison runs 1 to {MAX_VARIANTS} variants, got {}",
            variants.len()
        )));
    }
    let mut outcomes: Vec<VariantOutcome> = variants
        .iter()
        .map(|spec| VariantOutcome {
            name: spec.name(),
            spec: spec.clone(),
            examples: Vec::new(),
            prompt: None,
            text: String::new(),
            labels: None,
            predicted: None,
            stats: None,
            error: None,
        })
        .collect();
    let mut rendered: Vec<Option<Rendered>> = Vec::new();
    for (i, spec) in variants.iter().enumerate() {
        let mut opts = spec.render_options();
        opts.embedder = embedder;
        match template.render(vars, &opts) {
            Ok(r) => {
                outcomes[i].examples = r.examples.clone();
                outcomes[i].prompt = Some(r.prompt.clone());
                on_event(&CompareEvent::Rendered {
                    variant: i,
                    rendered: r.clone(),
                });
                rendered.push(Some(r));
            }
            Err(e) => {
                // A missing variable is the same for every variant: the caller's mistake.
                if matches!(e, crate::prompt::RenderError::MissingVariable { .. })
                    || matches!(e, crate::prompt::RenderError::UnknownVariable { .. })
                {
                    return Err(CompareError::Usage(e.to_string()));
                }
                fail(&mut on_event, &mut outcomes, i, e.to_string());
                rendered.push(None);
            }
        }
    }
    if template.task == Task::Classify && !template.labels.is_empty() {
        for (i, r) in rendered.iter().enumerate() {
            let Some(r) = r else { continue };
            if cancel.load(Ordering::Acquire) {
                break;
            }
            let candidates = template.label_candidates(r.mode);
            match engine.score(r.prompt.clone(), candidates, true) {
                Ok(s) => {
                    let mut labels: Vec<LabelProb> = template
                        .labels
                        .iter()
                        .zip(&s.candidates)
                        .map(|(l, c)| LabelProb {
                            label: l.clone(),
                            prob: c.prob,
                            logprob: c.logprob,
                        })
                        .collect();
                    labels.sort_by(|a, b| b.prob.total_cmp(&a.prob));
                    outcomes[i].predicted = labels.first().map(|l| l.label.clone());
                    on_event(&CompareEvent::Scored {
                        variant: i,
                        labels: labels.clone(),
                    });
                    outcomes[i].labels = Some(labels);
                }
                Err(crate::engine::EngineError::Stopped) => {
                    return Err(crate::engine::EngineError::Stopped.into())
                }
                Err(e) => fail(
                    &mut on_event,
                    &mut outcomes,
                    i,
                    format!("label scoring failed: {e}"),
                ),
            }
        }
    }
    // Generate the variants still standing, in one request.
    let live: Vec<usize> = (0..variants.len())
        .filter(|&i| rendered[i].is_some() && outcomes[i].error.is_none())
        .collect();
    let mut cancelled = cancel.load(Ordering::Acquire);
    if !live.is_empty() && !cancelled {
        let request = Request::Generate {
            variants: live
                .iter()
                .map(|&i| Variant {
                    prompt: outcomes[i]
                        .prompt
                        .clone()
                        .unwrap_or(Prompt::Raw(String::new())),
                    sampling: variants[i].sampling.clone(),
                })
                .collect(),
        };
        let (tx, rx) = mpsc::channel();
        let id = engine.submit(request, tx);
        let mut open = live.len();
        let mut cancel_sent = false;
        while open > 0 {
            let ev = match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(ev) => ev,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if !cancel_sent && cancel.load(Ordering::Acquire) {
                        engine.cancel(id);
                        cancel_sent = true;
                        cancelled = true;
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(crate::engine::EngineError::Stopped.into())
                }
            };
            match ev.kind {
                EventKind::Token(t) => {
                    let Some(&i) = live.get(t.seq) else { continue };
                    outcomes[i].text.push_str(&t.text);
                    on_event(&CompareEvent::Token {
                        variant: i,
                        token: t,
                    });
                }
                EventKind::Done(d) => {
                    let Some(&i) = live.get(d.seq) else { continue };
                    outcomes[i].text = d.text.clone();
                    if outcomes[i].predicted.is_none() {
                        outcomes[i].predicted = template
                            .match_label(&d.text)
                            .map(|k| template.labels[k].clone());
                    }
                    on_event(&CompareEvent::Done {
                        variant: i,
                        stats: d.clone(),
                    });
                    outcomes[i].stats = Some(d);
                    open -= 1;
                }
                EventKind::Error {
                    seq: Some(s),
                    error,
                } => {
                    let Some(&i) = live.get(s) else { continue };
                    fail(&mut on_event, &mut outcomes, i, error.to_string());
                    open -= 1;
                }
                EventKind::Error { seq: None, error } => {
                    for &i in &live {
                        if outcomes[i].stats.is_none() && outcomes[i].error.is_none() {
                            fail(&mut on_event, &mut outcomes, i, error.to_string());
                        }
                    }
                    open = 0;
                }
                _ => {}
            }
        }
    }
    Ok(CompareResult {
        template: template.name.clone(),
        labels: template.labels.clone(),
        vars: vars.clone(),
        variants: outcomes,
        cancelled,
    })
}

fn fail(
    on_event: &mut impl FnMut(&CompareEvent),
    outcomes: &mut [VariantOutcome],
    i: usize,
    error: String,
) {
    on_event(&CompareEvent::Failed {
        variant: i,
        error: error.clone(),
    });
    outcomes[i].error = Some(error);
}
