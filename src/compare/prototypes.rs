//! `--method embed`: each label is a prototype vector, the mean embedding of its description
//! (`label_descriptions`, else the label word) and, with shots, of the examples of that label the
//! variant shows the model; a row gets the label whose prototype is nearest its input (cosine).
//! So "k-shot" means the same examples for both approaches, and they compare in one table.

use std::collections::HashMap;

use super::methods::{softmax, Ctx, Record, RowOutcome, TokenStats};
use super::variant::VariantSpec;
use super::CompareError;
use crate::engine::EngineError;
use crate::prompt::{Embedder, EmbeddingCache, Template};

/// Rows per embedding request (the engine packs them into as few decodes as fit).
const EMBED_BATCH: usize = 64;
/// Cosine similarities are scaled before the softmax (a temperature, as CLIP's logit scale) so
/// that the label probabilities are not all near 1/n; it changes no prediction.
const EMBED_SCALE: f64 = 20.0;

/// Label prototypes, per set of examples shown (input-independent selections have one set;
/// `similar` has one per input, often repeated).
struct Prototypes<'a> {
    template: &'a Template,
    labels: &'a [String],
    embedder: &'a Embedder<'a>,
    /// One vector per label: its description's or its word's.
    anchors: Vec<Vec<f32>>,
    by_examples: HashMap<Vec<usize>, Vec<Vec<f32>>>,
}

impl<'a> Prototypes<'a> {
    fn new(
        template: &'a Template,
        labels: &'a [String],
        embedder: &'a Embedder<'a>,
    ) -> Result<Self, EngineError> {
        let texts: Vec<String> = labels.iter().map(|l| anchor_text(template, l)).collect();
        Ok(Prototypes {
            template,
            labels,
            embedder,
            anchors: embedder.embed(&texts)?,
            by_examples: HashMap::new(),
        })
    }

    /// The unit prototype of each label when `examples` (indices into the template's) are shown.
    fn get(&mut self, examples: &[usize]) -> Result<&[Vec<f32>], EngineError> {
        let mut key = examples.to_vec();
        key.sort_unstable();
        if !self.by_examples.contains_key(&key) {
            let primary = self
                .template
                .variable_names()
                .first()
                .map(|s| s.to_string());
            let texts: Vec<String> = key
                .iter()
                .map(|&i| {
                    let ex = &self.template.examples[i];
                    primary
                        .as_ref()
                        .and_then(|p| ex.vars.get(p))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            let vecs = self.embedder.embed(&texts)?;
            let protos = self
                .labels
                .iter()
                .zip(&self.anchors)
                .map(|(label, anchor)| {
                    let members = key
                        .iter()
                        .zip(&vecs)
                        .filter(|(&i, _)| &self.template.examples[i].output == label)
                        .map(|(_, v)| v);
                    unit_mean(std::iter::once(anchor).chain(members))
                })
                .collect();
            self.by_examples.insert(key.clone(), protos);
        }
        Ok(&self.by_examples[&key])
    }
}

/// What stands for a label on its own: its description, else the label itself.
fn anchor_text(t: &Template, label: &str) -> String {
    t.label_descriptions
        .get(label)
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

/// The mean of unit vectors, scaled back to unit length.
fn unit_mean<'v>(vs: impl Iterator<Item = &'v Vec<f32>>) -> Vec<f32> {
    let mut sum: Vec<f64> = Vec::new();
    for v in vs {
        sum.resize(v.len().max(sum.len()), 0.0);
        for (a, x) in sum.iter_mut().zip(v) {
            *a += *x as f64;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
    sum.into_iter().map(|x| (x / norm) as f32).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

pub(super) fn embed_rows(
    ctx: &Ctx<'_>,
    spec: &VariantSpec,
    record: &mut Record<'_>,
) -> Result<TokenStats, CompareError> {
    // Without an embedder (a library caller), the engine's own model embeds.
    let cache = EmbeddingCache::new();
    let local = Embedder {
        model: String::new(),
        backend: ctx.engine,
        cache: &cache,
        warning: None,
    };
    let embedder = ctx.embedder.unwrap_or(&local);
    let mut protos = Prototypes::new(ctx.template, &ctx.data.labels, embedder)?;
    let indices: Vec<usize> = (0..ctx.data.rows.len()).collect();
    for chunk in indices.chunks(EMBED_BATCH) {
        if ctx.cancel.load(std::sync::atomic::Ordering::Acquire) {
            break;
        }
        let rows: Vec<_> = chunk.iter().map(|&i| &ctx.data.rows[i]).collect();
        let texts: Vec<String> = rows.iter().map(|r| r.text.clone()).collect();
        let vecs = match embedder.embed(&texts) {
            Ok(v) => v,
            Err(EngineError::Stopped) => return Err(EngineError::Stopped.into()),
            Err(e) => {
                record(
                    chunk
                        .iter()
                        .map(|&i| (i, RowOutcome::failed(e.to_string())))
                        .collect(),
                );
                continue;
            }
        };
        let mut outcomes = Vec::with_capacity(chunk.len());
        for ((&i, row), v) in chunk.iter().zip(rows).zip(vecs) {
            // The examples this variant would show with this row (none at 0 shots).
            let examples = if spec.shots == 0 {
                Ok(Vec::new())
            } else {
                ctx.render(spec, row).map(|r| r.examples)
            };
            let outcome = match examples {
                Err(e) => RowOutcome::failed(e),
                Ok(ex) => match protos.get(&ex) {
                    Ok(p) => {
                        let sims: Vec<f64> = p.iter().map(|l| dot(&v, l)).collect();
                        RowOutcome::from_probs(softmax(&sims, EMBED_SCALE))
                    }
                    Err(EngineError::Stopped) => return Err(EngineError::Stopped.into()),
                    Err(e) => RowOutcome::failed(e.to_string()),
                },
            };
            outcomes.push((i, outcome));
        }
        record(outcomes);
    }
    Ok(TokenStats::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_mean_is_unit_and_between_its_parts() {
        let a = vec![1.0, 0.0];
        let b = vec![0.0, 1.0];
        let m = unit_mean([&a, &b].into_iter());
        assert!((m[0] - m[1]).abs() < 1e-6);
        assert!((dot(&m, &m) - 1.0).abs() < 1e-6);
    }
}
