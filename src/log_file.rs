//! The log file behind `tracing`: private (0600 in a 0700 `logs/` inside a 0700 data folder,
//! since it holds paths and prompts), every line sanitized (it quotes outside text and is read
//! with `cat`/`tail`), and size-capped: past [`MAX_BYTES`] it rolls to `howdah.log.1` … `.N`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::text::sanitize;

/// One log file's size before it rolls over.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Rolled files kept beside the current one (`howdah.log.1` is the newest).
pub const KEEP: usize = 3;

/// A size-capped, rotating, sanitizing log writer.
pub struct RotatingLog {
    path: PathBuf,
    file: File,
    size: u64,
    max: u64,
    keep: usize,
}

impl RotatingLog {
    /// Opens (appending) `dir/name`, making `dir` and the data folder private first.
    pub fn open(dir: &Path, name: &str) -> io::Result<RotatingLog> {
        Self::with_limits(dir, name, MAX_BYTES, KEEP)
    }

    pub fn with_limits(dir: &Path, name: &str, max: u64, keep: usize) -> io::Result<RotatingLog> {
        make_private_dir(dir)?;
        if let Some(parent) = dir.parent().filter(|p| p.is_dir()) {
            // The data folder holds sessions and logs: earlier versions made it 0755.
            let _ = set_mode(parent, 0o700);
        }
        let path = dir.join(name);
        let file = open_private(&path)?;
        let size = file.metadata()?.len();
        Ok(RotatingLog {
            path,
            file,
            size,
            max,
            keep,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        roll(&self.path, self.keep)?;
        self.file = open_private(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

/// Moves `path` to `path.1` (shifting `.1` … to `.2` …, dropping the one past `keep`); with
/// `keep` 0 the file is removed. The caller opens a fresh `path`.
pub fn roll(path: &Path, keep: usize) -> io::Result<()> {
    let rolled = |n: usize| PathBuf::from(format!("{}.{n}", path.display()));
    let _ = fs::remove_file(rolled(keep));
    for n in (1..keep).rev() {
        let _ = fs::rename(rolled(n), rolled(n + 1));
    }
    if keep > 0 {
        fs::rename(path, rolled(1))
    } else {
        fs::remove_file(path)
    }
}

impl Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // tracing hands over one whole formatted event per call, so a stateless sanitizer
        // sees whole sequences.
        let clean = sanitize(&String::from_utf8_lossy(buf));
        if self.size > 0 && self.size + clean.len() as u64 > self.max {
            self.rotate()?;
        }
        self.file.write_all(clean.as_bytes())?;
        self.size += clean.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Creates `dir` 0700, or tightens it to 0700 if it exists (it is howdah's own folder).
pub fn make_private_dir(dir: &Path) -> io::Result<()> {
    crate::session::ensure_private_dir(dir)?;
    set_mode(dir, 0o700)
}

/// Opens a log file for appending as 0600 (tightening a file an older version made 0644).
pub fn open_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    set_mode(path, 0o600)?;
    Ok(f)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_sanitized_and_rotated() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
        let logs = data.join("logs");
        let mut log = RotatingLog::with_limits(&logs, "howdah.log", 100, 2).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&logs), 0o700);
        assert_eq!(mode(&logs.join("howdah.log")), 0o600);
        log.write_all(b"model \x1b]0;pwned\x07x.gguf \xc2\x9b31m\n")
            .unwrap();
        let text = fs::read_to_string(logs.join("howdah.log")).unwrap();
        assert_eq!(text, "model x.gguf \n");
        // One write per event, as tracing makes them.
        for i in 0..40 {
            log.write_all(format!("line {i:03} of the log\n").as_bytes())
                .unwrap();
        }
        assert!(fs::metadata(logs.join("howdah.log")).unwrap().len() <= 100);
        assert!(logs.join("howdah.log.1").exists());
        assert!(logs.join("howdah.log.2").exists());
        assert!(
            !logs.join("howdah.log.3").exists(),
            "only 2 rolled files kept"
        );
        assert_eq!(mode(&logs.join("howdah.log.1")), 0o600);
        let newest = fs::read_to_string(logs.join("howdah.log")).unwrap();
        assert!(newest.ends_with("line 039 of the log\n"), "{newest}");
    }
}
