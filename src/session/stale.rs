//! Temp files left by saves that never finished (`.NAME.json.PID.N.tmp`, the process killed
//! between write and rename). Those of live processes are saves in progress and left alone.
//! Of a dead process's: one that does not parse, or holds nothing newer than its session, is
//! removed; one that parses and is newer is kept and listed as recoverable.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::store::read_file;

/// An unfinished save that holds a complete session newer than the saved one.
#[derive(Debug, Clone, PartialEq)]
pub struct Recoverable {
    /// The temp file (pass it to `howdah session import`).
    pub path: PathBuf,
    /// The session file it was meant to replace.
    pub target: PathBuf,
    pub updated_at: DateTime<Utc>,
}

/// The session file name and writer's pid of a temp file name, if it is one of ours.
pub fn parse_temp_name(name: &str) -> Option<(&str, u32)> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, counter) = rest.rsplit_once('.')?;
    counter.parse::<u64>().ok()?;
    let (target, pid) = rest.rsplit_once('.')?;
    let pid = pid.parse::<u32>().ok()?;
    target.ends_with(".json").then_some((target, pid))
}

fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes the stale temp files in `dir` that hold nothing to recover; returns the rest.
pub fn clean(dir: &Path) -> Vec<Recoverable> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut keep = Vec::new();
    for entry in rd.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((target_name, pid)) = parse_temp_name(&name) else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        let path = entry.path();
        let target = dir.join(target_name);
        match read_file(&path) {
            Ok(d) => {
                let saved = read_file(&target).ok().map(|t| t.session.updated_at);
                if saved.is_some_and(|s| s >= d.session.updated_at) {
                    remove(&path);
                } else {
                    keep.push(Recoverable {
                        path,
                        target,
                        updated_at: d.session.updated_at,
                    });
                }
            }
            Err(_) => remove(&path),
        }
    }
    keep.sort_by(|a, b| a.path.cmp(&b.path));
    keep
}

fn remove(path: &Path) {
    match fs::remove_file(path) {
        Ok(()) => tracing::info!(path = %path.display(), "removed an unfinished save's temp file"),
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove a temp file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names() {
        assert_eq!(
            parse_temp_name(".abc.json.1234.7.tmp"),
            Some(("abc.json", 1234))
        );
        assert_eq!(parse_temp_name(".a.b.json.1.0.tmp"), Some(("a.b.json", 1)));
        assert_eq!(parse_temp_name("abc.json"), None);
        assert_eq!(parse_temp_name(".abc.json.x.7.tmp"), None);
        assert_eq!(parse_temp_name(".notes.txt.1.2.tmp"), None);
    }
}
