//! Embeddings in the engine: texts packed many to a decode (one sequence each), pooled the way
//! the model says (mean, CLS or last token; mean for a chat model, which declares none) and
//! L2-normalised.

use std::num::NonZeroU32;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use super::model_context::ModelContext;
use super::pooling::Pooling;
use super::EngineError;

/// Most texts one decode embeds.
const EMBED_SEQS: u32 = 64;
/// Tokens one embedding decode holds: encoders must see a whole batch in one micro-batch, so this
/// is also the longest text (longer ones are cut).
const EMBED_TOKENS: u32 = 2048;

impl ModelContext<'_> {
    /// The pooling this context's embeddings use.
    pub(crate) fn embed_pooling(&self) -> Pooling {
        self.pooling.unwrap_or(Pooling::Mean)
    }

    /// One unit vector per text, in order.
    pub fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        let pooling = self.embed_pooling();
        if pooling == Pooling::Rank {
            return Err(EngineError::Input(
                "this model is a reranker: it scores text pairs and makes no text vectors; use an embedding model".into(),
            ));
        }
        let trained = self.model.n_ctx_train();
        let limit = if trained > 0 {
            EMBED_TOKENS.min(trained)
        } else {
            EMBED_TOKENS
        } as usize;
        let mut all = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let tokens = self.embed_tokens(text, limit);
            if tokens.is_empty() {
                return Err(EngineError::Input(format!(
                    "cannot embed an empty text (text {})",
                    i + 1
                )));
            }
            all.push(tokens);
        }
        self.ensure_embed_ctx(pooling)?;
        let mut out = Vec::with_capacity(texts.len());
        let mut start = 0;
        while start < all.len() {
            // Greedy packing: as many whole texts as fit the token budget and sequence slots.
            let mut end = start;
            let mut n_tokens = 0;
            while end < all.len()
                && end - start < EMBED_SEQS as usize
                && n_tokens + all[end].len() <= EMBED_TOKENS as usize
            {
                n_tokens += all[end].len();
                end += 1;
            }
            out.extend(self.embed_pack(&all[start..end], n_tokens)?);
            start = end;
        }
        Ok(out)
    }

    /// Tokens of `text` cut to `limit`; a cut keeps the closing [SEP] or EOS the tokenizer adds,
    /// since BERT-style models are trained with it.
    fn embed_tokens(&self, text: &str, limit: usize) -> Vec<LlamaToken> {
        let mut tokens = self.tokenize(text, true, false);
        if tokens.len() > limit {
            let vocab = self.model.vocab();
            let last = tokens[tokens.len() - 1];
            let closing = (vocab.should_add_sep() && last == vocab.sep())
                || (vocab.should_add_eos() && last == vocab.eos());
            tokens.truncate(limit);
            if closing {
                tokens[limit - 1] = last;
            }
        }
        tokens
    }

    fn ensure_embed_ctx(&mut self, pooling: Pooling) -> Result<(), EngineError> {
        if self.embed_ctx.is_some() {
            return Ok(());
        }
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(EMBED_TOKENS))
            .with_n_batch(EMBED_TOKENS)
            .with_n_ubatch(EMBED_TOKENS)
            .with_n_seq_max(EMBED_SEQS)
            // Any sequence may use the whole cache of a causal model, not 1/64th of it.
            .with_kv_unified(true)
            .with_embeddings(true)
            .with_pooling_type(pooling.llama())
            .with_n_threads(self.threads as i32)
            .with_n_threads_batch(self.threads as i32);
        let ctx = self.model.new_context(self.backend, params).map_err(|e| {
            EngineError::Backend(format!("cannot create an embedding context: {e}"))
        })?;
        self.embed_ctx = Some(ctx);
        Ok(())
    }

    /// One decode of `texts` as sequences 0..n; their pooled, normalised vectors.
    fn embed_pack(
        &mut self,
        texts: &[Vec<LlamaToken>],
        n_tokens: usize,
    ) -> Result<Vec<Vec<f32>>, EngineError> {
        let ctx = self
            .embed_ctx
            .as_mut()
            .ok_or_else(|| EngineError::Backend("no embedding context".into()))?;
        // A causal model keeps the last pack in its cache; an encoder has none to clear.
        ctx.clear_kv_cache();
        let mut batch = LlamaBatch::new(n_tokens, 1);
        for (seq, tokens) in texts.iter().enumerate() {
            batch
                .add_sequence(tokens, seq as i32, true)
                .map_err(|e| EngineError::Backend(e.to_string()))?;
        }
        ctx.decode(&mut batch)
            .map_err(|e| EngineError::Backend(format!("embedding decode failed: {e}")))?;
        (0..texts.len())
            .map(|seq| {
                let v = ctx
                    .embeddings_seq_ith(seq as i32)
                    .map_err(|e| EngineError::Backend(format!("no embedding: {e}")))?;
                Ok(normalized(v))
            })
            .collect()
    }
}

fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter().map(|x| x / norm).collect()
}

impl super::Request {
    /// Whether an embedding model can serve this request: it has no language-model head to
    /// generate, score labels or measure generation speed with.
    pub(crate) fn works_on_embedding_models(&self) -> bool {
        !matches!(
            self,
            super::Request::Generate { .. }
                | super::Request::Score { .. }
                | super::Request::Bench(_)
        )
    }
}
