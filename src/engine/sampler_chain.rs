//! Picking the next token: the sampler chain, plus an optional GBNF grammar applied the way
//! llama.cpp's own tools do it — sample first, check the pick against the grammar, and mask the
//! whole vocabulary only when the pick is rejected (masking every step costs a full vocabulary
//! pass through the grammar, which is slow on 262k-token vocabularies).

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use super::{EngineError, Sampling};

/// One sequence's samplers: llama.cpp's chain (`LlamaSampler::chain_simple`) and, kept apart
/// from it, the grammar, which is applied only when the chain's pick breaks it. Not a
/// `LlamaSampler` itself; named apart from the UI's model picker.
pub(crate) struct SamplerChain {
    chain: LlamaSampler,
    grammar: Option<LlamaSampler>,
    /// Greedy with no penalties and no grammar: the argmax, with no state to keep.
    plain_greedy: bool,
}

impl SamplerChain {
    /// Builds llama.cpp's sampler chain in llama.cpp's own order: penalties, top-k, typical,
    /// top-p, min-p, temperature, then the pick (greedy or seeded).
    pub fn new(model: &LlamaModel, s: &Sampling) -> Result<SamplerChain, EngineError> {
        s.validate().map_err(EngineError::Sampling)?;
        if let Some(g) = &s.grammar {
            one_token_each(model, g)?;
        }
        let grammar = match &s.grammar {
            Some(g) => Some(LlamaSampler::grammar(model, g, "root").map_err(|e| {
                EngineError::Grammar(format!(
                    "llama.cpp could not use the GBNF grammar ({e}); check that every `<token>` in it is one token of this model"
                ))
            })?),
            None => None,
        };
        let mut chain = Vec::new();
        let penalties_on = s.penalty_window > 0
            && (s.repeat_penalty != 1.0 || s.frequency_penalty != 0.0 || s.presence_penalty != 0.0);
        if penalties_on {
            chain.push(LlamaSampler::penalties(
                model.n_vocab(),
                s.penalty_window,
                s.repeat_penalty,
                s.frequency_penalty,
                s.presence_penalty,
            ));
        }
        if s.is_greedy() {
            chain.push(LlamaSampler::greedy());
        } else {
            // top-k first keeps the later samplers from sorting the whole vocabulary.
            if s.top_k > 0 {
                chain.push(LlamaSampler::top_k(s.top_k));
            }
            if s.typical_p < 1.0 {
                chain.push(LlamaSampler::typical(s.typical_p, 1));
            }
            if s.top_p < 1.0 {
                chain.push(LlamaSampler::top_p(s.top_p, 1));
            }
            if s.min_p > 0.0 {
                chain.push(LlamaSampler::min_p(s.min_p, 1));
            }
            chain.push(LlamaSampler::temp(s.temperature));
            chain.push(LlamaSampler::dist(s.seed));
        }
        Ok(SamplerChain {
            chain: LlamaSampler::chain_simple(chain),
            plain_greedy: s.is_greedy() && !penalties_on && grammar.is_none(),
            grammar,
        })
    }

    pub fn is_plain_greedy(&self) -> bool {
        self.plain_greedy
    }

    /// Picks the token for batch row `idx` and records it in the samplers' state.
    pub fn pick(&mut self, ctx: &LlamaContext, idx: i32) -> LlamaToken {
        let Some(grammar) = self.grammar.as_mut() else {
            // llama_sampler_sample applies the chain and accepts the pick.
            return self.chain.sample(ctx, idx);
        };
        let mut all = ctx.token_data_array_ith(idx);
        all.apply_sampler(&mut self.chain);
        let first = all.selected_token();
        let allowed = first.is_some_and(|t| {
            let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(t, 1.0, 0.0)], false);
            one.apply_sampler(grammar);
            one.data.first().is_some_and(|d| d.logit().is_finite())
        });
        let token = match first {
            Some(t) if allowed => t,
            _ => {
                let mut masked = ctx.token_data_array_ith(idx);
                masked.apply_sampler(grammar);
                masked.apply_sampler(&mut self.chain);
                // With nothing allowed the grammar is complete: end-of-generation is right.
                masked.selected_token().unwrap_or(LlamaToken(-1))
            }
        };
        if token.0 >= 0 {
            grammar.accept(token);
            self.chain.accept(token);
        }
        token
    }
}

/// llama.cpp refuses (and prints the grammar to stderr over) a `<text>` token that is not
/// exactly one token of this model: checked here first, with where it stands.
fn one_token_each(model: &LlamaModel, grammar: &str) -> Result<(), EngineError> {
    let tokens = super::gbnf::text_tokens(grammar).map_err(|e| {
        EngineError::Grammar(format!(
            "line {}, column {}: {}",
            e.line, e.column, e.message
        ))
    })?;
    for (at, text) in tokens {
        let n = model.vocab().tokenize(text.as_bytes(), false, true).len();
        if n != 1 {
            return Err(EngineError::Grammar(format!(
                "line {}, column {}: {text} is {n} tokens of this model, and a <token> in a grammar must be exactly one",
                at.line, at.column
            )));
        }
    }
    Ok(())
}
