//! The engine's request and event vocabulary: everything the rest of howdah may say to, or hear
//! from, the worker thread.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::pooling::Pooling;
use super::sampling::Sampling;

/// Identifies one request; every event it causes carries the same id. Ids grow monotonically,
/// which is what lets a cancel reach a request that has not started yet.
pub type RequestId = u64;

/// Settings that change results or speed and are fixed per loaded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineSettings {
    /// Threads for generation and prompt processing; `None` = physical cores less those other
    /// programs keep busy, re-checked before each request (`engine::threads`).
    pub threads: Option<u32>,
    /// Context size in tokens; `None` = the trained context, capped by a memory budget.
    pub n_ctx: Option<u32>,
    /// Logical batch size for prompt processing.
    pub n_batch: u32,
    /// Layers offloaded to the GPU (builds with the cuda/metal/vulkan features): "auto" = all
    /// that fit the device's free memory, 0 = the CPU only.
    pub gpu_layers: super::offload::GpuLayers,
    /// A chat template replacing the model's own (a file, or a built-in layout by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_template: Option<crate::chat_template::TemplateOverride>,
    /// What a chat that outgrows the context does (recorded, so a replay does the same).
    pub context_overflow: super::shift::ContextOverflow,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            threads: None,
            n_ctx: None,
            n_batch: 512,
            gpu_layers: Default::default(),
            chat_template: None,
            context_overflow: Default::default(),
        }
    }
}

impl EngineSettings {
    pub fn resolved_threads(&self) -> u32 {
        self.threads
            .unwrap_or_else(|| num_cpus::get_physical().max(1) as u32)
    }
}

/// A chat turn's author, as chat templates know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
    pub fn system(c: impl Into<String>) -> Self {
        Self::new(Role::System, c)
    }
    pub fn user(c: impl Into<String>) -> Self {
        Self::new(Role::User, c)
    }
    pub fn assistant(c: impl Into<String>) -> Self {
        Self::new(Role::Assistant, c)
    }
}

/// What the model is asked to continue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
pub enum Prompt {
    /// Rendered through the model's chat template (with the generation prompt appended). Models
    /// without a usable template fall back to a plain "role: text" layout.
    Chat(Vec<ChatMessage>),
    /// Raw text, tokenized as is: completion mode for base models.
    Raw(String),
}

/// One sequence of a (possibly batched) generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub prompt: Prompt,
    pub sampling: Sampling,
}

/// What to do. Each request is answered by events carrying its id; a generation ends every one of
/// its sequences with exactly one `Done` or `Error` event.
#[derive(Debug, Clone)]
pub enum Request {
    /// Load (or switch to) a model. On failure the previous model stays loaded and usable.
    Load {
        path: PathBuf,
        settings: EngineSettings,
    },
    /// Stream one or more sequences at once. One variant is a plain chat or completion; several
    /// share one context, decode their common prompt prefix once and are decoded in one batch.
    Generate { variants: Vec<Variant> },
    /// Log-probability of each candidate continuation after the prompt, in one batched decode.
    /// `reuse_cache: false` forgets the cached prefix first (used to measure what reuse gains).
    Score {
        prompt: Prompt,
        candidates: Vec<String>,
        reuse_cache: bool,
    },
    /// L2-normalized embedding of each text, pooled as the model declares (mean for a chat model).
    Embed { texts: Vec<String> },
    /// Token counts of texts with the model's own tokenizer (no BOS added).
    CountTokens { texts: Vec<String> },
    /// The exact text a prompt becomes after the chat template.
    RenderPrompt { prompt: Prompt },
    /// Any OpenAI-style conversation through the model's chat layout (`howdah chat-template`).
    ApplyTemplate {
        messages: Vec<crate::chat_template::TemplateMessage>,
        add_generation_prompt: bool,
    },
    /// How many tokens a prompt is once rendered, exactly as a generation would decode it
    /// (template markup and BOS included), without decoding anything.
    CountPrompt { prompt: Prompt },
    /// llama-bench style measurement: pp (prompt tokens/s) and tg (generated tokens/s).
    Bench(BenchParams),
    /// Forget the KV cache (a new conversation).
    Reset,
    /// What sequence 0 holds in the KV cache (positions, size): for tests and diagnostics.
    ContextState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchParams {
    pub n_prompt: u32,
    pub n_gen: u32,
    pub repetitions: u32,
    /// With more than one, also measure the aggregate generation rate of this many sequences.
    pub variants: u32,
}

/// Facts about a loaded model (and, minus what needs llama.cpp, about a GGUF file on disk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub file_name: String,
    pub name: String,
    pub architecture: String,
    pub parameters: u64,
    pub file_size: u64,
    pub quantization: String,
    pub context_trained: u32,
    pub has_chat_template: bool,
    /// The layout chats get once loaded (jinja, built-in family or plain, and why).
    #[serde(default)]
    /// Boxed: ModelInfo travels inside every UI action enum, which should stay small.
    pub chat_format: Box<crate::chat_template::ChatFormat>,
    /// Set for an embedding model (how it pools token vectors): it makes vectors, not text.
    #[serde(default)]
    pub pooling: Option<Pooling>,
    /// Context size of the loaded engine (0 when only the file was inspected).
    pub n_ctx: u32,
    pub threads: u32,
    pub n_batch: u32,
    /// How the context size was chosen: as asked, the trained context, or capped by memory.
    #[serde(default)]
    pub ctx_reason: String,
    /// Settings the engine changed on load, each with what it became and why.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Why the automatic thread count is below the default ("2 → 1 thread: a core is busy"):
    /// information about the machine, not a setting the engine overrode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads_reason: Option<String>,
    /// The server the model runs on (remote backends); `None` for the in-process engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<Box<super::remote::BackendRef>>,
    /// Where the in-process engine runs its layers (CPU or a GPU, and how many); `None` until
    /// loaded, and for remote backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Boxed: ModelInfo travels inside every UI action enum, which should stay small.
    pub offload: Option<Box<super::offload::Offload>>,
}

