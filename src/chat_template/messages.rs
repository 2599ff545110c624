//! Chat messages as a chat template sees them: the OpenAI `messages` shape, read from JSON (the
//! `chat-template` command) or built from howdah's own turns, and turned into template values in
//! the field order llama.cpp uses (`role`, `content`, `reasoning_content`, `name`,
//! `tool_call_id`, `tool_calls`), so `tojson` of a message prints the same bytes.

use minijinja::Value;
use serde_json::Value as Json;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateMessage {
    pub role: String,
    pub content: Content,
    pub reasoning_content: String,
    pub name: String,
    pub tool_call_id: String,
    pub tool_calls: Vec<ToolCall>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    /// Typed parts (`{"type": "text", "text": …}`); only text parts are kept.
    Parts(Vec<String>),
}

impl Default for Content {
    fn default() -> Self {
        Content::Text(String::new())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as the client sent them: a JSON text.
    pub arguments: String,
}

impl TemplateMessage {
    pub fn new(role: &str, content: &str) -> Self {
        TemplateMessage {
            role: role.to_string(),
            content: Content::Text(content.to_string()),
            ..Default::default()
        }
    }

    /// The content as one string (typed parts joined with newlines, as llama.cpp does).
    pub fn text(&self) -> String {
        match &self.content {
            Content::Text(t) => t.clone(),
            Content::Parts(p) => p.join("\n"),
        }
    }
}

/// Reads an OpenAI `messages` array. Errors name the message and field at fault.
pub fn parse_openai_messages(json: &Json) -> Result<Vec<TemplateMessage>, String> {
    let arr = json
        .as_array()
        .ok_or("expected a JSON array of messages ([{\"role\": …, \"content\": …}, …])")?;
    arr.iter()
        .enumerate()
        .map(|(i, m)| parse_message(m).map_err(|e| format!("message {}: {e}", i + 1)))
        .collect()
}

fn parse_message(m: &Json) -> Result<TemplateMessage, String> {
    let obj = m.as_object().ok_or("expected an object")?;
    let role = obj
        .get("role")
        .and_then(Json::as_str)
        .ok_or("\"role\" is missing or not a string")?
        .to_string();
    let str_field = |k: &str| -> Result<String, String> {
        match obj.get(k) {
            None | Some(Json::Null) => Ok(String::new()),
            Some(Json::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("\"{k}\" must be a string")),
        }
    };
    let content = match obj.get("content") {
        None if role != "assistant" => return Err("\"content\" is missing".into()),
        None | Some(Json::Null) => Content::Text(String::new()),
        Some(Json::String(s)) => Content::Text(s.clone()),
        Some(Json::Array(parts)) => {
            let mut texts = Vec::new();
            for (j, p) in parts.iter().enumerate() {
                match p.get("type").and_then(Json::as_str) {
                    Some("text") => texts.push(
                        p.get("text")
                            .and_then(Json::as_str)
                            .ok_or(format!("content part {}: \"text\" is missing", j + 1))?
                            .to_string(),
                    ),
                    Some(t) => {
                        return Err(format!(
                            "content part {}: type \"{t}\" is not supported (only text)",
                            j + 1
                        ))
                    }
                    None => return Err(format!("content part {}: \"type\" is missing", j + 1)),
                }
            }
            Content::Parts(texts)
        }
        Some(_) => return Err("\"content\" must be a string, null or an array of parts".into()),
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = obj.get("tool_calls").filter(|c| !c.is_null()) {
        let calls = calls.as_array().ok_or("\"tool_calls\" must be an array")?;
        for (j, c) in calls.iter().enumerate() {
            let f = c
                .get("function")
                .ok_or(format!("tool call {}: \"function\" is missing", j + 1))?;
            let arguments = match f.get("arguments") {
                Some(Json::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => "{}".into(),
            };
            tool_calls.push(ToolCall {
                id: c.get("id").and_then(Json::as_str).unwrap_or("").into(),
                name: f.get("name").and_then(Json::as_str).unwrap_or("").into(),
                arguments,
            });
        }
    }
    Ok(TemplateMessage {
        role,
        content,
        reasoning_content: str_field("reasoning_content")?,
        name: str_field("name")?,
        tool_call_id: str_field("tool_call_id")?,
        tool_calls,
    })
}

/// A map value whose keys keep the given order (llama.cpp prints maps in insertion order).
pub fn object<K: Into<Value>>(fields: Vec<(K, Value)>) -> Value {
    Value::from(
        fields
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect::<indexmap::IndexMap<Value, Value>>(),
    )
}

/// How a template wants message content: what llama.cpp's capability probe finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentCaps {
    pub string: bool,
    pub typed: bool,
}

/// A message as a template value. `caps` decides whether content is a string or typed parts.
pub fn message_value(m: &TemplateMessage, caps: ContentCaps) -> Value {
    let only_typed = caps.typed && !caps.string;
    let only_string = caps.string && !caps.typed;
    let content = match &m.content {
        Content::Text(t) if only_typed => parts_value(std::slice::from_ref(t)),
        Content::Text(t) => Value::from(t.as_str()),
        Content::Parts(p) if p.is_empty() => Value::from(""),
        Content::Parts(p) if only_string => Value::from(p.join("\n")),
        Content::Parts(p) => parts_value(p),
    };
    let mut fields: Vec<(&str, Value)> =
        vec![("role", Value::from(m.role.as_str())), ("content", content)];
    if !m.reasoning_content.is_empty() {
        fields.push((
            "reasoning_content",
            Value::from(m.reasoning_content.as_str()),
        ));
    }
    if !m.name.is_empty() {
        fields.push(("name", Value::from(m.name.as_str())));
    }
    if !m.tool_call_id.is_empty() {
        fields.push(("tool_call_id", Value::from(m.tool_call_id.as_str())));
    }
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m
            .tool_calls
            .iter()
            .map(|c| {
                let mut f: Vec<(&str, Value)> = vec![
                    ("type", Value::from("function")),
                    (
                        "function",
                        object(vec![
                            ("name", Value::from(c.name.as_str())),
                            ("arguments", arguments_value(&c.arguments)),
                        ]),
                    ),
                ];
                if !c.id.is_empty() {
                    f.push(("id", Value::from(c.id.as_str())));
                }
                object(f)
            })
            .collect();
        fields.push(("tool_calls", Value::from(calls)));
    }
    object(fields)
}

fn parts_value(parts: &[String]) -> Value {
    Value::from(
        parts
            .iter()
            .map(|t| {
                object(vec![
                    ("type", Value::from("text")),
                    ("text", Value::from(t.as_str())),
                ])
            })
            .collect::<Vec<_>>(),
    )
}

/// Tool-call arguments as an object when they are JSON (templates iterate over them), else as
/// the text given. llama.cpp does the same for templates that take object arguments.
fn arguments_value(args: &str) -> Value {
    match serde_json::from_str::<minijinja::Value>(args) {
        Ok(v) if v.kind() == minijinja::value::ValueKind::Map => v,
        _ => Value::from(args),
    }
}

/// llama.cpp's workaround for templates without a system role: the system prompt is merged into
/// the next message ("system\nuser"), or dropped when it is the only message.
pub fn merge_system(messages: &mut Vec<TemplateMessage>) {
    if messages.first().map(|m| m.role.as_str()) != Some("system") {
        return;
    }
    let system = messages.remove(0);
    if let Some(next) = messages.first_mut() {
        next.content = Content::Text(format!("{}\n{}", system.text(), next.text()));
    }
}
