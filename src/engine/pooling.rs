//! How an embedding model pools its token vectors into one vector per text: llama.cpp's
//! `pooling_type`, as a GGUF file declares it.

use serde::{Deserialize, Serialize};

/// Architectures that only encode (no text generation). A GGUF of one of these without a
/// `pooling_type` key is still an embedding model; llama.cpp would pool nothing, so it is mean.
const ENCODER_ARCHS: &[&str] = &[
    "bert",
    "nomic-bert",
    "nomic-bert-moe",
    "jina-bert-v2",
    "jina-bert-v3",
    "neo-bert",
    "modern-bert",
    "eurobert",
    "t5encoder",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// The mean of all token vectors (MiniLM, BGE, nomic-embed).
    Mean,
    /// The first token's vector ([CLS]).
    Cls,
    /// The last token's vector (decoder-based embedders such as Qwen3-Embedding).
    Last,
    /// A reranker's relevance score, not a text vector.
    Rank,
}

impl Pooling {
    pub fn as_str(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::Last => "last",
            Pooling::Rank => "rank",
        }
    }

    /// llama.cpp's `enum llama_pooling_type` value (0 = none, -1 = unspecified: not pooled).
    pub fn from_gguf(value: i128) -> Option<Pooling> {
        match value {
            1 => Some(Pooling::Mean),
            2 => Some(Pooling::Cls),
            3 => Some(Pooling::Last),
            4 => Some(Pooling::Rank),
            _ => None,
        }
    }

    /// The pooling of a model file from its architecture and `<arch>.pooling_type` value; `None`
    /// for a generative model.
    pub fn of_model(architecture: &str, pooling_type: Option<i128>) -> Option<Pooling> {
        pooling_type.and_then(Pooling::from_gguf).or_else(|| {
            ENCODER_ARCHS
                .contains(&architecture)
                .then_some(Pooling::Mean)
        })
    }

    pub(crate) fn llama(self) -> llama_cpp_2::context::params::LlamaPoolingType {
        use llama_cpp_2::context::params::LlamaPoolingType as P;
        match self {
            Pooling::Mean => P::Mean,
            Pooling::Cls => P::Cls,
            Pooling::Last => P::Last,
            Pooling::Rank => P::Rank,
        }
    }
}

impl std::fmt::Display for Pooling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_comes_from_the_key_or_the_architecture() {
        assert_eq!(Pooling::of_model("bert", Some(2)), Some(Pooling::Cls));
        assert_eq!(Pooling::of_model("bert", None), Some(Pooling::Mean));
        assert_eq!(Pooling::of_model("qwen3", Some(3)), Some(Pooling::Last));
        assert_eq!(Pooling::of_model("llama", None), None);
        assert_eq!(Pooling::of_model("llama", Some(0)), None);
        assert_eq!(Pooling::of_model("gemma3", Some(-1)), None);
    }
}
