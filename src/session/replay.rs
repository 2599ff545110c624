//! Replaying a chat session: each user turn is sent again with the recorded conversation up to
//! it (so later turns are compared fairly even when an earlier one diverged), on the recorded
//! model and settings or on other ones, and each new reply is compared with the recorded one.
//!
//! The TUI can replay turn by turn (`plan` then `Replayer::run_turn` per `TurnPlan`) or all at
//! once (`replay`).

use std::path::PathBuf;

use serde::Serialize;

use super::diff::{common_prefix_len, word_diff, word_index_at, Span};
use super::format::{Message, ModelRef, PromptMode, ReplyStats, Session, SessionKind};
use super::model_hash::sha256_cached;
use crate::engine::{Engine, EngineError, EngineSettings, Prompt, Role, Sampling, TokenEvent};

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

/// The prompt for the reply that follows `messages` (the conversation up to a user turn).
pub fn prompt_for(messages: &[Message], mode: PromptMode) -> Prompt {
    match mode {
        PromptMode::Chat => Prompt::Chat(messages.iter().map(Message::to_chat).collect()),
        PromptMode::Raw => Prompt::Raw(messages.iter().map(|m| m.content.as_str()).collect()),
    }
}

/// Finds the file of a recorded model: its recorded path when size still matches, else a model
/// of the same file name among those `howdah models` finds.
pub fn locate_model(m: &ModelRef) -> Result<PathBuf, String> {
    // A server's model is named by its id on that server (a remote engine loads it by name).
    if let Some(b) = &m.backend {
        return Ok(PathBuf::from(&b.model));
    }
    if std::fs::metadata(&m.path).is_ok_and(|md| md.is_file() && md.len() == m.size) {
        return Ok(m.path.clone());
    }
    crate::model::discover::resolve(&m.file_name, &[])
        .ok()
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "the recorded model {} ({}) is not found: replay on another model",
                m.file_name,
                m.path.display()
            )
        })
}

/// Plans every user turn that has a recorded reply. Warnings (model files whose hash differs
/// from the recorded one) are added to `warnings`.
pub fn plan(
    session: &Session,
    opts: &ReplayOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<TurnPlan>, ReplayError> {
    if session.kind != SessionKind::Chat {
        return Err(ReplayError::NotChat {
            id: session.id.clone(),
            kind: session.kind.as_str(),
        });
    }
    let msgs = &session.messages;
    let shots = worked_examples(session);
    let mut plans = Vec::new();
    let mut turn = 0;
    let mut checked: Vec<PathBuf> = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        if m.role != Role::User {
            continue;
        }
        let Some(reply) = msgs.get(i + 1).filter(|r| r.role == Role::Assistant) else {
            turn += 1;
            warnings.push(format!("turn {turn} has no recorded reply: skipped"));
            continue;
        };
        let rec = reply.reply.as_deref();
        if rec.is_none() && shots.contains(&(m.content.as_str(), reply.content.as_str())) {
            // A template's worked example: context of the turn after it, not a turn itself.
            continue;
        }
        turn += 1;
        let model = match (&opts.model, rec) {
            (Some(p), _) => p.clone(),
            (None, Some(r)) => {
                let p =
                    locate_model(&r.model).map_err(|detail| ReplayError::Model { turn, detail })?;
                if let Some(want) = &r.model.sha256 {
                    if !checked.contains(&p) {
                        checked.push(p.clone());
                        match sha256_cached(&p) {
                            Ok(h) if &h != want => warnings.push(format!(
                                "{} differs from the recorded model file (sha256 {} recorded, {} now)",
                                p.display(),
                                short(want),
                                short(&h)
                            )),
                            Ok(_) => {}
                            Err(e) => warnings.push(format!("cannot hash {}: {e}", p.display())),
                        }
                    }
                }
                p
            }
            (None, None) => match &session.model_hint {
                Some(hint) => {
                    crate::model::discover::resolve(hint, &[]).map_err(|e| ReplayError::Model {
                        turn,
                        detail: format!("the session names model {hint}: {e}"),
                    })?
                }
                None => {
                    return Err(ReplayError::Model {
                        turn,
                        detail: "no model is recorded for this reply: it was not made by \
                                     howdah; replay it on another model"
                            .into(),
                    })
                }
            },
        };
        let mut engine = rec.map(|r| r.engine.clone()).unwrap_or_default();
        if opts.threads.is_some() {
            engine.threads = opts.threads;
        }
        if opts.n_ctx.is_some() {
            engine.n_ctx = opts.n_ctx;
        }
        let sampling = match (&opts.sampling, rec) {
            (SamplingFrom::Current(s), _) => s.clone(),
            (SamplingFrom::Recorded { .. }, Some(r)) => r.sampling.clone(),
            (SamplingFrom::Recorded { fallback }, None) => fallback.clone(),
        };
        // Stored settings are outside input: checked like flags before any model loads.
        let engine = crate::engine::settings::check_for_model(
            &engine,
            &sampling,
            &model,
            &crate::engine::settings::Source::Session(session.id.clone()),
            warnings,
        )
        .map_err(|detail| ReplayError::Model { turn, detail })?;
        let mode = rec.map(|r| r.mode).unwrap_or_default();
        let prompt = rec
            .and_then(|r| r.prompt.clone())
            .unwrap_or_else(|| prompt_for(&msgs[..=i], mode));
        let reset_cache = plans.is_empty()
            || rec.is_none_or(|r| r.stats.prompt_tokens_decoded >= r.stats.prompt_tokens);
        plans.push(TurnPlan {
            turn,
            reply_index: i + 1,
            user: m.content.clone(),
            recorded: reply.content.clone(),
            prompt,
            model,
            engine,
            sampling,
            reset_cache,
            recorded_device: rec.and_then(|r| r.device.clone()),
        });
    }
    Ok(plans)
}

