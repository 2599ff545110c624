//! Which model embeds texts (for `similar` selection, `--method embed` and `howdah embed`): a
//! dedicated sentence-embedding model, chosen by `--embed-model`, `embed_model` in config.toml or,
//! by default, the shipped all-MiniLM-L6-v2 when it is installed. It is loaded once, on first
//! use, in an engine of its own beside the chat model's. Without one, the chat model embeds, with
//! a one-line warning: a decoder's pooled hidden states make weak sentence vectors.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::engine::{Engine, EngineError, EngineSettings, ModelInfo};

/// The embedding model `make models` installs (converted by scripts/convert-bert-gguf.py).
pub const SHIPPED: &str = "all-MiniLM-L6-v2.gguf";

/// What the user asked for; set once by the command line with [`configure`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbedChoice {
    /// `--embed-model`, else `embed_model` from config.toml: a path or a model name.
    pub spec: Option<String>,
    /// Extra folders to find a named model in (`--models-dir`).
    pub models_dirs: Vec<PathBuf>,
    /// Threads and GPU layers for the embedding engine (its context is its own).
    pub settings: EngineSettings,
}

static CHOICE: OnceLock<EmbedChoice> = OnceLock::new();

/// Sets the process's choice (the first call wins; without one, the default applies).
pub fn configure(choice: EmbedChoice) {
    let _ = CHOICE.set(choice);
}

/// The choice in force.
pub fn choice() -> EmbedChoice {
    CHOICE.get().cloned().unwrap_or_default()
}

/// The embedding model file: the one asked for (an error when it cannot be found), else the
/// shipped model when installed (looked for in the model folders and beside `near`, the chat
/// model), else `None`.
pub fn resolve(choice: &EmbedChoice, near: Option<&Path>) -> Result<Option<PathBuf>, String> {
    let mut dirs = choice.models_dirs.clone();
    if let Some(dir) = near.and_then(Path::parent) {
        dirs.push(dir.to_path_buf());
    }
    match choice.spec.as_deref().map(str::trim) {
        Some(spec) if !spec.is_empty() => {
            let path = crate::model::discover::resolve(spec, &dirs)
                .map_err(|e| format!("embedding model: {e}"))?;
            if !path.is_file() {
                return Err(format!(
                    "embedding model {} does not exist: give a .gguf file or a name `howdah models` lists",
                    path.display()
                ));
            }
            Ok(Some(path))
        }
        _ => Ok(crate::model::discover::resolve(SHIPPED, &dirs)
            .ok()
            .filter(|p| p.is_file())),
    }
}

/// The warning for embedding with a chat model.
pub fn weak_warning(chat: &ModelInfo) -> String {
    format!(
        "no embedding model is installed (`make models` adds all-MiniLM-L6-v2; or pass --embed-model): embedding with the chat model {}, whose vectors are weak",
        crate::text::sanitize::sanitize_line(&chat.name)
    )
}

/// Where warnings go besides the log: the front end (the command line prints them on stderr)
/// registers it, so this library module needs no part of the front end.
static NOTICE: OnceLock<fn(&str)> = OnceLock::new();

/// Sets what shows a warning to the user (the first call wins; without one they are only logged).
pub fn on_warning(show: fn(&str)) {
    let _ = NOTICE.set(show);
}

/// Logs `warning` and hands it to the front end the first time this process meets it.
pub fn warn_once(warning: &str) {
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|s| s == warning) {
        said.push(warning.to_string());
        tracing::warn!("{warning}");
        if let Some(show) = NOTICE.get() {
            show(warning);
        }
    }
}

/// An engine with its model loaded, shared by every embedder of that model.
type LoadedEngine = Arc<(Engine, ModelInfo)>;
/// A model file found for a chat model (by its path), or why the one asked for was not.
type Resolved = (PathBuf, Result<Option<PathBuf>, String>);

