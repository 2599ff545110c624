//! Variants: one way of prompting the same task (shots, example selection, sampling, layout
//! mode), and the default set a comparison starts from.

use serde::{Deserialize, Serialize};

use super::CompareError;
use crate::engine::Sampling;
use crate::prompt::{Mode, RenderOptions, Selection, Template};

/// At most this many variants run side by side (columns of the compare view).
pub const MAX_VARIANTS: usize = 4;

/// One column of a comparison or evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSpec {
    pub shots: usize,
    pub selection: Selection,
    /// Seed of `random` selection.
    pub seed: u64,
    pub mode: Mode,
    /// How `compare` generates (evaluation scores labels, or generates greedily).
    pub sampling: Sampling,
}

impl VariantSpec {
    /// The template's own settings for `shots` examples.
    pub fn new(t: &Template, shots: usize, mode: Mode) -> VariantSpec {
        VariantSpec {
            shots,
            selection: t.selection,
            seed: 0,
            mode,
            sampling: t.sampling_for(mode),
        }
    }

    /// A short column title: `0-shot`, `1-shot`, `4-shot balanced`.
    pub fn name(&self) -> String {
        if self.shots == 0 {
            "0-shot".to_string()
        } else {
            format!("{}-shot {}", self.shots, self.selection.as_str())
        }
    }

    /// Render options for this variant (without an embedder or exclusions).
    pub fn render_options(&self) -> RenderOptions<'static> {
        RenderOptions {
            shots: self.shots,
            selection: self.selection,
            seed: self.seed,
            mode: self.mode,
            exclude: Vec::new(),
            embedder: None,
        }
    }
}

/// Zero-shot, one-shot and the template's default k-shot (fewer when the template has fewer
/// examples or its default is 0 or 1).
pub fn default_shots(t: &Template) -> Vec<usize> {
    let mut shots = vec![0];
    for k in [1, t.shots] {
        if k <= t.examples.len() && !shots.contains(&k) {
            shots.push(k);
        }
    }
    shots
}

/// Parses `--shots 0,1,4`.
pub fn parse_shots(s: &str) -> Result<Vec<usize>, CompareError> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let k: usize = part.parse().map_err(|_| {
            CompareError::Usage(format!(
                "--shots takes a comma-separated list of numbers such as 0,1,4; {part:?} is not a number"
            ))
        })?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// One variant per shot count, all with `selection` (the template's default when `None`);
/// checks the count and each shot number against the template's examples.
pub fn variants_for(
    t: &Template,
    shots: &[usize],
    selection: Option<Selection>,
    seed: u64,
    mode: Mode,
    sampling: &Sampling,
) -> Result<Vec<VariantSpec>, CompareError> {
    if shots.is_empty() {
        return Err(CompareError::Usage("give at least one shot count".into()));
    }
    if shots.len() > MAX_VARIANTS {
        return Err(CompareError::Usage(format!(
            "at most {MAX_VARIANTS} variants run side by side; --shots lists {}",
            shots.len()
        )));
    }
    if let Some(&k) = shots.iter().find(|&&k| k > t.examples.len()) {
        return Err(CompareError::Usage(format!(
            "template '{}' has {} examples, so {k} shots are not possible (use 0 to {})",
            t.name,
            t.examples.len(),
            t.examples.len()
        )));
    }
    Ok(shots
        .iter()
        .map(|&k| VariantSpec {
            shots: k,
            selection: selection.unwrap_or(t.selection),
            seed,
            mode,
            sampling: sampling.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shots_lists_parse_and_dedupe() {
        assert_eq!(parse_shots("0, 1,4,1").unwrap(), vec![0, 1, 4]);
        let e = parse_shots("0,x").unwrap_err().to_string();
        assert!(e.contains("\"x\" is not a number"), "{e}");
    }
}
