//! `howdah models`: the GGUF files howdah can find, with what their headers say.

use crate::cli::output::outln;

use anyhow::Result;

use super::args::ModelArgs;
use crate::model::discover;
use crate::text::{human_bytes, human_params};

pub fn run(m: &ModelArgs, json: bool) -> Result<()> {
    let found = discover::discover(&m.models_dir);
    if json {
        // Where each would run with -ngl auto (backend, device, layers_offloaded/_total).
        let devices = crate::engine::offload::gpu_devices();
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|f| match &f.info {
                Ok(info) => {
                    let mut v = serde_json::to_value(info).unwrap_or_default();
                    if let Some(o) = crate::engine::offload::planned(&info.path, &devices) {
                        o.add_to(&mut v);
                    }
                    v
                }
                Err(e) => serde_json::json!({ "path": f.path, "error": e }),
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if found.is_empty() {
        outln!("No models found. Looked in:");
        for d in discover::search_dirs(&m.models_dir) {
            outln!("  {}", d.display());
        }
        if let Some(d) = crate::model::ollama::models_dir() {
            outln!("  {} (Ollama)", d.display());
        }
        outln!("Run `make models` to fetch the default models, `howdah pull OWNER/NAME[:QUANT]` to download one from Hugging Face, or pass --models-dir DIR.");
        return Ok(());
    }
    outln!(
        "{:<40} {:>9} {:<10} {:<8} {:>7} {:>7}  CHAT TEMPLATE",
        "NAME",
        "SIZE",
        "ARCH",
        "QUANT",
        "PARAMS",
        "CTX"
    );
    for f in &found {
        match &f.info {
            Ok(i) => outln!(
                "{:<40} {:>9} {:<10} {:<8} {:>7} {:>7}  {}",
                i.file_name,
                human_bytes(i.file_size),
                i.architecture,
                i.quantization,
                human_params(i.parameters),
                i.context_trained,
                match i.pooling {
                    Some(p) => format!("no (embedding, {p})"),
                    None => crate::text::sanitize(&i.chat_format.label()),
                }
            ),
            Err(e) => outln!("{:<40} unusable: {}", f.path.display(), e),
        }
    }
    // A GPU build says which device -ngl auto offloads to (a CPU build has nothing to add).
    if let Some(b) = crate::engine::offload::built_backend() {
        match crate::engine::offload::gpu_devices().first() {
            Some(d) => outln!(
                "\nGPU: {} ({} free of {}); -ngl auto offloads the layers that fit",
                d.label(),
                human_bytes(d.free),
                human_bytes(d.total)
            ),
            None => outln!("\nGPU: this {b} build finds no {b} device; models run on the CPU"),
        }
    }
    Ok(())
}
