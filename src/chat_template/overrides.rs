//! Per-model chat template overrides from config.toml:
//!
//! ```toml
//! [chat_templates]
//! "SmolLM2-135M-Instruct.Q4_1.gguf" = "~/templates/smollm2-fixed.jinja"
//! "Llama-3.2-1B-Instruct" = "llama3"   # a built-in layout by name
//! ```
//!
//! A key matches a model's file name, its name without `.gguf`, or its full path. A value is a
//! Jinja file (relative paths are taken from the config folder) or a built-in layout's name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::TemplateOverride;

/// The configured override for `model`, if any.
pub fn configured(
    table: &BTreeMap<String, String>,
    model: &Path,
    config_dir: &Path,
) -> Option<TemplateOverride> {
    let file = model.file_name()?.to_string_lossy().into_owned();
    let stem = file.trim_end_matches(".gguf").to_string();
    let full = model.to_string_lossy().into_owned();
    let value = [file, stem, full]
        .iter()
        .find_map(|k| table.get(k.as_str()))?;
    Some(parse_value(value, config_dir))
}

fn parse_value(value: &str, config_dir: &Path) -> TemplateOverride {
    let looks_like_file = value.ends_with(".jinja")
        || value.ends_with(".j2")
        || value.ends_with(".txt")
        || value.contains('/')
        || value.contains('\\');
    if !looks_like_file {
        return TemplateOverride::Named(value.to_string());
    }
    let path = match value.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|d| d.home_dir().join(rest))
            .unwrap_or_else(|| PathBuf::from(value)),
        None => PathBuf::from(value),
    };
    let path = if path.is_relative() {
        config_dir.join(path)
    } else {
        path
    };
    TemplateOverride::File(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_file_name_stem_or_path_and_values_are_files_or_names() {
        let mut t = BTreeMap::new();
        t.insert("a.gguf".to_string(), "fixed.jinja".to_string());
        t.insert("b".to_string(), "llama3".to_string());
        t.insert("/m/c.gguf".to_string(), "/t/c.jinja".to_string());
        let dir = Path::new("/cfg");
        assert_eq!(
            configured(&t, Path::new("/x/a.gguf"), dir),
            Some(TemplateOverride::File("/cfg/fixed.jinja".into()))
        );
        assert_eq!(
            configured(&t, Path::new("/x/b.gguf"), dir),
            Some(TemplateOverride::Named("llama3".into()))
        );
        assert_eq!(
            configured(&t, Path::new("/m/c.gguf"), dir),
            Some(TemplateOverride::File("/t/c.jinja".into()))
        );
        assert_eq!(configured(&t, Path::new("/x/d.gguf"), dir), None);
    }
}
