//! Flags shared by several commands: model choice, engine settings and sampling, named as in
//! llama.cpp's tools so that habits carry over.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::chat_template::TemplateOverride;
use crate::engine::{ContextOverflow, Engine, EngineSettings, ModelInfo, Sampling};

#[derive(Debug, Clone, Args, Default)]
pub struct ModelArgs {
    /// Model: a path to a .gguf file, or the name of one `howdah models` lists
    #[arg(short = 'm', long = "model", value_name = "MODEL")]
    pub model: Option<String>,
    /// Extra folder to look for models in (repeatable)
    #[arg(long = "models-dir", value_name = "DIR")]
    pub models_dir: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct EngineArgs {
    /// Threads (default: the physical cores less those other programs keep busy, checked before
    /// each request)
    #[arg(short = 't', long = "threads")]
    pub threads: Option<u32>,
    /// Context size in tokens (default: the trained context, capped by memory)
    #[arg(short = 'c', long = "ctx-size")]
    pub ctx_size: Option<u32>,
    /// Logical batch size for prompt processing
    #[arg(short = 'b', long = "batch-size", default_value_t = 512)]
    pub batch_size: u32,
    /// Layers to offload to the GPU: auto (all that fit the GPU's free memory with the KV
    /// cache), 0 (the CPU only) or a count (builds with the cuda, metal or vulkan feature); -ngl works too
    #[arg(
        long = "gpu-layers",
        alias = "n-gpu-layers",
        value_name = "N|auto",
        default_value = "auto"
    )]
    pub gpu_layers: crate::engine::GpuLayers,
    /// Jinja chat template file replacing the model's own (as llama.cpp's --chat-template-file)
    #[arg(
        long = "chat-template-file",
        value_name = "FILE",
        conflicts_with = "chat_template"
    )]
    pub chat_template_file: Option<PathBuf>,
    /// One of llama.cpp's built-in chat layouts by name (llama3, chatml, gemma, …)
    #[arg(long = "chat-template", value_name = "NAME")]
    pub chat_template: Option<String>,
    /// When a chat outgrows the context: shift (drop the oldest turns, keep the cache), redecode
    /// (drop them and decode the rest again) or stop (an error) [default: shift, or the config's
    /// context_overflow]
    #[arg(long = "context-overflow", value_enum, value_name = "POLICY")]
    pub context_overflow: Option<ContextOverflow>,
}

impl EngineArgs {
    fn template_override(&self) -> Option<TemplateOverride> {
        if let Some(f) = &self.chat_template_file {
            return Some(TemplateOverride::File(f.clone()));
        }
        self.chat_template.clone().map(TemplateOverride::Named)
    }

    pub fn settings(&self) -> EngineSettings {
        EngineSettings {
            threads: self.threads,
            n_ctx: self.ctx_size,
            n_batch: self.batch_size,
            gpu_layers: self.gpu_layers,
            chat_template: self.template_override(),
            context_overflow: self.context_overflow.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Args, Default)]
pub struct SamplingArgs {
    /// Temperature (0 = greedy)
    #[arg(long = "temp", allow_negative_numbers = true)]
    pub temp: Option<f32>,
    /// Keep only the K most likely tokens (0 = off)
    #[arg(long = "top-k", allow_negative_numbers = true)]
    pub top_k: Option<i32>,
    /// Keep the most likely tokens up to this total probability (1 = off)
    #[arg(long = "top-p", allow_negative_numbers = true)]
    pub top_p: Option<f32>,
    /// Drop tokens less likely than this fraction of the top token's probability (0 = off)
    #[arg(long = "min-p", allow_negative_numbers = true)]
    pub min_p: Option<f32>,
    /// Locally typical sampling: keep tokens of typical surprise up to this mass (1 = off)
    #[arg(long = "typical-p", allow_negative_numbers = true, alias = "typical")]
    pub typical_p: Option<f32>,
    /// Divide the scores of recently seen tokens by this (1 = off)
    #[arg(long = "repeat-penalty", allow_negative_numbers = true)]
    pub repeat_penalty: Option<f32>,
    /// Lower a token's score by this times its count in the recent tokens (0 = off)
    #[arg(long = "frequency-penalty", allow_negative_numbers = true)]
    pub frequency_penalty: Option<f32>,
    /// Lower the score of any token seen in the recent tokens by this (0 = off)
    #[arg(long = "presence-penalty", allow_negative_numbers = true)]
    pub presence_penalty: Option<f32>,
    /// Tokens the penalties look back over
    #[arg(long = "repeat-last-n", allow_negative_numbers = true)]
    pub repeat_last_n: Option<i32>,
    /// Random seed (-1 = a random one, said and saved so the run can be repeated)
    #[arg(short = 's', long = "seed", allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Most tokens to generate (-1 = no limit: until the model stops or the context is full)
    #[arg(
        short = 'n',
        long = "max-tokens",
        alias = "n-predict",
        allow_negative_numbers = true
    )]
    pub max_tokens: Option<i64>,
    /// Stop before this string (repeatable)
    #[arg(long = "stop")]
    pub stop: Vec<String>,
    /// GBNF grammar file constraining the output
    #[arg(long = "grammar-file")]
    pub grammar_file: Option<PathBuf>,
}

