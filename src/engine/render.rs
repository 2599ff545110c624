//! Turning a `Prompt` into text and tokens: the chat layout (`chat_format`), BOS handling, and
//! fitting a chat into the context.

use llama_cpp_2::token::LlamaToken;

use super::chat_format::{template_messages, Rendered};
use super::model_context::ModelContext;
use super::shift::ContextOverflow;
use super::types::{ChatMessage, Prompt, Role};
use super::EngineError;

/// A prompt ready to decode.
pub(crate) struct Fitted {
    pub tokens: Vec<LlamaToken>,
    /// Stop strings the layout needs on top of the user's.
    pub extra_stops: Vec<String>,
    /// Why this conversation did not get the layout chosen at load (its template raised).
    pub template_fallback: Option<String>,
    /// Messages dropped from the start of a chat to make it fit.
    pub dropped: u32,
}

impl ModelContext<'_> {
    pub fn tokenize(&self, text: &str, add_special: bool, parse_special: bool) -> Vec<LlamaToken> {
        let clean;
        // NUL bytes end C strings early inside llama.cpp: drop them.
        let text = if text.contains('\0') {
            clean = text.replace('\0', "");
            &clean
        } else {
            text
        };
        let mut tokens = self
            .model
            .vocab()
            .tokenize(text.as_bytes(), add_special, parse_special);
        // A template that writes BOS itself plus the tokenizer adding one gives two.
        let bos = self.model.vocab().bos();
        if tokens.len() >= 2 && tokens[0] == bos && tokens[1] == bos {
            tokens.remove(0);
        }
        tokens
    }

    /// The exact text the model sees, and the stop strings the layout adds.
    pub fn render(&self, prompt: &Prompt) -> Result<(String, Vec<String>), EngineError> {
        self.render_noting(prompt).map(|r| (r.text, r.stops))
    }

    /// `render`, with the reason when this conversation could not use the layout chosen at
    /// load (a template that raises on it): generation reports it with the reply.
    fn render_noting(&self, prompt: &Prompt) -> Result<Rendered, EngineError> {
        match prompt {
            Prompt::Raw(text) => Ok(Rendered {
                text: text.clone(),
                stops: Vec::new(),
                fallback: None,
            }),
            Prompt::Chat(messages) => {
                if messages.is_empty() {
                    return Err(EngineError::Input(
                        "the conversation has no messages".into(),
                    ));
                }
                let r = self.chat.render(&template_messages(messages), true);
                if let Some(why) = &r.fallback {
                    tracing::warn!(reason = %why, "this conversation did not use the chat template");
                }
                Ok(r)
            }
        }
    }

    pub fn prompt_tokens(
        &self,
        prompt: &Prompt,
    ) -> Result<(Vec<LlamaToken>, Vec<String>), EngineError> {
        self.prompt_tokens_noting(prompt)
            .map(|(tokens, r)| (tokens, r.stops))
    }

    /// Tokens of the rendered prompt, with the rendering (its stops and fallback).
    fn prompt_tokens_noting(
        &self,
        prompt: &Prompt,
    ) -> Result<(Vec<LlamaToken>, Rendered), EngineError> {
        let r = self.render_noting(prompt)?;
        // Chat templates contain special tokens as text; raw prompts are the user's own text.
        let parse_special = matches!(prompt, Prompt::Chat(_));
        let tokens = self.tokenize(&r.text, true, parse_special);
        if tokens.is_empty() {
            return Err(EngineError::Input("the prompt is empty".into()));
        }
        Ok((tokens, r))
    }

    /// Tokens for `prompt`, leaving `reserve` tokens for the reply when possible. A chat that is
    /// too long loses its oldest turns after the system prompt; a prompt that cannot fit at all
    /// is an error naming both sizes.
    pub fn fit(&self, prompt: &Prompt, reserve: u32) -> Result<Fitted, EngineError> {
        let n_ctx = self.n_ctx as usize;
        let target = n_ctx.saturating_sub(reserve.min(self.n_ctx / 4) as usize);
        let Prompt::Chat(messages) = prompt else {
            let (tokens, r) = self.prompt_tokens_noting(prompt)?;
            if tokens.len() >= n_ctx {
                return Err(EngineError::PromptTooLong {
                    prompt: tokens.len() as u32,
                    n_ctx: self.n_ctx,
                });
            }
            return Ok(Fitted {
                tokens,
                extra_stops: r.stops,
                template_fallback: r.fallback,
                dropped: 0,
            });
        };
        let mut msgs: Vec<ChatMessage> = messages.clone();
        let mut dropped = 0;
        loop {
            let (tokens, r) = self.prompt_tokens_noting(&Prompt::Chat(msgs.clone()))?;
            if tokens.len() <= target {
                return Ok(Fitted {
                    tokens,
                    extra_stops: r.stops,
                    template_fallback: r.fallback,
                    dropped,
                });
            }
            // The oldest turn after the system prompt, unless it is the last message.
            let first = msgs.iter().position(|m| m.role != Role::System);
            match first {
                Some(i) if i + 1 < msgs.len() && self.overflow == ContextOverflow::Stop => {
                    return Err(EngineError::ConversationFull {
                        prompt: tokens.len() as u32,
                        n_ctx: self.n_ctx,
                    });
                }
                Some(i) if i + 1 < msgs.len() => {
                    msgs.remove(i);
                    dropped += 1;
                    // Drop the reply with its question so turns stay paired.
                    if i + 1 < msgs.len() && msgs[i].role == Role::Assistant {
                        msgs.remove(i);
                        dropped += 1;
                    }
                }
                _ if tokens.len() < n_ctx => {
                    return Ok(Fitted {
                        tokens,
                        extra_stops: r.stops,
                        template_fallback: r.fallback,
                        dropped,
                    })
                }
                _ => {
                    return Err(EngineError::PromptTooLong {
                        prompt: tokens.len() as u32,
                        n_ctx: self.n_ctx,
                    })
                }
            }
        }
    }

    /// A token's text without special tokens' markup, lossily decoded for display.
    pub fn piece_bytes(&self, token: LlamaToken) -> Vec<u8> {
        self.model.vocab().token_to_piece(token, false, None)
    }
}

/// Length of the common prefix of two token lists.
pub(crate) fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}
