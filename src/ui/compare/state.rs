//! The compare view's state: one input run through 1–4 prompt variants side by side (columns
//! fed by `compare::run_compare` events), input history, the evaluation pane (progress, then
//! accuracy per variant) and the view's own overlays. `update::compare` changes it,
//! `view::compare` draws it, `compare_run` does the blocking work on a worker thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::compare::{
    default_shots, variants_for, CompareEvent, EvalData, EvalProgress, EvalResult, LabelProb,
    VariantSpec, MAX_VARIANTS,
};
use crate::engine::{DoneStats, Sampling};
use crate::prompt::{Mode, Template};

use super::compare_models::ColumnModel;

/// A stop flag shared with a worker; compares by identity so effects stay comparable in tests.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(pub Arc<AtomicBool>);

impl CancelFlag {
    pub fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

impl PartialEq for CancelFlag {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Background work of the compare view, executed by `compare_run::execute`.
#[derive(Debug, Clone, PartialEq)]
pub enum CompareJob {
    /// Every variant on one input: label scoring, then one batched generation.
    Run {
        run: u64,
        template: Box<Template>,
        vars: BTreeMap<String, String>,
        variants: Vec<VariantSpec>,
        /// Each variant's own model (`None`: the loaded one).
        models: Vec<Option<PathBuf>>,
        cancel: CancelFlag,
    },
    /// Evaluate the variants on a data file (label scoring).
    Eval {
        run: u64,
        template: Box<Template>,
        path: PathBuf,
        variants: Vec<VariantSpec>,
        cancel: CancelFlag,
    },
    /// Stop a run or an evaluation at its next token or row.
    Stop(CancelFlag),
    /// Write the per-row predictions as CSV (`Action::Saved`).
    SavePredictions {
        path: PathBuf,
        result: Arc<EvalResult>,
        data: Arc<EvalData>,
    },
}

/// What the worker reports back, tagged with the run it belongs to.
#[derive(Debug, Clone)]
pub enum CompareMsg {
    Event {
        run: u64,
        event: CompareEvent,
    },
    /// `run_compare` returned: `Err` when nothing could run (engine stopped, missing variable).
    Finished {
        run: u64,
        error: Option<String>,
    },
    EvalProgress {
        run: u64,
        progress: EvalProgress,
    },
    EvalDone {
        run: u64,
        result: Result<(Arc<EvalResult>, Arc<EvalData>), String>,
    },
    /// Something to say on screen (how several models are loaded).
    Note {
        run: u64,
        text: String,
    },
}

/// One column: a variant and what it produced on the current input.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub spec: VariantSpec,
    /// The sampling preset's name shown in the header.
    pub preset: String,
    pub text: String,
    pub prompt: Option<String>,
    pub labels: Option<Vec<LabelProb>>,
    pub stats: Option<DoneStats>,
    pub error: Option<String>,
    /// Waiting for or receiving tokens.
    pub running: bool,
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
            text: String::new(),
            prompt: None,
            labels: None,
            stats: None,
            error: None,
            running: false,
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

/// What a typed path is for.
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

/// Dialogs of the compare view, over its columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
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
    Path {
        purpose: PathFor,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompareState {
    /// None until a template is picked.
    pub template: Option<Box<Template>>,
    pub columns: Vec<Column>,
    pub selected: usize,
    pub input: String,
    /// The input the columns show results for.
    pub shown_input: Option<String>,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    pub run: u64,
    pub cancel: Option<CancelFlag>,
    pub eval: Option<EvalView>,
    /// Whether the evaluation pane is shown instead of the columns.
    pub show_eval: bool,
    pub overlay: Option<Overlay>,
    pub error: Option<String>,
    /// Arena mode: two anonymous columns and a vote (`ui::arena`).
    pub arena_mode: bool,
    /// The current arena round (sides and vote), from the last run in arena mode.
    pub arena: Option<super::arena::ArenaRound>,
    /// Models a column may pick (filled by model discovery when the variant editor opens).
    pub models: Vec<ColumnModel>,
}

impl CompareState {
    /// The view with the template picker open.
    pub fn new(templates: Vec<Template>) -> CompareState {
        CompareState {
            template: None,
            columns: Vec::new(),
            selected: 0,
            input: String::new(),
            shown_input: None,
            history: Vec::new(),
            history_pos: None,
            run: 0,
            cancel: None,
            eval: None,
            show_eval: false,
            overlay: Some(Overlay::Templates {
                templates,
                selected: 0,
            }),
            error: None,
            arena_mode: false,
            arena: None,
            models: Vec::new(),
        }
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
        self.columns.iter().any(|c| c.running) || self.eval.as_ref().is_some_and(|e| e.running)
    }

    /// The column a worker event is about, if it belongs to the current run.
    pub fn column_mut(&mut self, run: u64, variant: usize) -> Option<&mut Column> {
        if run != self.run {
            return None;
        }
        self.columns.get_mut(variant)
    }

    /// Applies one `run_compare` event to its column.
    pub fn apply(&mut self, run: u64, event: CompareEvent) {
        match event {
            CompareEvent::Rendered { variant, rendered } => {
                if let Some(c) = self.column_mut(run, variant) {
                    // Example texts come from template files: untrusted for the terminal.
                    c.prompt = Some(crate::text::sanitize(&rendered.display()));
                }
            }
            CompareEvent::Scored { variant, labels } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.labels = Some(labels);
                }
            }
            CompareEvent::Token { variant, token } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.text.push_str(&token.text);
                }
            }
            CompareEvent::Done { variant, stats } => {
                if let Some(c) = self.column_mut(run, variant) {
                    if !stats.text.is_empty() || c.text.is_empty() {
                        c.text = stats.text.clone();
                    }
                    c.stats = Some(stats);
                    c.running = false;
                }
            }
            CompareEvent::Failed { variant, error } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.error = Some(crate::text::sanitize(&error));
                    c.running = false;
                }
            }
        }
    }
}

