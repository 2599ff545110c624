//! Errors of loading (per file, with line and field) and of rendering templates.

use crate::engine::EngineError;

/// A template file that could not be used: where, which field, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The file as users know it (`prompts/x.toml (built in)` or the user file's path).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field at fault (`labels`, `examples[2].output`, ...), when known.
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for TemplateError {}

/// Why a template could not be rendered for this input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("template '{template}' needs the variable '{name}': pass it with --var {name}=VALUE")]
    MissingVariable { template: String, name: String },
    #[error("template '{template}' has no variable '{name}' (its variables: {known})")]
    UnknownVariable {
        template: String,
        name: String,
        known: String,
    },
    #[error("template '{template}' has {available} examples; cannot use {shots} shots")]
    TooManyShots {
        template: String,
        shots: usize,
        available: usize,
    },
    #[error("balanced selection rounds over labels, and template '{template}' has none: use first, random or similar")]
    BalancedNeedsLabels { template: String },
    #[error("similar selection needs a model for embeddings: load one (-m MODEL) or use first, random or balanced")]
    NeedsEmbedder,
    #[error("embedding the examples failed: {0}")]
    Embedding(#[from] EngineError),
}
