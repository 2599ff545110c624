//! Everything a pull can run into, each with what the user can do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    BadInput(String),
    #[error("repository '{repo}' was not found on {endpoint}: check the name (OWNER/NAME, as in the model page's address); if it is private, set HF_TOKEN to a token that can read it")]
    RepoNotFound { repo: String, endpoint: String },
    #[error("revision '{revision}' was not found in '{repo}': give a branch, a tag or a commit of that repository")]
    RevisionNotFound { repo: String, revision: String },
    #[error("'{repo}' is gated or private and the hub refused access ({status}{detail}): {hint}")]
    Auth {
        repo: String,
        status: u16,
        detail: String,
        hint: String,
    },
    #[error("'{repo}' has no GGUF files (howdah runs GGUF models): look for a repository with \"GGUF\" in its name, often by bartowski, unsloth or the model's authors")]
    NoGguf { repo: String },
    #[error(
        "no file in '{repo}' matches '{quant}': it has {available}. Pick one, e.g. {repo}:{first}"
    )]
    NoQuant {
        repo: String,
        quant: String,
        available: String,
        first: String,
    },
    #[error("'{file}' is not in '{repo}' (GGUF files there: {available})")]
    NoFile {
        repo: String,
        file: String,
        available: String,
    },
    #[error("split model '{file}' is missing parts in the repository listing ({missing})")]
    MissingParts { file: String, missing: String },
    #[error("cannot reach {endpoint}: {reason}. Check the network connection (or HF_ENDPOINT); the download resumes where it stopped when you run the same command again")]
    Network {
        endpoint: String,
        reason: String,
        /// Nothing answered at all (connection refused, unknown host): offline, not a hiccup.
        unreachable: bool,
    },
    #[error("the hub answered {status} for {url}{detail}")]
    Http {
        status: u16,
        url: String,
        detail: String,
    },
    #[error("the hub's answer for {what} could not be read: {reason}")]
    BadAnswer { what: String, reason: String },
    #[error("{file} is corrupt: its SHA-256 is {got}, the hub lists {expected}. The partial download was deleted; run the same command again to download it afresh")]
    Checksum {
        file: String,
        expected: String,
        got: String,
    },
    #[error("not enough disk space in {}: {} needed, {} free. Free some space or set HF_HUB_CACHE to a folder on a larger disk", dir.display(), gb(*need), gb(*free))]
    DiskFull { dir: PathBuf, need: u64, free: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted: {} of {} of {file} kept in {}; run the same command again to resume", mb(*have), mb(*total), partial.display())]
    Interrupted {
        file: String,
        partial: PathBuf,
        have: u64,
        total: u64,
    },
}

impl HubError {
    /// A file-system error, turned into `DiskFull` when the disk is what failed.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> HubError {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::StorageFull {
            let dir = path.parent().map(PathBuf::from).unwrap_or_default();
            let free = super::cache::free_space(&dir).unwrap_or(0);
            return HubError::DiskFull { dir, need: 0, free };
        }
        HubError::Io { path, source }
    }
}

/// The advice for 401/403, which differs with whether a token was sent.
pub fn auth_hint(repo: &str, endpoint: &str, had_token: bool) -> String {
    if had_token {
        format!("the token in HF_TOKEN (or the huggingface-cli token file) has no access: accept the model's terms at {endpoint}/{repo} with the account the token belongs to, or use a token with read access")
    } else {
        format!("accept the model's terms at {endpoint}/{repo}, create a read token at {endpoint}/settings/tokens and set it: export HF_TOKEN=hf_… (or run `huggingface-cli login`)")
    }
}

// Local formatting: the hub module stays below `model` (no import circle).
fn gb(n: u64) -> String {
    format!("{:.2} GB", n as f64 / 1e9)
}

fn mb(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}
