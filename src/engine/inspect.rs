//! What a GGUF file says about the model in it, as the engine's `ModelInfo`, without loading it:
//! the header validated and the hyper-parameters llama.cpp asserts on checked first.

use std::path::Path;

use crate::gguf::{self, hparams};
use crate::text::sanitize::sanitize_line;

use super::ModelInfo;

/// Validates `path` and reads what can be known without llama.cpp. The error names the file.
pub fn inspect(path: &Path) -> Result<ModelInfo, String> {
    inspect_hparams(path).map(|(info, _)| info)
}

/// [`inspect`], plus the checked hyper-parameters (what the KV estimate needs).
pub fn inspect_hparams(path: &Path) -> Result<(ModelInfo, hparams::Hparams), String> {
    let h = gguf::read_header(path).map_err(|reason| format!("{}: {reason}", path.display()))?;
    // Values llama.cpp asserts on are refused here, so it never aborts the process over them.
    let hp = hparams::check(&h).map_err(|reason| format!("{}: {reason}", path.display()))?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Metadata is untrusted: it is shown in the terminal, so it is sanitized here, once.
    let architecture = sanitize_line(h.str("general.architecture").unwrap_or("unknown"));
    let name = h
        .str("general.name")
        .map(sanitize_line)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| file_name.trim_end_matches(".gguf").to_string());
    let context_trained = h
        .int(&format!("{architecture}.context_length"))
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0);
    let quantization = h
        .int("general.file_type")
        .and_then(gguf::file_type_name)
        .map(str::to_string)
        .or_else(|| h.dominant_type.clone())
        .unwrap_or_else(|| "unknown".into());
    let pooling = super::Pooling::of_model(
        &architecture,
        h.int(&format!("{architecture}.pooling_type")),
    );
    let info = ModelInfo {
        path: path.to_path_buf(),
        file_name,
        name,
        architecture,
        parameters: h.parameters,
        file_size: h.file_size,
        quantization,
        context_trained,
        has_chat_template: h.str("tokenizer.chat_template").is_some(),
        chat_format: Box::new(super::format_of_source(h.str("tokenizer.chat_template"))),
        pooling,
        n_ctx: 0,
        threads: 0,
        n_batch: 0,
        ctx_reason: String::new(),
        notes: Vec::new(),
        threads_reason: None,
        backend: None,
        offload: None,
    };
    Ok((info, hp))
}
