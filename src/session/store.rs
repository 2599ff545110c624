//! The sessions folder: one `<id>.json` per session. Listing, finding, opening (with migration
//! of older files after a `.bak` copy), saving atomically, renaming, searching and deleting.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::atomic::{copy_private, ensure_private_dir, write_atomic};
use super::error::SessionError;
use super::format::{Message, Run, Session, SessionKind, SCHEMA_VERSION};
use super::lock::{reconcile, Seen};
use super::migrate::{decode, Decoded};
use crate::text::{sanitize, sanitize::sanitize_line};

/// What a listing shows for a readable session.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub path: PathBuf,
    pub title: String,
    pub kind: SessionKind,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: usize,
    pub runs: usize,
}

impl Summary {
    pub fn of(path: &Path, s: &Session) -> Summary {
        Summary {
            id: s.id.clone(),
            path: path.to_path_buf(),
            title: s.display_title(),
            kind: s.kind,
            model: s.model_name(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            messages: s.messages.len(),
            runs: s.runs.len(),
        }
    }
}

/// One file of a listing: its summary, or why it cannot be read (the file is left untouched).
#[derive(Debug)]
pub struct Listed {
    pub path: PathBuf,
    pub id: String,
    pub entry: Result<Summary, SessionError>,
}

/// The sessions folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// The user's sessions folder (`howdah::paths::sessions_dir()`).
    pub fn user() -> Store {
        Store::new(crate::paths::sessions_dir())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Every `*.json` in the folder, newest first; unreadable files last, each with its error.
    /// A missing folder is an empty list. Nothing is written (older schemas are migrated in
    /// memory only).
    pub fn list(&self) -> Result<Vec<Listed>, SessionError> {
        let mut out = Vec::new();
        for path in self.files()? {
            let id = stem(&path);
            let entry = read_file(&path).map(|d| Summary::of(&path, &d.session));
            out.push(Listed { path, id, entry });
        }
        out.sort_by(|a, b| match (&a.entry, &b.entry) {
            (Ok(x), Ok(y)) => y.updated_at.cmp(&x.updated_at).then(b.id.cmp(&a.id)),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => a.id.cmp(&b.id),
        });
        Ok(out)
    }

    /// Readable sessions whose title, messages or runs contain `query` (case-insensitive).
    pub fn search(&self, query: &str) -> Result<Vec<Summary>, SessionError> {
        let mut hits = Vec::new();
        for path in self.files()? {
            if let Ok(d) = read_file(&path) {
                if d.session.matches(query) {
                    hits.push(Summary::of(&path, &d.session));
                }
            }
        }
        hits.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
        Ok(hits)
    }

    /// A session id (or a unique start of one), or a path to a session file.
    pub fn resolve(&self, spec: &str) -> Result<PathBuf, SessionError> {
        let as_path = PathBuf::from(spec);
        if as_path.is_file() {
            return Ok(as_path);
        }
        let exact = self.path_of(spec.trim_end_matches(".json"));
        if exact.is_file() {
            return Ok(exact);
        }
        let not_found = || SessionError::NotFound {
            spec: spec.to_string(),
            dir: self.dir.clone(),
        };
        if spec.is_empty() || spec.contains('/') || spec.contains(std::path::MAIN_SEPARATOR) {
            return Err(not_found());
        }
        let matches: Vec<PathBuf> = self
            .files()?
            .into_iter()
            .filter(|p| stem(p).starts_with(spec))
            .collect();
        match matches.len() {
            1 => Ok(matches.into_iter().next().unwrap_or_default()),
            0 => Err(not_found()),
            _ => Err(SessionError::Ambiguous {
                spec: spec.to_string(),
                matches: matches
                    .iter()
                    .map(|p| stem(p))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Opens a session by id or path (migrating an older file on disk, after a `.bak` copy).
    pub fn open(&self, spec: &str) -> Result<SessionFile, SessionError> {
        SessionFile::open(&self.resolve(spec)?)
    }

    /// Writes a new session into the folder and returns its handle.
    /// An existing file with the same id is never overwritten: the session gets a fresh id.
    pub fn create(&self, mut session: Session) -> Result<SessionFile, SessionError> {
        for _ in 0..8 {
            if !self.path_of(&session.id).exists() {
                break;
            }
            session.id = super::format::new_id(Utc::now());
        }
        let path = self.path_of(&session.id);
        if path.exists() {
            return Err(SessionError::io(
                &path,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a session with this id exists",
                ),
            ));
        }
        let mut f = SessionFile::new(path, session);
        f.save()?;
        Ok(f)
    }

    /// Starts and saves an empty session of `kind`.
    pub fn create_new(&self, kind: SessionKind) -> Result<SessionFile, SessionError> {
        self.create(Session::new(kind))
    }

    /// Sets (or with `None` clears, back to the first user line) a session's title.
    pub fn rename(&self, spec: &str, title: Option<&str>) -> Result<SessionFile, SessionError> {
        let mut f = self.open(spec)?;
        f.session.title = title.map(sanitize_line).filter(|t| !t.trim().is_empty());
        f.save()?;
        Ok(f)
    }

    /// Deletes a session file (a corrupt one too); returns the path removed.
    pub fn delete(&self, spec: &str) -> Result<PathBuf, SessionError> {
        let path = self.resolve(spec)?;
        fs::remove_file(&path).map_err(|e| SessionError::io(&path, e))?;
        Ok(path)
    }

    fn files(&self) -> Result<Vec<PathBuf>, SessionError> {
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SessionError::io(&self.dir, e)),
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // Temp files of interrupted saves start with a dot; backups end in .bak.
                !name.starts_with('.') && name.ends_with(".json") && p.is_file()
            })
            .collect();
        files.sort();
        Ok(files)
    }
}

/// Reads a session file without writing anything (older schemas migrated in memory).
pub fn read_file(path: &Path) -> Result<Decoded, SessionError> {
    let bytes = fs::read(path).map_err(|e| SessionError::io(path, e))?;
    decode(path, &bytes)
}

/// An open session and the file it lives in. Every change is saved before the call returns.
/// A clone is the same handle (it shares what the handle last read or wrote, which the next
/// save merges against: see `lock`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFile {
    pub path: PathBuf,
    pub session: Session,
    seen: Seen,
}