impl CompareState {
    /// Starts a run of every column on `input`: clears the columns, records the input in the
    /// history and returns the job for the worker. None when no template is picked.
    pub fn start_run(&mut self, input: &str) -> Option<CompareJob> {
        let t = self.template.as_ref()?;
        let name = t
            .variable_names()
            .first()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "text".into());
        let vars = BTreeMap::from([(name, input.to_string())]);
        self.run += 1;
        let cancel = CancelFlag::default();
        self.cancel = Some(cancel.clone());
        for c in &mut self.columns {
            c.clear();
            c.running = true;
        }
        self.error = None;
        self.arena = self.arena_mode.then(super::arena::ArenaRound::draw);
        self.shown_input = Some(input.to_string());
        self.show_eval = false;
        if self.history.last().map(String::as_str) != Some(input) {
            self.history.push(input.to_string());
        }
        self.history_pos = None;
        // As in the chat: the input empties, ↑ brings it back.
        self.input.clear();
        Some(CompareJob::Run {
            run: self.run,
            template: t.clone(),
            vars,
            variants: self.columns.iter().map(|c| c.spec.clone()).collect(),
            models: self
                .columns
                .iter()
                .map(|c| c.model.as_ref().map(|m| m.path.clone()))
                .collect(),
            cancel,
        })
    }

    /// Starts an evaluation of every column's variant on the data file at `path`.
    pub fn start_eval(&mut self, path: PathBuf) -> Option<CompareJob> {
        let t = self.template.as_ref()?;
        self.run += 1;
        let cancel = CancelFlag::default();
        self.cancel = Some(cancel.clone());
        self.eval = Some(EvalView {
            path: path.clone(),
            progress: None,
            running: true,
            result: None,
            error: None,
        });
        self.show_eval = true;
        Some(CompareJob::Eval {
            run: self.run,
            template: t.clone(),
            path,
            variants: self.columns.iter().map(|c| c.spec.clone()).collect(),
            cancel,
        })
    }

    /// Esc: stops whatever runs (the columns keep their partial text, the evaluation its
    /// partial figures). Returns the job that tells the worker.
    pub fn stop(&mut self) -> Option<CompareJob> {
        if !self.running() {
            return None;
        }
        self.cancel.clone().map(CompareJob::Stop)
    }

    /// Applies a worker message; messages of older runs are ignored.
    pub fn on_msg(&mut self, msg: CompareMsg) {
        match msg {
            CompareMsg::Event { run, event } => self.apply(run, event),
            CompareMsg::Finished { run, error } => {
                if run != self.run {
                    return;
                }
                for c in &mut self.columns {
                    if c.running {
                        // Ended without its own Done: stopped before it got a turn.
                        c.running = false;
                        if c.stats.is_none() && c.error.is_none() && error.is_none() {
                            c.error = Some("stopped".into());
                        }
                    }
                }
                self.error = error.map(|e| crate::text::sanitize(&e));
            }
            CompareMsg::EvalProgress { run, progress } => {
                if run != self.run {
                    return;
                }
                if let Some(e) = &mut self.eval {
                    e.progress = Some(progress);
                }
            }
            CompareMsg::Note { .. } => {}
            CompareMsg::EvalDone { run, result } => {
                if run != self.run {
                    return;
                }
                if let Some(e) = &mut self.eval {
                    e.running = false;
                    match result {
                        Ok(r) => e.result = Some(r),
                        Err(err) => e.error = Some(crate::text::sanitize(&err)),
                    }
                }
            }
        }
    }
}
