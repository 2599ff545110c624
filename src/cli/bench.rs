//! `howdah bench`: llama-bench style rates (pp, tg) through howdah's engine, plus the aggregate
//! rate of several concurrent sequences.

use crate::cli::output::outln;

use anyhow::Result;
use clap::Args;

use super::args::{load_engine, EngineArgs, ModelArgs};
use crate::engine::BenchParams;
use crate::text::{human_bytes, human_params};

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Prompt tokens to process (pp)
    #[arg(short = 'p', long = "n-prompt", default_value_t = 512)]
    pub n_prompt: u32,
    /// Tokens to generate (tg)
    #[arg(short = 'n', long = "n-gen", default_value_t = 128)]
    pub n_gen: u32,
    /// Repetitions (mean ± sd over them)
    #[arg(short = 'r', long = "repetitions", default_value_t = 3)]
    pub repetitions: u32,
    /// Also measure this many sequences generating at once
    #[arg(long = "variants", default_value_t = 1)]
    pub variants: u32,
    /// Instead: play a chat of this many turns the way the chat screen sends them and report
    /// per turn the time to first token, prompt tokens decoded, context used and messages
    /// dropped (use a small -c to see the context overflow)
    #[arg(long = "chat", value_name = "TURNS")]
    pub chat: Option<u32>,
    /// With --chat: the most tokens per reply (greedy)
    #[arg(long = "reply-tokens", default_value_t = 48, value_name = "N")]
    pub reply_tokens: u32,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &BenchArgs) -> Result<()> {
    let (engine, info) = load_engine(&a.model, &a.engine)?;
    if let Some(turns) = a.chat {
        return super::bench_chat::run(&engine, &info, turns, a.reply_tokens, a.json);
    }
    let params = BenchParams {
        n_prompt: a.n_prompt,
        n_gen: a.n_gen,
        repetitions: a.repetitions.max(1),
        variants: a.variants.max(1),
    };
    let r = engine.bench(params)?;
    // The count it ran with (an automatic one may have moved since the load).
    let threads = if r.threads > 0 {
        r.threads
    } else {
        info.threads
    };
    let system = crate::engine::system_info();
    if a.json {
        let mut v = serde_json::json!({
            "pp": r.pp, "tg": r.tg, "tg_batched": r.tg_batched,
            "settings": { "n_prompt": a.n_prompt, "n_gen": a.n_gen, "repetitions": r.params.repetitions,
                          "variants": r.params.variants, "threads": threads,
                          "threads_reason": r.threads_reason,
                          "n_ctx": info.n_ctx, "n_batch": info.n_batch, "gpu_layers": a.engine.gpu_layers.to_string() },
            "model": info,
            "system_info": system,
        });
        if let Some(o) = &info.offload {
            o.add_to(&mut v);
        }
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    // As llama-bench: the backend and layers offloaded (ngl) decide these figures.
    let (backend, ngl) = info
        .offload
        .as_ref()
        .map(|o| (o.backend.clone(), o.layers_offloaded))
        .unwrap_or_else(|| ("CPU".into(), 0));
    outln!("| model | size | params | backend | ngl | threads | test | t/s |\n|---|---:|---:|---|---:|---:|---:|---:|");
    let row = |test: String, rate: &crate::engine::Rate| {
        outln!(
            "| {} {} | {} | {} | {} | {} | {} | {} | {:.2} ± {:.2} |",
            info.architecture,
            info.quantization,
            human_bytes(info.file_size),
            human_params(info.parameters),
            backend,
            ngl,
            threads,
            test,
            rate.mean,
            rate.sd
        )
    };
    if a.n_prompt > 0 {
        row(format!("pp{}", a.n_prompt), &r.pp);
    }
    if a.n_gen > 0 {
        row(format!("tg{}", a.n_gen), &r.tg);
    }
    if let Some(b) = &r.tg_batched {
        row(format!("tg{} x{} (aggregate)", a.n_gen, a.variants), b);
    }
    // As llama-bench's build line: the SIMD paths decide these figures, so say which were built.
    outln!(
        "\nllama.cpp: {}",
        crate::engine::enabled_features(&system).join(" ")
    );
    if let Some(o) = &info.offload {
        outln!("device: {}", o.label());
    }
    if !r.threads_reason.is_empty() {
        outln!("threads: {}", crate::text::sanitize(&r.threads_reason));
    }
    Ok(())
}
