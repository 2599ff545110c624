//! Label scoring: the log-probability of each candidate continuation after a prompt, all
//! candidates in one batched decode on top of a prompt decoded once (and reused from the KV
//! cache when the last request shared its prefix, as rows of an evaluation do).

use std::time::Instant;

use super::batch::Entry;
use super::load::MAX_SEQS;
use super::logprobs::log_sum_exp;
use super::model_context::ModelContext;
use super::render::common_prefix;
use super::types::{CandidateScore, Prompt, ScoreResult};
use super::EngineError;

/// Tag of the prompt's last token, whose logits predict every candidate's first token.
const SHARED: usize = usize::MAX;

impl ModelContext<'_> {
    pub fn score(
        &mut self,
        prompt: &Prompt,
        candidates: &[String],
        reuse_cache: bool,
    ) -> Result<ScoreResult, EngineError> {
        let start = Instant::now();
        let n = candidates.len();
        if n == 0 || n > MAX_SEQS as usize {
            return Err(EngineError::Input(format!(
                "scoring needs 1 to {MAX_SEQS} candidates, got {n}"
            )));
        }
        let (text, _) = self.render(prompt)?;
        let special = matches!(prompt, Prompt::Chat(_));
        let p = self.tokenize(&text, true, special);
        // Tokenize prompt+candidate whole, as the model would see it (see `split_point`).
        let fulls: Vec<_> = candidates
            .iter()
            .map(|c| self.tokenize(&format!("{text}{c}"), true, special))
            .collect();
        let s = split_point(&p, &fulls)?;
        let conts: Vec<_> = fulls.iter().map(|f| f[s..].to_vec()).collect();
        if let Some(i) = conts.iter().position(|c| c.is_empty()) {
            return Err(EngineError::Input(format!(
                "candidate {:?} adds nothing after the prompt",
                candidates[i]
            )));
        }
        let total = s + conts.iter().map(Vec::len).sum::<usize>();
        if total >= self.n_ctx as usize {
            return Err(EngineError::PromptTooLong {
                prompt: total as u32,
                n_ctx: self.n_ctx,
            });
        }
        if !reuse_cache {
            self.clear_all();
        }
        let reuse = common_prefix(&self.cached, &p[..s]).min(s - 1);
        for q in 1..MAX_SEQS as i32 {
            self.seq_rm(q, 0);
        }
        self.seq_rm(0, reuse);
        self.cached.truncate(reuse);
        for q in 1..n as i32 {
            self.ctx
                .copy_kv_cache_seq(0, q, Some(0), Some(reuse as u32))
                .map_err(|e| {
                    EngineError::Backend(format!("cannot share the cached prompt: {e}"))
                })?;
        }
        let all: Vec<i32> = (0..n as i32).collect();
        let mut entries: Vec<Entry> = (reuse..s)
            .map(|i| Entry {
                token: p[i],
                pos: i as i32,
                seqs: all.clone(),
                logits: i + 1 == s,
                tag: SHARED,
            })
            .collect();
        let mut lookup: Vec<(usize, usize)> = Vec::new();
        for (c, toks) in conts.iter().enumerate() {
            for (j, &token) in toks.iter().enumerate() {
                let wants = j + 1 < toks.len();
                entries.push(Entry {
                    token,
                    pos: (s + j) as i32,
                    seqs: vec![c as i32],
                    logits: wants,
                    tag: lookup.len(),
                });
                lookup.push((c, j));
            }
        }
        let mut lps: Vec<Vec<f32>> = conts.iter().map(|c| vec![0.0; c.len()]).collect();
        let decoded = entries.len() as u32;
        let result = self.feed(&entries, |ctx, tag, idx| {
            let logits = ctx.get_logits_ith(idx);
            let lse = log_sum_exp(logits);
            let lp = |t: llama_cpp_2::token::LlamaToken| {
                logits
                    .get(t.0 as usize)
                    .map(|l| l - lse)
                    .unwrap_or(f32::NEG_INFINITY)
            };
            if tag == SHARED {
                for (c, toks) in conts.iter().enumerate() {
                    lps[c][0] = lp(toks[0]);
                }
            } else {
                let (c, j) = lookup[tag];
                lps[c][j + 1] = lp(conts[c][j + 1]);
            }
            Ok(())
        });
        if let Err(e) = result {
            self.clear_all();
            return Err(e);
        }
        // Sequence 0 now holds the prompt and the first candidate: the base for the next row.
        let mut cached = p[..s].to_vec();
        cached.extend_from_slice(&conts[0]);
        self.cached = cached;
        for q in 1..n as i32 {
            self.seq_rm(q, 0);
        }
        Ok(ScoreResult {
            candidates: candidate_scores(candidates, lps),
            prompt_tokens: s as u32,
            prompt_tokens_decoded: decoded,
            elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// Where the prompt ends and the candidates begin, given the prompt's tokens and each
/// prompt+candidate tokenized whole, as the model sees them: a candidate's first token may merge
/// with the prompt's end, so the split is the shortest common prefix (at most the prompt).
/// Shared with llama-server scoring, so a server splits rows as the local engine does.
pub(crate) fn split_point<T: PartialEq>(
    prompt: &[T],
    fulls: &[Vec<T>],
) -> Result<usize, EngineError> {
    let s = fulls
        .iter()
        .map(|f| prompt.iter().zip(f).take_while(|(a, b)| a == b).count())
        .min()
        .unwrap_or(0)
        .min(prompt.len());
    if s == 0 {
        return Err(EngineError::Input(
            "cannot score after an empty prompt".into(),
        ));
    }
    Ok(s)
}

/// Candidates with their summed token log-probabilities and the softmax over them (shared with
/// the remote backends, which read the same log-probabilities from a server).
pub(crate) fn candidate_scores(candidates: &[String], lps: Vec<Vec<f32>>) -> Vec<CandidateScore> {
    let totals: Vec<f64> = lps
        .iter()
        .map(|v| v.iter().map(|&x| x as f64).sum())
        .collect();
    let max = totals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = totals.iter().map(|t| (t - max).exp()).sum();
    candidates
        .iter()
        .zip(lps)
        .zip(&totals)
        .map(|((c, token_logprobs), &logprob)| CandidateScore {
            candidate: c.clone(),
            token_logprobs,
            logprob,
            prob: (logprob - max).exp() / z,
        })
        .collect()
}
