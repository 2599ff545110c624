//! `howdah eval`: a template's variants evaluated on a labelled CSV or JSONL file, with
//! accuracy, macro-F1, confusion matrices and rows per second.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::args::{load_engine, EngineArgs, ModelArgs};
use super::compare::{template, VariantArgs};
use crate::compare::report::{self, Format, Meta};
use crate::compare::save::{eval_runs, new_eval_session};
use crate::compare::{run_eval, Dataset, EvalData, EvalOptions, EvalProgress, EvalResult, Method};
use crate::prompt::Embedder;
use crate::session::Store;
use crate::text::sanitize;

/// Skipped rows listed one by one on stderr before the rest are only counted.
const SKIPPED_SHOWN: usize = 10;

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Template name (a classify template, see `howdah prompt list`)
    pub template: String,
    /// Labelled data: CSV with a header row, or JSON Lines
    #[arg(long = "data", value_name = "FILE")]
    pub data: PathBuf,
    /// Column holding the input text
    #[arg(long = "input-col", default_value = "text")]
    pub input_col: String,
    /// Column holding the true label
    #[arg(long = "label-col", default_value = "label")]
    pub label_col: String,
    /// Evaluate only the first N usable rows
    #[arg(long = "limit", value_name = "N")]
    pub limit: Option<usize>,
    /// score: label log-likelihood; generate: greedy answer, first label named; embed: cosine
    /// similarity of the input's embedding and each label's prototype (its description's
    /// embedding, averaged at k shots with its examples'; no prompt, see --embed-model)
    #[arg(long = "method", default_value = "score")]
    pub method: Method,
    #[command(flatten)]
    pub variants: VariantArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output: table, json or md
    #[arg(long = "format", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write every row's prediction to this CSV file
    #[arg(long = "predictions", value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Decode every row's whole prompt, without reusing the shared prefix's KV cache (to
    /// measure what the reuse gains)
    #[arg(long = "no-reuse")]
    pub no_reuse: bool,
    /// Do not save the evaluation as a session
    #[arg(long = "no-save")]
    pub no_save: bool,
}

pub fn run(a: &EvalArgs) -> Result<()> {
    if a.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    let t = template(&a.template)?;
    let ds = Dataset::load(&a.data)?;
    let data = EvalData::prepare(&ds, &t, &a.input_col, &a.label_col, a.limit)?;
    report_skipped(&a.data.display().to_string(), &data);
    a.variants.check(&t)?;
    let (engine, info) = load_engine(&a.model, &a.engine)?;
    let variants = a.variants.variants(&t, &info, None)?;
    let embedder = Embedder::engine(&engine, &info);
    let opts = EvalOptions {
        method: a.method,
        reuse_cache: !a.no_reuse,
        embedder: Some(&embedder),
    };
    let cancel = AtomicBool::new(false);
    let show_progress = std::io::stderr().is_terminal();
    let names: Vec<String> = variants.iter().map(|v| v.name()).collect();
    let file_name = a.data.display().to_string();
    let asked = a.engine.settings();
    // The session is on disk before the first variant runs and gains a run as each finishes,
    // so an evaluation stopped half-way keeps the variants it completed.
    let mut session = if a.no_save {
        None
    } else {
        match Store::user().create(new_eval_session(&t, &file_name)) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!(
                    "howdah: could not save the session: {}",
                    sanitize(&e.to_string())
                );
                None
            }
        }
    };
    let mut result: Option<EvalResult> = None;
    for (g, group) in variants.chunks(1).enumerate() {
        let total = names.len();
        let r = run_eval(&engine, &t, &data, group, &opts, &cancel, |p| {
            if show_progress {
                let p = EvalProgress {
                    variant: g,
                    variants: total,
                    ..*p
                };
                progress(&p, &names);
            }
        })?;
        if let Some(f) = &mut session {
            for run in eval_runs(&r, &t, &file_name, &info, &asked) {
                if let Err(e) = f.push_run(run) {
                    eprintln!(
                        "howdah: could not save the session: {}",
                        sanitize(&e.to_string())
                    );
                }
            }
        }
        match &mut result {
            None => result = Some(r),
            Some(all) => {
                all.variants.extend(r.variants);
                all.cancelled |= r.cancelled;
            }
        }
    }
    let Some(result) = result else {
        bail!("nothing to evaluate");
    };
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    if let Some(path) = &a.predictions {
        report::write_predictions(path, &result, &data)
            .with_context(|| format!("cannot write predictions to {}", path.display()))?;
    }
    let meta = Meta {
        // The embed method uses only the embedding model.
        model: match a.method {
            Method::Embed => std::path::Path::new(&embedder.model)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| info.file_name.clone()),
            _ => info.file_name.clone(),
        },
        data: Some(a.data.display().to_string()),
    };
    print!("{}", report::eval(&result, &meta, a.format));
    if a.format == Format::Json {
        println!();
    }
    if let Some(f) = &session {
        eprintln!("howdah: session saved to {}", f.path.display());
    }
    if result.variants.iter().all(|v| v.rows == 0) {
        bail!("no variant could evaluate any row");
    }
    Ok(())
}

fn report_skipped(file: &str, data: &EvalData) {
    for s in data.skipped.iter().take(SKIPPED_SHOWN) {
        eprintln!(
            "howdah: {}: line {}: skipped: {}",
            crate::text::sanitize(file),
            s.line,
            crate::text::sanitize(&s.reason)
        );
    }
    if data.skipped.len() > SKIPPED_SHOWN {
        eprintln!(
            "howdah: {} more rows skipped ({} in all)",
            data.skipped.len() - SKIPPED_SHOWN,
            data.skipped.len()
        );
    }
}

fn progress(p: &EvalProgress, names: &[String]) {
    let name = names.get(p.variant).map(String::as_str).unwrap_or("");
    let acc = if p.done > 0 {
        100.0 * p.correct as f64 / p.done as f64
    } else {
        0.0
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r\x1b[2K[{}/{}] {name}: {}/{} rows, accuracy so far {acc:.1} %",
        p.variant + 1,
        p.variants,
        p.done,
        p.total
    );
    let _ = err.flush();
}
