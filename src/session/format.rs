//! The session file format (schema 1): what one saved conversation or comparison/evaluation run
//! holds, as serde types. Everything a reply needs to be replayed exactly is recorded with it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{
    ChatMessage, DoneStats, EngineSettings, ModelInfo, Prompt, Role, Sampling, StopReason,
};

/// The schema this build writes. Files with a higher number are refused, lower ones migrated.
pub const SCHEMA_VERSION: u32 = 1;

/// What a session is for; the TUI browser shows it, replay only handles `Chat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    #[default]
    Chat,
    /// Side-by-side variants of one prompt (`howdah compare`, the TUI comparison view).
    Compare,
    /// Evaluation or label-scoring runs over a data set.
    Eval,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Chat => "chat",
            SessionKind::Compare => "compare",
            SessionKind::Eval => "eval",
        }
    }
}

/// One saved session: a file `<id>.json` in the sessions folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub schema_version: u32,
    /// The file stem: `YYYYMMDD-HHMMSS-xxxx` for sessions howdah creates.
    pub id: String,
    /// A title the user chose; `None` shows the first user line (see `Session::display_title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The conversation, in order (system prompt first when there is one).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Comparison or evaluation runs (`kind` compare/eval); empty for chats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Run>,
    /// A model named by an imported or migrated file that carries no reply records; replay
    /// falls back to it when `-m` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_hint: Option<String>,
    /// Where an imported session came from (format and file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<String>,
}

/// One chat message. Assistant messages produced by howdah carry a `reply` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Box<ReplyRecord>>,
    /// Earlier replies to the same turn that the user regenerated away, oldest first: this
    /// reply was kept over each (preference pairs, see `arena::preferences`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<String>,
    /// Other versions of the conversation from this message on (regenerated replies, edited
    /// messages); see `alternatives`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Box<super::alternatives::Versions>>,
}

/// How a prompt was sent to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptMode {
    /// Through the model's chat template.
    #[default]
    Chat,
    /// Completion mode: the messages' texts joined and continued as raw text.
    Raw,
}

/// Everything that determined one reply, so it can be produced again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyRecord {
    pub model: ModelRef,
    /// Engine settings as resolved when the reply was made (threads and n_ctx filled in).
    pub engine: EngineSettings,
    pub sampling: Sampling,
    #[serde(default)]
    pub mode: PromptMode,
    /// Template, shots and selection, when the prompt came from the template system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<PromptSetup>,
    /// The exact prompt sent, when it is not simply the conversation up to this reply (a
    /// template or shots rewrote it). Replay sends this instead of rebuilding the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Prompt>,
    pub stats: ReplyStats,
    /// The howdah version that made the reply (exact replay needs the same build).
    pub build: String,
    /// Where the in-process engine ran it (backend, device, layers offloaded): a replay on
    /// another device may differ in the last bits of its numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<crate::engine::Offload>,
}

/// The model file a reply came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub file_name: String,
    pub path: PathBuf,
    pub size: u64,
    /// Hex SHA-256 of the whole file; `None` when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub quantization: String,
    /// The server that ran the model (remote backends): kind, URL without credentials, the
    /// server's model id and build. `None`: the in-process engine and the file above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<crate::engine::remote::BackendRef>,
}

impl ModelRef {
    /// From a loaded model's facts and the file's hash (see `model_hash::sha256_cached`).
    pub fn from_info(info: &ModelInfo, sha256: Option<String>) -> ModelRef {
        ModelRef {
            file_name: info.file_name.clone(),
            path: info.path.clone(),
            size: info.file_size,
            sha256,
            name: info.name.clone(),
            architecture: info.architecture.clone(),
            quantization: info.quantization.clone(),
            backend: info.backend.as_deref().cloned(),
        }
    }
}

/// The engine settings that change results, as a loaded model reports them.
pub fn resolved_settings(info: &ModelInfo, asked: &EngineSettings) -> EngineSettings {
    // A model on a server reports 0 for what the server decides itself: record nothing then,
    // so a replay leaves those to the server (or the local defaults) instead of asking for 0.
    let known = |v: u32| (v > 0).then_some(v);
    EngineSettings {
        threads: known(info.threads),
        n_ctx: known(info.n_ctx),
        n_batch: known(info.n_batch).unwrap_or(asked.n_batch),
        gpu_layers: asked.gpu_layers,
        chat_template: asked.chat_template.clone(),
        context_overflow: asked.context_overflow,
    }
}

/// Template and few-shot information (filled by the template system; all optional).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PromptSetup {
    /// The template's name or path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The template source as it was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_text: Option<String>,
    /// Values filled into the template's variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// Examples inserted, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shots: Vec<Shot>,
    /// How the shots were chosen, e.g. "similar k=3" or "random seed=7".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shot {
    pub input: String,
    pub output: String,
}

