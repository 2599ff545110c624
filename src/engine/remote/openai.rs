//! OpenAI-compatible servers (vLLM, LM Studio, Ollama's `/v1`, llama-server's `/v1`): chats on
//! `/v1/chat/completions`, raw text on `/v1/completions`, both streamed, with `logprobs` /
//! `top_logprobs` asked for so the heat-map works where the server gives them. Label scoring
//! uses prompt log-probabilities (`echo` + `logprobs` on `/v1/completions`, as vLLM returns
//! them); a server without them says so.

use std::time::Instant;

use serde_json::{json, Value};

use super::sse::{Next, Pump, Sse};
use super::worker::Call;
use crate::engine::gen::TOP_ALTS;
use crate::engine::types::*;
use crate::engine::EngineError;
use crate::text::Sanitizer;

/// Token id of a token an OpenAI server names only by its text.
pub const NO_TOKEN_ID: i32 = -2;

fn body(call: &Call, v: &Variant) -> (&'static str, Value) {
    let s = &v.sampling;
    let mut b = json!({
        "model": call.model.as_str(),
        "stream": true,
        "max_tokens": s.max_tokens,
        "temperature": s.temperature,
        "top_p": s.top_p,
        "seed": s.seed,
        "frequency_penalty": s.frequency_penalty,
        "presence_penalty": s.presence_penalty,
    });
    if !s.stop.is_empty() {
        b["stop"] = json!(s.stop);
    }
    match &v.prompt {
        Prompt::Chat(m) => {
            b["messages"] = json!(m);
            b["logprobs"] = json!(true);
            b["top_logprobs"] = json!(TOP_ALTS);
            ("/v1/chat/completions", b)
        }
        Prompt::Raw(t) => {
            b["prompt"] = json!(t);
            b["logprobs"] = json!(TOP_ALTS);
            ("/v1/completions", b)
        }
    }
}

pub(super) fn generate(call: &Call, seq: usize, v: &Variant) -> Result<DoneStats, EngineError> {
    let start = Instant::now();
    let (path, mut b) = body(call, v);
    let mut st = State::new(seq);
    let mut pump = Pump::start(&call.server.http, path, b.clone());
    let mut retried = false;
    loop {
        match pump.next(|| call.cancelled()) {
            Ok(Next::Cancelled) => return Ok(st.done(StopReason::Cancelled, start)),
            Ok(Next::End) => {
                return match st.finish {
                    Some(stop) => Ok(st.done(stop, start)),
                    None => Err(st.cut(call, "the stream ended before the reply did")),
                }
            }
            // Some servers refuse log-probabilities outright: ask once more without them.
            Err(EngineError::Remote(m))
                if !retried && st.generated == 0 && m.contains("logprobs") =>
            {
                retried = true;
                if let Some(o) = b.as_object_mut() {
                    o.remove("logprobs");
                    o.remove("top_logprobs");
                }
                pump = Pump::start(&call.server.http, path, b.clone());
            }
            Err(e) if st.generated > 0 => return Err(st.cut(call, &e.to_string())),
            Err(e) => return Err(e),
            Ok(Next::Event(Sse::Done)) => {}
            Ok(Next::Event(Sse::Data(ev))) => {
                if !st.chunk(call, &ev, start) {
                    return Ok(st.done(StopReason::Cancelled, start));
                }
            }
        }
    }
}

struct State {
    seq: usize,
    text: String,
    clean: Sanitizer,
    generated: u32,
    prompt: u32,
    logprob_sum: f64,
    with_logprobs: u32,
    first_ms: Option<f64>,
    finish: Option<StopReason>,
}

impl State {
    fn new(seq: usize) -> State {
        State {
            seq,
            text: String::new(),
            clean: Sanitizer::new(),
            generated: 0,
            prompt: 0,
            logprob_sum: 0.0,
            with_logprobs: 0,
            first_ms: None,
            finish: None,
        }
    }

