//! Which layout a model's chat prompts get, and why: the model's Jinja template, one of
//! llama.cpp's built-in families, or the plain "User:/Assistant:" layout. Every fallback carries
//! its reason, so the picker, `howdah models` and `run --json` can say it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatKind {
    /// The Jinja template, rendered by howdah as llama.cpp renders it.
    Jinja,
    /// llama.cpp's hand-written layout for a known family (its `llama_chat_apply_template`).
    BuiltIn,
    /// No usable template: "User: …\nAssistant:".
    #[default]
    Plain,
}

/// Where the template came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum TemplateOrigin {
    /// The GGUF's `tokenizer.chat_template`.
    #[default]
    Model,
    /// `--chat-template-file` or the model's `chat_template_file` in config.toml.
    File(PathBuf),
    /// `--chat-template NAME`: a built-in family chosen by name.
    Named(String),
    /// The model has no template and nothing overrides it.
    None,
}

/// What replaces the model's own template: `--chat-template-file`, a model's
/// `[chat_templates]` entry in config.toml, or `--chat-template NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateOverride {
    /// A Jinja template file.
    File(PathBuf),
    /// One of llama.cpp's built-in layouts, by name (llama3, chatml, …).
    Named(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChatFormat {
    pub kind: FormatKind,
    pub origin: TemplateOrigin,
    /// The built-in family's name (llama3, chatml, …) when `kind` is `BuiltIn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Why a better layout was not used (the template's error, or "no chat template").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

impl ChatFormat {
    /// One line for a status bar: "jinja", "built-in llama3", "plain (template failed: …)".
    pub fn label(&self) -> String {
        let base = match self.kind {
            FormatKind::Jinja => "jinja".to_string(),
            FormatKind::BuiltIn => format!(
                "built-in {}",
                self.family.as_deref().unwrap_or("(unknown family)")
            ),
            FormatKind::Plain => "plain".to_string(),
        };
        let base = match &self.origin {
            TemplateOrigin::File(p) => format!(
                "{base} from {}",
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| p.display().to_string())
            ),
            _ => base,
        };
        match &self.fallback {
            Some(why) => format!("{base} ({why})"),
            None => base,
        }
    }

    /// A short label for narrow places (the status bar): the reason cut to `max` characters.
    pub fn short_label(&self, max: usize) -> String {
        let full = self.label();
        if full.chars().count() <= max {
            return full;
        }
        let cut: String = full.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_the_fallback() {
        let j = ChatFormat {
            kind: FormatKind::Jinja,
            ..Default::default()
        };
        assert_eq!(j.label(), "jinja");
        let b = ChatFormat {
            kind: FormatKind::BuiltIn,
            family: Some("llama3".into()),
            fallback: Some("template failed: unknown filter (line 3)".into()),
            ..Default::default()
        };
        assert_eq!(
            b.label(),
            "built-in llama3 (template failed: unknown filter (line 3))"
        );
        assert_eq!(b.short_label(20).chars().count(), 20);
    }
}
