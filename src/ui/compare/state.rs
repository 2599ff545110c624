//! The compare view's state: one input run through 1–4 prompt variants side by side (columns
//! fed by `compare::run_compare` events), the input (the app's text area) and its history, and
//! the evaluation pane (progress, then accuracy per variant). `update` changes it, `view` draws
//! it; its dialogs are the app's modals (`CompareModal`), its background work `job::CompareJob`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ratatui_textarea::TextArea;

use crate::compare::{
    default_shots, variants_for, EvalData, EvalProgress, EvalResult, LabelProb, VariantSpec,
    MAX_VARIANTS,
};
use crate::engine::{DoneStats, Sampling};
use crate::prompt::{Mode, Rendered, Template};
use crate::ui::text_input::new_input;

use super::models::ColumnModel;
use crate::ui::reply::Reply;

/// One column: a variant and what it produced on the current input.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub spec: VariantSpec,
    /// The sampling preset's name shown in the header.
    pub preset: String,
    /// What the variant wrote on the current input (streaming, stopped or failed): the chat's
    /// reply type.
    pub reply: Reply,
    /// The prompt as a person reads it (sanitized for the terminal).
    pub prompt: Option<String>,
    /// The prompt as sent, with the examples chosen (for the session record).
    pub rendered: Option<Box<Rendered>>,
    pub labels: Option<Vec<LabelProb>>,
    pub stats: Option<DoneStats>,
    /// The column's own model (`None`: the loaded model).
    pub model: Option<ColumnModel>,
    /// The user set this column's layout; unset, it follows the model's (`spec.mode` changes
    /// with the model).
    pub mode_chosen: bool,
}

impl Column {
    pub fn new(spec: VariantSpec, preset: &str) -> Column {
        Column {
            spec,
            preset: preset.into(),
            reply: Reply::default(),
            prompt: None,
            rendered: None,
            labels: None,
            stats: None,
            model: None,
            mode_chosen: false,
        }
    }

    pub fn title(&self) -> String {
        let model = self
            .model
            .as_ref()
            .map(|m| format!("{} · ", m.short()))
            .unwrap_or_default();
        format!(
            "{model}{} · {} · {}",
            self.spec.name(),
            self.spec.mode.as_str(),
            self.preset
        )
    }

    pub fn predicted(&self) -> Option<&str> {
        self.labels
            .as_ref()
            .and_then(|l| l.first())
            .map(|l| l.label.as_str())
    }

    pub fn clear(&mut self) {
        let model = self.model.take();
        let chosen = self.mode_chosen;
        *self = Column::new(self.spec.clone(), &self.preset);
        self.model = model;
        self.mode_chosen = chosen;
    }
}

/// The evaluation pane.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalView {
    pub path: PathBuf,
    pub progress: Option<EvalProgress>,
    pub running: bool,
    pub result: Option<(Arc<EvalResult>, Arc<EvalData>)>,
    pub error: Option<String>,
}

/// What a typed path is for (the app's `Ask` dialog asks for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFor {
    EvalData,
    Predictions,
}

/// The variant editor's fields, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Shots,
    Selection,
    Preset,
    Mode,
    Model,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Shots,
        Field::Selection,
        Field::Preset,
        Field::Mode,
        Field::Model,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Field::Model => "model",
            Field::Shots => "shots",
            Field::Selection => "selection",
            Field::Preset => "sampling preset",
            Field::Mode => "mode",
        }
    }
}

/// The compare view's dialogs, kept on the app's modal stack (`Modal::Compare`); a typed path
/// is the app's `Ask` dialog instead.
#[derive(Debug, Clone, PartialEq)]
pub enum CompareModal {
    Templates {
        templates: Vec<Template>,
        selected: usize,
    },
    Prompt {
        column: usize,
        scroll: u16,
    },
    Variant {
        field: usize,
    },
}

impl CompareModal {
    /// The key context of the dialog (`[keys.<name>]` rebinds it).
    pub fn ctx(&self) -> crate::ui::keymap::Ctx {
        use crate::ui::keymap::Ctx;
        match self {
            CompareModal::Templates { .. } => Ctx::ComparePicker,
            CompareModal::Prompt { .. } => Ctx::ComparePrompt,
            CompareModal::Variant { .. } => Ctx::CompareEdit,
        }
    }
}

