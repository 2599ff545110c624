//! `howdah eval`: a template's variants evaluated on a labelled CSV or JSONL file, with
//! accuracy, macro-F1, confusion matrices and rows per second.

use crate::cli::output::{self, eout, eoutln, out, outln, Control};

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::args::{load_engine, model_path, EngineArgs, ModelArgs};
use super::compare::{template, VariantArgs};
use super::interrupt::{Interrupt, Interrupted};
use super::multi::{each_model_in_turn, short_name, Models};
use crate::compare::report::{self, Format, Meta};
use crate::compare::save::{eval_runs, new_eval_session};
use crate::compare::{run_eval, EvalData, EvalOptions, EvalProgress, EvalResult, Method};
use crate::engine::{Engine, ModelInfo};
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
    /// Also report each scored variant contextually calibrated (label probabilities divided by
    /// those of a content-free "N/A" input, then renormalised) as a variant of its own
    #[arg(long = "calibrate")]
    pub calibrate: bool,
    /// Do not save the evaluation as a session
    #[arg(long = "no-save")]
    pub no_save: bool,
}

pub fn run(a: &EvalArgs) -> Result<()> {
    // First ctrl+c/SIGTERM (even during the model load): finish the row in hand, then report
    // and save the rows done; a second one exits at once.
    let interrupt = Interrupt::install();
    if a.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    if a.calibrate && a.method != Method::Score {
        bail!("--calibrate divides label probabilities, so it needs --method score");
    }
    let t = template(&a.template)?;
    let data = EvalData::load(&a.data, &t, &a.input_col, &a.label_col, a.limit)?;
    report_skipped(&a.data.display().to_string(), &data);
    a.variants.check(&t)?;
    let specs = a.variants.model_specs()?;
    // On a server (--backend) the model is the server's: -m names it, nothing is loaded here.
    let engines = if super::backend::selected()?.is_some() {
        let (engine, info) = load_engine(&a.model, &a.engine)?;
        Models::Server(engine, Box::new(info))
    } else {
        let paths = if specs.is_empty() {
            vec![model_path(&a.model)?]
        } else {
            super::multi::resolve(&specs, &a.model.models_dir)?
        };
        let plan = if paths.len() > 1 {
            super::multi::announce(&paths, a.engine.ctx_size)
        } else {
            crate::compare::fleet::plan(&paths, a.engine.ctx_size, None)
        };
        Models::Files(paths, plan)
    };
    let multi = engines.several();
    let cancel = interrupt.flag();
    let show_progress = output::stderr_is_terminal();
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
                eoutln!(
                    "howdah: could not save the session: {}",
                    sanitize(&e.to_string())
                );
                None
            }
        }
    };
    let mut result: Option<EvalResult> = None;
    let mut models: Vec<String> = Vec::new();
    let mut embed_name: Option<String> = None;
    let body = |engine: &Engine, info: &ModelInfo| -> Result<()> {
        if interrupt.fired() {
            return Ok(());
        }
        let variants = a.variants.variants(&t, info, None)?;
        let embedder = Embedder::engine(engine, info);
        let opts = EvalOptions {
            method: a.method,
            reuse_cache: !a.no_reuse,
            embedder: Some(&embedder),
            calibrate: a.calibrate,
        };
        let names: Vec<String> = variants.iter().map(|v| v.name()).collect();
        if a.method == Method::Embed {
            embed_name = std::path::Path::new(&embedder.model)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned());
        }
        for (g, group) in variants.chunks(1).enumerate() {
            let total = names.len();
            let mut r = run_eval(engine, &t, &data, group, &opts, cancel, |p| {
                if show_progress {
                    let p = EvalProgress {
                        variant: g,
                        variants: total,
                        ..*p
                    };
                    progress(&p, &names);
                }
            })?;
            for v in &mut r.variants {
                if multi {
                    v.name = format!("{} · {}", short_name(info), v.name);
                }
                models.push(info.file_name.clone());
            }
            if let Some(f) = &mut session {
                for run in eval_runs(&r, &t, &file_name, info, &asked) {
                    if let Err(e) = f.push_run(run) {
                        eoutln!(
                            "howdah: could not save the session: {}",
                            sanitize(&e.to_string())
                        );
                    }
                }
            }
            match &mut result {
                None => result = Some(r),
                Some(all) => all.merge(r),
            }
            if interrupt.fired() {
                break;
            }
        }
        Ok(())
    };
    each_model_in_turn(&engines, &asked, body)?;
    let Some(result) = result else {
        if interrupt.fired() {
            return Err(Interrupted("stopped before any row was evaluated".into()).into());
        }
        bail!("nothing to evaluate");
    };
    if show_progress {
        output::err_control(Control::ClearLine);
    }
    if let Some(path) = &a.predictions {
        report::write_predictions(path, &result, &data)
            .with_context(|| format!("cannot write predictions to {}", path.display()))?;
    }
    let mut unique = models.clone();
    unique.dedup();
    let meta = Meta {
        // The embed method uses only the embedding model.
        model: match (a.method, embed_name) {
            (Method::Embed, Some(name)) => name,
            _ => unique.join(", "),
        },
        data: Some(a.data.display().to_string()),
        models,
    };
    out!("{}", report::eval(&result, &meta, a.format));
    if a.format == Format::Json {
        outln!();
    }
    if let Some(f) = &session {
        eoutln!("howdah: session saved to {}", f.path.display());
    }
    if interrupt.fired() {
        let done: Vec<String> = result
            .variants
            .iter()
            .map(|v| format!("{} {}/{}", v.name, v.predictions.len(), result.total_rows))
            .collect();
        return Err(Interrupted(format!("partial results, rows done: {}", done.join(", "))).into());
    }
    if result.variants.iter().all(|v| v.rows == 0) {
        bail!("no variant could evaluate any row");
    }
    Ok(())
}

fn report_skipped(file: &str, data: &EvalData) {
    for s in data.skipped.iter().take(SKIPPED_SHOWN) {
        eoutln!(
            "howdah: {}: line {}: skipped: {}",
            crate::text::sanitize(file),
            s.line,
            crate::text::sanitize(&s.reason)
        );
    }
    if data.skipped.len() > SKIPPED_SHOWN {
        eoutln!(
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
    output::err_control(Control::ClearLine);
    eout!(
        "[{}/{}] {name}: {}/{} rows, accuracy so far {acc:.1} %",
        p.variant + 1,
        p.variants,
        p.done,
        p.total
    );
}
