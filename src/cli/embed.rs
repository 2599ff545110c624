//! `howdah embed`: texts' embedding vectors from an embedding model (as JSON with `--json`), and
//! with two or more texts their cosine similarity matrix.

use crate::cli::output::{eoutln, out, outln};
use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::args::{model_path, EngineArgs, ModelArgs};
use super::Cli;
use crate::embed_model::{self, EmbedChoice};
use crate::engine::{Engine, ModelInfo, Pooling};
use crate::prompt::cosine;
use crate::text::sanitize::sanitize_line;

/// Characters of each text shown above its vector.
const SHOWN_CHARS: usize = 60;

#[derive(Debug, Clone, Args)]
pub struct EmbedArgs {
    /// Texts to embed (or --file)
    #[arg(value_name = "TEXT")]
    pub texts: Vec<String>,
    /// Read the texts from FILE, one per line (blank lines are skipped; - reads stdin)
    #[arg(long = "file", value_name = "FILE", conflicts_with = "texts")]
    pub file: Option<PathBuf>,
    /// Print JSON: {"model", "dim", "pooling", "vectors"}, plus "similarity" for 2+ texts
    #[arg(long)]
    pub json: bool,
    /// The embedding model (default: --embed-model, embed_model in config.toml, or the installed
    /// all-MiniLM-L6-v2)
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// The embedding model choice of the command line and config file, for the whole process.
pub fn choice(cli: &Cli) -> EmbedChoice {
    let spec = cli.embed_model.clone().or_else(|| {
        crate::config::load(cli.config.as_deref())
            .config
            .embed_model
    });
    EmbedChoice {
        spec,
        models_dirs: cli.model.models_dir.clone(),
        settings: crate::engine::EngineSettings {
            n_ctx: None,
            ..cli.engine.settings()
        },
    }
}

pub fn run(a: &EmbedArgs) -> Result<()> {
    let texts = texts(a)?;
    let path = match &a.model.model {
        Some(_) => model_path(&a.model)?,
        None => {
            let mut choice = embed_model::choice();
            choice
                .models_dirs
                .extend(a.model.models_dir.iter().cloned());
            match embed_model::resolve(&choice, None).map_err(anyhow::Error::msg)? {
                Some(p) => p,
                // No embedding model: the default chat model embeds (warned below).
                None => model_path(&a.model)?,
            }
        }
    };
    let engine = Engine::spawn()?;
    let info = engine.load(&path, a.engine.settings())?;
    if info.pooling.is_none() {
        let warning = match a.model.model {
            Some(_) => format!(
                "{} is a chat model, not an embedding model: its vectors are weak",
                sanitize_line(&info.file_name)
            ),
            None => embed_model::weak_warning(&info),
        };
        eoutln!("howdah: warning: {warning}");
    }
    let start = Instant::now();
    let vectors = engine.embed(texts.clone())?;
    let elapsed = start.elapsed().as_secs_f64();
    let pooling = info.pooling.unwrap_or(Pooling::Mean);
    if a.json {
        outln!("{}", json(&info, pooling, &vectors)?);
    } else {
        out!("{}", plain(&info, pooling, &texts, &vectors));
        eoutln!(
            "howdah: {} texts in {:.3} s ({:.0} texts/s)",
            texts.len(),
            elapsed,
            texts.len() as f64 / elapsed.max(1e-9)
        );
    }
    Ok(())
}

/// The texts from the arguments or the file, each checked to be non-blank.
fn texts(a: &EmbedArgs) -> Result<Vec<String>> {
    let texts: Vec<String> = match &a.file {
        Some(f) => {
            let mut s = String::new();
            if f.as_os_str() == "-" {
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("cannot read the texts from stdin")?;
            } else {
                s = std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read texts from {}", f.display()))?;
            }
            let lines: Vec<String> = s
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect();
            if lines.is_empty() {
                bail!("{} holds no text to embed (one text per line)", f.display());
            }
            lines
        }
        None => a.texts.clone(),
    };
    if texts.is_empty() {
        bail!("give the texts to embed as arguments, or --file FILE with one text per line");
    }
    if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
        bail!("text {} is empty: there is nothing to embed", i + 1);
    }
    Ok(texts)
}

fn similarity(vectors: &[Vec<f32>]) -> Vec<Vec<f32>> {
    vectors
        .iter()
        .map(|a| vectors.iter().map(|b| cosine(a, b)).collect())
        .collect()
}

fn json(info: &ModelInfo, pooling: Pooling, vectors: &[Vec<f32>]) -> Result<String> {
    let mut out = serde_json::json!({
        "model": info.file_name,
        "dim": vectors.first().map_or(0, Vec::len),
        "pooling": pooling.as_str(),
        "vectors": vectors,
    });
    if vectors.len() >= 2 {
        out["similarity"] = serde_json::json!(similarity(vectors));
    }
    Ok(serde_json::to_string(&out)?)
}

fn plain(info: &ModelInfo, pooling: Pooling, texts: &[String], vectors: &[Vec<f32>]) -> String {
    let dim = vectors.first().map_or(0, Vec::len);
    let mut out = format!(
        "{} · {dim} dimensions · {pooling} pooling · L2-normalised\n",
        sanitize_line(&info.file_name)
    );
    for (i, (t, v)) in texts.iter().zip(vectors).enumerate() {
        let shown: String = sanitize_line(t).chars().take(SHOWN_CHARS).collect();
        let more = if t.chars().count() > SHOWN_CHARS {
            "…"
        } else {
            ""
        };
        out.push_str(&format!("\n[{}] {shown}{more}\n", i + 1));
        let values: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
        out.push_str(&values.join(" "));
        out.push('\n');
    }
    if vectors.len() >= 2 {
        out.push_str("\ncosine similarity:\n      ");
        for j in 0..vectors.len() {
            out.push_str(&format!(" {:>6}", format!("[{}]", j + 1)));
        }
        out.push('\n');
        for (i, row) in similarity(vectors).iter().enumerate() {
            out.push_str(&format!("{:>6}", format!("[{}]", i + 1)));
            for s in row {
                out.push_str(&format!(" {s:>6.3}"));
            }
            out.push('\n');
        }
    }
    out
}
