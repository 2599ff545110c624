//! The UI's session state: which conversation is saved in which session file (autosave), the
//! session browser's list and search, and the open replay view (`replay::state`); plus the
//! operations the runtime runs for them off the UI thread (`SessionOp`) and what comes back
//! (`SessionEvent`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::engine::Sampling;
use crate::session::{ModelRef, ReplyRecord, SessionFile, Store, Summary};

/// How many recent chat sessions come back as conversations at start.
pub const RESTORE: usize = 8;

/// What a running reply was sent with, kept until its `Done` to build the reply record.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub conv: u64,
    pub prompt: crate::engine::Prompt,
    pub sampling: Sampling,
    /// Template and shots when the template browser built the prompt.
    pub setup: Option<Box<crate::session::PromptSetup>>,
}

/// One line of the browser: a readable session's summary, or why the file cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub path: PathBuf,
    pub entry: Result<Summary, String>,
}

/// What the session browser shows and where its cursor is.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    /// `None` while the folder is being read.
    pub rows: Option<Vec<SessionRow>>,
    pub selected: usize,
    /// The search text; typing goes there while `searching`.
    pub query: String,
    pub searching: bool,
    /// Ids of sessions matching `query` (full text), once the search has run.
    pub hits: Option<Vec<String>>,
    /// The session a rename, export or delete question is about.
    pub target: Option<SessionRow>,
    /// Which kinds of session are listed.
    pub filter: KindFilter,
}

/// Which kinds of session the browser lists: chats and runs (compare, eval, arena) are told
/// apart by the session's kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KindFilter {
    #[default]
    All,
    Chats,
    Runs,
}

impl KindFilter {
    /// The next filter of the browser's key: all → chats → runs → all.
    pub fn next(self) -> KindFilter {
        match self {
            KindFilter::All => KindFilter::Chats,
            KindFilter::Chats => KindFilter::Runs,
            KindFilter::Runs => KindFilter::All,
        }
    }

    /// What the browser's header says while the filter hides some sessions.
    pub fn label(self) -> Option<&'static str> {
        match self {
            KindFilter::All => None,
            KindFilter::Chats => Some("chats only"),
            KindFilter::Runs => Some("compare/eval runs only"),
        }
    }

    /// Whether `row` is listed (an unreadable file only when nothing is filtered out).
    pub fn admits(self, row: &SessionRow) -> bool {
        let chat = match &row.entry {
            Ok(s) => Some(s.kind == crate::session::SessionKind::Chat),
            Err(_) => None,
        };
        match self {
            KindFilter::All => true,
            KindFilter::Chats => chat == Some(true),
            KindFilter::Runs => chat == Some(false),
        }
    }
}

impl Browser {
    /// The rows shown: all of them, or those the search found (broken files never match).
    pub fn visible(&self) -> Vec<&SessionRow> {
        let Some(rows) = &self.rows else {
            return Vec::new();
        };
        let kind = |r: &&SessionRow| self.filter.admits(r);
        match (&self.hits, self.query.trim().is_empty()) {
            (Some(hits), false) => rows
                .iter()
                .filter(|r| hits.contains(&r.id))
                .filter(kind)
                .collect(),
            _ => rows.iter().filter(kind).collect(),
        }
    }

    pub fn current(&self) -> Option<SessionRow> {
        self.visible().get(self.selected).map(|r| (*r).clone())
    }
}

/// Everything the UI keeps about sessions.
#[derive(Debug, Clone)]
pub struct Sessions {
    pub store: Store,
    /// The loaded model's reference (hashed once per load, off the UI thread).
    pub model_ref: Option<ModelRef>,
    /// The session of each conversation (by conversation id), as last saved.
    pub links: HashMap<u64, SessionFile>,
    /// Running replies by generation number.
    pub sent: HashMap<u64, Sent>,
    /// A finished reply's record, until autosave writes the message: conv id → (message index,
    /// record).
    pub records: HashMap<u64, (usize, ReplyRecord)>,
    /// What a regeneration or an edit took out of a session, until what replaces it is saved
    /// beside it as the newer version: conv id → (session message index, versions).
    pub pending: HashMap<u64, (usize, crate::session::alternatives::Versions)>,
    pub browser: Browser,
    /// The replay view, while it is open.
    pub replay: Option<crate::ui::replay::state::ReplayView>,
    pub next_replay: u64,
    /// What an `Open` brings the session in for.
    pub open_for_replay: bool,
}

impl Sessions {
    pub fn new(store: Store) -> Sessions {
        Sessions {
            store,
            model_ref: None,
            links: HashMap::new(),
            sent: HashMap::new(),
            records: HashMap::new(),
            pending: HashMap::new(),
            browser: Browser::default(),
            replay: None,
            next_replay: 1,
            open_for_replay: false,
        }
    }

    /// The conversation that has the session file at `path` open, if any.
    pub fn conv_of(&self, path: &std::path::Path) -> Option<u64> {
        self.links
            .iter()
            .find(|(_, f)| f.path == path)
            .map(|(id, _)| *id)
    }
}

/// File work the runtime does on its session thread, in order (so saves never overtake each
/// other).
#[derive(Debug, Clone, PartialEq)]
pub enum SessionOp {
    /// Write the whole session atomically.
    Save(Box<SessionFile>),
    Delete(PathBuf),
    /// Read the folder for the browser; with `restore`, also open the most recent chats.
    List {
        restore: bool,
    },
    Search(String),
    Rename {
        path: PathBuf,
        title: Option<String>,
    },
    Open {
        path: PathBuf,
        replay: bool,
    },
    Export {
        path: PathBuf,
        format: crate::session::ExportFormat,
        dest: PathBuf,
    },
    /// Hash the loaded model file for reply records (cached by the session module).
    HashModel(Box<crate::engine::ModelInfo>),
}

/// Results of `SessionOp`s.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    Listed {
        rows: Vec<SessionRow>,
        /// With `List { restore: true }`: the most recent chat sessions, newest first.
        restore: Option<Vec<SessionFile>>,
    },
    Found {
        query: String,
        ids: Vec<String>,
    },
    Opened {
        file: Result<Box<SessionFile>, String>,
        replay: bool,
    },
    Renamed(Result<Box<SessionFile>, String>),
    Deleted(Result<PathBuf, String>),
    Exported(Result<PathBuf, String>),
    ModelRef(Box<ModelRef>),
    /// A save failed: the message names the file and why.
    Failed(String),
}
