//! How a template's k examples are chosen (a template setting; `select` does the choosing).

use serde::{Deserialize, Serialize};

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
