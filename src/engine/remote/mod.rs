//! Remote backends: the engine's request/event interface served by a model server over HTTP
//! (llama-server, Ollama, vLLM or any OpenAI-compatible one) instead of in-process llama.cpp.
//! The same `Engine` handle, the same events: the rest of howdah does not know the difference.

mod detect;
mod http;
mod llama;
mod openai;
mod sse;
mod worker;

use std::sync::atomic::AtomicU64;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{CancelState, Engine, EngineError, Job};

/// The protocol a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// llama.cpp's `llama-server`: `/completion` with per-token probabilities, `/tokenize`,
    /// `/apply-template`, slots and prompt cache: everything howdah does locally.
    LlamaServer,
    /// Any OpenAI-compatible server (vLLM, LM Studio, llama-server's `/v1` too).
    Openai,
    /// Ollama, through its OpenAI-compatible `/v1` endpoints; models listed from `/api/tags`.
    Ollama,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LlamaServer => "llama-server",
            Kind::Openai => "openai",
            Kind::Ollama => "ollama",
        }
    }

    pub fn parse(s: &str) -> Result<Kind, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "llama-server" | "llama.cpp" | "llamacpp" => Ok(Kind::LlamaServer),
            "openai" | "vllm" | "lmstudio" => Ok(Kind::Openai),
            "ollama" => Ok(Kind::Ollama),
            other => Err(format!(
                "unknown backend kind {other:?}: use llama-server, openai or ollama"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Longest wait for the next bytes of an answer (a long prompt is processed before any).
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: http::CONNECT_TIMEOUT,
            read: http::READ_TIMEOUT,
        }
    }
}

/// Which server to talk to and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backend {
    /// The name in config.toml (`[backends.NAME]`), when it came from there.
    pub name: Option<String>,
    pub url: String,
    /// `None`: detected from the endpoints the server answers.
    pub kind: Option<Kind>,
    pub api_key: Option<String>,
    /// Default model on the server (`None`: the server's first, or only, model).
    pub model: Option<String>,
    /// Most requests in flight at once (`None`: the server's slot count, else 4).
    pub parallel: Option<usize>,
    pub timeouts: Timeouts,
}

impl Backend {
    pub fn new(url: impl Into<String>) -> Backend {
        Backend {
            url: url.into(),
            ..Backend::default()
        }
    }
}

/// What a session records about the server a reply came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendRef {
    /// Its `[backends.NAME]` in config.toml, when it was chosen by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: Kind,
    /// Without user name or password.
    pub url: String,
    /// The model id the server reported.
    pub model: String,
    /// llama-server's build, or an OpenAI server's `system_fingerprint`, where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Slots the server serves at once, where it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<u32>,
}

/// `url` without `user:password@`, a trailing slash, or a trailing `/v1` (added per endpoint).
pub fn clean_url(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_string(), r),
        None => ("http".to_string(), url),
    };
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix("/v1").unwrap_or(path);
    format!("{scheme}://{host}{path}")
}

impl Engine {
    /// Starts an engine whose worker talks to a server. The ready handshake connects and
    /// detects the server's kind, so a server that is down or a wrong URL fails here, clearly.
    /// Load a model next (`load` with the model id, or an empty path for the default one).
    pub fn spawn_remote(backend: Backend) -> Result<Engine, EngineError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let cancel = Arc::new(CancelState::default());
        let (ready_tx, ready_rx) = mpsc::channel();
        let worker_cancel = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("howdah-remote".into())
            .spawn(move || worker::run(backend, rx, worker_cancel, ready_tx))
            .map_err(|e| EngineError::Backend(format!("cannot start the engine thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(parallel)) => Ok(Engine {
                tx: Some(tx),
                next_id: AtomicU64::new(1),
                cancel,
                thread: Some(thread),
                parallel,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(EngineError::Stopped),
        }
    }
}

/// The models a server offers, as a model picker lists them (`file_name` is the model id).
pub fn list_models(backend: &Backend) -> Result<Vec<super::ModelInfo>, EngineError> {
    let server = detect::connect(backend)?;
    Ok(server.models.iter().map(|m| server.info(m)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_slashes_and_v1() {
        assert_eq!(
            clean_url("http://me:secret@gpu-box.lan:8080/v1/"),
            "http://gpu-box.lan:8080"
        );
        assert_eq!(clean_url("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            clean_url("https://api.example/openai/v1"),
            "https://api.example/openai"
        );
    }

    #[test]
    fn kinds_parse_and_name_themselves() {
        for k in [Kind::LlamaServer, Kind::Openai, Kind::Ollama] {
            assert_eq!(Kind::parse(k.as_str()), Ok(k));
        }
        assert!(Kind::parse("tgi").unwrap_err().contains("llama-server"));
    }
}
