//! Concurrent writers of one session file (a `session rename` while `run --session` generates,
//! two howdah windows): every save takes an advisory lock (flock on the sessions folder) and,
//! when the file changed since this handle last read or wrote it, merges the two versions
//! field by field against that version; what both changed differently fails with a clear
//! message. Nothing is silently lost.
//!
//! The version a handle last saw is named by its `updated_at` (every save stamps a new one), so
//! several handles on one file in one process each merge against their own version.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::SessionError;
use super::format::Session;

/// Versions remembered per file (a long chat saves often; older handles are rare).
const KEEP_VERSIONS: usize = 32;

/// Holds the sessions folder's advisory lock until dropped.
pub struct FolderLock {
    _dir: File,
}

impl FolderLock {
    /// Blocks until no other howdah is saving into `dir` (saves take milliseconds).
    pub fn acquire(dir: &Path) -> Result<FolderLock, SessionError> {
        let f = File::open(dir).map_err(|e| SessionError::io(dir, e))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            loop {
                // SAFETY: flock on a descriptor this function owns; released when `f` closes.
                let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
                if r == 0 {
                    break;
                }
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(SessionError::io(dir, e));
                }
            }
        }
        Ok(FolderLock { _dir: f })
    }
}

/// A version of a session as hashes of its top-level fields (arrays also by length), enough
/// to tell which side changed what.
#[derive(Debug, Clone)]
struct Version {
    fields: BTreeMap<String, (u64, Option<usize>)>,
    /// The file's size and modification time then: when they are unchanged the file is not
    /// read again (sessions can be large).
    stamp: Option<Stamp>,
}

/// Size, modification time and inode (every save is a new file, renamed into place).
type Stamp = (u64, std::time::SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((m.len(), m.modified().ok()?, ino))
}

type Versions = HashMap<PathBuf, Vec<(DateTime<Utc>, Version)>>;

fn versions() -> &'static Mutex<Versions> {
    static V: std::sync::OnceLock<Mutex<Versions>> = std::sync::OnceLock::new();
    V.get_or_init(|| Mutex::new(HashMap::new()))
}

fn hash_json<T: serde::Serialize + ?Sized>(v: &T) -> u64 {
    let mut h = DefaultHasher::new();
    serde_json::to_vec(v).unwrap_or_default().hash(&mut h);
    h.finish()
}

fn as_map(s: &Session) -> Map<String, Value> {
    match serde_json::to_value(s) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn version_of(m: &Map<String, Value>) -> Version {
    Version {
        fields: m
            .iter()
            .map(|(k, v)| (k.clone(), (hash_json(v), v.as_array().map(Vec::len))))
            .collect(),
        stamp: None,
    }
}

/// Records `s` as the version of `path` this process has (just read or written).
pub fn remember(path: &Path, s: &Session) {
    let mut v = version_of(&as_map(s));
    v.stamp = stamp(path);
    let mut all = versions().lock().unwrap_or_else(|e| e.into_inner());
    let list = all.entry(path.to_path_buf()).or_default();
    list.retain(|(at, _)| *at != s.updated_at);
    list.push((s.updated_at, v));
    if list.len() > KEEP_VERSIONS {
        list.remove(0);
    }
}

/// Under the folder lock, before writing `ours` (whose handle last saw version `seen`): None
/// to write `ours` as it is (the file is as that handle left it), a merge when another writer
/// changed it, an error when both changed the same thing differently.
pub fn reconcile(
    path: &Path,
    ours: &Session,
    seen: Option<DateTime<Utc>>,
) -> Result<Option<Session>, SessionError> {
    let Some(seen) = seen else {
        return Ok(None);
    };
    let base = {
        let all = versions().lock().unwrap_or_else(|e| e.into_inner());
        // The version the handle saw; a handle whose session was replaced wholesale (the TUI's
        // autosave rebuilds it from the conversation) has a `seen` this process never wrote, and
        // then the last version this process read or wrote of the file is the base.
        all.get(path)
            .and_then(|l| l.iter().find(|(at, _)| *at == seen).or_else(|| l.last()))
            .map(|(_, v)| v.clone())
    };
    if base
        .as_ref()
        .is_some_and(|b| b.stamp.is_some() && b.stamp == stamp(path))
    {
        return Ok(None);
    }
    let Ok(disk) = super::store::read_file(path).map(|d| d.session) else {
        // Gone (deleted: writing brings it back) or unreadable (left to the normal error).
        return Ok(None);
    };
    if disk.updated_at == seen {
        return Ok(None);
    }
    // The file holds exactly the version this process last saw (only its stamp moved, e.g. a
    // copy or a touch): nobody else changed anything, so ours is written as it is.
    if let Some(b) = &base {
        let same = |k: &String| k.as_str() != "updated_at";
        let on_disk = version_of(&as_map(&disk));
        let a: Vec<_> = b.fields.iter().filter(|(k, _)| same(k)).collect();
        let d: Vec<_> = on_disk.fields.iter().filter(|(k, _)| same(k)).collect();
        if a == d {
            return Ok(None);
        }
    }
    let Some(base) = base else {
        return Err(conflict(path, "the file was changed by another program"));
    };
    let mine = as_map(ours);
    let theirs = as_map(&disk);
    let mut merged = Map::new();
    let keys: std::collections::BTreeSet<&String> = mine.keys().chain(theirs.keys()).collect();
    for key in keys {
        let (o, d) = (mine.get(key), theirs.get(key));
        let pick = if key == "updated_at" {
            o.cloned()
        } else {
            merge_field(base.fields.get(key.as_str()), o, d)
                .ok_or_else(|| conflict(path, &format!("both changed {key}")))?
        };
        if let Some(v) = pick {
            merged.insert(key.clone(), v);
        }
    }
    serde_json::from_value(Value::Object(merged))
        .map(Some)
        .map_err(|e| conflict(path, &format!("the merged session is invalid ({e})")))
}

/// One field's merge: Some(value or absent), or None for a conflict.
fn merge_field(
    base: Option<&(u64, Option<usize>)>,
    ours: Option<&Value>,
    disk: Option<&Value>,
) -> Option<Option<Value>> {
    let h = |v: Option<&Value>| v.map(hash_json);
    let base_hash = base.map(|b| b.0);
    if h(ours) == base_hash || h(ours) == h(disk) {
        return Some(disk.cloned());
    }
    if h(disk) == base_hash {
        return Some(ours.cloned());
    }
    // Both appended to a list (messages, runs): theirs, then ours.
    let n = base?.1?;
    let (o, d) = (ours?.as_array()?, disk?.as_array()?);
    let same_start = |a: &[Value]| a.len() >= n && Some(hash_json(&a[..n])) == base_hash;
    if same_start(o) && same_start(d) {
        let mut all = d.clone();
        all.extend_from_slice(&o[n..]);
        return Some(Some(Value::Array(all)));
    }
    None
}

fn conflict(path: &Path, why: &str) -> SessionError {
    SessionError::io(
        path,
        std::io::Error::other(format!(
            "not saved: {why} since this session was opened, and the changes cannot be merged; \
             open it again (`howdah session show`) and redo the change"
        )),
    )
}
