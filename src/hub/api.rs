//! The hub's HTTP API, as llama.cpp's `-hf` and huggingface_hub use it: a revision's commit
//! (`api/models/REPO/revision/REV`), the file listing at that commit
//! (`api/models/REPO/tree/COMMIT?recursive=true`, paged by `Link` headers) with each LFS file's
//! SHA-256 and size, and file downloads from `REPO/resolve/COMMIT/PATH` (redirected to a CDN).
//! API calls are retried with backoff on network errors and 5xx, as downloads are.

use std::time::Duration;

use serde::Deserialize;

use super::cache::{is_commit, is_sha256};
use super::error::{auth_hint, HubError};
use super::retry::with_retry;
use super::spec::{check_file, encode_path, encode_segment};

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// One file of a repository at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    /// The LFS oid: the file's SHA-256, also its blob name in the cache.
    pub sha256: Option<String>,
    /// The git blob id (the blob name for files not in LFS).
    pub git_oid: String,
}

impl Entry {
    /// The name of this file's blob in the cache.
    pub fn blob_name(&self) -> &str {
        self.sha256.as_deref().unwrap_or(&self.git_oid)
    }
}

#[derive(Deserialize)]
struct TreeItem {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    size: u64,
    lfs: Option<Lfs>,
}

#[derive(Deserialize)]
struct Lfs {
    oid: String,
    size: u64,
}

#[derive(Deserialize)]
struct RevisionInfo {
    sha: String,
}

/// A client for one hub endpoint, with the user's token if there is one.
#[derive(Clone)]
pub struct Hub {
    agent: ureq::Agent,
    pub endpoint: String,
    token: Option<String>,
}

impl Hub {
    /// `HF_ENDPOINT` (default the public hub) and `HF_TOKEN`, else huggingface_hub's token file.
    pub fn from_env() -> Hub {
        let endpoint = std::env::var("HF_ENDPOINT")
            .ok()
            .map(|e| e.trim().trim_end_matches('/').to_string())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        Hub::new(endpoint, token())
    }

