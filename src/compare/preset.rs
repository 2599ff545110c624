//! Built-in comparison presets: a named set of models and shot counts that shows one idea in a
//! single screen. "base vs instruct" puts the same question to a base model (which continues
//! text) and an instruction-tuned one (which follows requests), zero-shot and few-shot, so that
//! what the examples do to each is seen side by side.

/// A named comparison: models × shots, each a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComparePreset {
    pub name: &'static str,
    pub description: &'static str,
    /// Model names as `howdah models` lists them.
    pub models: &'static [&'static str],
    /// `None` in a slot: the template's default k (few-shot).
    pub shots: &'static [Option<usize>],
}

/// The two shipped models: SmolLM2 instruct (chat template) and Gemma 3 base (completion).
pub const BASE_VS_INSTRUCT: ComparePreset = ComparePreset {
    name: "base-vs-instruct",
    description: "a base and an instruct model, zero-shot and few-shot",
    models: &[
        "gemma-3-270m-q4_k_m.gguf",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
    ],
    shots: &[Some(0), None],
};

pub const PRESETS: &[ComparePreset] = &[BASE_VS_INSTRUCT];

/// The preset called `name` (spaces, dashes and case do not matter: "base vs instruct").
pub fn find(name: &str) -> Result<&'static ComparePreset, String> {
    let key = |s: &str| {
        s.to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    };
    PRESETS
        .iter()
        .find(|p| key(p.name) == key(name))
        .ok_or_else(|| {
            format!(
                "no comparison preset {name:?}: the presets are {}",
                PRESETS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

impl ComparePreset {
    /// The shot counts for a template with `k` default shots and `n` examples.
    pub fn shots_for(&self, k: usize, n: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for s in self.shots {
            let v = s.unwrap_or(k).min(n);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_by_loose_name() {
        assert_eq!(find("Base vs Instruct").unwrap().name, "base-vs-instruct");
        assert!(find("nope").unwrap_err().contains("base-vs-instruct"));
        assert_eq!(BASE_VS_INSTRUCT.shots_for(4, 8), vec![0, 4]);
        assert_eq!(BASE_VS_INSTRUCT.shots_for(4, 0), vec![0]);
    }
}
