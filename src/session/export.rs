//! Exporting a session: Markdown that reads well on its own (model, settings, messages with
//! their code blocks), and JSON in the OpenAI chat-messages form with howdah's metadata beside
//! it (so `import` can restore the reply records). All text is sanitized.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::format::{ReplyRecord, Session};
use crate::engine::{Role, Sampling};
use crate::text::{sanitize, sanitize::sanitize_line};

/// The key under which each exported message carries its reply record.
pub const REPLY_KEY: &str = "howdah_reply";

/// `{"messages": [{"role", "content"}...], "metadata": {...}}`.
pub fn to_openai_json(s: &Session) -> Value {
    let messages: Vec<Value> = s
        .messages
        .iter()
        .map(|m| {
            let mut v = json!({ "role": m.role.as_str(), "content": sanitize(&m.content) });
            if let Some(r) = &m.reply {
                v[REPLY_KEY] = serde_json::to_value(r).unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    let last = last_record(s);
    let mut meta = json!({
        "format": "howdah-session-export",
        "schema_version": s.schema_version,
        "id": s.id,
        "title": sanitize_line(&s.display_title()),
        "kind": s.kind.as_str(),
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    });
    if let Some(model) = s.model_name() {
        meta["model"] = json!(sanitize_line(&model));
    }
    if let Some(r) = last {
        meta["sampling"] = serde_json::to_value(&r.sampling).unwrap_or(Value::Null);
        meta["engine"] = serde_json::to_value(&r.engine).unwrap_or(Value::Null);
    }
    if let Some(t) = &s.title {
        meta["custom_title"] = json!(sanitize_line(t));
    }
    if !s.runs.is_empty() {
        meta["runs"] = serde_json::to_value(&s.runs).unwrap_or(Value::Null);
    }
    json!({ "messages": messages, "metadata": meta })
}

fn last_record(s: &Session) -> Option<&ReplyRecord> {
    s.messages.iter().rev().find_map(|m| m.reply.as_deref())
}

/// A Markdown document: title, a settings summary, then each message under a role heading.
/// Message text is kept as written (fenced code blocks stay code blocks).
pub fn to_markdown(s: &Session) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", sanitize_line(&s.display_title()));
    let _ = writeln!(
        out,
        "- **Session:** `{}` ({}), created {}, updated {}",
        s.id,
        s.kind.as_str(),
        s.created_at.format("%Y-%m-%d %H:%M UTC"),
        s.updated_at.format("%Y-%m-%d %H:%M UTC")
    );
    if let Some(r) = last_record(s) {
        let m = &r.model;
        let _ = writeln!(
            out,
            "- **Model:** {} ({}, {}, {}{})",
            sanitize_line(&m.file_name),
            sanitize_line(&m.name),
            sanitize_line(&m.quantization),
            crate::text::human_bytes(m.size),
            m.sha256
                .as_deref()
                .map(|h| format!(", sha256 {}", h.get(..16).unwrap_or(h)))
                .unwrap_or_default()
        );
        let e = &r.engine;
        let _ = writeln!(
            out,
            "- **Engine:** threads {}, context {}, batch {}, GPU layers {}{}",
            opt(e.threads),
            opt(e.n_ctx),
            e.n_batch,
            e.gpu_layers,
            r.device
                .as_ref()
                .map(|d| format!(
                    " ({}, {})",
                    sanitize_line(&d.label()),
                    sanitize_line(&d.backend)
                ))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "- **Sampling:** {}", sampling_line(&r.sampling));
        let _ = writeln!(out, "- **Build:** {}", sanitize_line(&r.build));
    } else if let Some(m) = &s.model_hint {
        let _ = writeln!(out, "- **Model:** {}", sanitize_line(m));
    }
    if let Some(src) = &s.imported_from {
        let _ = writeln!(out, "- **Imported from:** {}", sanitize_line(src));
    }
    for m in &s.messages {
        let heading = match m.role {
            Role::System => "System",
            Role::User => "User",
            Role::Assistant => "Assistant",
        };
        let _ = writeln!(out, "\n---\n\n### {heading}\n");
        let text = sanitize(&m.content);
        out.push_str(text.trim_end());
        out.push('\n');
        if let Some(code_open) = unclosed_fence(&text) {
            // A reply cut off inside a code block would swallow the rest of the document.
            let _ = writeln!(out, "{code_open}");
        }
        if let Some(r) = &m.reply {
            let st = &r.stats;
            let _ = writeln!(
                out,
                "\n<sub>{} · temp {} · seed {} · {} prompt + {} generated tokens · {:.1} tok/s · stop: {}</sub>",
                sanitize_line(&r.model.file_name),
                r.sampling.temperature,
                r.sampling.seed,
                st.prompt_tokens,
                st.generated_tokens,
                st.gen_tps,
                serde_json::to_value(st.stop)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            );
        }
    }
    for r in &s.runs {
        let _ = writeln!(out, "\n---\n\n### Run: {}\n", sanitize_line(&r.label));
        for (k, v) in &r.figures {
            let _ = writeln!(out, "- {}: {v}", sanitize_line(k));
        }
        if let Some(o) = &r.output {
            let _ = writeln!(out, "\n{}", sanitize(o).trim_end());
        }
    }
    out
}

fn opt(v: Option<u32>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "default".into())
}

fn sampling_line(s: &Sampling) -> String {
    let mut line = format!(
        "temperature {}, top-k {}, top-p {}, min-p {}, typical-p {}, repeat penalty {} (last {}), frequency penalty {}, presence penalty {}, seed {}, max tokens {}",
        s.temperature, s.top_k, s.top_p, s.min_p, s.typical_p, s.repeat_penalty, s.penalty_window,
        s.frequency_penalty, s.presence_penalty, s.seed, s.max_tokens
    );
    if !s.stop.is_empty() {
        let stops: Vec<String> = s.stop.iter().map(|x| format!("{x:?}")).collect();
        let _ = write!(line, ", stop {}", sanitize_line(&stops.join(" ")));
    }
    if s.grammar.is_some() {
        line.push_str(", with a grammar");
    }
    line
}

/// The fence that closes an unclosed fenced code block at the end of `text`, if any.
fn unclosed_fence(text: &str) -> Option<String> {
    let mut open: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let fence: String = t.chars().take_while(|&c| c == '`' || c == '~').collect();
        if fence.len() < 3
            || !fence
                .chars()
                .all(|c| c == fence.chars().next().unwrap_or('`'))
        {
            continue;
        }
        match &open {
            Some(o) if fence.starts_with(o.as_str()) && t[fence.len()..].trim().is_empty() => {
                open = None
            }
            Some(_) => {}
            None => open = Some(fence),
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_fences_are_found() {
        assert_eq!(unclosed_fence("a\n```rust\nfn x() {}\n```\n"), None);
        assert_eq!(unclosed_fence("```\ncode"), Some("```".into()));
        assert_eq!(unclosed_fence("~~~~py\nx\n~~~"), Some("~~~~".into()));
    }
}