/// One arena round (`arena`): which column is shown as A and which as B, and the vote once
/// given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaRound {
    /// `order[0]` is the column shown as A, `order[1]` as B.
    pub order: [usize; 2],
    pub verdict: Option<crate::arena::Verdict>,
}

impl ArenaRound {
    /// A round with sides drawn at random.
    pub fn draw() -> ArenaRound {
        ArenaRound {
            order: if crate::arena::coin() { [1, 0] } else { [0, 1] },
            verdict: None,
        }
    }

    /// Names are hidden until the vote.
    pub fn hidden(&self) -> bool {
        self.verdict.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct CompareState {
    /// None until a template is picked.
    pub template: Option<Box<Template>>,
    pub columns: Vec<Column>,
    pub selected: usize,
    /// One line; the same text area (and editing keys) as the chat's input.
    pub input: TextArea<'static>,
    /// The input the columns show results for.
    pub shown_input: Option<String>,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    /// Tells this run's worker messages from those of an earlier one.
    pub run: u64,
    /// The user stopped the current run or evaluation (its results are partial).
    pub stopped: bool,
    pub eval: Option<EvalView>,
    /// Whether the evaluation pane is shown instead of the columns.
    pub show_eval: bool,
    pub error: Option<String>,
    /// Arena mode: two anonymous columns and a vote (`arena`).
    pub arena_mode: bool,
    /// The current arena round (sides and vote), from the last run in arena mode.
    pub arena: Option<ArenaRound>,
    /// Models a column may pick (filled by model discovery when the variant editor opens).
    pub models: Vec<ColumnModel>,
    /// The top row of every column's text: the columns scroll together, so the same part of
    /// each reply stays side by side.
    pub scroll: u16,
    /// The largest useful `scroll` at the last frame (the longest column's rows less what
    /// fits), so scrolling stops where the text ends.
    pub scroll_max: std::cell::Cell<u16>,
}

impl Default for CompareState {
    fn default() -> Self {
        CompareState::new()
    }
}

impl CompareState {
    /// The view before a template is picked (the picker is a modal over it).
    pub fn new() -> CompareState {
        CompareState {
            template: None,
            columns: Vec::new(),
            selected: 0,
            input: new_input(Vec::new()),
            shown_input: None,
            history: Vec::new(),
            history_pos: None,
            run: 0,
            stopped: false,
            eval: None,
            show_eval: false,
            error: None,
            arena_mode: false,
            arena: None,
            models: Vec::new(),
            scroll: 0,
            scroll_max: std::cell::Cell::new(0),
        }
    }

    /// The typed input, one line.
    pub fn input_text(&self) -> String {
        self.input.lines().join(" ")
    }

    pub fn input_empty(&self) -> bool {
        self.input.lines().iter().all(|l| l.is_empty())
    }

    /// Replaces the input (history, a template's value), cursor at the end.
    pub fn set_input(&mut self, text: &str) {
        let one_line = text.replace('\n', " ");
        self.input = new_input(vec![one_line]);
    }

    /// Switches to `t` with its default variants (zero-, one- and k-shot) for `mode`.
    pub fn set_template(&mut self, t: Template, mode: Mode, preset: &str, sampling: &Sampling) {
        let shots = default_shots(&t);
        let mut columns: Vec<Column> = variants_for(&t, &shots, None, 0, mode, sampling)
            .unwrap_or_default()
            .into_iter()
            .map(|s| Column::new(s, preset))
            .collect();
        columns.truncate(MAX_VARIANTS);
        self.columns = columns;
        self.template = Some(Box::new(t));
        self.selected = 0;
        self.shown_input = None;
        self.eval = None;
        self.show_eval = false;
        self.error = None;
    }

    pub fn running(&self) -> bool {
        self.columns.iter().any(|c| c.reply.running())
            || self.eval.as_ref().is_some_and(|e| e.running)
    }

    /// The template's variables for `input`: it fills the first one.
    pub fn vars_for(&self, input: &str) -> BTreeMap<String, String> {
        let name = self
            .template
            .as_ref()
            .and_then(|t| t.variable_names().first().map(|s| s.to_string()))
            .unwrap_or_else(|| "text".into());
        BTreeMap::from([(name, input.to_string())])
    }
}