    pub fn new(endpoint: String, token: Option<String>) -> Hub {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            // A stalled transfer is a network error (then retried), not a hang.
            .timeout_per_read(Some(Duration::from_secs(30)))
            .user_agent(concat!("howdah/", env!("CARGO_PKG_VERSION")))
            // Byte offsets of a resumed download must be those of the file itself.
            .accept_encoding("identity")
            .build();
        Hub {
            agent: config.into(),
            endpoint,
            token,
        }
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// A GET with the token (never sent on after a redirect to another host: ureq drops it).
    pub fn get(
        &self,
        url: &str,
        range_from: u64,
    ) -> Result<ureq::http::Response<ureq::Body>, HubError> {
        let mut req = self.agent.get(url);
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        if range_from > 0 {
            req = req.header("Range", &format!("bytes={range_from}-"));
        }
        req.call().map_err(|e| self.network(e))
    }

    pub fn network(&self, e: ureq::Error) -> HubError {
        HubError::Network {
            endpoint: self.endpoint.clone(),
            reason: e.to_string(),
            unreachable: unreachable(&e),
        }
    }

    /// The commit `revision` (branch, tag or commit) points at.
    pub fn commit(&self, repo: &str, revision: &str) -> Result<String, HubError> {
        let url = format!(
            "{}/api/models/{repo}/revision/{}",
            self.endpoint,
            encode_segment(revision)
        );
        let info: RevisionInfo = with_retry(&url, || {
            let res = self.get(&url, 0)?;
            if res.status().as_u16() != 200 {
                return Err(self.status_error(repo, Some(revision), &url, res));
            }
            read_json(res, &url)
        })?;
        if !is_commit(&info.sha) {
            return Err(bad(&url, format!("'{}' is not a commit hash", info.sha)));
        }
        Ok(info.sha)
    }

    /// Every file of `repo` at `commit`, following the listing's pages.
    pub fn tree(&self, repo: &str, commit: &str) -> Result<Vec<Entry>, HubError> {
        let mut url = format!(
            "{}/api/models/{repo}/tree/{commit}?recursive=true",
            self.endpoint
        );
        let mut out = Vec::new();
        for _page in 0..1000 {
            let (next, items) = with_retry(&url, || {
                let res = self.get(&url, 0)?;
                if res.status().as_u16() != 200 {
                    return Err(self.status_error(repo, Some(commit), &url, res));
                }
                let next = next_link(&res);
                let items: Vec<TreeItem> = read_json(res, &url)?;
                Ok((next, items))
            })?;
            for it in items.into_iter().filter(|i| i.kind == "file") {
                out.push(entry(it).map_err(|e| bad(&url, e))?);
            }
            match next {
                Some(n) => url = n,
                None => return Ok(out),
            }
        }
        Err(bad(&url, "the listing never ends".into()))
    }

    pub fn file_url(&self, repo: &str, commit: &str, path: &str) -> String {
        format!(
            "{}/{repo}/resolve/{commit}/{}",
            self.endpoint,
            encode_path(path)
        )
    }

    /// Turns a non-success answer into the error that tells the user what to do.
    pub fn status_error(
        &self,
        repo: &str,
        revision: Option<&str>,
        url: &str,
        res: ureq::http::Response<ureq::Body>,
    ) -> HubError {
        let status = res.status().as_u16();
        let header = |k: &str| {
            res.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(crate::text::sanitize::sanitize_line)
        };
        let code = header("x-error-code").unwrap_or_default();
        let message = header("x-error-message").unwrap_or_default();
        let detail = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        match (status, code.as_str()) {
            // The hub answers 401 + RepoNotFound for a missing repo when no token is sent.
            (_, "RepoNotFound") | (404, "") => HubError::RepoNotFound {
                repo: repo.into(),
                endpoint: self.endpoint.clone(),
            },
            (_, "RevisionNotFound") => HubError::RevisionNotFound {
                repo: repo.into(),
                revision: revision.unwrap_or("main").into(),
            },
            (401 | 403, _) | (_, "GatedRepo") => HubError::Auth {
                repo: repo.into(),
                status,
                detail,
                hint: auth_hint(repo, &self.endpoint, self.has_token()),
            },
            _ => HubError::Http {
                status,
                url: url.into(),
                detail,
            },
        }
    }
}

fn entry(it: TreeItem) -> Result<Entry, String> {
    let path = check_file(&it.path)?;
    let (size, sha256) = match it.lfs {
        Some(l) if is_sha256(&l.oid) => (l.size, Some(l.oid.to_ascii_lowercase())),
        Some(l) => return Err(format!("'{}' is not a SHA-256 (file {path})", l.oid)),
        None => (it.size, None),
    };
    let git_oid = it.oid.to_ascii_lowercase();
    if sha256.is_none() && !(git_oid.len() == 40 && is_commit(&git_oid)) {
        return Err(format!("file {path} has no usable id"));
    }
    Ok(Entry {
        path,
        size,
        sha256,
        git_oid,
    })
}

/// Nothing answered: refused, no route, unknown host (not a connection that broke part-way).
fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind::*;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ConnectionRefused | HostUnreachable | NetworkUnreachable | NetworkDown
        ),
        _ => false,
    }
}

fn bad(url: &str, reason: String) -> HubError {
    HubError::BadAnswer {
        what: url.into(),
        reason,
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    res: ureq::http::Response<ureq::Body>,
    url: &str,
) -> Result<T, HubError> {
    let text = res
        .into_body()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| bad(url, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(url, e.to_string()))
}

/// The `rel="next"` target of a `Link` header (the hub pages long listings this way).
fn next_link(res: &ureq::http::Response<ureq::Body>) -> Option<String> {
    let link = res.headers().get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// `HF_TOKEN` (or the older `HUGGING_FACE_HUB_TOKEN`), else the file `huggingface-cli login`
/// writes (`$HF_TOKEN_PATH`, else `$HF_HOME/token`).
pub fn token() -> Option<String> {
    let clean = |t: String| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    for k in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
        if let Some(t) = std::env::var(k).ok().and_then(clean) {
            return Some(t);
        }
    }
    let path = std::env::var_os("HF_TOKEN_PATH")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| super::cache::hf_home().join("token"));
    std::fs::read_to_string(path).ok().and_then(clean)
}
