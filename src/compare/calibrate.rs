//! Contextual calibration (Zhao et al. 2021, "Calibrate Before Use"): a prompt's bias towards
//! some labels is measured with a content-free input ("N/A"), and every row's label
//! probabilities are divided by the content-free ones and renormalised. The calibrated figures are
//! reported as a variant of their own, beside the raw one, so that the effect is measured.

use std::collections::BTreeMap;

use super::eval::{RowPrediction, VariantEval};
use super::methods::argmax;
use super::metrics::{Confusion, Mean};
use super::single::{CompareResult, LabelProb, VariantOutcome};
use super::stats;
use super::CompareError;
use crate::engine::{Engine, EngineError};
use crate::prompt::{Embedder, Template};

/// What stands in for every template variable in the content-free prompt.
pub const CONTENT_FREE: &str = "N/A";

/// Suffix of a calibrated variant's name.
pub const SUFFIX: &str = " +cal";

/// `p[i] / free[i]`, renormalised to sum to 1 (the diagonal W = diag(free)⁻¹, b = 0 of the
/// paper). A content-free probability of 0 would divide by zero; it is floored at a tiny value.
pub fn calibrate(p: &[f64], free: &[f64]) -> Vec<f64> {
    let q: Vec<f64> = p.iter().zip(free).map(|(x, f)| x / f.max(1e-12)).collect();
    let z: f64 = q.iter().sum();
    if z > 0.0 && z.is_finite() {
        q.into_iter().map(|x| x / z).collect()
    } else {
        p.to_vec()
    }
}

/// The content-free variables: every variable of the row set to `CONTENT_FREE`.
pub fn content_free_vars(vars: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    vars.keys()
        .map(|k| (k.clone(), CONTENT_FREE.to_string()))
        .collect()
}

/// `base`'s rows rescored with calibrated probabilities, as a variant named `<base> +cal` that
/// carries the content-free probabilities in `calibration`.
pub fn calibrated_variant(base: &VariantEval, free: Vec<f64>, n_labels: usize) -> VariantEval {
    let predictions: Vec<RowPrediction> = base
        .predictions
        .iter()
        .map(|p| {
            let probs = p.probs.as_ref().map(|ps| calibrate(ps, &free));
            RowPrediction {
                predicted: probs.as_deref().and_then(argmax).or(p.predicted),
                probs,
                ..p.clone()
            }
        })
        .collect();
    let mut confusion = Confusion::new(n_labels);
    let mut true_prob = Mean::default();
    for p in predictions.iter().filter(|p| p.error.is_none()) {
        confusion.add(p.label, p.predicted);
        if let Some(ps) = &p.probs {
            true_prob.add(ps[p.label]);
        }
    }
    let rows = confusion.total() as usize;
    VariantEval {
        name: format!("{}{SUFFIX}", base.name),
        correct: confusion.correct() as usize,
        accuracy: confusion.accuracy(),
        accuracy_ci: stats::wilson(confusion.correct() as usize, rows),
        macro_f1: confusion.macro_f1(),
        macro_f1_ci: stats::bootstrap_macro_f1(&stats::outcomes(&predictions), n_labels),
        confusion,
        mean_true_prob: true_prob.get(),
        calibration: Some(free),
        predictions,
        ..base.clone()
    }
}

/// `compare --calibrate`: for every scored variant of `r`, a `<name> +cal` outcome whose label
/// probabilities are calibrated with that variant's content-free prompt (its text, prompt and
/// stats are the raw variant's: calibration changes the scores, not what was generated).
pub fn calibrated_outcomes(
    engine: &Engine,
    t: &Template,
    r: &CompareResult,
    embedder: Option<&Embedder<'_>>,
) -> Result<Vec<VariantOutcome>, CompareError> {
    let free_vars = content_free_vars(&r.vars);
    let mut out = Vec::new();
    for v in &r.variants {
        let Some(labels) = &v.labels else { continue };
        let mut opts = v.spec.render_options();
        opts.embedder = embedder;
        let Ok(rendered) = t.render(&free_vars, &opts) else {
            continue;
        };
        let free = match engine.score(rendered.prompt, t.label_candidates(v.spec.mode), true) {
            Ok(s) => s.candidates.iter().map(|c| c.prob).collect::<Vec<f64>>(),
            Err(EngineError::Stopped) => return Err(EngineError::Stopped.into()),
            Err(_) => continue,
        };
        // Scores in the template's label order, as the content-free ones are.
        let raw: Vec<f64> = t
            .labels
            .iter()
            .map(|l| {
                labels
                    .iter()
                    .find(|x| &x.label == l)
                    .map_or(0.0, |x| x.prob)
            })
            .collect();
        let cal = calibrate(&raw, &free);
        let mut ls: Vec<LabelProb> = t
            .labels
            .iter()
            .zip(&cal)
            .map(|(l, &p)| LabelProb {
                label: l.clone(),
                prob: p,
                logprob: p.max(1e-300).ln(),
            })
            .collect();
        ls.sort_by(|a, b| b.prob.total_cmp(&a.prob));
        out.push(VariantOutcome {
            name: format!("{}{SUFFIX}", v.name),
            predicted: ls.first().map(|l| l.label.clone()),
            labels: Some(ls),
            ..v.clone()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_divides_by_the_content_free_probabilities_and_renormalises() {
        // The prompt alone says "positive" with .8: a row at .7/.3 is really leaning negative.
        let q = calibrate(&[0.7, 0.3], &[0.8, 0.2]);
        // .7/.8 = .875, .3/.2 = 1.5; sum 2.375 → .368421, .631579.
        assert!((q[0] - 0.875 / 2.375).abs() < 1e-12, "{q:?}");
        assert!((q[1] - 1.5 / 2.375).abs() < 1e-12, "{q:?}");
        // A uniform content-free answer changes nothing.
        let q = calibrate(&[0.2, 0.5, 0.3], &[1.0 / 3.0; 3]);
        for (a, b) in q.iter().zip([0.2, 0.5, 0.3]) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        // A zero content-free probability does not divide by zero.
        let q = calibrate(&[0.5, 0.5], &[1.0, 0.0]);
        assert!(q.iter().all(|x| x.is_finite()) && q[1] > 0.99, "{q:?}");
    }

    #[test]
    fn content_free_vars_blank_every_variable() {
        let vars = BTreeMap::from([
            ("text".to_string(), "great film".to_string()),
            ("topic".to_string(), "films".to_string()),
        ]);
        let free = content_free_vars(&vars);
        assert_eq!(free.len(), 2);
        assert!(free.values().all(|v| v == CONTENT_FREE));
    }
}
