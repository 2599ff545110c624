//! `howdah compare`: one input, the template's variants side by side (zero-, one-, few-shot),
//! with label probabilities for classify templates. Also the flags `eval` shares with it.

use crate::cli::output::{eoutln, out, outln};

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};

use anyhow::{bail, Context, Result};
use clap::Args;

use super::args::{load_engine, EngineArgs, ModelArgs, SamplingArgs};
use super::interrupt::{Interrupt, Interrupted};
use crate::compare::report::{self, Format, Meta};
use crate::compare::save::compare_session;
use crate::compare::{
    calibrated_outcomes, default_shots, parse_shots, preset, run_compare, variants_for,
    VariantSpec, MAX_VARIANTS,
};
use crate::engine::ModelInfo;
use crate::prompt::{Embedder, Library, Mode, Selection, Template};
use crate::session::{Session, Store};

/// Which variants to run: shared by `compare` and `eval`.
#[derive(Debug, Clone, Args, Default)]
pub struct VariantArgs {
    /// Shot counts, one variant each, e.g. 0,1,4 (default: 0, 1 and the template's default k)
    #[arg(long = "shots", value_name = "LIST")]
    pub shots: Option<String>,
    /// Example selection for every variant: first, random, balanced or similar (default: the
    /// template's)
    #[arg(long = "selection", value_name = "S")]
    pub selection: Option<Selection>,
    /// Seed of `random` selection
    #[arg(long = "selection-seed", default_value_t = 0)]
    pub selection_seed: u64,
    /// Prompt layout: chat or completion (default: each model's own, chat when it has a chat
    /// template)
    #[arg(long = "mode", value_name = "MODE")]
    pub mode: Option<Mode>,
    /// Several models, comma-separated: each model × each shot count is a column (at most 4)
    #[arg(long = "models", value_name = "A,B", value_delimiter = ',')]
    pub models: Vec<String>,
    /// A built-in comparison: base-vs-instruct (the two shipped models, zero- and few-shot)
    #[arg(long = "preset", value_name = "NAME")]
    pub preset: Option<String>,
}

impl VariantArgs {
    /// Checks the shot list against `t` before a model is loaded, so that a mistake is reported
    /// at once.
    pub fn check(&self, t: &Template) -> Result<()> {
        let shots = self.shot_list(t)?;
        let models = self.model_specs()?.len().max(1);
        if models == 1 && shots.len() > MAX_VARIANTS {
            bail!(
                "at most {MAX_VARIANTS} variants run side by side: {} shot counts given (--shots)",
                shots.len()
            );
        }
        if models * shots.len() > MAX_VARIANTS {
            bail!(
                "at most {MAX_VARIANTS} variants run side by side: {models} models × {} shot counts is {}",
                shots.len(),
                models * shots.len()
            );
        }
        variants_for(
            t,
            &shots,
            self.selection,
            0,
            Mode::Completion,
            &t.sampling_for(Mode::Completion),
        )?;
        Ok(())
    }

    /// The variants for `t` on the loaded model, with `sampling` for generation.
    pub fn variants(
        &self,
        t: &Template,
        info: &ModelInfo,
        sampling: Option<&SamplingArgs>,
    ) -> Result<Vec<VariantSpec>> {
        let mode = self.mode.unwrap_or_else(|| Mode::for_model(info));
        let shots = self.shot_list(t)?;
        let base = t.sampling_for(mode);
        let sampling = match sampling {
            Some(a) => a.apply(base)?,
            None => base,
        };
        Ok(variants_for(
            t,
            &shots,
            self.selection,
            self.selection_seed,
            mode,
            &sampling,
        )?)
    }
}

impl VariantArgs {
    /// `--shots`, else the preset's, else the template's defaults.
    fn shot_list(&self, t: &Template) -> Result<Vec<usize>> {
        if let Some(s) = &self.shots {
            return Ok(parse_shots(s)?);
        }
        if let Some(p) = &self.preset {
            let p = preset::find(p).map_err(anyhow::Error::msg)?;
            return Ok(p.shots_for(t.shots, t.examples.len()));
        }
        Ok(default_shots(t))
    }

    /// The models named by `--models` or the preset; empty for the single `-m` model.
    pub fn model_specs(&self) -> Result<Vec<String>> {
        let mut list: Vec<String> = self
            .models
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() {
            if let Some(p) = &self.preset {
                let p = preset::find(p).map_err(anyhow::Error::msg)?;
                list = p.models.iter().map(|s| s.to_string()).collect();
            }
        }
        Ok(list)
    }
}

