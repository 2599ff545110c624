//! The validated template types: what a template file means once it has been checked.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::pattern::Pattern;
use super::selection::Selection;
use crate::engine::{ModelInfo, Sampling};

/// What the template asks of the model. `classify` templates have `labels` and can be scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Generate,
    Classify,
    Extract,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Generate => "generate",
            Task::Classify => "classify",
            Task::Extract => "extract",
        }
    }
}

/// How a prompt is laid out: chat messages through the model's chat template, or one text block
/// ending with the `output` prefix for base models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Chat,
    Completion,
}

impl Mode {
    /// Chat when the model has a chat template, completion otherwise.
    pub fn for_model(info: &ModelInfo) -> Mode {
        if info.has_chat_template {
            Mode::Chat
        } else {
            Mode::Completion
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Chat => "chat",
            Mode::Completion => "completion",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "chat" => Ok(Mode::Chat),
            "completion" | "raw" => Ok(Mode::Completion),
            other => Err(format!("unknown mode '{other}': use chat or completion")),
        }
    }
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Embedded in the binary from `prompts/<file>`.
    Builtin(&'static str),
    /// A file in the user's prompts folder.
    User(PathBuf),
}

impl Source {
    /// How error messages and listings name the file.
    pub fn display(&self) -> String {
        match self {
            Source::Builtin(file) => format!("prompts/{file} (built in)"),
            Source::User(p) => p.display().to_string(),
        }
    }
}

/// One worked example: a value for each input variable and the expected `output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub vars: BTreeMap<String, String>,
    pub output: String,
    /// 1-based line of the example's table in its file (for messages).
    pub line: usize,
}

/// A checked template. Build one with [`super::Library`] or [`Template::parse`]; every invariant
/// the file format promises (variables match, labels known, shots in range) holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    pub description: String,
    pub task: Task,
    /// May be empty.
    pub system: String,
    pub instruction: String,
    /// The input pattern, e.g. `Review: {{text}}`.
    pub input: Pattern,
    /// How an answer is introduced, e.g. `Sentiment:`.
    pub output: String,
    /// The exact label strings (`classify` only; empty otherwise).
    pub labels: Vec<String>,
    /// A short sentence describing each label, by label (optional, any subset): what
    /// `--method embed` anchors that label's prototype on instead of the bare label word.
    pub label_descriptions: BTreeMap<String, String>,
    pub examples: Vec<Example>,
    /// Default number of examples.
    pub shots: usize,
    /// Default selection strategy.
    pub selection: Selection,
    /// GBNF grammar (root rule `root`) constraining generated output.
    pub grammar: Option<String>,
    /// Default sampling settings (the engine's defaults when the file has none).
    pub sampling: Option<Sampling>,
    /// Variable name -> description, for forms that ask the user to fill them. Every variable
    /// of `input` has an entry (an empty description when the file declared none).
    pub variables: BTreeMap<String, String>,
    pub source: Source,
}

impl Template {
    /// Variable names in the order the input pattern uses them.
    pub fn variable_names(&self) -> Vec<&str> {
        self.input.variables()
    }

    /// Continuations to score for each label, index-aligned with `labels`: in completion mode the
    /// prompt ends with the `output` prefix (`Sentiment:`), so a label follows after the
    /// [`Template::answer_separator`] (` positive`); in chat mode the assistant's answer starts with the label itself.
    pub fn label_candidates(&self, mode: Mode) -> Vec<String> {
        self.labels
            .iter()
            .map(|l| match mode {
                Mode::Chat => l.clone(),
                Mode::Completion => format!("{}{l}", self.answer_separator()),
            })
            .collect()
    }

    /// The label a generated answer names: the label occurring earliest in `text`, ignoring case
    /// (the longest wins a tie, so `negative` is not read as `neg`). `None` when none occurs.
    pub fn match_label(&self, text: &str) -> Option<usize> {
        let lower = text.to_lowercase();
        self.labels
            .iter()
            .enumerate()
            .filter_map(|(i, l)| lower.find(&l.to_lowercase()).map(|pos| (pos, l.len(), i)))
            .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, _, i)| i)
    }

    /// The sampling to generate with in `mode`: the template's settings (or the engine's
    /// defaults), its grammar, and the stop strings that keep a base model from writing the
    /// next example after its answer (completion mode).
    pub fn sampling_for(&self, mode: Mode) -> Sampling {
        let mut s = self.sampling.clone().unwrap_or_default();
        if s.grammar.is_none() {
            s.grammar = self.grammar.clone();
        }
        if mode == Mode::Completion {
            let mut stops = Vec::new();
            if self.task == Task::Classify {
                stops.push("\n".to_string());
            }
            let lead = self.input.lead().trim();
            if !lead.is_empty() {
                stops.push(format!("\n{lead}"));
            }
            stops.push("\n\n\n".to_string());
            for st in stops {
                if !s.stop.contains(&st) {
                    s.stop.push(st);
                }
            }
        }
        s
    }
}
