//! Example selection: which k examples go into a prompt, and in what order.

use serde::{Deserialize, Serialize};

use super::embed::{cosine, Embedder};
use super::error::RenderError;
use super::template::Template;

/// How the k examples are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// The first k in file order.
    #[default]
    First,
    /// k distinct examples drawn with the seed (same seed, same draw, on every platform).
    Random,
    /// Round-robin over the labels so no label dominates; each round starts one label later, so
    /// the label of the last example (which models favour) changes with k. Independent of the
    /// seed and of the input, so every input shares the same prefix.
    Balanced,
    /// The k examples whose embeddings are closest to the input's (cosine), most similar last,
    /// nearest to the input.
    Similar,
}

impl Selection {
    pub const ALL: [Selection; 4] = [
        Selection::First,
        Selection::Random,
        Selection::Balanced,
        Selection::Similar,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Selection::First => "first",
            Selection::Random => "random",
            Selection::Balanced => "balanced",
            Selection::Similar => "similar",
        }
    }

    /// Whether the choice depends on the input (then prompts of different inputs share less).
    pub fn depends_on_input(self) -> bool {
        self == Selection::Similar
    }
}

impl std::str::FromStr for Selection {
    type Err = String;
    fn from_str(s: &str) -> Result<Selection, String> {
        let s = s.trim().to_ascii_lowercase();
        Selection::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!("unknown selection '{s}': use first, random, balanced or similar")
            })
    }
}

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
