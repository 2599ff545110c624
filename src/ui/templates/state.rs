//! The template browser's state: the loaded library, the picked row, one input field per
//! variable, shots/selection/seed/mode, and the preview (rendered at once in `update`; the exact
//! text after the chat template and the token counts come back later from the engine).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use ratatui_textarea::TextArea;

use crate::engine::ModelInfo;
use crate::prompt::{Library, Mode, Rendered, SectionTokens, Selection, Template, TemplateError};
use crate::ui::keymap::Ctx;
use crate::ui::text_input::new_input;

/// Which part of the browser takes keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TplFocus {
    List,
    Vars,
}

/// What only the engine can tell about a rendered prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Exact {
    /// The prompt exactly as the model reads it (chat template applied in chat mode).
    pub text: String,
    pub tokens: SectionTokens,
    /// The model the counts are for.
    pub model: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// No template picked (empty library, or a load error row).
    None,
    /// These settings cannot render; the text says why and what to do.
    Error(String),
    /// `similar` selection: the engine is choosing the examples.
    Choosing,
    Ready {
        rendered: Rendered,
        /// `None` while the engine works (or when no model is loaded); `Err` when it failed.
        exact: Option<Result<Exact, String>>,
    },
}

/// Work for the engine: render (when `rendered` is None: `similar` needs embeddings), then the
/// exact text and section token counts. Answered by `Action::TemplatePreview { id, .. }`.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewRequest {
    pub id: u64,
    pub template: Template,
    pub vars: BTreeMap<String, String>,
    pub shots: usize,
    pub selection: Selection,
    pub seed: u64,
    pub mode: Mode,
    pub rendered: Option<Rendered>,
}

/// What the comparison view needs to open on a template: the hook the browser hands over.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRequest {
    pub template: String,
    pub vars: BTreeMap<String, String>,
    pub shots: usize,
    pub selection: Selection,
    pub seed: u64,
    /// The layout the user chose in the browser; `None`: the model's own.
    pub mode: Option<Mode>,
}

/// The library after a (re)load, and what happened to the file that was edited, if any.
#[derive(Debug, Clone)]
pub struct Reloaded {
    pub lib: Library,
    /// The file opened in the editor.
    pub edited: Option<PathBuf>,
    /// The editor could not run (or the copy could not be made).
    pub error: Option<String>,
}

/// One row of the list: a template, or a file that failed to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateRow {
    Template(usize),
    Broken(usize),
}

pub struct Templates {
    /// `None` until the first load finishes.
    pub lib: Option<Library>,
    /// The user's prompts folder (`<config folder>/prompts`).
    pub dir: PathBuf,
    pub selected: usize,
    pub focus: TplFocus,
    /// One field per variable of the picked template, in pattern order.
    pub fields: Vec<(String, TextArea<'static>)>,
    /// The template the fields belong to.
    pub fields_for: Option<String>,
    pub field: usize,
    /// Values typed for each template, kept while browsing others.
    pub values: HashMap<String, BTreeMap<String, String>>,
    pub shots: usize,
    pub selection: Selection,
    pub seed: u64,
    /// Forced layout; `None` follows the model (chat when it has a chat template).
    pub mode: Option<Mode>,
    pub preview: Preview,
    /// Id of the latest preview request: older answers are dropped.
    pub preview_id: u64,
    /// A preview job is running; `queued` is the newest request waiting for it.
    pub in_flight: bool,
    pub queued: Option<PreviewRequest>,
    pub scroll: u16,
}

impl Templates {
    pub fn new(dir: PathBuf) -> Templates {
        Templates {
            lib: None,
            dir,
            selected: 0,
            focus: TplFocus::List,
            fields: Vec::new(),
            fields_for: None,
            field: 0,
            values: HashMap::new(),
            shots: 0,
            selection: Selection::First,
            seed: 0,
            mode: None,
            preview: Preview::None,
            preview_id: 0,
            in_flight: false,
            queued: None,
            scroll: 0,
        }
    }

    pub fn ctx(&self) -> Ctx {
        match self.focus {
            TplFocus::List => Ctx::Templates,
            TplFocus::Vars => Ctx::TemplateVars,
        }
    }

    /// Templates first, then the files that failed to load.
    pub fn rows(&self) -> Vec<TemplateRow> {
        let Some(lib) = &self.lib else {
            return Vec::new();
        };
        (0..lib.templates.len())
            .map(TemplateRow::Template)
            .chain((0..lib.errors.len()).map(TemplateRow::Broken))
            .collect()
    }

    pub fn row(&self) -> Option<TemplateRow> {
        self.rows().get(self.selected).copied()
    }

    pub fn template(&self) -> Option<&Template> {
        match self.row()? {
            TemplateRow::Template(i) => self.lib.as_ref()?.templates.get(i),
            TemplateRow::Broken(_) => None,
        }
    }

    pub fn broken(&self) -> Option<&TemplateError> {
        match self.row()? {
            TemplateRow::Broken(i) => self.lib.as_ref()?.errors.get(i),
            TemplateRow::Template(_) => None,
        }
    }

    /// The layout used now: forced, else the model's, else chat.
    pub fn mode(&self, model: Option<&ModelInfo>) -> Mode {
        self.mode
            .or_else(|| model.map(Mode::for_model))
            .unwrap_or(Mode::Chat)
    }

    /// The typed values, blank fields left out.
    pub fn filled(&self) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .map(|(n, t)| (n.clone(), t.lines().join("\n")))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect()
    }

    /// Variables still blank, in field order.
    pub fn missing(&self) -> Vec<String> {
        let filled = self.filled();
        self.fields
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !filled.contains_key(n))
            .collect()
    }

    /// The values with `{{name}}` standing in for blank ones, so the preview shows the shape of
    /// the prompt before everything is typed.
    pub fn preview_vars(&self) -> BTreeMap<String, String> {
        let mut vars = self.filled();
        for (n, _) in &self.fields {
            vars.entry(n.clone())
                .or_insert_with(|| format!("{{{{{n}}}}}"));
        }
        vars
    }

    /// Makes the fields, shots and selection those of the picked template. Values typed for it
    /// before come back; otherwise a variable of the same name keeps what was just typed (the
    /// same review text can be tried on `sentiment` and `sentiment-3way`).
    pub fn pick(&mut self) {
        let previous = self.remember();
        let Some(t) = self.template().cloned() else {
            self.fields.clear();
            self.fields_for = None;
            self.field = 0;
            self.focus = TplFocus::List;
            return;
        };
        let saved = self.values.get(&t.name).cloned().unwrap_or(previous);
        let fields: Vec<(String, TextArea<'static>)> = t
            .variable_names()
            .into_iter()
            .map(|n| {
                let lines = saved
                    .get(n)
                    .map(|v| v.lines().map(str::to_string).collect())
                    .unwrap_or_default();
                (n.to_string(), new_input(lines))
            })
            .collect();
        self.shots = t.shots.min(t.examples.len());
        self.selection = t.selection;
        self.fields_for = Some(t.name.clone());
        self.fields = fields;
        self.field = 0;
        self.scroll = 0;
        if self.fields.is_empty() {
            self.focus = TplFocus::List;
        }
    }

    /// Saves the fields' values under the template they belong to; returns them.
    pub fn remember(&mut self) -> BTreeMap<String, String> {
        let vals: BTreeMap<String, String> = self
            .fields
            .iter()
            .map(|(n, t)| (n.clone(), t.lines().join("\n")))
            .collect();
        if let Some(name) = &self.fields_for {
            self.values.insert(name.clone(), vals.clone());
        }
        vals
    }
}
