//! llama-server: prompts rendered by the server's own chat template (`/apply-template`) and
//! tokenized by its tokenizer (`/tokenize`, exactly as the local engine does: BOS added, special
//! tokens parsed only in chat prompts), generation streamed from `/completion` with `n_probs`
//! (each token's log-probability and the top alternatives, from the raw distribution as the
//! local engine reports them), and label scoring from the same probabilities.

use std::time::Instant;

use serde_json::{json, Value};

use super::sse::{Next, Pump, Sse};
use super::worker::Call;
use crate::engine::gen::TOP_ALTS;
use crate::engine::types::*;
use crate::engine::{EngineError, Sampling};
use crate::text::Sanitizer;

/// Alternatives asked for when scoring: a label's token must be among them to be scored
/// exactly (label words are nearly always far inside the top 100; one outside gets the
/// 100th's log-probability, an upper bound).
const SCORE_PROBS: usize = 100;

/// The prompt as text, and whether special tokens in it are parsed (chat markup).
pub(super) fn render(call: &Call, prompt: &Prompt) -> Result<(String, bool), EngineError> {
    match prompt {
        Prompt::Raw(t) => Ok((t.clone(), false)),
        Prompt::Chat(messages) => {
            let body = json!({ "messages": messages, "add_generation_prompt": true });
            let r = call.server.http.post("/apply-template", &body)?;
            let text = r["prompt"].as_str().ok_or_else(|| {
                EngineError::Remote(format!(
                    "{}/apply-template gave no prompt: the server may be too old for chat prompts",
                    call.server.url
                ))
            })?;
            Ok((text.to_string(), true))
        }
    }
}

/// A conversation through the server's own chat template (`/apply-template`), exactly as it
/// would prompt the model: the remote twin of `Request::ApplyTemplate`.
pub(super) fn apply_template(
    call: &Call,
    messages: &[crate::chat_template::TemplateMessage],
    add_generation_prompt: bool,
) -> Result<String, EngineError> {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| json!({ "role": m.role, "content": m.text() }))
        .collect();
    let body = json!({ "messages": messages, "add_generation_prompt": add_generation_prompt });
    let r = call.server.http.post("/apply-template", &body)?;
    r["prompt"].as_str().map(str::to_string).ok_or_else(|| {
        EngineError::Remote(format!("{}/apply-template gave no prompt", call.server.url))
    })
}

