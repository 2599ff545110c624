//! Concurrent writers of one session file (a `session rename` while `run --session` generates,
//! two howdah windows): every save takes an advisory lock (flock on the sessions folder) and,
//! when the file changed since this handle last read or wrote it, merges the two versions
//! field by field against that version; what both changed differently fails with a clear
//! message. Nothing is silently lost, and nothing is written twice.
//!
//! The version a handle last saw travels with the handle (`Seen`, shared by its clones: the
//! TUI saves clones of one handle on its session thread while keeping its own copy). After a
//! merge the handle remembers both what it asked to write and what was written, so an owner
//! that kept its own copy (the TUI) and one that took the merged session (`run --session`) are
//! both recognised on their next save.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::SessionError;
use super::format::Session;

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

/// One field as a hash of its JSON (`None`: absent) and, for arrays, their length.
type FieldHash = (Option<u64>, Option<usize>);

/// The version of its file a handle last read or wrote.
#[derive(Debug, Clone)]
struct Base {
    /// Per top-level field, the values the handle's owner may still hold: what was written,
    /// and after a merge also what the owner asked to write.
    fields: BTreeMap<String, Vec<FieldHash>>,
    /// The file's size, modification time and inode then: while they are unchanged and no merge
    /// happened, the file is not read again (sessions can be large).
    stamp: Option<Stamp>,
    merged: bool,
}

impl Base {
    fn candidates(&self, key: &str) -> &[FieldHash] {
        const ABSENT: &[FieldHash] = &[(None, None)];
        self.fields.get(key).map_or(ABSENT, Vec::as_slice)
    }
}

/// What a session handle last saw of its file; clones of a handle share it. Not part of a
/// handle's value (two handles on equal sessions compare equal whatever they saw).
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Option<Base>>>);

impl PartialEq for Seen {
    fn eq(&self, _: &Seen) -> bool {
        true
    }
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seen")
    }
}

impl Seen {
    fn get(&self) -> Option<Base> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, b: Base) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(b);
    }

    /// Records `s` as just read from `path`.
    pub fn read(&self, path: &Path, s: &Session) {
        self.set(base_of(&[s], stamp(path), false));
    }

    /// Records that `written` is now in `path`, saved for an owner that asked for `asked`.
    pub fn wrote(&self, path: &Path, asked: &Session, written: &Session) {
        let merged = asked != written;
        let versions: &[&Session] = if merged {
            &[asked, written]
        } else {
            &[written]
        };
        self.set(base_of(versions, stamp(path), merged));
    }
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

fn field_hash(v: Option<&Value>) -> FieldHash {
    (v.map(hash_json), v.and_then(Value::as_array).map(Vec::len))
}

fn base_of(versions: &[&Session], stamp: Option<Stamp>, merged: bool) -> Base {
    let maps: Vec<_> = versions.iter().map(|s| as_map(s)).collect();
    let keys: BTreeSet<&String> = maps.iter().flat_map(|m| m.keys()).collect();
    let mut fields = BTreeMap::new();
    for key in keys {
        let mut c: Vec<FieldHash> = Vec::new();
        for m in &maps {
            let h = field_hash(m.get(key));
            if !c.contains(&h) {
                c.push(h);
            }
        }
        fields.insert(key.clone(), c);
    }
    Base {
        fields,
        stamp,
        merged,
    }
}

/// Under the folder lock, before writing `ours` (a handle that saw `seen`; `seen_at` is the
/// `updated_at` it held before this save): None to write `ours` as it is (the file is as that
/// handle left it), a merge when another writer changed it, an error when both changed the
/// same thing differently.
pub fn reconcile(
    path: &Path,
    ours: &Session,
    seen: &Seen,
    seen_at: DateTime<Utc>,
) -> Result<Option<Session>, SessionError> {
    let base = seen.get();
    if let Some(b) = &base {
        if !b.merged && b.stamp.is_some() && b.stamp == stamp(path) {
            return Ok(None);
        }
    }
    let Ok(disk) = super::store::read_file(path).map(|d| d.session) else {
        // Gone (deleted: writing brings it back) or unreadable (left to the normal error).
        return Ok(None);
    };
    let base = match base {
        Some(b) => b,
        // A handle built by hand from this very file (same stamp): that file is its base.
        None if disk.updated_at == seen_at => base_of(&[&disk], None, false),
        None => return Err(conflict(path, "the file was changed by another program")),
    };
    let mine = as_map(ours);
    let theirs = as_map(&disk);
    let mut merged = Map::new();
    let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).collect();
    for key in keys {
        let (o, d) = (mine.get(key), theirs.get(key));
        let pick = if key == "updated_at" {
            o.cloned()
        } else {
            merge_field(base.candidates(key), o, d)
                .ok_or_else(|| conflict(path, &format!("both changed {key}")))?
        };
        if let Some(v) = pick {
            merged.insert(key.clone(), v);
        }
    }
    let merged: Session = serde_json::from_value(Value::Object(merged))
        .map_err(|e| conflict(path, &format!("the merged session is invalid ({e})")))?;
    Ok((merged != *ours).then_some(merged))
}

/// One field's merge against the values the handle may hold (`base`): Some(value or absent),
/// or None for a conflict.
fn merge_field(
    base: &[FieldHash],
    ours: Option<&Value>,
    disk: Option<&Value>,
) -> Option<Option<Value>> {
    let (ho, hd) = (field_hash(ours).0, field_hash(disk).0);
    let known = |h: Option<u64>| base.iter().any(|b| b.0 == h);
    if ho == hd || known(ho) {
        // Ours is a version the file already moved on from (or the same): theirs stands.
        return Some(disk.cloned());
    }
    // Ours changed. A list that extends a version the handle held keeps the file's version
    // and adds our new items (both appended: theirs, then ours).
    let grown = ours.and_then(Value::as_array).and_then(|o| {
        base.iter()
            .filter_map(|&(h, n)| {
                let n = n?;
                (o.len() >= n && Some(hash_json(&o[..n])) == h).then_some(n)
            })
            .max()
            .map(|n| (o, n))
    });
    if let Some((o, n)) = grown {
        let d = disk.and_then(Value::as_array);
        let extends = |d: &Vec<Value>| d.len() >= n && hash_json(&d[..n]) == hash_json(&o[..n]);
        if let Some(d) = d.filter(|d| known(hd) || extends(d)) {
            let mut all = d.clone();
            all.extend_from_slice(&o[n..]);
            return Some(Some(Value::Array(all)));
        }
    }
    // Only ours changed (an edit that rewrote a list, a new title): ours.
    if known(hd) {
        return Some(ours.cloned());
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