    fn chunk(&mut self, call: &Call, ev: &Value, start: Instant) -> bool {
        if let Some(u) = ev.get("usage").filter(|u| !u.is_null()) {
            self.prompt = u["prompt_tokens"].as_u64().unwrap_or(0) as u32;
        }
        let Some(choice) = ev["choices"].get(0) else {
            return true;
        };
        if let Some(f) = choice["finish_reason"].as_str() {
            self.finish = Some(if f == "length" {
                StopReason::MaxTokens
            } else {
                StopReason::Eos
            });
        }
        let raw = choice["delta"]["content"]
            .as_str()
            .or_else(|| choice["text"].as_str())
            .unwrap_or("");
        let text = self.clean.push(raw);
        self.text.push_str(&text);
        let toks = tokens_of(&choice["logprobs"]);
        if toks.is_empty() {
            if text.is_empty() {
                return true;
            }
            // No log-probabilities: one event per chunk, NaN so the heat-map can say so.
            self.first_ms
                .get_or_insert(start.elapsed().as_secs_f64() * 1000.0);
            self.generated += 1;
            return call.emit(EventKind::Token(self.event(
                text.clone(),
                text,
                f32::NAN,
                vec![],
            )));
        }
        self.first_ms
            .get_or_insert(start.elapsed().as_secs_f64() * 1000.0);
        let last = toks.len() - 1;
        let mut text = Some(text);
        for (i, (piece, lp, top)) in toks.into_iter().enumerate() {
            self.generated += 1;
            self.with_logprobs += 1;
            self.logprob_sum += lp as f64;
            let released = if i == last {
                text.take().unwrap_or_default()
            } else {
                String::new()
            };
            if !call.emit(EventKind::Token(self.event(released, piece, lp, top))) {
                return false;
            }
        }
        true
    }

    fn event(&self, text: String, piece: String, logprob: f32, top: Vec<TokenAlt>) -> TokenEvent {
        TokenEvent {
            seq: self.seq,
            token_id: NO_TOKEN_ID,
            text,
            piece: crate::text::sanitize(&piece),
            logprob,
            top,
            context_used: self.prompt + self.generated,
        }
    }

    fn done(&self, stop: StopReason, start: Instant) -> DoneStats {
        let secs = start.elapsed().as_secs_f64();
        let first = self.first_ms.unwrap_or(secs * 1000.0);
        let gen_secs = (secs - first / 1000.0).max(1e-9);
        DoneStats {
            seq: self.seq,
            stop,
            text: self.text.clone(),
            prompt_tokens: self.prompt,
            prompt_tokens_decoded: self.prompt,
            generated_tokens: self.generated,
            ttft_ms: first,
            prompt_tps: 0.0,
            gen_tps: if self.generated > 1 {
                (self.generated - 1) as f64 / gen_secs
            } else {
                0.0
            },
            mean_logprob: if self.with_logprobs > 0 {
                self.logprob_sum / self.with_logprobs as f64
            } else {
                f64::NAN
            },
            dropped_messages: 0,
            context_used: self.prompt + self.generated,
            template_fallback: None,
        }
    }

    fn cut(&self, call: &Call, why: &str) -> EngineError {
        EngineError::Remote(format!(
            "the reply from {} was cut off after {} tokens ({why}); the partial reply is kept",
            call.server.url, self.generated
        ))
    }
}

