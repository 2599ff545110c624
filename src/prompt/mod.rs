//! Prompt templates: an instruction, worked examples and input variables, rendered to zero-,
//! one- or k-shot prompts for chat models (`Mode::Chat`) and base models (`Mode::Completion`).
//!
//! The pieces, in the order a caller meets them:
//! - [`Library::load`] reads the built-in templates (embedded in the binary from `prompts/*.toml`)
//!   and the user's (`<config folder>/prompts/*.toml`, overriding built-ins of the same name).
//!   A broken file becomes a [`TemplateError`] with its file, line and field; the others load.
//! - [`Template::render`] fills the variables, picks the examples ([`Selection`]) and lays the
//!   prompt out for a [`Mode`], giving a [`Rendered`]: the engine `Prompt`, the chosen example
//!   indices and the text of each section (for token budgets).
//! - [`Template::label_candidates`] gives the continuations to score for a `classify` template,
//!   spelled the way the rendered prompt expects them in that mode.
//! - [`Embedder`] + [`EmbeddingCache`] serve the `similar` selection with cached embeddings.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use howdah::prompt::{Library, Mode, RenderOptions};
//! let lib = Library::load();
//! let t = lib.get("sentiment").expect("built in");
//! let vars = BTreeMap::from([("text".to_string(), "Loved it.".to_string())]);
//! let r = t.render(&vars, &RenderOptions::defaults(t, Mode::Completion)).unwrap();
//! println!("{}", r.display());
//! ```

mod builtin;
mod embed;
mod error;
mod layout;
mod library;
mod pattern;
mod render;
mod select;
mod selection;
mod template;
mod tokens;
mod validate;

pub use builtin::BUILTIN;
pub use embed::{cosine, Embed, Embedder, EmbeddingCache};
pub use error::{RenderError, TemplateError};
pub use layout::Sections;
pub use library::{editor_command, load_all, user_prompts_dir, Library};
pub use pattern::Pattern;
pub use render::{RenderOptions, Rendered};
pub use selection::Selection;
pub use template::{Example, Mode, Source, Task, Template};
pub use tokens::{count_sections, SectionTokens};
