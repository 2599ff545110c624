//! Everything that can happen to the UI, as one type: terminal input, engine events (tagged with
//! the request they answer), results of background work, and signals.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::engine::EventKind;
use crate::model::discover::Found;
use crate::prompt::Rendered;

use super::templates::state::{Exact, Reloaded};

/// Which request an engine event answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Load,
    /// A reply, by the UI's own generation number.
    Gen(u64),
    /// The token count of the typed text with this hash.
    Count(u64),
}

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The engine thread started (or could not).
    EngineStarted(Result<(), String>),
    Engine {
        tag: Tag,
        kind: EventKind,
    },
    ModelsFound(Vec<Found>),
    /// A file write finished; the error says which file and why.
    Saved(Result<String, String>),
    /// The template library was (re)loaded, after an edit or not.
    TemplatesLoaded(Box<Reloaded>),
    /// The engine's part of template preview `id`.
    TemplatePreview {
        id: u64,
        result: Result<Box<(Rendered, Exact)>, String>,
    },
    /// A session file operation finished (`Effect::Session`).
    Session(super::sessions::state::SessionEvent),
    /// Progress of a replay (`Effect::Replay`).
    Replay(super::replay::task::ReplayEvent),
    /// Progress and results of the compare view's background work.
    Compare(super::compare::job::CompareMsg),
    /// Progress and outcome of a model download (`Effect::Pull`).
    Pull(super::pull_task::PullEvent),
    /// SIGTERM or SIGHUP: leave now, restoring the terminal.
    Terminate,
    /// SIGINT from outside (in raw mode ctrl+c arrives as a key instead).
    Interrupt,
}