/// (piece, logprob, top alternatives) of each token in a `logprobs` object: the chat form
/// (`content: [{token, logprob, top_logprobs: [..]}]`) or the completions form (`tokens`,
/// `token_logprobs`, `top_logprobs: [{token: logprob}]`).
fn tokens_of(lp: &Value) -> Vec<(String, f32, Vec<TokenAlt>)> {
    let prob = |l: &Value| l.as_f64().map(f64::exp).unwrap_or(0.0) as f32;
    if let Some(content) = lp["content"].as_array() {
        return content
            .iter()
            .map(|t| {
                let top = t["top_logprobs"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| TokenAlt {
                                token_id: NO_TOKEN_ID,
                                text: crate::text::sanitize(x["token"].as_str().unwrap_or("")),
                                prob: prob(&x["logprob"]),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (
                    t["token"].as_str().unwrap_or("").to_string(),
                    t["logprob"].as_f64().unwrap_or(f64::NAN) as f32,
                    top,
                )
            })
            .collect();
    }
    let Some(tokens) = lp["tokens"].as_array() else {
        return vec![];
    };
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut top: Vec<TokenAlt> = lp["top_logprobs"][i]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| TokenAlt {
                            token_id: NO_TOKEN_ID,
                            text: crate::text::sanitize(k),
                            prob: prob(v),
                        })
                        .collect()
                })
                .unwrap_or_default();
            top.sort_by(|a, b| b.prob.total_cmp(&a.prob));
            (
                t.as_str().unwrap_or("").to_string(),
                lp["token_logprobs"][i].as_f64().unwrap_or(f64::NAN) as f32,
                top,
            )
        })
        .collect()
}

/// Label scoring from prompt log-probabilities: each candidate appended to the prompt and the
/// whole sent with `echo`, the candidate's own tokens (by character offset) summed.
pub(super) fn score(
    call: &Call,
    prompt: &Prompt,
    candidates: &[String],
) -> Result<ScoreResult, EngineError> {
    let start = Instant::now();
    let needs = || {
        EngineError::Remote(format!(
            "--method score needs the server's prompt log-probabilities (llama-server, or echo + logprobs on /v1/completions as vLLM gives them); the {} server at {} gives none: use --method generate",
            call.server.kind.as_str(),
            call.server.url
        ))
    };
    let Prompt::Raw(text) = prompt else {
        return Err(needs());
    };
    let mut lps = Vec::with_capacity(candidates.len());
    for c in candidates {
        let full = format!("{text}{c}");
        let body = json!({
            "model": call.model.as_str(), "prompt": full, "max_tokens": 1, "temperature": 0.0,
            "echo": true, "logprobs": 1,
        });
        let r = call
            .server
            .http
            .post("/v1/completions", &body)
            .map_err(|_| needs())?;
        let lp = &r["choices"][0]["logprobs"];
        let (Some(offsets), Some(values)) = (
            lp["text_offset"].as_array(),
            lp["token_logprobs"].as_array(),
        ) else {
            return Err(needs());
        };
        let from = text.chars().count() as u64;
        let to = full.chars().count() as u64;
        let mine: Vec<f32> = offsets
            .iter()
            .zip(values)
            .filter(|(o, _)| o.as_u64().is_some_and(|o| o >= from && o < to))
            .map(|(_, v)| v.as_f64().unwrap_or(f64::NAN) as f32)
            .collect();
        if mine.is_empty() || mine.iter().any(|x| !x.is_finite()) {
            return Err(needs());
        }
        lps.push(mine);
    }
    Ok(ScoreResult {
        candidates: crate::engine::score::candidate_scores(candidates, lps),
        prompt_tokens: 0,
        prompt_tokens_decoded: 0,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Embeddings from `/v1/embeddings` (llama-server started with `--embeddings`, vLLM, Ollama),
/// L2-normalized as the local engine's are.
pub(super) fn embed(call: &Call, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
    let body = json!({ "model": call.model.as_str(), "input": texts });
    let r = call.server.http.post("/v1/embeddings", &body)?;
    let data = r["data"].as_array().cloned().unwrap_or_default();
    if data.len() != texts.len() {
        return Err(EngineError::Remote(format!(
            "{}/v1/embeddings gave {} embeddings for {} texts (llama-server needs --embeddings)",
            call.server.url,
            data.len(),
            texts.len()
        )));
    }
    Ok(data
        .iter()
        .map(|d| {
            let v: Vec<f32> = d["embedding"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(0.0) as f32).collect())
                .unwrap_or_default();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect())
}
