//! `howdah run`: one prompt, the reply streamed to stdout (or one JSON object with --json).

use std::io::{IsTerminal, Read, Write};

use anyhow::{bail, Result};
use clap::Args;

use super::args::{load_engine, EngineArgs, ModelArgs, SamplingArgs};
use crate::engine::{ChatMessage, Prompt, Sampling};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// The prompt (read from standard input when omitted)
    #[arg(short = 'p', long = "prompt")]
    pub prompt: Option<String>,
    /// System prompt (chat mode)
    #[arg(long = "system")]
    pub system: Option<String>,
    /// Completion mode: continue the prompt as raw text, without the chat template
    #[arg(long)]
    pub raw: bool,
    /// Print one JSON object with the text, tokens and stats instead of streaming
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &RunArgs) -> Result<()> {
    let prompt_text = match &a.prompt {
        Some(p) => p.clone(),
        None if !std::io::stdin().is_terminal() => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
        None => bail!("no prompt: pass -p PROMPT or pipe text into howdah run"),
    };
    let sampling = a.sampling.apply(Sampling::default())?;
    let (engine, info) = load_engine(&a.model, &a.engine)?;
    let prompt = if a.raw {
        if a.system.is_some() {
            eprintln!("howdah: --system is ignored with --raw (no chat template is applied)");
        }
        Prompt::Raw(prompt_text)
    } else {
        if !info.has_chat_template {
            eprintln!(
                "howdah: {} has no chat template: using a plain 'User:/Assistant:' layout; --raw continues the text as is",
                info.file_name
            );
        }
        let mut msgs = Vec::new();
        if let Some(s) = &a.system {
            msgs.push(ChatMessage::system(s.clone()));
        }
        msgs.push(ChatMessage::user(prompt_text));
        Prompt::Chat(msgs)
    };
    let mut tokens = Vec::new();
    let stdout = std::io::stdout();
    let json = a.json;
    let done = engine.generate_one(prompt, sampling.clone(), |t| {
        if json {
            if t.token_id >= 0 {
                tokens.push(serde_json::json!({
                    "id": t.token_id, "text": t.piece, "logprob": t.logprob,
                }));
            }
        } else {
            let mut out = stdout.lock();
            let _ = out.write_all(t.text.as_bytes());
            let _ = out.flush();
        }
    })?;
    if json {
        let v = serde_json::json!({
            "text": done.text,
            "tokens": tokens,
            "stats": done,
            "model": info,
            "sampling": sampling,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!();
        if done.dropped_messages > 0 {
            eprintln!(
                "howdah: {} earlier messages were dropped to fit the context",
                done.dropped_messages
            );
        }
    }
    Ok(())
}
