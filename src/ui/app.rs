//! The whole UI state: the shared environment (`Env`), one state per screen (`ChatState`,
//! `Templates`, `Sessions` with the replay view, `CompareState`), the open dialogs and the
//! engine as the UI sees it. `update` changes it, the views only read it.

use std::cell::Cell;
use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::chat::conversation::Conversation;
use super::chat::state::{ChatState, Focus};
use super::keymap::bindings::Keymap;
use super::keymap::Ctx;
use super::presets::Presets;
use super::settings::SettingsForm;
use super::templates::state::Templates;
use super::text_input::new_input;
use super::theme::Theme;
use crate::config::Config;
use crate::engine::{EngineSettings, ModelInfo};
use crate::model::discover::Found;

/// Which full-screen view is shown; what each one does with keys and how it draws is its
/// `screen::ScreenHandler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Chat,
    /// The prompt template browser (`templates::state::Templates`).
    Templates,
    /// The saved sessions (`sessions::view`).
    Sessions,
    /// A session replayed beside its recording (`replay::view`).
    Replay,
    /// Prompt variants side by side (`App::compare`).
    Compare,
}

/// What a confirmation dialog confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Quit,
    DeleteChat(u64),
    ClearChat(u64),
    /// The browser's `sessions.browser.target`.
    DeleteSession,
    /// Stop the running model download.
    CancelPull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditTarget {
    SystemPrompt,
    Grammar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    RenameChat(u64),
    PresetName,
    /// Title of the browser's `sessions.browser.target`.
    SessionTitle,
    /// Where to export the browser's `sessions.browser.target`.
    SessionExport(crate::session::ExportFormat),
    /// `OWNER/NAME[:QUANT]` to pull from Hugging Face.
    PullModel,
    /// A file for the compare view: data to evaluate on, or where its predictions go.
    ComparePath(super::compare::state::PathFor),
}

/// The model picker's state; `models` is None while discovery runs.
#[derive(Debug, Clone)]
pub struct ModelPicker {
    pub models: Option<Vec<Found>>,
    pub selected: usize,
}

/// Dialogs over the current screen; the last one open takes keys.
#[derive(Debug, Clone)]
pub enum Modal {
    Help {
        ctx: Option<Ctx>,
        scroll: u16,
        /// Show the action names `config.toml` rebinds by, instead of the descriptions.
        names: bool,
    },
    Settings(SettingsForm),
    Models(ModelPicker),
    Editor {
        target: EditTarget,
        text: TextArea<'static>,
    },
    Ask {
        ask: Ask,
        text: TextArea<'static>,
        error: Option<String>,
    },
    Confirm {
        what: Confirm,
        question: String,
    },
    /// One of the compare view's dialogs (template picker, prompt, variant editor).
    Compare(super::compare::state::CompareModal),
}

