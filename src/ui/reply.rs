//! One reply as it streams in, the same type for the chat's messages, the compare view's
//! columns and the replay view: its text, its tokens (the heat-map's data), how it stands, and
//! how far the prompt before it has been read. The engine's events are applied here once, so the
//! views cannot drift apart on a rule (the final text, a released stop-string tail, a failure).

use crate::engine::{DoneStats, StopReason, TokenAlt, TokenEvent};

/// One generated token, kept for the token view.
#[derive(Debug, Clone, PartialEq)]
pub struct TokInfo {
    pub piece: String,
    pub logprob: f32,
    pub top: Vec<TokenAlt>,
}

impl TokInfo {
    pub fn prob(&self) -> f32 {
        self.logprob.exp()
    }
}

/// How a reply stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyState {
    /// Complete: finished by the model, or text that never streamed (a typed message, a reply
    /// read from a session, a column with nothing asked yet).
    Done,
    /// Waiting for or receiving tokens.
    Streaming,
    /// Stopped by the user; the text is what came before.
    Stopped,
    /// The reply failed; the text says why.
    Failed(String),
}

/// A reply's text and how it came.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    /// The generated tokens (not the text released at the end by stop-string look-ahead).
    pub tokens: Vec<TokInfo>,
    pub state: ReplyState,
    /// While the prompt before this reply is decoded: tokens done and to do.
    pub reading: Option<(u32, u32)>,
}

impl Reply {
    /// Complete text: a typed message, a reply read from a session.
    pub fn done(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            tokens: Vec::new(),
            state: ReplyState::Done,
            reading: None,
        }
    }

    /// An empty reply waiting for its first token.
    pub fn streaming() -> Reply {
        Reply {
            state: ReplyState::Streaming,
            ..Reply::done("")
        }
    }

    pub fn running(&self) -> bool {
        self.state == ReplyState::Streaming
    }

    /// Why it failed, if it did.
    pub fn failure(&self) -> Option<&str> {
        match &self.state {
            ReplyState::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Prompt tokens decoded so far; returns whether what is shown changed.
    pub fn progress(&mut self, done: u32, total: u32) -> bool {
        let reading = (done < total).then_some((done, total));
        let changed = reading != self.reading;
        self.reading = reading;
        changed
    }

    /// A streamed token: its text, and the token itself for the heat-map.
    pub fn token(&mut self, t: TokenEvent) {
        self.reading = None;
        self.text.push_str(&t.text);
        // token_id -1 is text released at the end (stop-string look-ahead), not a token.
        if t.token_id != -1 {
            self.tokens.push(TokInfo {
                piece: t.piece,
                logprob: t.logprob,
                top: t.top,
            });
        }
    }

    /// Streamed text without token data (a replay's turn).
    pub fn push_text(&mut self, text: &str) {
        self.reading = None;
        self.text.push_str(text);
    }

    /// The engine's end of the reply: its final text wins over the streamed pieces.
    pub fn finish(&mut self, d: &DoneStats) {
        self.text = d.final_text(&self.text);
        self.reading = None;
        self.state = if d.stop == StopReason::Cancelled {
            ReplyState::Stopped
        } else {
            ReplyState::Done
        };
    }

    /// The reply failed; what streamed before stays.
    pub fn fail(&mut self, error: &str) {
        self.reading = None;
        self.state = ReplyState::Failed(crate::text::sanitize(error));
    }
}

impl Default for Reply {
    fn default() -> Reply {
        Reply::done("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(id: i32, text: &str) -> TokenEvent {
        TokenEvent {
            seq: 0,
            token_id: id,
            text: text.into(),
            piece: text.into(),
            logprob: -0.1,
            top: Vec::new(),
            context_used: 0,
        }
    }

    #[test]
    fn tokens_stream_and_the_engine_has_the_last_word() {
        let mut r = Reply::streaming();
        assert!(r.progress(3, 10));
        assert!(!r.progress(3, 10));
        r.token(tok(7, "Hel"));
        assert_eq!(r.reading, None);
        r.token(tok(-1, "lo"));
        assert_eq!((r.text.as_str(), r.tokens.len()), ("Hello", 1));
        let d = DoneStats {
            seq: 0,
            stop: StopReason::Cancelled,
            text: "Hello!".into(),
            prompt_tokens: 10,
            prompt_tokens_decoded: 10,
            generated_tokens: 2,
            ttft_ms: 1.0,
            prompt_tps: 1.0,
            gen_tps: 1.0,
            mean_logprob: -0.1,
            dropped_messages: 0,
            context_used: 12,
            template_fallback: None,
        };
        r.finish(&d);
        assert_eq!(
            (r.text.as_str(), &r.state),
            ("Hello!", &ReplyState::Stopped)
        );
    }

    #[test]
    fn a_failure_keeps_the_text_and_is_sanitized() {
        let mut r = Reply::streaming();
        r.push_text("part");
        r.fail("bad\x1b[2Jthing");
        assert_eq!(r.text, "part");
        assert!(!r.running());
        assert!(r.failure().is_some_and(|e| !e.contains('\x1b')), "{r:?}");
    }
}
