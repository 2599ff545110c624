//! Rendering a template for one input: check the variables, choose the examples, lay out.

use std::collections::BTreeMap;

use super::embed::Embedder;
use super::error::RenderError;
use super::layout::{self, Sections};
use super::select::select;
use super::selection::Selection;
use super::template::{Mode, Template};
use crate::engine::Prompt;

/// How to render: shots, selection, layout, and what the selection may use.
#[derive(Clone)]
pub struct RenderOptions<'a> {
    /// Number of examples (0 = zero-shot); at most the template's example count.
    pub shots: usize,
    pub selection: Selection,
    /// Seed of `random` selection (the other strategies ignore it).
    pub seed: u64,
    pub mode: Mode,
    /// Example indices never to use, e.g. the data row under evaluation when it is one of the
    /// template's own examples. Examples whose variables equal the input are always skipped.
    pub exclude: Vec<usize>,
    /// Needed by `similar` selection only.
    pub embedder: Option<&'a Embedder<'a>>,
}

impl std::fmt::Debug for RenderOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderOptions")
            .field("shots", &self.shots)
            .field("selection", &self.selection)
            .field("seed", &self.seed)
            .field("mode", &self.mode)
            .field("exclude", &self.exclude)
            .field("embedder", &self.embedder.map(|e| e.model.clone()))
            .finish()
    }
}

impl RenderOptions<'static> {
    /// The template's default shots and selection, seed 0, in `mode`, without an embedder.
    pub fn defaults(t: &Template, mode: Mode) -> RenderOptions<'static> {
        RenderOptions {
            shots: t.shots,
            selection: t.selection,
            seed: 0,
            mode,
            exclude: Vec::new(),
            embedder: None,
        }
    }
}

/// A rendered prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub prompt: Prompt,
    pub mode: Mode,
    /// Indices of the chosen examples in `Template::examples`, in prompt order.
    pub examples: Vec<usize>,
    pub sections: Sections,
}

impl Rendered {
    /// The prompt as a person reads it: the raw text in completion mode; in chat mode each
    /// message under a `[role]` line (the model's chat template is not applied).
    pub fn display(&self) -> String {
        match &self.prompt {
            Prompt::Raw(text) => text.clone(),
            Prompt::Chat(msgs) => {
                let mut out = String::new();
                for (i, m) in msgs.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push('[');
                    out.push_str(m.role.as_str());
                    out.push_str("]\n");
                    out.push_str(&m.content);
                    out.push('\n');
                }
                out
            }
        }
    }
}

impl Template {
    /// Renders the prompt for `vars` (every variable of `input`, nothing else).
    pub fn render(
        &self,
        vars: &BTreeMap<String, String>,
        opts: &RenderOptions<'_>,
    ) -> Result<Rendered, RenderError> {
        let names = self.variable_names();
        if let Some(unknown) = vars.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(RenderError::UnknownVariable {
                template: self.name.clone(),
                name: unknown.clone(),
                known: names.join(", "),
            });
        }
        let input_text = self
            .input
            .fill(vars)
            .map_err(|name| RenderError::MissingVariable {
                template: self.name.clone(),
                name,
            })?;
        if opts.shots > self.examples.len() {
            return Err(RenderError::TooManyShots {
                template: self.name.clone(),
                shots: opts.shots,
                available: self.examples.len(),
            });
        }
        let candidates: Vec<usize> = (0..self.examples.len())
            .filter(|i| !opts.exclude.contains(i) && &self.examples[*i].vars != vars)
            .collect();
        let examples = select(
            self,
            &candidates,
            opts.shots,
            opts.selection,
            opts.seed,
            &input_text,
            opts.embedder,
        )?;
        let (prompt, sections) = layout::lay_out(self, &examples, &input_text, opts.mode);
        Ok(Rendered {
            prompt,
            mode: opts.mode,
            examples,
            sections,
        })
    }
}