/// A likely alternative for a generated token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenAlt {
    pub token_id: i32,
    pub text: String,
    pub prob: f32,
}

/// One generated token of sequence `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenEvent {
    pub seq: usize,
    pub token_id: i32,
    /// Text released by this token: sanitized, whole UTF-8 characters only, and held back while
    /// it could still be the start of a stop string (so it can be empty).
    pub text: String,
    /// The token's own text, sanitized (what a heat-map colours).
    pub piece: String,
    /// Log-probability under the model's distribution before sampling transforms.
    pub logprob: f32,
    /// The most likely tokens at this position, most likely first.
    pub top: Vec<TokenAlt>,
    /// Context cells this sequence fills when the token is sampled (prompt and earlier tokens):
    /// lets a context gauge move while a reply streams, not only when it ends.
    #[serde(default)]
    pub context_used: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model produced an end-of-generation token.
    Eos,
    MaxTokens,
    StopString,
    Cancelled,
    /// The context filled up during generation.
    ContextFull,
}

/// Figures for one finished sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneStats {
    pub seq: usize,
    pub stop: StopReason,
    /// The full generated text (sanitized), equal to all token events' `text` joined.
    pub text: String,
    /// Prompt length in tokens.
    pub prompt_tokens: u32,
    /// Prompt tokens that actually went through the model (the rest came from the KV cache).
    pub prompt_tokens_decoded: u32,
    pub generated_tokens: u32,
    /// Milliseconds from the request's start to the first generated token.
    pub ttft_ms: f64,
    pub prompt_tps: f64,
    pub gen_tps: f64,
    /// Mean log-probability of the generated tokens.
    pub mean_logprob: f64,
    /// Chat messages dropped from the start (after the system prompt) to fit the context.
    pub dropped_messages: u32,
    /// Tokens in the context after this reply (for a context gauge).
    pub context_used: u32,
    /// Set when this conversation could not use the chat layout chosen at load (the template
    /// raised on it) and got a fallback layout: why, to be said with the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_fallback: Option<String>,
}

impl DoneStats {
    /// A reply's final text: the engine's own, unless it has none while text was streamed
    /// (one rule for the chat, the compare view and every other view that streams a reply).
    pub fn final_text(&self, streamed: &str) -> String {
        if !self.text.is_empty() || streamed.is_empty() {
            self.text.clone()
        } else {
            streamed.to_string()
        }
    }
}

/// Scores for one candidate continuation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateScore {
    pub candidate: String,
    pub token_logprobs: Vec<f32>,
    pub logprob: f64,
    /// Normalized over all candidates (softmax of `logprob`).
    pub prob: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreResult {
    pub candidates: Vec<CandidateScore>,
    pub prompt_tokens: u32,
    pub prompt_tokens_decoded: u32,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub mean: f64,
    pub sd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    pub pp: Rate,
    pub tg: Rate,
    /// Aggregate tokens/s of `variants` concurrent sequences, when asked for.
    pub tg_batched: Option<Rate>,
    pub params: BenchParams,
    /// Threads it ran with (0: not reported, e.g. an older build) and why that many.
    #[serde(default)]
    pub threads: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub threads_reason: String,
}

/// What the engine says. `id` is that of the request it answers.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: RequestId,
    pub kind: EventKind,
}

#[derive(Debug, Clone)]
pub enum EventKind {
    /// 0.0 ..= 1.0
    LoadProgress(f32),
    Loaded(ModelInfo),
    /// Prompt tokens of a generation decoded so far, after each batch (`total` is what this
    /// request decodes, not counting what the KV cache already held).
    PromptProgress {
        done: u32,
        total: u32,
    },
    /// The chat outgrew the context: what was dropped and how (before any token).
    Overflow(super::shift::OverflowReport),
    /// The automatic thread count changed before this request (other programs' load moved).
    Threads(super::threads::ThreadChoice),
    Token(TokenEvent),
    Done(DoneStats),
    Scored(ScoreResult),
    Embedded(Vec<Vec<f32>>),
    TokenCounts(Vec<u32>),
    Rendered(String),
    Benched(BenchResult),
    /// The KV cache was cleared.
    ResetDone,
    ContextState(super::shift::ContextState),
    /// `seq` names the failed sequence of a generation; `None` means the whole request failed.
    Error {
        seq: Option<usize>,
        error: super::EngineError,
    },
}
