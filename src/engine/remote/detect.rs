//! Connecting to a server: which kind it is (`/props` → llama-server, `/api/tags` → Ollama,
//! `/v1/models` → OpenAI-compatible), which models it offers, and the `ModelInfo` of one.

use std::path::PathBuf;

use serde_json::Value;

use super::http::Client;
use super::{clean_url, Backend, BackendRef, Kind};
use crate::engine::{EngineError, ModelInfo};

/// A server howdah has talked to: its kind, models and (llama-server) properties.
pub(crate) struct Server {
    /// The backend's name in config.toml, if it has one.
    pub name: Option<String>,
    pub http: Client,
    pub kind: Kind,
    pub url: String,
    pub models: Vec<String>,
    /// `/v1/models` entries by id (llama-server adds `meta` with the parameter count).
    listing: Vec<Value>,
    /// llama-server's `/props`.
    pub props: Value,
    pub slots: Option<u32>,
    pub build: Option<String>,
}

/// Connects and detects the kind (unless the backend names it) and the models.
pub(crate) fn connect(b: &Backend) -> Result<Server, EngineError> {
    let url = clean_url(&b.url);
    let http = Client::new(&url, b.api_key.clone(), &b.timeouts);
    let mut props = Value::Null;
    let kind = match b.kind {
        Some(k) => {
            if k == Kind::LlamaServer {
                props = http.get("/props")?;
            }
            k
        }
        None => detect(&http, &mut props)?,
    };
    let listing: Vec<Value> = match kind {
        Kind::Ollama => http.get("/api/tags")?["models"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|m| serde_json::json!({ "id": m["name"] }))
            .collect(),
        _ => http.get("/v1/models")?["data"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    let models: Vec<String> = listing
        .iter()
        .filter_map(|m| m["id"].as_str().map(crate::text::sanitize::sanitize_line))
        .collect();
    let slots = props["total_slots"].as_u64().map(|n| n as u32);
    let build = match kind {
        // Ollama names its version at /api/version (absent on very old ones: no build then).
        Kind::Ollama => http
            .get("/api/version")
            .ok()
            .and_then(|v| v["version"].as_str().map(|v| format!("ollama {v}"))),
        _ => props["build_info"].as_str().map(str::to_string),
    }
    .map(|b| crate::text::sanitize::sanitize_line(&b));
    Ok(Server {
        name: b.name.clone(),
        http,
        kind,
        url,
        models,
        listing,
        props,
        slots,
        build,
    })
}

/// `/props` first: its absence (404) is the normal sign of another kind, but a refused key or
/// an unreachable server is reported as such, not guessed past.
fn detect(http: &Client, props: &mut Value) -> Result<Kind, EngineError> {
    let soft = |e: &EngineError| match e {
        EngineError::Remote(m) => m.contains("HTTP 404") || m.contains("not answer with JSON"),
        _ => false,
    };
    match http.get("/props") {
        Ok(p) if p.get("default_generation_settings").is_some() => {
            *props = p;
            return Ok(Kind::LlamaServer);
        }
        Ok(_) => {}
        Err(e) if soft(&e) => {}
        Err(e) => return Err(e),
    }
    match http.get("/api/tags") {
        Ok(t) if t.get("models").is_some() => return Ok(Kind::Ollama),
        Ok(_) => {}
        Err(e) if soft(&e) => {}
        Err(e) => return Err(e),
    }
    match http.get("/v1/models") {
        Ok(m) if m.get("data").is_some() => Ok(Kind::Openai),
        Ok(_) => Err(not_a_server(&http.base, "its /v1/models has no model list")),
        Err(e) if soft(&e) => Err(not_a_server(&http.base, &e.to_string())),
        Err(e) => Err(e),
    }
}

fn not_a_server(url: &str, why: &str) -> EngineError {
    EngineError::Remote(format!(
        "{url} answers neither as llama-server (/props), Ollama (/api/tags) nor an OpenAI-compatible server (/v1/models): {why}; check the URL"
    ))
}

impl Server {
    /// The model a request names, checked against what the server lists. Empty: the
    /// backend's default, else the server's first model.
    pub fn pick(&self, asked: &str, default: Option<&str>) -> Result<String, EngineError> {
        let asked = if asked.is_empty() {
            default.unwrap_or("")
        } else {
            asked
        };
        if asked.is_empty() {
            return self.models.first().cloned().ok_or_else(|| {
                EngineError::Remote(format!(
                    "the server at {} has no model loaded: load one there (or name one with -m)",
                    self.url
                ))
            });
        }
        // llama-server serves the one model it was started with, whatever a request names.
        if self.kind == Kind::LlamaServer || self.models.iter().any(|m| m == asked) {
            return Ok(if self.kind == Kind::LlamaServer {
                self.models.first().cloned().unwrap_or(asked.to_string())
            } else {
                asked.to_string()
            });
        }
        Err(EngineError::Remote(format!(
            "model {:?} is not loaded on the server at {}; it offers: {}",
            crate::text::sanitize::sanitize_line(asked),
            self.url,
            if self.models.is_empty() {
                "nothing".to_string()
            } else {
                self.models.join(", ")
            }
        )))
    }

    pub fn backend_ref(&self, model: &str) -> BackendRef {
        BackendRef {
            name: self.name.clone(),
            kind: self.kind,
            url: self.url.clone(),
            model: model.to_string(),
            build: self.build.clone(),
            slots: self.slots,
        }
    }

    /// What the UI and sessions know of a loaded model; file facts come from the server where
    /// it reports them (llama-server's `meta` and `/props`, Ollama's `/api/show`).
    pub fn info(&self, model: &str) -> ModelInfo {
        let mut meta = self
            .listing
            .iter()
            .find(|m| m["id"].as_str() == Some(model))
            .map(|m| m["meta"].clone())
            .unwrap_or(Value::Null);
        let mut n_ctx = self.props["default_generation_settings"]["n_ctx"]
            .as_u64()
            .unwrap_or(0) as u32;
        let mut quantization = String::new();
        if self.kind == Kind::Ollama {
            let show = ollama_show(&self.http, model);
            meta = show.meta;
            n_ctx = show.num_ctx;
            quantization = show.quantization;
        }
        let has_template = match self.kind {
            Kind::LlamaServer => self.props["chat_template"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            _ => true,
        };
        ModelInfo {
            path: PathBuf::from(&self.url),
            file_name: model.to_string(),
            name: model.to_string(),
            architecture: self.kind.as_str().to_string(),
            parameters: meta["n_params"].as_u64().unwrap_or(0),
            file_size: meta["size"].as_u64().unwrap_or(0),
            quantization,
            context_trained: meta["n_ctx_train"].as_u64().unwrap_or(0) as u32,
            has_chat_template: has_template,
            n_ctx,
            threads: 0,
            n_batch: 0,
            ctx_reason: "set by the server".into(),
            // The server renders chats with its own template.
            chat_format: Box::new(crate::chat_template::ChatFormat {
                kind: if has_template {
                    crate::chat_template::FormatKind::Jinja
                } else {
                    crate::chat_template::FormatKind::Plain
                },
                ..Default::default()
            }),
            notes: Vec::new(),
            threads_reason: None,
            pooling: None,
            backend: Some(Box::new(self.backend_ref(model))),
            offload: None,
        }
    }
}

/// What Ollama's `/api/show` tells of a model, in the shape llama-server's `meta` has.
struct OllamaShow {
    meta: Value,
    /// `num_ctx` when the model's parameters set it (else Ollama's default, not reported: 0).
    num_ctx: u32,
    quantization: String,
}

/// Asks `/api/show`; a server that does not answer leaves the facts unknown.
fn ollama_show(http: &Client, model: &str) -> OllamaShow {
    let show = http
        .post("/api/show", &serde_json::json!({ "model": model }))
        .unwrap_or(Value::Null);
    let info = &show["model_info"];
    let arch = info["general.architecture"].as_str().unwrap_or("");
    let num_ctx = show["parameters"]
        .as_str()
        .unwrap_or("")
        .lines()
        .find_map(|l| l.trim().strip_prefix("num_ctx")?.trim().parse().ok())
        .unwrap_or(0);
    OllamaShow {
        meta: serde_json::json!({
            "n_params": info["general.parameter_count"],
            "n_ctx_train": info[format!("{arch}.context_length")],
        }),
        num_ctx,
        quantization: crate::text::sanitize::sanitize_line(
            show["details"]["quantization_level"].as_str().unwrap_or(""),
        ),
    }
}