impl Modal {
    pub fn ctx(&self) -> Ctx {
        match self {
            Modal::Help { .. } => Ctx::Help,
            Modal::Settings(_) => Ctx::Settings,
            Modal::Models(_) => Ctx::Models,
            Modal::Editor { .. } => Ctx::Editor,
            Modal::Ask { .. } => Ctx::Prompt,
            Modal::Confirm { .. } => Ctx::Confirm,
            Modal::Compare(m) => m.ctx(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EngineState {
    /// The engine thread is starting.
    Starting,
    Loading {
        name: String,
        progress: f32,
    },
    Ready,
    Generating,
    /// No model is usable; the text says why and what to do.
    NoModel(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

/// Where the app came from: the settings it started with.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    pub config_text: String,
    pub config_dir: PathBuf,
    pub warnings: Vec<String>,
    pub engine: EngineSettings,
    pub models_dirs: Vec<PathBuf>,
    /// The model to load at start, or why there is none.
    pub model: Result<PathBuf, String>,
}

/// What every screen shares: the look, the keys, the presets and the settings the app started
/// with. `App` reads as these (`app.theme`, `app.keymap`) through `Deref`, so each screen's
/// code names them the same way.
pub struct Env {
    pub theme: Theme,
    /// Changes with the theme so cached message rows are redrawn.
    pub theme_id: u64,
    /// The themes `alt+t` cycles through (read at start).
    pub themes: Vec<Theme>,
    pub keymap: Keymap,
    pub presets: Presets,
    pub config: Config,
    pub config_dir: PathBuf,
    pub engine_settings: EngineSettings,
    pub models_dirs: Vec<PathBuf>,
}

/// The whole UI: the shared environment, one state per screen, the dialogs over them, and the
/// engine as the UI sees it.
pub struct App {
    pub env: Env,
    pub screen: Screen,
    pub modals: Vec<Modal>,
    pub notices: Vec<Notice>,
    pub quit: bool,
    pub engine: EngineState,
    pub model: Option<ModelInfo>,
    pub startup_model: Option<PathBuf>,
    pub chat: ChatState,
    pub templates: Templates,
    /// Autosave links, the session browser and the replay view.
    pub sessions: super::sessions::state::Sessions,
    /// The compare view's state, kept while the chat is shown so returning resumes it.
    pub compare: Option<super::compare::state::CompareState>,
    /// A model download from Hugging Face (the picker's "pull" row).
    pub pull: super::pull_task::PullState,
}

impl std::ops::Deref for App {
    type Target = Env;
    fn deref(&self) -> &Env {
        &self.env
    }
}

impl std::ops::DerefMut for App {
    fn deref_mut(&mut self) -> &mut Env {
        &mut self.env
    }
}

impl App {
    pub fn new(setup: Setup) -> App {
        let mut warnings = setup.warnings;
        let (theme, w) = Theme::load(&setup.config.theme, &setup.config_dir);
        warnings.extend(w);
        let (keymap, w) = Keymap::new(&setup.config.keys, &setup.config_text);
        warnings.extend(w);
        let (presets, w) = Presets::load(&setup.config_dir);
        warnings.extend(w);
        if presets.get(&setup.config.preset).is_none() {
            warnings.push(format!(
                "config: preset '{}' does not exist (known: {}); using balanced",
                setup.config.preset,
                presets.names().join(", ")
            ));
        }
        let mut notices: Vec<Notice> = warnings
            .into_iter()
            .map(|text| Notice {
                level: Level::Warn,
                text,
            })
            .collect();
        let (engine, startup_model) = match setup.model {
            Ok(p) => (EngineState::Starting, Some(p)),
            Err(e) => {
                notices.push(Notice {
                    level: Level::Error,
                    text: e.clone(),
                });
                (EngineState::NoModel(e), None)
            }
        };
        let templates = Templates::new(setup.config_dir.join("prompts"));
        let chat = ChatState {
            focus: Focus::Input,
            convs: Vec::new(),
            current: 0,
            next_conv_id: 1,
            input: new_input(Vec::new()),
            input_size: Default::default(),
            editing: None,
            history: Vec::new(),
            history_pos: None,
            generation: None,
            next_gen: 1,
            last_stats: None,
            token_view: setup.config.token_view,
            show_sidebar: setup.config.sidebar,
            viewport: Cell::new(Rect::default()),
        };
        let env = Env {
            themes: super::theme::available(&theme, &setup.config_dir),
            theme,
            theme_id: 0,
            keymap,
            presets,
            config: setup.config,
            config_dir: setup.config_dir,
            engine_settings: setup.engine,
            models_dirs: setup.models_dirs,
        };
        let mut app = App {
            env,
            screen: Screen::Chat,
            modals: Vec::new(),
            notices,
            quit: false,
            engine,
            model: None,
            startup_model,
            chat,
            templates,
            sessions: super::sessions::state::Sessions::new(crate::session::Store::user()),
            compare: None,
            pull: Default::default(),
        };
        app.add_conversation();
        app
    }

    /// A new empty conversation with the configured system prompt and preset; returns its index.
    pub fn add_conversation(&mut self) -> usize {
        let id = self.chat.next_conv_id;
        self.chat.next_conv_id += 1;
        let preset = if self.presets.get(&self.config.preset).is_some() {
            self.config.preset.clone()
        } else {
            "balanced".into()
        };
        let sampling = self.presets.get(&preset).unwrap_or_default();
        let conv = Conversation::new(id, &self.config.system_prompt, sampling, &preset);
        self.chat.convs.push(conv);
        self.chat.convs.len() - 1
    }

    pub fn conv(&self) -> &Conversation {
        self.chat.conv()
    }

    pub fn conv_mut(&mut self) -> &mut Conversation {
        self.chat.conv_mut()
    }

    pub fn conv_index(&self, id: u64) -> Option<usize> {
        self.chat.convs.iter().position(|c| c.id == id)
    }

    pub fn generating(&self) -> bool {
        self.chat.generation.is_some()
    }

    pub fn input_text(&self) -> String {
        self.chat.input.lines().join("\n")
    }

    pub fn input_empty(&self) -> bool {
        self.chat.input.lines().iter().all(|l| l.is_empty())
    }

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        let text = crate::text::sanitize(&text.into());
        self.notices.retain(|n| n.text != text);
        self.notices.push(Notice { level, text });
        if self.notices.len() > 20 {
            // The oldest info note goes first: a warning waits on show until it is dismissed,
            // however many notes (finished runs, "copied") pile up under it.
            let i = self
                .notices
                .iter()
                .position(|n| n.level == Level::Info)
                .unwrap_or(0);
            self.notices.remove(i);
        }
    }

    /// The notice on show: the newest of the most severe level, so a warning or error stays in
    /// sight until it is dismissed even when an info note ("threads: 2 → 1", "copied") comes
    /// after it; info notes go at the next key anyway.
    pub fn shown_notice(&self) -> Option<&Notice> {
        self.shown_notice_index().map(|i| &self.notices[i])
    }

    fn shown_notice_index(&self) -> Option<usize> {
        let top = self.notices.iter().map(|n| n.level).max()?;
        self.notices.iter().rposition(|n| n.level == top)
    }

    /// Dismisses the notice on show (esc), revealing the next one.
    pub fn dismiss_notice(&mut self) {
        if let Some(i) = self.shown_notice_index() {
            self.notices.remove(i);
        }
    }

    pub fn model_name(&self) -> String {
        self.model
            .as_ref()
            .map(super::model_label::of)
            .unwrap_or_else(|| "no model".into())
    }
}
