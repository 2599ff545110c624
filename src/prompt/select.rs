//! Example selection: which k examples go into a prompt, and in what order.

use super::embed::{cosine, Embedder};
use super::error::RenderError;
use super::selection::Selection;
use super::template::Template;

/// Picks `k` of `candidates` (indices into `t.examples`, in file order) for `input_text`.
pub(crate) fn select(
    t: &Template,
    candidates: &[usize],
    k: usize,
    selection: Selection,
    seed: u64,
    input_text: &str,
    embedder: Option<&Embedder<'_>>,
) -> Result<Vec<usize>, RenderError> {
    let k = k.min(candidates.len());
    if k == 0 {
        return Ok(Vec::new());
    }
    match selection {
        Selection::First => Ok(candidates[..k].to_vec()),
        Selection::Random => {
            let mut pool = candidates.to_vec();
            let mut rng = SplitMix64(seed);
            // Partial Fisher-Yates: the first k slots end up a uniform draw.
            for i in 0..k {
                let j = i + (rng.next() % (pool.len() - i) as u64) as usize;
                pool.swap(i, j);
            }
            pool.truncate(k);
            Ok(pool)
        }
        Selection::Balanced => balanced(t, candidates, k),
        Selection::Similar => {
            let embedder = embedder.ok_or(RenderError::NeedsEmbedder)?;
            let mut texts = Vec::with_capacity(candidates.len() + 1);
            texts.push(input_text.to_string());
            for &i in candidates {
                texts.push(t.input.fill(&t.examples[i].vars).unwrap_or_default());
            }
            let vecs = embedder.embed(&texts)?;
            let query = &vecs[0];
            let mut scored: Vec<(f32, usize)> = candidates
                .iter()
                .zip(&vecs[1..])
                .map(|(&i, v)| (cosine(query, v), i))
                .collect();
            // Most similar first; ties keep file order so the choice is deterministic.
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut picked: Vec<usize> = scored.into_iter().take(k).map(|(_, i)| i).collect();
            picked.reverse();
            Ok(picked)
        }
    }
}

fn balanced(t: &Template, candidates: &[usize], k: usize) -> Result<Vec<usize>, RenderError> {
    if t.labels.is_empty() {
        return Err(RenderError::BalancedNeedsLabels {
            template: t.name.clone(),
        });
    }
    let mut queues: Vec<std::collections::VecDeque<usize>> = t
        .labels
        .iter()
        .map(|l| {
            candidates
                .iter()
                .copied()
                .filter(|&i| &t.examples[i].output == l)
                .collect()
        })
        .collect();
    let n = queues.len();
    let mut out = Vec::with_capacity(k);
    let mut round = 0;
    while out.len() < k && queues.iter().any(|q| !q.is_empty()) {
        for j in 0..n {
            if out.len() == k {
                break;
            }
            if let Some(i) = queues[(round + j) % n].pop_front() {
                out.push(i);
            }
        }
        round += 1;
    }
    Ok(out)
}

/// SplitMix64: a tiny generator whose sequence is fixed forever, so a seed recorded in a session
/// picks the same examples in every howdah version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