/// The template called `name` from the built-in and user library.
pub fn template(name: &str) -> Result<Template> {
    let lib = Library::load();
    lib.find(name).cloned().map_err(anyhow::Error::msg)
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Template name (see `howdah prompt list`)
    pub template: String,
    /// The input: fills the template's first variable (read from standard input when omitted)
    #[arg(long = "input", short = 'i')]
    pub input: Option<String>,
    /// Other template variables (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub variants: VariantArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Output: table, json or md
    #[arg(long = "format", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also show each scored variant's label probabilities contextually calibrated (divided by
    /// those of a content-free "N/A" input, renormalised) as a variant of its own
    #[arg(long = "calibrate")]
    pub calibrate: bool,
    /// Do not save the comparison as a session
    #[arg(long = "no-save")]
    pub no_save: bool,
}

/// Saves a run as a new session and says where on stderr; a failure to save is reported but does
/// not undo the results already printed.
pub fn save(session: Session) {
    match Store::user().create(session) {
        Ok(f) => eoutln!("howdah: session saved to {}", f.path.display()),
        Err(e) => eoutln!(
            "howdah: could not save the session: {}",
            crate::text::sanitize(&e.to_string())
        ),
    }
}

/// Parses `--var key=value` flags.
pub fn parse_vars(flags: &[String]) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for f in flags {
        let Some((k, v)) = f.split_once('=') else {
            bail!("--var takes KEY=VALUE, got {f:?}");
        };
        let k = k.trim();
        if k.is_empty() {
            bail!("--var {f:?} has no name before '='");
        }
        vars.insert(k.to_string(), v.to_string());
    }
    Ok(vars)
}

pub fn run(a: &CompareArgs) -> Result<()> {
    // First ctrl+c/SIGTERM (even during the model load): the texts so far are reported,
    // marked partial, and saved; a second one exits at once.
    let interrupt = Interrupt::install();
    let t = template(&a.template)?;
    let mut vars = parse_vars(&a.vars)?;
    let first = t.variable_names().first().map(|s| s.to_string());
    let input = match &a.input {
        Some(s) => Some(s.clone()),
        None if first.as_ref().is_some_and(|f| !vars.contains_key(f))
            && !std::io::stdin().is_terminal() =>
        {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the input from standard input")?;
            Some(s.trim_end_matches(['\n', '\r']).to_string())
        }
        None => None,
    };
    if let Some(text) = input {
        let Some(first) = first else {
            bail!("template '{}' takes no input variable", t.name);
        };
        vars.insert(first, text);
    }
    if let Some(missing) = t
        .variable_names()
        .into_iter()
        .find(|v| !vars.contains_key(*v))
    {
        bail!(
            "template '{}' needs '{missing}': pass --input TEXT (for the first variable) or --var {missing}=VALUE",
            t.name
        );
    }
    a.variants.check(&t)?;
    a.sampling.apply(t.sampling_for(Mode::Completion))?;
    let models = a.variants.model_specs()?;
    if models.len() > 1 {
        return super::multi::compare(a, &t, &vars, &models);
    }
    let mut a = a.clone();
    if let Some(m) = models.into_iter().next() {
        a.model.model = Some(m);
    }
    let a = &a;
    let (engine, info) = load_engine(&a.model, &a.engine)?;
    let variants = a.variants.variants(&t, &info, Some(&a.sampling))?;
    let embedder = Embedder::engine(&engine, &info);
    let mut result = run_compare(
        &engine,
        &t,
        &vars,
        &variants,
        Some(&embedder),
        interrupt.flag(),
        |_| {},
    )?;
    if a.calibrate {
        let cal = calibrated_outcomes(&engine, &t, &result, Some(&embedder))?;
        result.variants.extend(cal);
    }
    let meta = Meta {
        model: info.file_name.clone(),
        data: None,
        models: Vec::new(),
    };
    out!("{}", report::compare(&result, &meta, a.format));
    if a.format == Format::Json {
        outln!();
    }
    if !a.no_save {
        save(compare_session(&result, &t, &info, &a.engine.settings()));
    }
    if interrupt.fired() {
        return Err(Interrupted("the texts shown are partial".into()).into());
    }
    if result.variants.iter().all(|v| v.error.is_some()) {
        bail!("every variant failed");
    }
    Ok(())
}
