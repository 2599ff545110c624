//! Models Ollama has pulled: `~/.ollama/models` (or `$OLLAMA_MODELS`) holds manifests under
//! `manifests/HOST/NAMESPACE/MODEL/TAG` whose model layer names a GGUF blob in `blobs/`.
//! They are offered under Ollama's own names (`llama3.2:latest`, `hf.co/owner/repo:Q4_K_M`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

const MODEL_LAYER: &str = "application/vnd.ollama.image.model";
const DEFAULT_HOST: &str = "registry.ollama.ai";

/// One model: its Ollama name and the GGUF blob holding its weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaModel {
    pub name: String,
    pub blob: PathBuf,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
}

/// `$OLLAMA_MODELS`, else `~/.ollama/models`.
pub fn models_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("OLLAMA_MODELS").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::BaseDirs::new().map(|b| b.home_dir().join(".ollama/models"))
}

/// Every manifest with a model layer whose blob exists, sorted by name.
pub fn discover() -> Vec<OllamaModel> {
    let Some(root) = models_dir() else {
        return Vec::new();
    };
    let mut manifests = Vec::new();
    walk(&root.join("manifests"), &mut Vec::new(), &mut manifests);
    let mut out: Vec<OllamaModel> = manifests
        .into_iter()
        .filter_map(|(parts, path)| {
            let text = std::fs::read_to_string(path).ok()?;
            let m: Manifest = serde_json::from_str(&text).ok()?;
            let digest = m
                .layers
                .iter()
                .find(|l| l.media_type == MODEL_LAYER)?
                .digest
                .strip_prefix("sha256:")?
                .to_string();
            if !(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())) {
                return None;
            }
            let blob = root.join("blobs").join(format!("sha256-{digest}"));
            let name = name(&parts)?;
            blob.is_file().then_some(OllamaModel { name, blob })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `[host, namespace…, model, tag]` → the name Ollama shows: the default registry and the
/// `library` namespace are left out.
fn name(parts: &[String]) -> Option<String> {
    let (tag, rest) = parts.split_last()?;
    let (model, path) = rest.split_last()?;
    let mut path: Vec<&str> = path.iter().map(String::as_str).collect();
    if path.first() == Some(&DEFAULT_HOST) {
        path.remove(0);
        if path.first() == Some(&"library") {
            path.remove(0);
        }
    }
    path.push(model);
    let name = crate::text::sanitize::sanitize_line(&format!("{}:{tag}", path.join("/")));
    (!name.trim().is_empty()).then_some(name)
}

fn walk(dir: &Path, parts: &mut Vec<String>, out: &mut Vec<(Vec<String>, PathBuf)>) {
    if parts.len() > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(meta) = std::fs::metadata(e.path()) else {
            continue;
        };
        parts.push(e.file_name().to_string_lossy().into_owned());
        if meta.is_dir() {
            walk(&e.path(), parts, out);
        } else if meta.is_file() && meta.len() < 1 << 20 && parts.len() >= 3 {
            out.push((parts.clone(), e.path()));
        }
        parts.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::name;

    fn n(p: &[&str]) -> Option<String> {
        name(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn names_as_ollama_shows_them() {
        assert_eq!(
            n(&["registry.ollama.ai", "library", "llama3.2", "latest"]).as_deref(),
            Some("llama3.2:latest")
        );
        assert_eq!(
            n(&["registry.ollama.ai", "someone", "m", "7b"]).as_deref(),
            Some("someone/m:7b")
        );
        assert_eq!(
            n(&["hf.co", "bartowski", "X-GGUF", "Q4_K_M"]).as_deref(),
            Some("hf.co/bartowski/X-GGUF:Q4_K_M")
        );
    }
}
