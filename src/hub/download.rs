//! One file's download into the cache: data goes to `blobs/<sha256>.incomplete`; an interrupted
//! download continues from its end with an HTTP `Range` request (network errors and 5xx are
//! retried with backoff); the SHA-256 is checked against the hub's LFS oid before the file is
//! moved into place, and a mismatch deletes the partial file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::api::{Entry, Hub};
use super::cache::RepoCache;
use super::error::HubError;
use super::retry::{pause, TRIES};

const CHUNK: usize = 256 * 1024;

/// What one file's download did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Bytes that came over the network this time.
    pub downloaded: u64,
    /// Bytes that were already in the partial file at the start.
    pub resumed_from: u64,
}

enum Failure {
    /// Worth another try: the network, a 5xx, a short body.
    Retry(HubError),
    Fatal(HubError),
}

struct State<'a> {
    hub: &'a Hub,
    repo: &'a str,
    url: String,
    entry: &'a Entry,
    part: std::path::PathBuf,
    hasher: Sha256,
    /// Bytes of the partial file fed to `hasher`.
    hashed: u64,
    downloaded: u64,
}

/// Downloads `entry` of `repo` at `commit` into its blob; `progress` gets the bytes the file
/// has so far. Returns at once when the blob is already complete.
pub fn fetch(
    hub: &Hub,
    cache: &RepoCache,
    repo: &str,
    commit: &str,
    entry: &Entry,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64),
) -> Result<Fetched, HubError> {
    let name = entry.blob_name();
    if cache.has(name, entry.size) {
        progress(entry.size);
        return Ok(Fetched::default());
    }
    let part = cache.partial(name);
    if let Some(dir) = part.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HubError::io(dir, e))?;
    }
    let resumed_from = cache.partial_len(name).min(entry.size);
    let mut st = State {
        hub,
        repo,
        url: hub.file_url(repo, commit, &entry.path),
        entry,
        part,
        hasher: Sha256::new(),
        hashed: 0,
        downloaded: 0,
    };
    let mut failures = 0;
    loop {
        let before = st.downloaded;
        match st.attempt(cancel, progress) {
            Ok(()) => break,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry(e)) => {
                // A try that moved forward starts the count again: slow links keep going.
                failures = if st.downloaded > before {
                    1
                } else {
                    failures + 1
                };
                if failures >= TRIES {
                    return Err(e);
                }
                tracing::warn!(file = %entry.path, "download failed ({e}); retrying");
                sleep(pause(failures), cancel);
            }
        }
    }
    st.finish(cache)?;
    Ok(Fetched {
        downloaded: st.downloaded,
        resumed_from,
    })
}

/// Waits, but not past a ctrl+c.
fn sleep(d: Duration, cancel: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut left = d;
    while !left.is_zero() && !cancel.load(Ordering::Relaxed) {
        std::thread::sleep(step.min(left));
        left = left.saturating_sub(step);
    }
}

impl State<'_> {
    fn have(&self) -> u64 {
        std::fs::metadata(&self.part).map_or(0, |m| m.len())
    }

    fn interrupted(&self) -> HubError {
        HubError::Interrupted {
            file: self.entry.path.clone(),
            partial: self.part.clone(),
            have: self.have(),
            total: self.entry.size,
        }
    }

    /// Starts over: the partial file (if any) and the hash state go.
    fn reset(&mut self) -> Result<(), HubError> {
        match std::fs::remove_file(&self.part) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(HubError::io(&self.part, e))
            }
            _ => {}
        }
        self.hasher = Sha256::new();
        self.hashed = 0;
        Ok(())
    }

    /// Brings the hash up to the partial file's end (after a restart of howdah).
    fn catch_up(&mut self, have: u64) -> Result<(), HubError> {
        if self.hashed == have {
            return Ok(());
        }
        self.hasher = Sha256::new();
        let mut f = File::open(&self.part).map_err(|e| HubError::io(&self.part, e))?;
        let n = std::io::copy(&mut (&mut f).take(have), &mut self.hasher)
            .map_err(|e| HubError::io(&self.part, e))?;
        self.hashed = n;
        Ok(())
    }

    fn attempt(
        &mut self,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), Failure> {
        use Failure::{Fatal, Retry};
        if cancel.load(Ordering::Relaxed) {
            return Err(Fatal(self.interrupted()));
        }
        let size = self.entry.size;
        let mut have = self.have();
        if have > size {
            self.reset().map_err(Fatal)?;
            have = 0;
        }
        self.catch_up(have).map_err(Fatal)?;
        if have == size {
            return Ok(());
        }
        progress(have);
        let res = self.hub.get(&self.url, have).map_err(Retry)?;
        let status = res.status().as_u16();
        match status {
            206 => {
                let range = res
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !range.starts_with(&format!("bytes {have}-")) {
                    // Not the part asked for: start over rather than splice wrong bytes.
                    self.reset().map_err(Fatal)?;
                    return Err(Retry(
                        self.bad(format!("unexpected Content-Range '{range}'")),
                    ));
                }
            }
            200 if have > 0 => {
                // The server ignored the Range: the body is the whole file.
                self.reset().map_err(Fatal)?;
                have = 0;
            }
            200 => {}
            416 => {
                self.reset().map_err(Fatal)?;
                return Err(Retry(
                    self.bad("the server refused the resume range".into()),
                ));
            }
            s if s >= 500 || s == 429 || s == 408 => {
                let e = self.hub.status_error(self.repo, None, &self.url, res);
                return Err(Retry(e));
            }
            _ => {
                return Err(Fatal(
                    self.hub.status_error(self.repo, None, &self.url, res),
                ))
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.part)
            .map_err(|e| Fatal(HubError::io(&self.part, e)))?;
        let mut body = res.into_body().into_reader();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Retry(self.network(e.to_string()))),
            };
            if have + n as u64 > size {
                self.reset().map_err(Fatal)?;
                return Err(Fatal(self.bad(format!(
                    "the file is longer than the {size} bytes the listing gives"
                ))));
            }
            file.write_all(&buf[..n])
                .map_err(|e| Fatal(HubError::io(&self.part, e)))?;
            self.hasher.update(&buf[..n]);
            have += n as u64;
            self.hashed = have;
            self.downloaded += n as u64;
            progress(have);
            if cancel.load(Ordering::Relaxed) {
                return Err(Fatal(self.interrupted()));
            }
        }
        if have < size {
            return Err(Retry(self.network(format!(
                "the connection closed after {have} of {size} bytes"
            ))));
        }
        file.sync_all()
            .map_err(|e| Fatal(HubError::io(&self.part, e)))?;
        Ok(())
    }

    /// Checks the hash and moves the partial file into place.
    fn finish(&mut self, cache: &RepoCache) -> Result<(), HubError> {
        let got = hex(&std::mem::take(&mut self.hasher).finalize());
        if let Some(expected) = &self.entry.sha256 {
            if &got != expected {
                self.reset()?;
                return Err(HubError::Checksum {
                    file: self.entry.path.clone(),
                    expected: expected.clone(),
                    got,
                });
            }
        }
        let blob = cache.blob(self.entry.blob_name());
        std::fs::rename(&self.part, &blob).map_err(|e| HubError::io(&blob, e))
    }

    fn network(&self, reason: String) -> HubError {
        HubError::Network {
            endpoint: self.hub.endpoint.clone(),
            reason,
            unreachable: false,
        }
    }

    fn bad(&self, reason: String) -> HubError {
        HubError::BadAnswer {
            what: self.url.clone(),
            reason,
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