impl SamplingArgs {
    /// Applies the flags given on top of `base`, then validates.
    pub fn apply(&self, mut s: Sampling) -> Result<Sampling> {
        macro_rules! set {
            ($($f:ident => $t:ident),*) => { $( if let Some(v) = self.$f { s.$t = v; } )* };
        }
        set!(temp => temperature, top_k => top_k, top_p => top_p, min_p => min_p,
             typical_p => typical_p, repeat_penalty => repeat_penalty,
             frequency_penalty => frequency_penalty, presence_penalty => presence_penalty,
             repeat_last_n => penalty_window);
        if let Some(seed) = self.seed {
            s.seed = super::values::seed(seed)?;
        }
        if let Some(n) = self.max_tokens {
            s.max_tokens = super::values::max_tokens(n)?;
        }
        if !self.stop.is_empty() {
            s.stop = self.stop.clone();
        }
        if let Some(path) = &self.grammar_file {
            let g = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read grammar file {}", path.display()))?;
            crate::engine::gbnf::check(&g).map_err(|e| {
                anyhow::anyhow!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message)
            })?;
            s.grammar = Some(g);
        }
        s.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(s)
    }
}

/// The model file the user asked for, or the default chat model.
pub fn model_path(m: &ModelArgs) -> Result<PathBuf> {
    let spec = m
        .model
        .clone()
        .unwrap_or_else(|| crate::paths::DEFAULT_MODEL.to_string());
    crate::model::discover::resolve(&spec, &m.models_dir).map_err(|e| {
        if m.model.is_none() {
            anyhow::anyhow!(
                "the default model {} is not installed: run `make models` (or scripts/fetch-models.sh), or pass -m MODEL",
                crate::paths::DEFAULT_MODEL
            )
        } else {
            anyhow::anyhow!(e)
        }
    })
}

/// Starts the engine and loads the model, waiting for the ready handshake.
pub fn load_engine(m: &ModelArgs, e: &EngineArgs) -> Result<(Engine, ModelInfo)> {
    if let Some(b) = super::backend::selected()? {
        return super::backend::connect(b, m.model.as_deref());
    }
    let path = model_path(m)?;
    super::values::check_engine(&path, &e.settings())?;
    let engine = Engine::spawn()?;
    let info = engine.load(&path, settings_for(e, &path))?;
    // Fewer GPU layers than asked (budget, a failed load) is never silent.
    if let Some(note) = info.offload.as_ref().and_then(|o| o.note.as_deref()) {
        crate::cli::output::eoutln!("howdah: {}", crate::text::sanitize::sanitize_line(note));
    }
    Ok((engine, info))
}

/// `--config PATH` (a global flag), for commands that read config.toml.
static CONFIG_PATH: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

pub fn set_config_path(path: Option<PathBuf>) {
    let _ = CONFIG_PATH.set(path);
}

/// The engine settings for `model`: the flags, plus the model's chat template override from
/// config.toml when no flag chose one.
pub fn settings_for(e: &EngineArgs, model: &std::path::Path) -> EngineSettings {
    let mut s = e.settings();
    if s.chat_template.is_none() {
        let explicit = CONFIG_PATH.get().cloned().flatten();
        let loaded = crate::config::load(explicit.as_deref());
        let dir = loaded
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        s.chat_template =
            crate::chat_template::overrides::configured(&loaded.config.chat_templates, model, &dir);
    }
    s
}

/// llama.cpp spells the GPU flag `-ngl`; clap allows one-letter short flags only.
pub fn normalize_argv(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    args.map(|a| {
        if a == "-ngl" {
            "--gpu-layers".into()
        } else {
            a
        }
    })
    .collect()
}
