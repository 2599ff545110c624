//! Label scoring with several rows in flight at once, for engines that serve requests
//! concurrently (a model server with several slots): rows go out in windows of the engine's
//! parallelism and are recorded in row order, so results equal the one-at-a-time path.

use std::sync::mpsc;

use super::methods::{row_error, Ctx, Record, RowOutcome, TokenStats};
use super::variant::VariantSpec;
use super::CompareError;
use crate::engine::{EngineError, Event, EventKind, Request};

pub(super) fn score_rows(
    ctx: &Ctx<'_>,
    spec: &VariantSpec,
    record: &mut Record<'_>,
) -> Result<TokenStats, CompareError> {
    let candidates = ctx.template.label_candidates(spec.mode);
    let window = ctx.engine.parallelism().max(1);
    let mut stats = TokenStats::default();
    let indices: Vec<usize> = (0..ctx.data.rows.len()).collect();
    for chunk in indices.chunks(window) {
        if ctx.cancelled() {
            break;
        }
        let (tx, rx) = mpsc::channel::<(usize, Event)>();
        let mut outcomes: Vec<(usize, RowOutcome)> = Vec::with_capacity(chunk.len());
        let mut waiting = 0;
        for &i in chunk {
            match ctx.render(spec, &ctx.data.rows[i]) {
                Err(e) => outcomes.push((i, RowOutcome::failed(e))),
                Ok(r) => {
                    let tx = tx.clone();
                    ctx.engine.submit(
                        Request::Score {
                            prompt: r.prompt,
                            candidates: candidates.clone(),
                            reuse_cache: ctx.reuse_cache,
                        },
                        move |ev: Event| tx.send((i, ev)).is_ok(),
                    );
                    waiting += 1;
                }
            }
        }
        drop(tx);
        while waiting > 0 {
            let (i, ev) = rx.recv().map_err(|_| EngineError::Stopped)?;
            let outcome = match ev.kind {
                EventKind::Scored(s) => {
                    stats.add(s.prompt_tokens, s.prompt_tokens_decoded);
                    RowOutcome::from_probs(s.candidates.iter().map(|c| c.prob).collect())
                }
                EventKind::Error { error, .. } => row_error(error)?,
                _ => continue,
            };
            outcomes.push((i, outcome));
            waiting -= 1;
        }
        outcomes.sort_by_key(|(i, _)| *i);
        record(outcomes);
    }
    Ok(stats)
}
