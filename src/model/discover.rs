//! Finding GGUF files where people keep them: howdah's data folder, a folder the user names,
//! the Hugging Face cache (where `howdah pull` puts them), LM Studio's and llama.cpp's folders,
//! and Ollama's models under their Ollama names.

use std::path::{Path, PathBuf};

use crate::engine::ModelInfo;

/// One file found: its info, or why it cannot be used.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub info: Result<ModelInfo, String>,
}

/// Folders searched, in order; `extra` (from `--models-dir`) comes first.
pub fn search_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = extra.to_vec();
    dirs.push(crate::paths::models_dir());
    dirs.push(crate::hub::cache::hub_dir());
    if let Some(home) = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()) {
        dirs.push(home.join(".cache/huggingface/hub"));
        dirs.push(home.join(".lmstudio/models"));
        dirs.push(home.join(".cache/lm-studio/models"));
        dirs.push(home.join(".cache/llama.cpp"));
        dirs.push(home.join("Library/Caches/llama.cpp"));
    }
    if let Some(c) = std::env::var_os("LLAMA_CACHE") {
        dirs.push(PathBuf::from(c));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// Every `.gguf` under the search folders (following the Hugging Face cache's symlinks), each
/// inspected. Split models' later parts (`-00002-of-00003`) are left out: llama.cpp loads them
/// through the first part.
pub fn discover(extra: &[PathBuf]) -> Vec<Found> {
    let mut files = Vec::new();
    for dir in search_dirs(extra) {
        walk(&dir, 0, &mut files);
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    files.sort();
    let mut found: Vec<Found> = files
        .into_iter()
        .map(|path| Found {
            info: crate::engine::inspect(&path),
            path,
        })
        .collect();
    found.extend(super::ollama::discover().into_iter().map(|m| Found {
        // Blobs are named by hash: the Ollama name is what the user knows them by.
        info: crate::engine::inspect(&m.blob).map(|mut i| {
            i.file_name = m.name.clone();
            i.name = m.name.clone();
            i
        }),
        path: m.blob,
    }));
    found
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    // The HF cache nests models--x/snapshots/<hash>/file: five levels is plenty.
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, depth + 1, out);
        } else if is_model_file(&path) {
            out.push(path);
        }
    }
}

fn is_model_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !name.ends_with(".gguf") || name.contains("mmproj") {
        return false;
    }
    // Keep only the first part of split models.
    !name.contains("-of-") || name.contains("-00001-of-")
}

/// Resolves what the user typed for a model: an existing path, or the name (file name, with or
/// without `.gguf`, or a unique case-insensitive part of it) of a discovered model.
pub fn resolve(spec: &str, extra: &[PathBuf]) -> Result<PathBuf, String> {
    let as_path = PathBuf::from(spec);
    if !as_path.exists() {
        // `OWNER/NAME[:QUANT]` as pulled, or an Ollama name.
        if let Some(p) = crate::hub::local::find(spec) {
            return Ok(p);
        }
        let ollama = super::ollama::discover();
        let hit = ollama
            .iter()
            .find(|m| m.name == spec)
            .or_else(|| ollama.iter().find(|m| m.name == format!("{spec}:latest")));
        if let Some(m) = hit {
            return Ok(m.blob.clone());
        }
    }
    if as_path.exists() || spec.contains('/') || spec.contains(std::path::MAIN_SEPARATOR) {
        return Ok(as_path);
    }
    let mut files = Vec::new();
    for dir in search_dirs(extra) {
        walk(&dir, 0, &mut files);
    }
    let want = spec.to_lowercase();
    let name_of = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default()
    };
    if let Some(p) = files
        .iter()
        .find(|p| name_of(p) == want || name_of(p) == format!("{want}.gguf"))
    {
        return Ok(p.clone());
    }
    let matches: Vec<&PathBuf> = files
        .iter()
        .filter(|p| name_of(p).contains(&want))
        .collect();
    match matches.len() {
        1 => Ok(matches[0].clone()),
        0 => Err(format!(
            "no model named '{spec}': give a path to a .gguf file, or one of the names `howdah models` lists (run `make models` to fetch the defaults)"
        )),
        _ => Err(format!(
            "'{spec}' matches several models ({}): give more of the name",
            matches
                .iter()
                .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The models a server offers, as the picker lists files (each `path` is the model id).
pub fn on_server(backend: &crate::engine::remote::Backend) -> Vec<Found> {
    match crate::engine::remote::list_models(backend) {
        Ok(infos) => infos
            .into_iter()
            .map(|i| Found {
                path: PathBuf::from(&i.file_name),
                info: Ok(i),
            })
            .collect(),
        Err(e) => vec![Found {
            path: PathBuf::from(crate::engine::remote::clean_url(&backend.url)),
            info: Err(e.to_string()),
        }],
    }
}
