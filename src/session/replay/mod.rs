//! Replaying a chat session: each user turn is sent again with the recorded conversation up to
//! it (so later turns are compared fairly even when an earlier one diverged), on the recorded
//! model and settings or on other ones, and each new reply is compared with the recorded one.
//!
//! The TUI can replay turn by turn (`plan` then `Replayer::run_turn` per `TurnPlan`) or all at
//! once (`replay`).
//!
//! The types are here; `plan` makes a `TurnPlan` per turn from a session, `run` generates
//! turns again and compares them with the recording.

mod plan;
mod run;

use std::path::PathBuf;

use serde::Serialize;

pub use plan::{locate_model, plan, prompt_for};
pub use run::{compare, replay, Replayer};

use super::diff::Span;
use super::format::ReplyStats;
use crate::engine::{EngineError, EngineSettings, Prompt, Sampling};

/// Where replayed turns take their sampling settings from.
#[derive(Debug, Clone, PartialEq)]
pub enum SamplingFrom {
    /// Each reply's recorded `Sampling` (seed included); `fallback` for replies without one.
    Recorded { fallback: Sampling },
    /// These settings for every turn.
    Current(Sampling),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// A model file for every turn instead of the recorded ones.
    pub model: Option<PathBuf>,
    pub sampling: SamplingFrom,
    /// Overrides of the recorded engine settings.
    pub threads: Option<u32>,
    pub n_ctx: Option<u32>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            model: None,
            sampling: SamplingFrom::Recorded {
                fallback: Sampling::greedy(),
            },
            threads: None,
            n_ctx: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("session {id} is a {kind} session: only chat sessions can be replayed")]
    NotChat { id: String, kind: &'static str },
    #[error("turn {turn}: {detail}")]
    Model { turn: usize, detail: String },
    #[error("turn {turn}: {source}")]
    Engine { turn: usize, source: EngineError },
}

/// Everything needed to replay one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnPlan {
    /// 1-based number of the user turn.
    pub turn: usize,
    /// Index of the recorded reply in `Session::messages`.
    pub reply_index: usize,
    pub user: String,
    pub recorded: String,
    pub prompt: Prompt,
    pub model: PathBuf,
    pub engine: EngineSettings,
    pub sampling: Sampling,
    /// Start from an empty KV cache (the recorded reply decoded its whole prompt).
    pub reset_cache: bool,
    /// Where the recorded reply ran (backend, device, layers), when recorded.
    pub recorded_device: Option<crate::engine::Offload>,
}

/// How a replayed reply compares with the recorded one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Identical,
    /// First difference: the 0-based index of the replayed token, of the word (whitespace-
    /// separated, in the recorded text) and of the byte where the texts part.
    Differs {
        token: usize,
        word: usize,
        byte: usize,
    },
}

/// One replayed turn, for the side-by-side view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnReplay {
    pub turn: usize,
    pub reply_index: usize,
    pub user: String,
    pub recorded: String,
    pub replayed: String,
    pub model: String,
    pub sampling: Sampling,
    pub stats: ReplyStats,
    pub outcome: Outcome,
    pub diff: Vec<Span>,
    /// Why a reply may differ without anything being wrong: it was recorded on another device
    /// (CPU vs GPU, or another GPU), whose arithmetic rounds differently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub session: String,
    pub turns: Vec<TurnReplay>,
    /// Things the user should know (a model file that differs from the recorded one…).
    pub warnings: Vec<String>,
}

impl ReplayReport {
    pub fn identical(&self) -> usize {
        self.turns
            .iter()
            .filter(|t| t.outcome == Outcome::Identical)
            .count()
    }
    pub fn all_identical(&self) -> bool {
        self.identical() == self.turns.len()
    }
}
