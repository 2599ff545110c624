//! What `update` asks the outside world to do. The runtime executes effects; tests inspect them.
//! New kinds of background work (session autosave, template loading) are added here and in
//! `runtime::Runner::execute`.

use std::path::PathBuf;

use crate::engine::{EngineSettings, Prompt, Sampling};

use super::presets::Presets;
use super::templates::jobs::EditSource;
use super::templates::state::PreviewRequest;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start the engine thread (in-process, or the `--backend` server); `Action::EngineStarted`
    /// follows, and `update` then asks for the start-up model to be loaded.
    StartEngine,
    /// Replace the engine: the in-process one (`None`) or a model server's (a `[backends.NAME]`
    /// or a URL); once it is up, `App::startup_model` is loaded (the model picker's choice).
    SwitchEngine { backend: Option<String> },
    /// Load (switch to) a model; the old one stays if this fails.
    Load {
        path: PathBuf,
        settings: EngineSettings,
    },
    /// Stream a reply to `prompt` (chat turns through the model's template, or raw text to
    /// continue); events come back tagged `Tag::Gen(gen)`. Chat, template sends and every other
    /// reply the UI asks for go through this one effect, so autosave records each of them.
    Generate {
        gen: u64,
        prompt: Prompt,
        sampling: Sampling,
        /// Template and shots when the template browser built the prompt (for the record).
        setup: Option<Box<crate::session::PromptSetup>>,
    },
    /// Stop reply `gen`.
    Cancel { gen: u64 },
    /// Count the tokens of the typed text (`Tag::Count(hash)` comes back).
    CountInput { hash: u64, text: String },
    /// Look for models in the background (`Action::ModelsFound`).
    DiscoverModels { extra: Vec<PathBuf> },
    /// Put text on the clipboard through OSC 52.
    Copy(String),
    /// Write the user presets file (`Action::Saved`).
    SavePresets {
        presets: Presets,
        config_dir: PathBuf,
    },
    /// Load the template library from `dir` (`Action::TemplatesLoaded`).
    LoadTemplates { dir: PathBuf },
    /// The engine's part of a template preview (`Action::TemplatePreview`).
    TemplatePreview(Box<PreviewRequest>),
    /// Suspend the UI, edit a template file in `$EDITOR`, reload (`Action::TemplatesLoaded`).
    EditTemplate { source: EditSource, dir: PathBuf },
    /// Session file work, done in order on the session thread (`Action::Session`).
    Session(super::sessions::state::SessionOp),
    /// Start, step or cancel a replay on the engine (`Action::Replay`).
    Replay(super::replay::task::ReplayCtl),
    /// The compare view's background work (`compare::run::control`; `Action::Compare`).
    Compare(super::compare::job::CompareJob),
    /// Start or stop a download from Hugging Face (`Action::Pull`).
    Pull(super::pull_task::PullCtl),
}
