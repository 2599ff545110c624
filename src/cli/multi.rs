//! `compare` and `eval` over several models (`--models A,B`, `--preset base-vs-instruct`): each
//! model on its own engine, each column in its own model's layout, loaded side by side when the
//! memory estimate fits and one after another otherwise (said on stderr).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context, Result};

use super::compare::{save, CompareArgs};
use crate::cli::output::{eoutln, out, outln};
use crate::compare::fleet::{self, Loading, Plan};
use crate::compare::report::{self, Format, Meta};
use crate::compare::save::compare_session;
use crate::compare::{calibrated_outcomes, run_compare, CompareResult};
use crate::engine::{Engine, EngineSettings, ModelInfo};
use crate::prompt::{Embedder, Template};

/// Resolves model names or paths, in order.
pub fn resolve(specs: &[String], dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    specs
        .iter()
        .map(|m| crate::model::discover::resolve(m, dirs).map_err(anyhow::Error::msg))
        .collect()
}

/// The memory plan for `paths`, announced on stderr.
pub fn announce(paths: &[PathBuf], n_ctx: Option<u32>) -> Plan {
    let plan = fleet::plan(paths, n_ctx, fleet::available_memory());
    eoutln!("howdah: {}", plan.describe());
    plan
}

/// Starts an engine with the model at `p`.
fn load(p: &Path, settings: &EngineSettings) -> Result<(Engine, ModelInfo)> {
    fleet::load(p, settings.clone()).with_context(|| format!("cannot load {}", p.display()))
}

/// Runs `f` once per model, in model order. Side by side: every model is loaded first and the
/// models run at once on their own engines; one after another: each is loaded, run and unloaded
/// before the next.
pub fn each_model<T: Send>(
    paths: &[PathBuf],
    plan: &Plan,
    settings: &EngineSettings,
    f: impl Fn(&Engine, &ModelInfo) -> Result<T> + Sync,
) -> Result<Vec<(ModelInfo, T)>> {
    let load = |p: &PathBuf| load(p, settings);
    match plan.loading {
        Loading::SideBySide => {
            let loaded: Vec<(Engine, ModelInfo)> = paths.iter().map(load).collect::<Result<_>>()?;
            let f = &f;
            std::thread::scope(|s| {
                let handles: Vec<_> = loaded
                    .iter()
                    .map(|(e, i)| s.spawn(move || f(e, i)))
                    .collect();
                handles
                    .into_iter()
                    .zip(&loaded)
                    .map(|(h, (_, i))| match h.join() {
                        Ok(r) => r.map(|t| (i.clone(), t)),
                        Err(_) => bail!("the run on {} stopped unexpectedly", i.file_name),
                    })
                    .collect()
            })
        }
        Loading::OneAfterAnother => paths
            .iter()
            .map(|p| {
                let (e, i) = load(p)?;
                let t = f(&e, &i)?;
                Ok((i, t))
            })
            .collect(),
    }
}

/// The models an evaluation runs on.
pub enum Models {
    /// Model files, loaded as the memory plan says.
    Files(Vec<PathBuf>, Plan),
    /// A model server's model (`--backend`), connected already.
    Server(Engine, Box<ModelInfo>),
}

impl Models {
    /// Whether results need the model's name to tell them apart.
    pub fn several(&self) -> bool {
        matches!(self, Models::Files(paths, _) if paths.len() > 1)
    }
}

/// Like `each_model`, but the models run one at a time (an evaluation's progress line and its
/// session follow one model after the other); side by side only keeps them all loaded. A
/// server's model is simply the one model.
pub fn each_model_in_turn(
    models: &Models,
    settings: &EngineSettings,
    mut f: impl FnMut(&Engine, &ModelInfo) -> Result<()>,
) -> Result<()> {
    let load = |p: &PathBuf| load(p, settings);
    match models {
        Models::Server(e, i) => f(e, i)?,
        Models::Files(paths, plan) => match plan.loading {
            Loading::SideBySide => {
                let loaded: Vec<(Engine, ModelInfo)> =
                    paths.iter().map(load).collect::<Result<_>>()?;
                for (e, i) in &loaded {
                    f(e, i)?;
                }
            }
            Loading::OneAfterAnother => {
                for p in paths {
                    let (e, i) = load(p)?;
                    f(&e, &i)?;
                }
            }
        },
    }
    Ok(())
}

/// A short model name for column titles: the file stem (the name inside a GGUF is often a
/// training run's, such as "Smollm2 135M 8k Lc100K Mix1 Ep2").
pub fn short_name(info: &ModelInfo) -> String {
    info.file_name.trim_end_matches(".gguf").to_string()
}

/// `howdah compare … --models A,B`: every model's variants, one table, one session.
pub fn compare(
    a: &CompareArgs,
    t: &Template,
    vars: &BTreeMap<String, String>,
    specs: &[String],
) -> Result<()> {
    let paths = resolve(specs, &a.model.models_dir)?;
    let plan = announce(&paths, a.engine.ctx_size);
    let cancel = AtomicBool::new(false);
    let results = each_model(&paths, &plan, &a.engine.settings(), |engine, info| {
        let variants = a.variants.variants(t, info, Some(&a.sampling))?;
        let embedder = Embedder::engine(engine, info);
        let mut r = run_compare(engine, t, vars, &variants, Some(&embedder), &cancel, |_| {})?;
        if a.calibrate {
            let cal = calibrated_outcomes(engine, t, &r, Some(&embedder))?;
            r.variants.extend(cal);
        }
        Ok(r)
    })?;
    let mut merged: Option<CompareResult> = None;
    let mut models = Vec::new();
    let mut session = None;
    for (info, mut r) in results {
        let mut part = compare_session(&r, t, &info, &a.engine.settings());
        for (v, run) in r.variants.iter_mut().zip(part.runs.iter_mut()) {
            v.name = format!("{} · {}", short_name(&info), v.name);
            run.label = v.name.clone();
            models.push(info.file_name.clone());
        }
        match &mut session {
            None => session = Some(part),
            Some(s) => s.runs.extend(part.runs),
        }
        match &mut merged {
            None => merged = Some(r),
            Some(m) => {
                m.variants.extend(r.variants);
                m.cancelled |= r.cancelled;
            }
        }
    }
    let Some(result) = merged else {
        bail!("no model to compare");
    };
    let mut unique = models.clone();
    unique.dedup();
    let meta = Meta {
        model: unique.join(", "),
        data: None,
        models,
    };
    out!("{}", report::compare(&result, &meta, a.format));
    if a.format == Format::Json {
        outln!();
    }
    if let (false, Some(s)) = (a.no_save, session) {
        save(s);
    }
    if result.variants.iter().all(|v| v.error.is_some()) {
        bail!("every variant failed");
    }
    Ok(())
}
