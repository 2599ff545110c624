//! Token budget of a rendered prompt: tokens per section with the model's own tokenizer, and
//! the exact total the model decodes (chat markup and BOS included).

use super::layout::Sections;
use super::render::Rendered;
use crate::engine::{Engine, EngineError, ModelInfo};

/// Tokens of each section, the exact prompt total and the context size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SectionTokens {
    pub system: u32,
    pub examples: u32,
    pub input: u32,
    /// Exactly what the model decodes for the prompt.
    pub total: u32,
    pub n_ctx: u32,
}

impl SectionTokens {
    /// Tokens the chat template (and BOS) add around the sections.
    pub fn markup(&self) -> u32 {
        self.total
            .saturating_sub(self.system + self.examples + self.input)
    }

    /// Share of the context the prompt fills, 0.0 ..= 1.0 (or more when it does not fit).
    pub fn share(&self) -> f64 {
        self.total as f64 / self.n_ctx.max(1) as f64
    }

    /// A small table: one row per section, markup, and the total with its share of the context.
    pub fn table(&self, model: &str) -> String {
        let mut s = format!("tokens ({model}, context {}):\n", self.n_ctx);
        let rows = [self.system, self.examples, self.input];
        for (name, n) in Sections::NAMES.iter().zip(rows) {
            s.push_str(&format!("  {name:<20} {n:>6}\n"));
        }
        s.push_str(&format!(
            "  {:<20} {:>6}\n",
            "template markup",
            self.markup()
        ));
        s.push_str(&format!(
            "  {:<20} {:>6}  ({:.1}% of the context)\n",
            "total",
            self.total,
            100.0 * self.share()
        ));
        s
    }
}

/// Counts `r`'s sections and its exact total on the loaded model. Only tokenizes: cheap
/// enough for a live preview.
pub fn count_sections(
    engine: &Engine,
    info: &ModelInfo,
    r: &Rendered,
) -> Result<SectionTokens, EngineError> {
    let texts: Vec<String> = r
        .sections
        .as_array()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let c = engine.count_tokens(texts)?;
    if c.len() != 3 {
        return Err(EngineError::Backend(format!(
            "asked for 3 token counts, got {}",
            c.len()
        )));
    }
    let total = engine.count_prompt(r.prompt.clone())?;
    Ok(SectionTokens {
        system: c[0],
        examples: c[1],
        input: c[2],
        total,
        n_ctx: info.n_ctx,
    })
}
