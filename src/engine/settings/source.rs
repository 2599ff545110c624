//! Where a setting came from, so an error names it the way the user wrote it: `--threads 100000`,
//! `session 20250101-abc: engine.n_batch = 1`, `presets.toml line 4: top_p`.

use std::fmt;
use std::path::PathBuf;

/// The origin of the settings being checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Command-line flags.
    Flags,
    /// A saved session (its id), e.g. on replay or import.
    Session(String),
    /// A settings file, and the line the key is on when known.
    File { path: PathBuf, line: Option<usize> },
    /// The TUI's settings panel.
    Panel,
    /// The engine's own last check (whoever asked did not check first).
    Engine,
}

/// Which setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Threads,
    NCtx,
    NBatch,
    /// A sampling field; the problem text names it.
    Sampling,
}

impl Key {
    /// The flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Key::Threads => "--threads",
            Key::NCtx => "--ctx-size",
            Key::NBatch => "--batch-size",
            Key::Sampling => "sampling",
        }
    }
    /// The field of `EngineSettings` (as saved in sessions under `engine.`).
    pub fn field(self) -> &'static str {
        match self {
            Key::Threads => "threads",
            Key::NCtx => "n_ctx",
            Key::NBatch => "n_batch",
            Key::Sampling => "sampling",
        }
    }
}

impl Source {
    /// How this source spells `key = value`.
    pub fn name(&self, key: Key, value: &str) -> String {
        match self {
            Source::Flags => format!("{} {value}", key.flag()),
            Source::Session(id) => format!("session {id}: engine.{} = {value}", key.field()),
            Source::File { path, line } => {
                let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
                format!("{}{at}: {} = {value}", path.display(), key.field())
            }
            Source::Panel => format!("{} = {value}", key.field()),
            Source::Engine => format!("engine.{} = {value}", key.field()),
        }
    }

    /// The prefix for a sampling problem (whose text names the field itself).
    fn sampling_prefix(&self) -> String {
        match self {
            Source::Flags => String::new(),
            Source::Session(id) => format!("session {id}: sampling: "),
            Source::File { path, line } => {
                let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
                format!("{}{at}: ", path.display())
            }
            Source::Panel | Source::Engine => "sampling: ".into(),
        }
    }
}

/// A setting refused, with its source, the value and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingError {
    pub source: Source,
    pub key: Key,
    pub value: String,
    pub problem: String,
}

impl SettingError {
    /// The same problem, told as coming from another source.
    pub fn from_source(mut self, source: Source) -> SettingError {
        self.source = source;
        self
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key == Key::Sampling {
            return write!(f, "{}{}", self.source.sampling_prefix(), self.problem);
        }
        let problem = &self.problem;
        // "is below 16" reads on from the name; a sentence gets a colon.
        let sep = if problem.starts_with("is ") {
            " "
        } else {
            ": "
        };
        write!(
            f,
            "{}{sep}{problem}",
            self.source.name(self.key, &self.value)
        )
    }
}

impl std::error::Error for SettingError {}
