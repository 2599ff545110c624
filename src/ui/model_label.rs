//! One name for a model everywhere in the TUI (status bar, picker, notes, replay, compare): its
//! file name without `.gguf`. The file tells quantizations and fine-tunes apart, and it is what
//! `-m`, the picker and the session list show; metadata names are often generic or missing.

use std::path::Path;

use crate::engine::ModelInfo;

/// "SmolLM2-135M-Instruct.Q4_1" for `SmolLM2-135M-Instruct.Q4_1.gguf` (a server's model name
/// as it is).
pub fn label(file_name: &str) -> String {
    let stem = file_name
        .strip_suffix(".gguf")
        .or_else(|| file_name.strip_suffix(".GGUF"))
        .unwrap_or(file_name);
    crate::text::sanitize::sanitize_line(stem)
}

/// The label of a loaded or inspected model. A server's model has no file: its name is the
/// server's model id, which the picker extends with the backend's name ("qwen · gpu-box") so
/// that two servers' models with the same id tell apart.
pub fn of(info: &ModelInfo) -> String {
    if info.backend.is_some() {
        return crate::text::sanitize::sanitize_line(&info.name);
    }
    label(&info.file_name)
}

/// The label of a model file not read yet (while it loads).
pub fn of_path(path: &Path) -> String {
    path.file_name()
        .map(|n| label(&n.to_string_lossy()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_stem_names_the_model() {
        assert_eq!(label("gemma-3-270m-q4_k_m.gguf"), "gemma-3-270m-q4_k_m");
        assert_eq!(label("qwen2.5:7b"), "qwen2.5:7b");
        assert_eq!(of_path(Path::new("/m/SmolLM2.Q4_1.gguf")), "SmolLM2.Q4_1");
    }
}
