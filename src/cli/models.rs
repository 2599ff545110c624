//! `howdah models`: the GGUF files howdah can find, with what their headers say.

use anyhow::Result;

use super::args::ModelArgs;
use crate::model::{discover, human_bytes, human_params};

pub fn run(m: &ModelArgs, json: bool) -> Result<()> {
    let found = discover::discover(&m.models_dir);
    if json {
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|f| match &f.info {
                Ok(info) => serde_json::to_value(info).unwrap_or_default(),
                Err(e) => serde_json::json!({ "path": f.path, "error": e }),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if found.is_empty() {
        println!("No models found. Looked in:");
        for d in discover::search_dirs(&m.models_dir) {
            println!("  {}", d.display());
        }
        println!("Run `make models` to fetch the default models, or pass --models-dir DIR.");
        return Ok(());
    }
    println!(
        "{:<40} {:>9} {:<10} {:<8} {:>7} {:>7}  {:<4}",
        "NAME", "SIZE", "ARCH", "QUANT", "PARAMS", "CTX", "CHAT"
    );
    for f in &found {
        match &f.info {
            Ok(i) => println!(
                "{:<40} {:>9} {:<10} {:<8} {:>7} {:>7}  {:<4}",
                i.file_name,
                human_bytes(i.file_size),
                i.architecture,
                i.quantization,
                human_params(i.parameters),
                i.context_trained,
                match i.pooling {
                    Some(p) => format!("no (embedding, {p})"),
                    None if i.has_chat_template => "yes".into(),
                    None => "no".into(),
                }
            ),
            Err(e) => println!("{:<40} unusable: {}", f.path.display(), e),
        }
    }
    Ok(())
}
