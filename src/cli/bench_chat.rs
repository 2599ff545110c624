//! `howdah bench --chat TURNS`: plays a fixed conversation through the engine request the chat
//! screen sends (the whole conversation each turn, greedy, a fixed reply length) and reports per
//! turn what a long chat costs: time to first token, prompt tokens decoded, context cells used
//! and messages dropped. With a small `-c` the chat overflows, which is what it is for.

use anyhow::{bail, Result};
use serde::Serialize;

use crate::cli::output::{eoutln, outln};
use crate::engine::{
    ChatMessage, ContextOverflow, Engine, EventKind, ModelInfo, Prompt, Request, Sampling, Variant,
};

/// The user turns, cycled; each is numbered so no two turns render the same.
const TEXTS: [&str; 6] = [
    "Tell me about the history of tea in a few sentences.",
    "How is green tea different from black tea?",
    "Give me three tips for brewing a good cup.",
    "What snacks go well with tea?",
    "Summarize what we talked about so far.",
    "Suggest a name for a small tea shop and explain it.",
];

const SYSTEM: &str = "You are a helpful assistant. Answer briefly.";

/// One turn's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ChatTurn {
    pub turn: u32,
    pub ttft_ms: f64,
    /// Prompt tokens that went through the model this turn.
    pub decoded: u32,
    /// Context cells in use after the reply.
    pub ctx_used: u32,
    /// Messages left out of the context this turn.
    pub dropped: u32,
    /// Tokens the conversation grew by since the last turn's prompt (the last reply, the new
    /// message and their markup): what a turn has to decode at least.
    pub new_tokens: u32,
    pub prompt_tokens: u32,
    /// The overflow policy applied this turn ("shift", "redecode"), if the chat overflowed.
    pub overflow: Option<ContextOverflow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChatBench {
    pub turns: Vec<ChatTurn>,
    pub n_ctx: u32,
    pub reply_tokens: u32,
}

/// Plays `turns` user turns; `on_turn` sees each as it finishes.
pub fn play(
    engine: &Engine,
    turns: u32,
    reply_tokens: u32,
    mut on_turn: impl FnMut(&ChatTurn),
) -> Result<Vec<ChatTurn>> {
    let sampling = Sampling {
        max_tokens: reply_tokens.max(1),
        ..Sampling::greedy()
    };
    engine.reset()?;
    let mut messages = vec![ChatMessage::system(SYSTEM)];
    let mut last_prompt = 0u32;
    let mut out = Vec::new();
    for turn in 1..=turns {
        let text = TEXTS[(turn as usize - 1) % TEXTS.len()];
        messages.push(ChatMessage::user(format!("({turn}) {text}")));
        let full = engine.count_prompt(Prompt::Chat(messages.clone()))?;
        let request = Request::Generate {
            variants: vec![Variant {
                prompt: Prompt::Chat(messages.clone()),
                sampling: sampling.clone(),
            }],
        };
        let mut overflow = None;
        let mut done = None;
        for ev in engine.run_blocking(request, |_| {})? {
            match ev.kind {
                EventKind::Overflow(r) => overflow = Some(r.applied),
                // An automatic thread count followed the load: said, as it changes the figures.
                EventKind::Threads(c) => eoutln!("howdah: turn {turn}: threads: {}", c.reason),
                EventKind::Done(d) => done = Some(d),
                EventKind::Error { error, .. } => bail!("turn {turn}: {error}"),
                _ => {}
            }
        }
        let Some(d) = done else {
            bail!("turn {turn}: the engine gave no reply")
        };
        let row = ChatTurn {
            turn,
            ttft_ms: d.ttft_ms,
            decoded: d.prompt_tokens_decoded,
            ctx_used: d.context_used,
            dropped: d.dropped_messages,
            new_tokens: full.saturating_sub(last_prompt),
            prompt_tokens: d.prompt_tokens,
            overflow,
        };
        on_turn(&row);
        out.push(row);
        // What the chat screen keeps: the reply's final text.
        messages.push(ChatMessage::assistant(d.text));
        last_prompt = full;
    }
    Ok(out)
}

pub fn run(engine: &Engine, info: &ModelInfo, turns: u32, reply: u32, json: bool) -> Result<()> {
    if turns == 0 {
        bail!("--chat needs at least 1 turn");
    }
    if !json {
        outln!(
            "chat of {turns} turns, replies of up to {reply} tokens, context {} tokens, threads {}",
            info.n_ctx,
            info.threads
        );
        outln!("| turn | ttft ms | new tokens | decoded | ctx used | dropped | overflow |");
        outln!("|---:|---:|---:|---:|---:|---:|---|");
    }
    let rows = play(engine, turns, reply, |t| {
        if !json {
            outln!(
                "| {} | {:.0} | {} | {} | {} | {} | {} |",
                t.turn,
                t.ttft_ms,
                t.new_tokens,
                t.decoded,
                t.ctx_used,
                t.dropped,
                t.overflow.map(|o| o.as_str()).unwrap_or("")
            );
        }
    })?;
    if json {
        let b = ChatBench {
            turns: rows,
            n_ctx: info.n_ctx,
            reply_tokens: reply,
        };
        outln!("{}", serde_json::to_string_pretty(&b)?);
    } else if let Some(first) = rows.iter().position(|t| t.dropped > 0) {
        let mut before: Vec<f64> = rows[..first].iter().map(|t| t.ttft_ms).collect();
        before.sort_by(f64::total_cmp);
        let median = before.get(before.len() / 2).copied().unwrap_or(0.0);
        let after = &rows[first..];
        let worst = after.iter().map(|t| t.ttft_ms).fold(0.0, f64::max);
        let over = after
            .iter()
            .filter(|t| t.decoded > 2 * t.new_tokens)
            .count();
        outln!(
            "\noverflow from turn {}: ttft median before {median:.0} ms, worst after {worst:.0} ms; {over} of {} later turns decoded more than 2x their new tokens",
            first + 1,
            after.len()
        );
    }
    Ok(())
}
