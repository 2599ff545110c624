//! Running planned turns: each is generated again on the engine (a model loaded only when a
//! turn needs another one) and compared with the recorded reply, down to the token, word and
//! byte where they part.

use std::path::PathBuf;

use super::plan::plan;
use super::{Outcome, ReplayError, ReplayOptions, ReplayReport, TurnPlan, TurnReplay};
use crate::engine::{Engine, EngineSettings, TokenEvent};
use crate::session::diff::{common_prefix_len, word_diff, word_index_at};
use crate::session::format::{ReplyStats, Session};

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