pub(super) fn tokenize(
    call: &Call,
    text: &str,
    add_special: bool,
    parse_special: bool,
) -> Result<Vec<i64>, EngineError> {
    let body =
        json!({ "content": text, "add_special": add_special, "parse_special": parse_special });
    let r = call.server.http.post("/tokenize", &body)?;
    r["tokens"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .ok_or_else(|| EngineError::Remote(format!("{}/tokenize gave no tokens", call.server.url)))
}

/// The tokens a generation decodes for `prompt`.
pub(super) fn prompt_tokens(call: &Call, prompt: &Prompt) -> Result<Vec<i64>, EngineError> {
    let (text, special) = render(call, prompt)?;
    tokenize(call, &text, true, special)
}

/// The context each slot has (0 when the server does not say).
fn n_ctx(call: &Call) -> u32 {
    call.server.props["default_generation_settings"]["n_ctx"]
        .as_u64()
        .unwrap_or(0) as u32
}

fn sampling_body(s: &Sampling) -> Value {
    let mut body = json!({
        "n_predict": s.max_tokens,
        "temperature": s.temperature,
        "top_k": s.top_k,
        "top_p": s.top_p,
        "min_p": s.min_p,
        "typical_p": s.typical_p,
        "repeat_penalty": s.repeat_penalty,
        "repeat_last_n": s.penalty_window,
        "frequency_penalty": s.frequency_penalty,
        "presence_penalty": s.presence_penalty,
        "seed": s.seed,
        "stop": s.stop,
    });
    if let Some(g) = &s.grammar {
        body["grammar"] = json!(g);
    }
    body
}

/// One streamed generation; token events go out as they come, the figures at the end.
pub(super) fn generate(call: &Call, seq: usize, v: &Variant) -> Result<DoneStats, EngineError> {
    let start = Instant::now();
    let tokens = prompt_tokens(call, &v.prompt)?;
    let n_ctx = n_ctx(call);
    if n_ctx > 0 && tokens.len() as u32 >= n_ctx {
        return Err(EngineError::PromptTooLong {
            prompt: tokens.len() as u32,
            n_ctx,
        });
    }
    let mut body = sampling_body(&v.sampling);
    body["prompt"] = json!(tokens);
    body["stream"] = json!(true);
    body["n_probs"] = json!(TOP_ALTS);
    body["return_tokens"] = json!(true);
    // llama.cpp documents that reusing the prompt cache can change results (logits differ
    // between batch sizes): greedy replies, which replays check, are computed afresh.
    body["cache_prompt"] = json!(!v.sampling.is_greedy());
    let pump = Pump::start(&call.server.http, "/completion", body);
    let mut out = Stream::new(seq, tokens.len() as u32);
    loop {
        match pump.next(|| call.cancelled()) {
            Ok(Next::Cancelled) => return Ok(out.done(StopReason::Cancelled, None, start)),
            Ok(Next::End) => return Err(out.cut(call, "the stream ended before the reply did")),
            Err(e) if out.generated > 0 => return Err(out.cut(call, &e.to_string())),
            Err(e) => return Err(e),
            Ok(Next::Event(Sse::Done)) => {}
            Ok(Next::Event(Sse::Data(ev))) => {
                if ev["stop"].as_bool() == Some(true) {
                    let stop = match ev["stop_type"].as_str() {
                        Some("limit") => StopReason::MaxTokens,
                        Some("word") => StopReason::StopString,
                        _ => StopReason::Eos,
                    };
                    return Ok(out.done(stop, Some(&ev), start));
                }
                if !out.chunk(call, &ev, start) {
                    return Ok(out.done(StopReason::Cancelled, None, start));
                }
            }
        }
    }
}

/// A reply being streamed: what has been said so far.
struct Stream {
    seq: usize,
    prompt: u32,
    text: String,
    clean: Sanitizer,
    generated: u32,
    logprob_sum: f64,
    first_ms: Option<f64>,
}

impl Stream {
    fn new(seq: usize, prompt: u32) -> Stream {
        Stream {
            seq,
            prompt,
            text: String::new(),
            clean: Sanitizer::new(),
            generated: 0,
            logprob_sum: 0.0,
            first_ms: None,
        }
    }

    /// One `/completion` chunk: one token (with `n_probs`) and the text it releases.
    fn chunk(&mut self, call: &Call, ev: &Value, start: Instant) -> bool {
        let text = self.clean.push(ev["content"].as_str().unwrap_or(""));
        self.text.push_str(&text);
        let probs = ev["completion_probabilities"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if probs.is_empty() {
            return text.is_empty()
                || call.emit(EventKind::Token(self.token(
                    -1,
                    text,
                    String::new(),
                    0.0,
                    vec![],
                )));
        }
        self.first_ms
            .get_or_insert(start.elapsed().as_secs_f64() * 1000.0);
        let last = probs.len() - 1;
        let mut text = Some(text);
        for (i, p) in probs.iter().enumerate() {
            let logprob = p["logprob"].as_f64().unwrap_or(f64::NAN) as f32;
            self.generated += 1;
            self.logprob_sum += logprob as f64;
            let top = p["top_logprobs"]
                .as_array()
                .map(|a| a.iter().map(alt).collect())
                .unwrap_or_default();
            let piece = crate::text::sanitize(p["token"].as_str().unwrap_or(""));
            let released = if i == last {
                text.take().unwrap_or_default()
            } else {
                String::new()
            };
            let id = p["id"].as_i64().unwrap_or(-1) as i32;
            if !call.emit(EventKind::Token(
                self.token(id, released, piece, logprob, top),
            )) {
                return false;
            }
        }
        true
    }

    fn token(
        &self,
        id: i32,
        text: String,
        piece: String,
        lp: f32,
        top: Vec<TokenAlt>,
    ) -> TokenEvent {
        TokenEvent {
            seq: self.seq,
            token_id: id,
            text,
            piece,
            logprob: lp,
            top,
            context_used: self.prompt + self.generated,
        }
    }

    fn done(&self, stop: StopReason, last: Option<&Value>, start: Instant) -> DoneStats {
        let t = last.map(|v| &v["timings"]).unwrap_or(&Value::Null);
        let generated = t["predicted_n"]
            .as_u64()
            .map(|n| n as u32)
            .unwrap_or(self.generated);
        DoneStats {
            seq: self.seq,
            stop,
            text: self.text.clone(),
            prompt_tokens: self.prompt,
            prompt_tokens_decoded: t["prompt_n"]
                .as_u64()
                .map(|n| n as u32)
                .unwrap_or(self.prompt),
            generated_tokens: generated,
            ttft_ms: self
                .first_ms
                .unwrap_or(start.elapsed().as_secs_f64() * 1000.0),
            prompt_tps: t["prompt_per_second"].as_f64().unwrap_or(0.0),
            gen_tps: t["predicted_per_second"].as_f64().unwrap_or(0.0),
            mean_logprob: if self.generated > 0 {
                self.logprob_sum / self.generated as f64
            } else {
                0.0
            },
            dropped_messages: 0,
            context_used: self.prompt + generated,
            template_fallback: None,
        }
    }

    /// The error for a stream that broke after part of the reply arrived: the part is in the
    /// token events already (the chat keeps it, marked failed); the message says how much.
    fn cut(&self, call: &Call, why: &str) -> EngineError {
        EngineError::Remote(format!(
            "the reply from {} was cut off after {} tokens ({why}); the partial reply is kept",
            call.server.url, self.generated
        ))
    }
}

fn alt(a: &Value) -> TokenAlt {
    TokenAlt {
        token_id: a["id"].as_i64().unwrap_or(-1) as i32,
        text: crate::text::sanitize(a["token"].as_str().unwrap_or("")),
        prob: a["logprob"].as_f64().map(f64::exp).unwrap_or(0.0) as f32,
    }
}

/// Label scoring as the local engine does it (the same split of prompt and candidate tokens),
/// each candidate token's log-probability read from `n_probs` of a one-token `/completion`
/// after the prompt and the candidate's earlier tokens. The server's prompt cache keeps the
/// shared prefix, so a row costs its new tokens only.
pub(super) fn score(
    call: &Call,
    prompt: &Prompt,
    candidates: &[String],
) -> Result<ScoreResult, EngineError> {
    let start = Instant::now();
    if candidates.is_empty() {
        return Err(EngineError::Input(
            "scoring needs at least one candidate".into(),
        ));
    }
    let (text, special) = render(call, prompt)?;
    let p = tokenize(call, &text, true, special)?;
    let fulls = candidates
        .iter()
        .map(|c| tokenize(call, &format!("{text}{c}"), true, special))
        .collect::<Result<Vec<_>, _>>()?;
    let s = crate::engine::score::split_point(&p, &fulls)?;
    let mut decoded = 0u32;
    let mut next = |ctx: &[i64]| -> Result<Vec<(i64, f32)>, EngineError> {
        let body = json!({
            "prompt": ctx, "n_predict": 1, "n_probs": SCORE_PROBS, "temperature": 0.0,
            "cache_prompt": true, "stream": false,
        });
        let r = call.server.http.post("/completion", &body)?;
        decoded += r["timings"]["prompt_n"].as_u64().unwrap_or(0) as u32;
        let top = r["completion_probabilities"][0]["top_logprobs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if top.is_empty() {
            return Err(EngineError::Remote(format!(
                "{}/completion gave no token probabilities (n_probs)",
                call.server.url
            )));
        }
        Ok(top
            .iter()
            .map(|a| {
                (
                    a["id"].as_i64().unwrap_or(-1),
                    a["logprob"].as_f64().unwrap_or(f64::MIN) as f32,
                )
            })
            .collect())
    };
    let lp_of = |top: &[(i64, f32)], t: i64| {
        top.iter()
            .find(|(id, _)| *id == t)
            .map(|&(_, l)| l)
            .unwrap_or_else(|| top.last().map(|&(_, l)| l).unwrap_or(f32::MIN))
    };
    let first = next(&p[..s])?;
    let mut lps: Vec<Vec<f32>> = Vec::with_capacity(candidates.len());
    for (c, f) in fulls.iter().enumerate() {
        let cont = &f[s..];
        if cont.is_empty() {
            return Err(EngineError::Input(format!(
                "candidate {:?} adds nothing after the prompt",
                candidates[c]
            )));
        }
        let mut v = vec![lp_of(&first, cont[0])];
        for j in 1..cont.len() {
            if call.cancelled() {
                return Err(EngineError::Remote("scoring was cancelled".into()));
            }
            v.push(lp_of(&next(&f[..s + j])?, cont[j]));
        }
        lps.push(v);
    }
    Ok(ScoreResult {
        candidates: crate::engine::score::candidate_scores(candidates, lps),
        prompt_tokens: s as u32,
        prompt_tokens_decoded: decoded,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
    })
}
