//! Planning a replay: for each answered user turn of a chat session, the model file to run it
//! on (recorded, found again by name, or given), checked settings, and the prompt, skipping
//! a template's worked examples, which stand in the session as turns but are context.

use std::path::PathBuf;

use super::{ReplayError, ReplayOptions, SamplingFrom, TurnPlan};
use crate::engine::{Prompt, Role};
use crate::session::format::{Message, ModelRef, PromptMode, Session, SessionKind};
use crate::session::model_hash::sha256_cached;

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
