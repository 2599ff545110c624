//! Importing conversations from other tools into new sessions: the OpenAI chat-messages form
//! (`{"messages": [...]}` or a bare message array, as `export` writes it), the llama.cpp web UI's
//! exported conversations (`{"conv": {...}, "messages": [...]}` or an array of them), and
//! howdah session files themselves.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::export::REPLY_KEY;
use super::format::{Message, ReplyRecord, Run, Session, SessionKind};
use super::migrate::decode;
use crate::engine::Role;

/// Reads `path` and returns the sessions it holds (not yet saved; each has a fresh id).
pub fn import_file(path: &Path) -> Result<Vec<Session>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    import_bytes(path, &bytes).map(|mut v| {
        for s in &mut v {
            if s.imported_from.is_none() {
                s.imported_from = Some(name.clone());
            }
        }
        v
    })
}

/// As `import_file`, from bytes already read (`path` names the source in messages).
pub fn import_bytes(path: &Path, bytes: &[u8]) -> Result<Vec<Session>, String> {
    let shown = path.display();
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
    let sessions = match &value {
        Value::Object(o) if o.contains_key("schema_version") => {
            let mut s = decode(path, bytes).map_err(|e| e.to_string())?.session;
            s.id = super::format::new_id(Utc::now());
            vec![s]
        }
        Value::Object(o) if o.contains_key("conv") => vec![from_webui(&value)?],
        Value::Array(items)
            if items.iter().all(|i| i.get("conv").is_some()) && !items.is_empty() =>
        {
            items.iter().map(from_webui).collect::<Result<_, _>>()?
        }
        Value::Array(items) if items.iter().all(|i| i.get("role").is_some()) => {
            vec![from_openai(items, None)?]
        }
        Value::Object(o) => match o.get("messages") {
            Some(Value::Array(items)) => vec![from_openai(items, o.get("metadata"))?],
            _ => return Err(unknown(&shown.to_string())),
        },
        _ => return Err(unknown(&shown.to_string())),
    };
    Ok(sessions)
}

fn unknown(shown: &str) -> String {
    format!(
        "{shown}: not a chat export howdah knows: expected {{\"messages\": [{{\"role\", \"content\"}}...]}} (OpenAI form), a llama.cpp web UI export ({{\"conv\": ..., \"messages\": [...]}}), or a howdah session file"
    )
}

fn role_of(v: &Value) -> Option<Role> {
    match v.as_str()? {
        "system" | "developer" => Some(Role::System),
        "user" => Some(Role::User),
        "assistant" => Some(Role::Assistant),
        // Tool calls and results have no place in a plain chat.
        _ => None,
    }
}

/// A message's text: a string, or the text parts of a content array.
fn content_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn from_openai(items: &[Value], meta: Option<&Value>) -> Result<Session, String> {
    let mut s = Session::new(SessionKind::Chat);
    for (i, item) in items.iter().enumerate() {
        let Some(role) = item.get("role").and_then(role_of) else {
            continue;
        };
        let mut m = Message::new(role, content_of(item.get("content")));
        m.at = None;
        if let Some(r) = item.get(REPLY_KEY) {
            let rec: ReplyRecord = serde_json::from_value(r.clone())
                .map_err(|e| format!("message {}: bad {REPLY_KEY}: {e}", i + 1))?;
            m.reply = Some(Box::new(rec));
        }
        s.messages.push(m);
    }
    if let Some(meta) = meta {
        let text = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_string);
        s.title = text("custom_title");
        if s.messages.iter().all(|m| m.reply.is_none()) {
            s.model_hint = text("model");
        }
        if let Some(kind) = meta
            .get("kind")
            .and_then(|k| serde_json::from_value(k.clone()).ok())
        {
            s.kind = kind;
        }
        if let Some(t) = meta
            .get("created_at")
            .and_then(|t| serde_json::from_value(t.clone()).ok())
        {
            s.created_at = t;
        }
        if let Some(runs) = meta.get("runs") {
            s.runs = serde_json::from_value::<Vec<Run>>(runs.clone())
                .map_err(|e| format!("metadata.runs: {e}"))?;
        }
    }
    if s.messages.is_empty() && s.runs.is_empty() {
        return Err("the export holds no system, user or assistant message".into());
    }
    Ok(s)
}