/// The figures of one finished reply (the engine's `DoneStats` less the text, which is the
/// message content).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyStats {
    pub stop: StopReason,
    pub prompt_tokens: u32,
    /// Prompt tokens decoded (the rest came from the KV cache): replay decodes the same way.
    pub prompt_tokens_decoded: u32,
    pub generated_tokens: u32,
    pub ttft_ms: f64,
    pub prompt_tps: f64,
    pub gen_tps: f64,
    pub mean_logprob: f64,
    #[serde(default)]
    pub dropped_messages: u32,
    #[serde(default)]
    pub context_used: u32,
}

impl From<&DoneStats> for ReplyStats {
    fn from(d: &DoneStats) -> Self {
        ReplyStats {
            stop: d.stop,
            prompt_tokens: d.prompt_tokens,
            prompt_tokens_decoded: d.prompt_tokens_decoded,
            generated_tokens: d.generated_tokens,
            ttft_ms: d.ttft_ms,
            prompt_tps: d.prompt_tps,
            gen_tps: d.gen_tps,
            mean_logprob: d.mean_logprob,
            dropped_messages: d.dropped_messages,
            context_used: d.context_used,
        }
    }
}

/// One variant of a comparison, or one evaluation run: generic so `compare` and `eval` can store
/// what they need (`figures` for numbers a table shows, `data` for anything else).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// What the user calls this variant ("A", "temp 0.2", a template name).
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<PromptSetup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Prompt>,
    /// The generated text (compare) or a summary (eval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ReplyStats>,
    /// Named numbers: accuracy, mean logprob, tokens/s…
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figures: BTreeMap<String, f64>,
    /// Anything else the producer needs (per-item results, label probabilities…).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

impl Run {
    pub fn new(label: impl Into<String>) -> Run {
        Run {
            label: label.into(),
            at: Some(Utc::now()),
            model: None,
            engine: None,
            sampling: None,
            setup: None,
            prompt: None,
            output: None,
            stats: None,
            figures: BTreeMap::new(),
            data: serde_json::Value::Null,
        }
    }
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
            at: Some(Utc::now()),
            reply: None,
            rejected: Vec::new(),
            versions: None,
        }
    }

    /// An assistant reply with its record.
    pub fn reply(content: impl Into<String>, record: ReplyRecord) -> Message {
        Message {
            reply: Some(Box::new(record)),
            ..Message::new(Role::Assistant, content)
        }
    }

    pub fn to_chat(&self) -> ChatMessage {
        ChatMessage::new(self.role, self.content.clone())
    }
}

impl Session {
    /// A new, empty session with a fresh id (not yet on disk).
    pub fn new(kind: SessionKind) -> Session {
        let now = Utc::now();
        Session {
            schema_version: SCHEMA_VERSION,
            id: new_id(now),
            title: None,
            kind,
            created_at: now,
            updated_at: now,
            messages: Vec::new(),
            runs: Vec::new(),
            model_hint: None,
            imported_from: None,
        }
    }

    /// The user's title, else the first line of the first user message, else the kind.
    pub fn display_title(&self) -> String {
        if let Some(t) = self.title.as_deref().filter(|t| !t.trim().is_empty()) {
            return t.to_string();
        }
        self.messages
            .iter()
            .find(|m| m.role == Role::User)
            .and_then(|m| m.content.lines().find(|l| !l.trim().is_empty()))
            .map(|l| truncate_chars(l.trim(), 80))
            .or_else(|| self.runs.first().map(|r| r.label.clone()))
            .unwrap_or_else(|| format!("({} session)", self.kind.as_str()))
    }

    /// The file name of the model of the last recorded reply (or run), for listings.
    pub fn model_name(&self) -> Option<String> {
        self.messages
            .iter()
            .rev()
            .find_map(|m| m.reply.as_ref().map(|r| r.model.file_name.clone()))
            .or_else(|| {
                self.runs
                    .iter()
                    .rev()
                    .find_map(|r| r.model.as_ref().map(|m| m.file_name.clone()))
            })
            .or_else(|| self.model_hint.clone())
    }

    /// The conversation as engine chat messages.
    pub fn chat_messages(&self) -> Vec<ChatMessage> {
        self.messages.iter().map(Message::to_chat).collect()
    }

    /// True when any message or run contains `query` (case-insensitive), title included.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.to_lowercase();
        self.display_title().to_lowercase().contains(&q)
            || self
                .messages
                .iter()
                .any(|m| m.content.to_lowercase().contains(&q))
            || self.runs.iter().any(|r| {
                r.label.to_lowercase().contains(&q)
                    || r.output
                        .as_deref()
                        .is_some_and(|o| o.to_lowercase().contains(&q))
            })
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// `YYYYMMDD-HHMMSS-xxxx`: sorts by time, and the random suffix keeps two sessions started in
/// the same second apart.
pub fn new_id(now: DateTime<Utc>) -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process: random enough for a name suffix.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.timestamp_nanos_opt().unwrap_or_default() as u128);
    h.write_u32(std::process::id());
    let suffix = h.finish() as u16;
    format!("{}-{suffix:04x}", now.format("%Y%m%d-%H%M%S"))
}