impl SessionFile {
    /// A handle on a session not read from `path`: a new one (its first save creates the
    /// file), or one built from that file's content as it is now.
    pub fn new(path: impl Into<PathBuf>, session: Session) -> SessionFile {
        SessionFile {
            path: path.into(),
            session,
            seen: Seen::default(),
        }
    }

    /// Opens a session file; an older schema is upgraded on disk after copying the original to
    /// `<file>.v<N>.bak`.
    pub fn open(path: &Path) -> Result<SessionFile, SessionError> {
        let d = read_file(path)?;
        let f = SessionFile::new(path, d.session);
        f.seen.read(path, &f.session);
        let mut f = f;
        if d.from_version < u64::from(SCHEMA_VERSION) {
            let mut bak = path.as_os_str().to_owned();
            bak.push(format!(".v{}.bak", d.from_version));
            let bak = PathBuf::from(bak);
            copy_private(path, &bak).map_err(|e| SessionError::io(&bak, e))?;
            let at = f.session.updated_at;
            f.write(at)?;
        }
        Ok(f)
    }

    /// Stamps `updated_at`, sanitizes every text and writes the file atomically.
    /// Another writer's changes since this handle last read or wrote the file are merged in
    /// (see `lock`).
    pub fn save(&mut self) -> Result<(), SessionError> {
        let seen_at = self.session.updated_at;
        self.session.updated_at = Utc::now();
        self.write(seen_at)
    }

    /// Appends a message and saves: the message is on disk when this returns.
    pub fn push(&mut self, message: Message) -> Result<(), SessionError> {
        self.session.messages.push(message);
        self.save()
    }

    /// Appends a comparison/evaluation run and saves.
    pub fn push_run(&mut self, run: Run) -> Result<(), SessionError> {
        self.session.runs.push(run);
        self.save()
    }

    fn write(&mut self, seen_at: DateTime<Utc>) -> Result<(), SessionError> {
        sanitize_session(&mut self.session);
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        ensure_private_dir(dir).map_err(|e| SessionError::io(dir, e))?;
        let _lock = super::lock::FolderLock::acquire(dir)?;
        let asked = self.session.clone();
        if let Some(merged) = reconcile(&self.path, &self.session, &self.seen, seen_at)? {
            self.session = merged;
        }
        let bytes = encode(&self.session);
        write_atomic(&self.path, &bytes).map_err(|e| SessionError::io(&self.path, e))?;
        self.seen.wrote(&self.path, &asked, &self.session);
        Ok(())
    }
}

/// The bytes of a session file (pretty JSON, trailing newline).
pub fn encode(session: &Session) -> Vec<u8> {
    // Serializing plain data with string keys cannot fail.
    let mut bytes = serde_json::to_vec_pretty(session).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Strips control and escape sequences from every text a session holds (idempotent).
pub fn sanitize_session(s: &mut Session) {
    s.title = s.title.as_deref().map(sanitize_line);
    for m in &mut s.messages {
        m.content = sanitize(&m.content);
    }
    for r in &mut s.runs {
        r.label = sanitize_line(&r.label);
        r.output = r.output.as_deref().map(sanitize);
    }
    s.model_hint = s.model_hint.as_deref().map(sanitize_line);
    s.imported_from = s.imported_from.as_deref().map(sanitize_line);
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
