//! `howdah bench` inside the engine: prompt processing (pp) and generation (tg) rates measured
//! as llama-bench does, but through howdah's own decode and sampling path.

use std::sync::Arc;
use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use super::batch::{decode_error, Entry};
use super::gen::sample_at;
use super::load::MAX_SEQS;
use super::model_context::ModelContext;
use super::sampler_chain::SamplerChain;
use super::types::{BenchParams, BenchResult, Rate, RequestId};
use super::{CancelState, EngineError, Sampling};

fn rate(samples: &[f64]) -> Rate {
    let n = samples.len().max(1) as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let sd = if samples.len() > 1 {
        (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Rate { mean, sd }
}

impl ModelContext<'_> {
    pub fn bench(
        &mut self,
        p: &BenchParams,
        cancel: &Arc<CancelState>,
        id: RequestId,
    ) -> Result<BenchResult, EngineError> {
        let variants = p.variants.max(1);
        if variants > MAX_SEQS {
            return Err(EngineError::Input(format!(
                "--variants must be at most {MAX_SEQS}, got {variants}"
            )));
        }
        let need = p.n_prompt.max(p.n_gen * variants + 1);
        if need >= self.n_ctx {
            return Err(EngineError::PromptTooLong {
                prompt: need,
                n_ctx: self.n_ctx,
            });
        }
        let cancelled = || EngineError::Input("the benchmark was cancelled".into());
        // Deterministic pseudo-random prompt tokens, like llama-bench's random prompt.
        let n_vocab = self.model.n_vocab().max(2) as u64;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let prompt: Vec<LlamaToken> = (0..p.n_prompt)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                LlamaToken((x % n_vocab) as i32)
            })
            .collect();
        // Warm-up, as llama-bench does: the first decode pays for allocations.
        self.clear_all();
        self.pp_once(&prompt[..prompt.len().min(32)])?;
        self.tg_once(8, 1)?;

        let mut pp = Vec::new();
        let mut tg = Vec::new();
        let mut tgb = Vec::new();
        for _ in 0..p.repetitions.max(1) {
            if cancel.is_cancelled(id) {
                self.clear_all();
                return Err(cancelled());
            }
            if p.n_prompt > 0 {
                pp.push(p.n_prompt as f64 / self.pp_once(&prompt)?);
            }
            if p.n_gen > 0 {
                tg.push(p.n_gen as f64 / self.tg_once(p.n_gen, 1)?);
                if variants > 1 {
                    tgb.push((p.n_gen * variants) as f64 / self.tg_once(p.n_gen, variants)?);
                }
            }
        }
        self.clear_all();
        Ok(BenchResult {
            pp: rate(&pp),
            tg: rate(&tg),
            tg_batched: (variants > 1).then(|| rate(&tgb)),
            params: p.clone(),
            threads: self.threads,
            threads_reason: self.threads_reason.clone(),
        })
    }

    /// Seconds to decode `prompt` in n_batch chunks.
    fn pp_once(&mut self, prompt: &[LlamaToken]) -> Result<f64, EngineError> {
        self.clear_all();
        let entries: Vec<Entry> = prompt
            .iter()
            .enumerate()
            .map(|(i, &token)| Entry {
                token,
                pos: i as i32,
                seqs: vec![0],
                logits: i + 1 == prompt.len(),
                tag: 0,
            })
            .collect();
        let t = Instant::now();
        self.feed(&entries, |_, _, _| Ok(()))?;
        Ok(t.elapsed().as_secs_f64())
    }

    /// Seconds to generate `n` tokens on each of `seqs` sequences, one batched decode per step,
    /// with greedy sampling and log-probabilities, as in a real generation.
    fn tg_once(&mut self, n: u32, seqs: u32) -> Result<f64, EngineError> {
        self.clear_all();
        let mut samplers = (0..seqs)
            .map(|_| SamplerChain::new(self.model, &Sampling::greedy()))
            .collect::<Result<Vec<_>, _>>()?;
        let all: Vec<i32> = (0..seqs as i32).collect();
        let mut batch = LlamaBatch::new(seqs as usize, seqs as i32);
        batch
            .add(self.model.vocab().bos(), 0, &all, true)
            .map_err(|e| EngineError::Backend(e.to_string()))?;
        self.ctx
            .decode(&mut batch)
            .map_err(|e| decode_error(e, self.n_ctx))?;
        let mut next: Vec<LlamaToken> = samplers
            .iter_mut()
            .map(|s| sample_at(&self.ctx, s, 0).token)
            .collect();
        let t = Instant::now();
        for step in 0..n {
            batch.clear();
            for (q, &tok) in next.iter().enumerate() {
                batch
                    .add(tok, step as i32 + 1, &[q as i32], true)
                    .map_err(|e| EngineError::Backend(e.to_string()))?;
            }
            self.ctx
                .decode(&mut batch)
                .map_err(|e| decode_error(e, self.n_ctx))?;
            for (q, s) in samplers.iter_mut().enumerate() {
                next[q] = sample_at(&self.ctx, s, q as i32).token;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        self.clear_all();
        Ok(secs)
    }
}
