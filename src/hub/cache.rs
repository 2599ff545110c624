//! The Hugging Face cache layout, shared with huggingface_hub, llama.cpp and other tools:
//! `models--OWNER--NAME/blobs/<sha256>` holds the data, `snapshots/<commit>/<path>` are relative
//! links to the blobs, `refs/<branch>` names the commit a branch was at.

use std::path::{Path, PathBuf};

use super::error::HubError;

/// `$HF_HUB_CACHE`, else `$HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else
/// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (huggingface_hub's order).
pub fn hub_dir() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("HF_HUB_CACHE")
        .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
        .or_else(|| var("HF_HOME").map(|h| h.join("hub")))
        .unwrap_or_else(|| hf_home_default().join("hub"))
}

/// `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
pub fn hf_home() -> PathBuf {
    std::env::var_os("HF_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(hf_home_default)
}

fn hf_home_default() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("huggingface")
}

/// One repository's folder in the cache.
#[derive(Debug, Clone)]
pub struct RepoCache {
    pub root: PathBuf,
}

impl RepoCache {
    /// `repo` is a checked `OWNER/NAME` (`spec::check_repo`).
    pub fn new(hub: &Path, repo: &str) -> RepoCache {
        RepoCache {
            root: hub.join(format!("models--{}", repo.replace('/', "--"))),
        }
    }

    pub fn blob(&self, oid: &str) -> PathBuf {
        self.root.join("blobs").join(oid)
    }

    /// Where an unfinished download lies (huggingface_hub's name, so either tool resumes it).
    pub fn partial(&self, oid: &str) -> PathBuf {
        self.root.join("blobs").join(format!("{oid}.incomplete"))
    }

    pub fn snapshot(&self, commit: &str, path: &str) -> PathBuf {
        self.root.join("snapshots").join(commit).join(path)
    }

    /// The blob is complete when it has the listed size (its hash was checked before the move).
    pub fn has(&self, oid: &str, size: u64) -> bool {
        std::fs::metadata(self.blob(oid)).is_ok_and(|m| m.len() == size)
    }

    /// Bytes of an unfinished download already here.
    pub fn partial_len(&self, oid: &str) -> u64 {
        std::fs::metadata(self.partial(oid)).map_or(0, |m| m.len())
    }

    /// Makes `snapshots/<commit>/<path>` a relative link to the blob, replacing an old one.
    pub fn link(&self, commit: &str, path: &str, oid: &str) -> Result<PathBuf, HubError> {
        let link = self.snapshot(commit, path);
        let dir = link.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| HubError::io(&dir, e))?;
        // snapshots/<commit>/a/b.gguf -> ../../../blobs/<oid>: one `..` per folder below root.
        let depth = path.matches('/').count() + 2;
        let target = PathBuf::from("../".repeat(depth)).join("blobs").join(oid);
        if std::fs::symlink_metadata(&link).is_ok() {
            std::fs::remove_file(&link).map_err(|e| HubError::io(&link, e))?;
        }
        symlink(&target, &link).map_err(|e| HubError::io(&link, e))?;
        Ok(link)
    }

    /// Records that `refs/<name>` is at `commit` (only for branch or tag names).
    pub fn write_ref(&self, name: &str, commit: &str) -> Result<(), HubError> {
        let path = self.root.join("refs").join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| HubError::io(dir, e))?;
        }
        std::fs::write(&path, commit).map_err(|e| HubError::io(&path, e))
    }

    pub fn read_ref(&self, name: &str) -> Option<String> {
        let c = std::fs::read_to_string(self.root.join("refs").join(name)).ok()?;
        let c = c.trim();
        is_commit(c).then(|| c.to_string())
    }

    /// The files of a snapshot, relative to it, with the sizes of what they link to.
    pub fn snapshot_files(&self, commit: &str) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        walk(&self.root.join("snapshots").join(commit), "", 0, &mut out);
        out.sort();
        out
    }
}

fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<(String, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        match std::fs::metadata(e.path()) {
            Ok(m) if m.is_dir() && depth < 4 => walk(&e.path(), &format!("{rel}/"), depth + 1, out),
            Ok(m) if m.is_file() => out.push((rel, m.len())),
            _ => {}
        }
    }
}

/// A full 40-hex git commit hash.
pub fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A 64-hex SHA-256 (the hub's LFS oid), safe as a file name.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    // Without symlinks (Windows without developer mode) huggingface_hub copies; so do we.
    let blob = link.parent().unwrap_or(Path::new(".")).join(target);
    std::fs::copy(blob, link).map(|_| ())
}

/// Bytes free for unprivileged writes on the disk holding `dir` (or its nearest existing parent).
pub fn free_space(dir: &Path) -> Option<u64> {
    let mut d = dir;
    while !d.exists() {
        d = d.parent()?;
    }
    statvfs_free(d)
}

#[cfg(unix)]
fn statvfs_free(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string and `st` a valid out-pointer for the call's duration.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

#[cfg(not(unix))]
fn statvfs_free(_: &Path) -> Option<u64> {
    None
}