/// One llama.cpp web UI conversation. Its messages form a tree (edits and regenerations are
/// branches); the branch shown last (`conv.currNode` back to the root) is imported.
fn from_webui(v: &Value) -> Result<Session, String> {
    let conv = v.get("conv").ok_or("missing \"conv\"")?;
    let msgs = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("llama.cpp web UI export: missing \"messages\" array")?;
    let by_id: HashMap<&str, &Value> = msgs
        .iter()
        .filter_map(|m| Some((m.get("id")?.as_str()?, m)))
        .collect();
    let mut chain: Vec<&Value> = Vec::new();
    let mut cur = conv.get("currNode").and_then(Value::as_str);
    while let Some(id) = cur {
        let Some(m) = by_id.get(id) else { break };
        if chain.len() > msgs.len() {
            return Err("llama.cpp web UI export: the message parents form a loop".into());
        }
        chain.push(m);
        cur = m.get("parent").and_then(Value::as_str);
    }
    chain.reverse();
    if chain.is_empty() {
        // No current node: take the messages in time order.
        chain = msgs.iter().collect();
        chain.sort_by_key(|m| m.get("timestamp").and_then(Value::as_i64).unwrap_or(0));
    }
    let mut s = Session::new(SessionKind::Chat);
    for m in chain {
        if m.get("type").and_then(Value::as_str) == Some("root") {
            continue;
        }
        let Some(role) = m.get("role").and_then(role_of) else {
            continue;
        };
        let mut msg = Message::new(role, content_of(m.get("content")));
        msg.at = m
            .get("timestamp")
            .and_then(Value::as_i64)
            .and_then(DateTime::from_timestamp_millis);
        if let Some(model) = m
            .get("model")
            .and_then(Value::as_str)
            .filter(|x| !x.is_empty())
        {
            s.model_hint = Some(model.to_string());
        }
        s.messages.push(msg);
    }
    if s.messages.is_empty() {
        return Err("llama.cpp web UI export: the conversation has no messages".into());
    }
    s.title = conv
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|t| !t.trim().is_empty());
    if let Some(first) = s.messages.iter().find_map(|m| m.at) {
        s.created_at = first;
    }
    if let Some(t) = conv
        .get("lastModified")
        .and_then(Value::as_i64)
        .and_then(DateTime::from_timestamp_millis)
    {
        s.updated_at = t;
    }
    Ok(s)
}

/// Recorded engine and sampling settings that replay would refuse, one line each, named by the
/// session: import keeps the data, but says so up front.
pub fn setting_problems(s: &Session) -> Vec<String> {
    let source = crate::engine::settings::Source::Session(s.id.clone());
    let mut out = Vec::new();
    for r in s.messages.iter().filter_map(|m| m.reply.as_deref()) {
        let checked = crate::engine::settings::Settings {
            engine: &r.engine,
            sampling: Some(&r.sampling),
        }
        .validate(&source, None);
        let line = match checked {
            Err(e) => format!("{e} (replay refuses it; pass other values to replay)"),
            Ok(c) => match c.notes.into_iter().next() {
                Some(n) => n,
                None => continue,
            },
        };
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webui_export_follows_the_current_branch() {
        let data = br#"{"conv":{"id":"c1","name":"Greeting","lastModified":1735000000000,"currNode":"m4"},
          "messages":[
            {"id":"r","convId":"c1","type":"root","timestamp":1,"role":"system","content":"","parent":null,"children":["m1"]},
            {"id":"m1","convId":"c1","type":"text","timestamp":2,"role":"user","content":"Hi","parent":"r","children":["m2","m3"]},
            {"id":"m2","convId":"c1","type":"text","timestamp":3,"role":"assistant","content":"old branch","parent":"m1","children":[]},
            {"id":"m3","convId":"c1","type":"text","timestamp":4,"role":"assistant","content":"Hello!","parent":"m1","children":["m4"],"model":"qwen.gguf"},
            {"id":"m4","convId":"c1","type":"text","timestamp":5,"role":"user","content":"Bye","parent":"m3","children":[]}
          ]}"#;
        let v = import_bytes(Path::new("x.json"), data).unwrap();
        assert_eq!(v.len(), 1);
        let s = &v[0];
        let texts: Vec<&str> = s.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Hi", "Hello!", "Bye"]);
        assert_eq!(s.title.as_deref(), Some("Greeting"));
        assert_eq!(s.model_hint.as_deref(), Some("qwen.gguf"));
        assert_eq!(s.messages[0].role, Role::User);
    }

    #[test]
    fn openai_form_with_content_parts_and_unknown_input() {
        let data = br#"{"messages":[{"role":"developer","content":"Be brief."},
            {"role":"user","content":[{"type":"text","text":"Hello"}]},
            {"role":"tool","content":"ignored"}]}"#;
        let s = &import_bytes(Path::new("x.json"), data).unwrap()[0];
        assert_eq!(s.messages.len(), 2);
        assert_eq!(s.messages[0].role, Role::System);
        assert_eq!(s.messages[1].content, "Hello");
        let e = import_bytes(Path::new("x.json"), br#"{"foo":1}"#).unwrap_err();
        assert!(e.contains("x.json") && e.contains("OpenAI"), "{e}");
    }
}