/// A dedicated embedding model, loaded in its own engine on the first texts it embeds; a failed
/// load is kept and reported to every caller.
pub struct EmbedModel {
    /// The file, or why there is none.
    target: Result<PathBuf, String>,
    settings: EngineSettings,
    loaded: Mutex<Option<Result<LoadedEngine, EngineError>>>,
}

impl EmbedModel {
    /// The cache key of its vectors: the file's path.
    pub fn key(&self) -> String {
        match &self.target {
            Ok(p) => p.display().to_string(),
            Err(e) => format!("unresolved: {e}"),
        }
    }

    /// The engine with the model loaded, loading it on the first call.
    pub fn engine(&self) -> Result<LoadedEngine, EngineError> {
        let path = self.target.clone().map_err(EngineError::Input)?;
        let mut slot = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let loaded = Engine::spawn().and_then(|engine| {
                let info = engine.load(&path, self.settings.clone())?;
                if info.pooling.is_none() {
                    warn_once(&format!(
                        "the embedding model {} is a chat model: its vectors are weak",
                        crate::text::sanitize::sanitize_line(&info.file_name)
                    ));
                }
                Ok(Arc::new((engine, info)))
            });
            *slot = Some(loaded);
        }
        slot.clone().unwrap_or(Err(EngineError::Stopped))
    }

    /// One unit vector per text (loading the model first if needed).
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        self.engine()?.0.embed(texts.to_vec())
    }
}

/// The process-wide embedding model for `chat` (shared by every render and evaluation, so it is
/// loaded once): `None` when the chat model itself embeds (nothing else is installed or asked
/// for, or the chat model is the embedding model).
pub fn dedicated_for(chat: &ModelInfo) -> Option<&'static EmbedModel> {
    let choice = choice();
    // Finding a model by name walks the model folders: once per chat model is enough.
    static RESOLVED: Mutex<Vec<Resolved>> = Mutex::new(Vec::new());
    let resolved = {
        let mut memo = RESOLVED.lock().unwrap_or_else(|e| e.into_inner());
        match memo.iter().find(|(p, _)| p == &chat.path) {
            Some((_, r)) => r.clone(),
            None => {
                let r = resolve(&choice, Some(&chat.path));
                memo.push((chat.path.clone(), r.clone()));
                r
            }
        }
    };
    let target = match resolved {
        Ok(None) => return None,
        Ok(Some(p)) if same_file(&p, &chat.path) => return None,
        Ok(Some(p)) => Ok(p),
        Err(e) => Err(e),
    };
    // One model per file (or per error) for the life of the process: leaked on purpose, as
    // llama.cpp's backend is, so that embedders may borrow it for any lifetime.
    static MODELS: Mutex<Vec<&'static EmbedModel>> = Mutex::new(Vec::new());
    let mut models = MODELS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = models.iter().find(|m| m.target == target) {
        return Some(m);
    }
    let m: &'static EmbedModel = Box::leak(Box::new(EmbedModel {
        target,
        settings: choice.settings,
        loaded: Mutex::new(None),
    }));
    models.push(m);
    Some(m)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_named_model_is_an_error_and_no_model_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let choice = EmbedChoice {
            spec: Some("no-such-embedder".into()),
            models_dirs: vec![dir.path().to_path_buf()],
            ..EmbedChoice::default()
        };
        let e = resolve(&choice, None).unwrap_err();
        assert!(e.contains("no-such-embedder"), "{e}");
        let missing = EmbedChoice {
            spec: Some(dir.path().join("x.gguf").display().to_string()),
            ..EmbedChoice::default()
        };
        assert!(resolve(&missing, None)
            .unwrap_err()
            .contains("does not exist"));
        // The shipped file beside the chat model is found there.
        let chat = dir.path().join("chat.gguf");
        std::fs::write(dir.path().join(SHIPPED), b"GGUF").unwrap();
        let found = resolve(&EmbedChoice::default(), Some(&chat)).unwrap();
        assert_eq!(found, Some(dir.path().join(SHIPPED)));
    }
}
