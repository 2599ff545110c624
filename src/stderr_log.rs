//! A file descriptor (the TUI's stderr, where llama.cpp prints some errors itself) pointed at a
//! private file in `logs/`, size-capped like the log file: a watcher thread rolls it to
//! `NAME.1` … `NAME.N` past a size and points the descriptor at a fresh file. The descriptor
//! writes to the file directly (no pipe), so what llama.cpp prints just before an abort is
//! still on disk; the cap holds to within what is written between two checks.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::log_file::{make_private_dir, open_private, roll, KEEP, MAX_BYTES};

/// How often the file's size is checked.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// While alive, `fd` writes to the capped file; dropping it stops the watcher and puts the
/// descriptor's earlier target back.
pub struct FdToLog {
    fd: RawFd,
    saved: RawFd,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

/// The file's limits and how often they are checked.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max: u64,
    pub keep: usize,
    pub every: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max: MAX_BYTES,
            keep: KEEP,
            every: CHECK_EVERY,
        }
    }
}

impl FdToLog {
    /// Points `fd` at `dir/name` (rolled first if a previous run left it over the cap).
    pub fn start(fd: RawFd, dir: &Path, name: &str, limits: Limits) -> io::Result<FdToLog> {
        make_private_dir(dir)?;
        let path = dir.join(name);
        if size(&path) > limits.max {
            roll(&path, limits.keep)?;
        }
        let file = open_private(&path)?;
        // SAFETY: plain descriptor duplication; `saved` is owned by the guard, closed in drop.
        let saved = unsafe { libc::dup(fd) };
        if saved < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above; the file stays open through `fd` after `file` drops.
        if unsafe { libc::dup2(file.as_raw_fd(), fd) } < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: `saved` was made above and is not used again.
            unsafe { libc::close(saved) };
            return Err(e);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("stderr-log".into())
                .spawn(move || watch(fd, path, limits, &stop))
                .ok()
        };
        Ok(FdToLog {
            fd,
            saved,
            stop,
            watcher,
        })
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn watch(fd: RawFd, path: PathBuf, limits: Limits, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        std::thread::park_timeout(limits.every);
        if size(&path) <= limits.max || stop.load(Ordering::Acquire) {
            continue;
        }
        // Rolled first, then the descriptor moved to the new file: dup2 swaps it at once, so
        // every write lands whole in one file or the other.
        if roll(&path, limits.keep).is_err() {
            continue;
        }
        if let Ok(file) = open_private(&path) {
            // SAFETY: `fd` stays open while the guard lives; dup2 replaces it atomically.
            unsafe { libc::dup2(file.as_raw_fd(), fd) };
        }
    }
}

impl Drop for FdToLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(w) = self.watcher.take() {
            w.thread().unpark();
            let _ = w.join();
        }
        // SAFETY: restores the descriptor saved in `start`.
        unsafe {
            libc::dup2(self.saved, self.fd);
            libc::close(self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_fd(fd: RawFd, b: &[u8]) {
        // SAFETY: writes a borrowed buffer to a descriptor this test owns.
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        assert_eq!(n, b.len() as isize);
    }

    #[test]
    fn the_file_is_capped_and_rolled_and_the_descriptor_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let logs = tmp.path().join("logs");
        let before = tmp.path().join("before");
        let target = std::fs::File::create(&before).unwrap();
        // A descriptor of its own stands in for stderr (the test harness keeps fd 2).
        // SAFETY: duplicates a descriptor owned by `target`.
        let fd = unsafe { libc::dup(target.as_raw_fd()) };
        let limits = Limits {
            max: 1000,
            keep: 2,
            every: Duration::from_millis(10),
        };
        let guard = FdToLog::start(fd, &logs, "stderr.log", limits).unwrap();
        for i in 0..30 {
            write_fd(fd, format!("{i:03} {}\n", "x".repeat(195)).as_bytes());
            std::thread::sleep(Duration::from_millis(25));
        }
        drop(guard);
        let len = |n: &str| std::fs::metadata(logs.join(n)).map(|m| m.len());
        assert!(len("stderr.log").unwrap() <= 1000 + 2 * 200);
        assert!(len("stderr.log.1").is_ok() && len("stderr.log.2").is_ok());
        assert!(len("stderr.log.3").is_err(), "only 2 rolled files kept");
        // Oldest to newest, the kept files end with the last line, nothing lost between them.
        let kept: String = ["stderr.log.2", "stderr.log.1", "stderr.log"]
            .iter()
            .map(|n| std::fs::read_to_string(logs.join(n)).unwrap())
            .collect();
        let nums: Vec<u32> = kept.lines().map(|l| l[..3].parse().unwrap()).collect();
        assert_eq!(nums.last(), Some(&29));
        assert!(nums.windows(2).all(|w| w[1] == w[0] + 1), "{nums:?}");
        // Back to where it wrote before.
        write_fd(fd, b"after\n");
        assert_eq!(std::fs::read(&before).unwrap(), b"after\n");
        // SAFETY: closes the test's own descriptor.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn a_file_left_over_the_cap_is_rolled_at_start() {
        let tmp = tempfile::tempdir().unwrap();
        let logs = tmp.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("stderr.log"), vec![b'a'; 2000]).unwrap();
        let f = std::fs::File::create(tmp.path().join("x")).unwrap();
        // SAFETY: duplicates a descriptor owned by `f`.
        let fd = unsafe { libc::dup(f.as_raw_fd()) };
        let limits = Limits {
            max: 1000,
            keep: 3,
            every: Duration::from_secs(60),
        };
        drop(FdToLog::start(fd, &logs, "stderr.log", limits).unwrap());
        assert_eq!(std::fs::metadata(logs.join("stderr.log")).unwrap().len(), 0);
        assert_eq!(
            std::fs::metadata(logs.join("stderr.log.1")).unwrap().len(),
            2000
        );
        // SAFETY: closes the test's own descriptor.
        unsafe { libc::close(fd) };
    }
}