/// Explains a difference between replies made on different devices.
fn device_note(was: &crate::engine::Offload, now: &crate::engine::Offload) -> String {
    let place = |o: &crate::engine::Offload| {
        if o.layers_offloaded == 0 {
            format!("the CPU ({})", o.device)
        } else {
            format!(
                "{} ({}, {}/{} layers)",
                o.device, o.backend, o.layers_offloaded, o.layers_total
            )
        }
    };
    format!(
        "recorded on {}, replayed on {}: CPU and GPU kernels (and different GPUs) add and round in different orders, so greedy replies can part after a near tie; replay with the recorded placement (-ngl {}) to compare like with like",
        place(was),
        place(now),
        was.layers_offloaded
    )
}

/// The (input, output) pairs of the worked examples a template put before a recorded reply:
/// they stand in the session as turns without a record of their own.
fn worked_examples(session: &Session) -> Vec<(&str, &str)> {
    session
        .messages
        .iter()
        .filter_map(|m| m.reply.as_ref()?.setup.as_ref())
        .flat_map(|s| &s.shots)
        .map(|s| (s.input.as_str(), s.output.as_str()))
        .collect()
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Runs planned turns on one engine, loading a model only when a turn needs another one.
pub struct Replayer<'e> {
    engine: &'e Engine,
    loaded: Option<(PathBuf, EngineSettings)>,
    /// Where the loaded model runs.
    device: Option<crate::engine::Offload>,
}

impl<'e> Replayer<'e> {
    pub fn new(engine: &'e Engine) -> Replayer<'e> {
        Replayer {
            engine,
            loaded: None,
            device: None,
        }
    }

    /// Generates one turn again and compares it; `on_token` sees the replayed tokens stream.
    pub fn run_turn(
        &mut self,
        plan: &TurnPlan,
        mut on_token: impl FnMut(&TokenEvent),
    ) -> Result<TurnReplay, ReplayError> {
        let turn = plan.turn;
        let want = (plan.model.clone(), plan.engine.clone());
        let err = |source| ReplayError::Engine { turn, source };
        let model_name = if self.loaded.as_ref() != Some(&want) {
            let info = self
                .engine
                .load(&plan.model, plan.engine.clone())
                .map_err(err)?;
            self.loaded = Some(want);
            self.device = info.offload.as_deref().cloned();
            info.file_name
        } else {
            plan.model
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        if plan.reset_cache {
            self.engine.reset().map_err(err)?;
        }
        let mut pieces: Vec<usize> = Vec::new();
        let done = self
            .engine
            .generate_one(plan.prompt.clone(), plan.sampling.clone(), |t| {
                if t.token_id >= 0 {
                    pieces.push(t.piece.len());
                }
                on_token(t)
            })
            .map_err(err)?;
        let outcome = compare(&plan.recorded, &done.text, &pieces);
        let device_note = match (&outcome, &plan.recorded_device, &self.device) {
            (Outcome::Differs { .. }, Some(was), Some(now)) if was.differs_from(now) => {
                Some(device_note(was, now))
            }
            _ => None,
        };
        Ok(TurnReplay {
            turn,
            reply_index: plan.reply_index,
            user: plan.user.clone(),
            recorded: plan.recorded.clone(),
            diff: word_diff(&plan.recorded, &done.text),
            replayed: done.text.clone(),
            model: model_name,
            sampling: plan.sampling.clone(),
            stats: ReplyStats::from(&done),
            outcome,
            device_note,
        })
    }
}

/// Compares texts; `piece_lens` are the byte lengths of the replayed tokens' texts, used to
/// name the token where the replay parted from the recording.
pub fn compare(recorded: &str, replayed: &str, piece_lens: &[usize]) -> Outcome {
    if recorded == replayed {
        return Outcome::Identical;
    }
    let byte = common_prefix_len(recorded, replayed);
    let mut end = 0;
    let token = piece_lens
        .iter()
        .position(|len| {
            end += len;
            end > byte
        })
        .unwrap_or(piece_lens.len());
    Outcome::Differs {
        token,
        word: word_index_at(recorded, byte),
        byte,
    }
}

/// Replays every turn; `on_turn` sees each result as soon as it is ready.
pub fn replay(
    engine: &Engine,
    session: &Session,
    opts: &ReplayOptions,
    mut on_turn: impl FnMut(&TurnReplay),
) -> Result<ReplayReport, ReplayError> {
    let mut warnings = Vec::new();
    let plans = plan(session, opts, &mut warnings)?;
    let mut r = Replayer::new(engine);
    let mut turns = Vec::new();
    for p in &plans {
        let t = r.run_turn(p, |_| {})?;
        on_turn(&t);
        turns.push(t);
    }
    Ok(ReplayReport {
        session: session.id.clone(),
        turns,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_names_token_word_and_byte() {
        assert_eq!(compare("a b", "a b", &[1, 2]), Outcome::Identical);
        // Tokens "The", " cat", " sat" vs recorded "The cow sat": parts inside token 1.
        assert_eq!(
            compare("The cow sat", "The cat sat", &[3, 4, 4]),
            Outcome::Differs {
                token: 1,
                word: 1,
                byte: 5
            }
        );
        // A replay that stops early parts after its last token.
        assert_eq!(
            compare("The cat sat", "The cat", &[3, 4]),
            Outcome::Differs {
                token: 2,
                word: 2,
                byte: 7
            }
        );
    }
}
