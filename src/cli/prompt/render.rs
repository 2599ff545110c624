//! `howdah prompt render`: the exact prompt a template gives, and with a model its token budget.

use crate::cli::output::{eout, out, outln};

use std::collections::BTreeMap;
use std::io::IsTerminal;

use anyhow::{anyhow, bail, Result};
use clap::Args;

use crate::cli::args::{load_engine, EngineArgs, ModelArgs};
use crate::engine::{ModelInfo, Prompt};
use crate::prompt::{
    count_sections, Embedder, Library, Mode, RenderOptions, Rendered, SectionTokens, Selection,
    Template,
};
use crate::text::sanitize;

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Template name (see `howdah prompt list`)
    pub name: String,
    /// The input, for templates with a single variable (same as --var NAME=INPUT)
    pub input: Option<String>,
    /// Set a variable (repeatable): --var text="Loved it"
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Number of examples (default: the template's)
    #[arg(short = 'k', long = "shots")]
    pub shots: Option<usize>,
    /// Example selection: first, random, balanced or similar (default: the template's)
    #[arg(long = "selection")]
    pub selection: Option<Selection>,
    /// Seed of random selection
    #[arg(long = "seed", default_value_t = 0)]
    pub seed: u64,
    /// Layout: chat or completion (default: from the model's chat template; chat without -m)
    #[arg(long = "mode")]
    pub mode: Option<Mode>,
    /// Print one JSON object (prompt, sections, chosen examples, token counts with -m)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `--var` flags (and the positional input) as the variable map.
fn parse_vars(t: &Template, a: &RenderArgs) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for kv in &a.vars {
        let Some((k, v)) = kv.split_once('=') else {
            bail!(
                "--var needs KEY=VALUE, got '{kv}' (variables of {}: {})",
                t.name,
                t.variable_names().join(", ")
            );
        };
        vars.insert(k.trim().to_string(), v.to_string());
    }
    if let Some(input) = &a.input {
        let names = t.variable_names();
        if names.len() != 1 {
            bail!(
                "template '{}' has {} variables ({}): pass each with --var KEY=VALUE",
                t.name,
                names.len(),
                names.join(", ")
            );
        }
        vars.insert(names[0].to_string(), input.clone());
    }
    Ok(vars)
}

pub fn run(lib: &Library, a: &RenderArgs) -> Result<()> {
    let t = lib.find(&a.name).map_err(|e| anyhow!(e))?;
    let vars = parse_vars(t, a)?;
    let selection = a.selection.unwrap_or(t.selection);
    let loaded = if a.model.model.is_some() {
        Some(load_engine(&a.model, &a.engine)?)
    } else {
        None
    };
    let mode = match (&a.mode, &loaded) {
        (Some(m), _) => *m,
        (None, Some((_, info))) => Mode::for_model(info),
        (None, None) => Mode::Chat,
    };
    let embedder = loaded.as_ref().map(|(e, info)| Embedder::engine(e, info));
    let opts = RenderOptions {
        shots: a.shots.unwrap_or(t.shots),
        selection,
        seed: a.seed,
        mode,
        exclude: Vec::new(),
        embedder: embedder.as_ref(),
    };
    let rendered = t.render(&vars, &opts)?;
    match &loaded {
        None => {
            if a.json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&json_of(&rendered, None, None))?
                );
            } else {
                print_exact(&rendered.display());
            }
        }
        Some((engine, info)) => {
            let text = engine.render_prompt(rendered.prompt.clone())?;
            let counts = count_sections(engine, info, &rendered)?;
            if a.json {
                let v = json_of(&rendered, Some(&text), Some((&counts, info)));
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_exact(&text);
                eout!("{}", counts.table(&info.file_name));
            }
        }
    }
    Ok(())
}

/// The prompt byte for byte (sanitized); a final newline only on a terminal, so that a prompt
/// ending in `Sentiment:` stays exact when piped.
fn print_exact(text: &str) {
    let clean = sanitize(text);
    out!("{clean}");
    if std::io::stdout().is_terminal() && !clean.ends_with('\n') {
        outln!();
    }
}

fn json_of(
    r: &Rendered,
    text: Option<&str>,
    counts: Option<(&SectionTokens, &ModelInfo)>,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "mode": r.mode,
        "examples": r.examples,
        "prompt": r.prompt,
        "sections": {
            "system": r.sections.system, "examples": r.sections.examples, "input": r.sections.input,
        },
    });
    if let Some(t) = text {
        v["text"] = serde_json::json!(t);
    }
    if let Some((c, info)) = counts {
        v["tokens"] = serde_json::json!(c);
        v["model"] = serde_json::json!(info.file_name);
    }
    if matches!(r.prompt, Prompt::Raw(_)) {
        v["text"] = v["prompt"]["value"].clone();
    }
    v
}
