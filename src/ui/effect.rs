//! What `update` asks the outside world to do. The runtime executes effects; tests inspect them.
//! New kinds of background work (session autosave, template loading) are added here and in
//! `runtime::execute`.

use std::path::PathBuf;

use crate::engine::{ChatMessage, EngineSettings, Sampling};

use super::presets::Presets;
use super::template_jobs::EditSource;
use super::templates::{CompareRequest, PreviewRequest};

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start the engine thread, then load `model` if given.
    StartEngine {
        model: Option<PathBuf>,
        settings: EngineSettings,
    },
    /// Replace the engine: the in-process one (`None`) or a model server's (a `[backends.NAME]`
    /// or a URL); once it is up, `App::startup_model` is loaded (the model picker's choice).
    SwitchEngine { backend: Option<String> },
    /// Load (switch to) a model; the old one stays if this fails.
    Load {
        path: PathBuf,
        settings: EngineSettings,
    },
    /// Stream a chat reply; events come back tagged `Tag::Gen(gen)`.
    Generate {
        gen: u64,
        messages: Vec<ChatMessage>,
        sampling: Sampling,
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
    /// Stream a raw completion (a base-model prompt); events come back tagged `Tag::Gen(gen)`.
    Complete {
        gen: u64,
        prompt: String,
        sampling: Sampling,
    },
    /// Open the comparison view on a template. The hook for the compare screen: no key sends it
    /// until that screen exists.
    OpenCompare(CompareRequest),
    /// Session file work, done in order on the session thread (`Action::Session`).
    Session(super::sessions::SessionOp),
    /// Start, step or cancel a replay on the engine (`Action::Replay`).
    Replay(super::replay_task::ReplayCtl),
    /// The compare view's background work (`compare_run::execute`).
    Compare(super::compare::CompareJob),
    /// Start or stop a download from Hugging Face (`Action::Pull`).
    Pull(super::pull_task::PullCtl),
}
