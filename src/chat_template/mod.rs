//! The model's own chat template (`tokenizer.chat_template`, a Jinja program) rendered the way
//! llama.cpp's Jinja engine renders it, in a sandbox; plus what howdah says about which layout a
//! model's prompts get (`ChatFormat`).

mod env;
mod json;
mod messages;
pub mod overrides;
mod status;

use minijinja::{Environment, Value};

pub use env::FUEL;
pub use messages::{parse_openai_messages, Content, TemplateMessage, ToolCall};
pub use status::{ChatFormat, FormatKind, TemplateOrigin, TemplateOverride};

use messages::{merge_system, message_value, object, ContentCaps};

/// A template that could not be used, with minijinja's explanation (line numbers included).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("does not parse: {0}")]
    Parse(String),
    #[error("{0}")]
    Render(String),
}

/// The vocabulary's side of a template: special tokens as text and whether the tokenizer adds
/// them itself (then a template's leading BOS / trailing EOS is cut, as llama.cpp does, so the
/// prompt does not get them twice).
#[derive(Debug, Clone, Default)]
pub struct SpecialTokens {
    pub bos: String,
    pub eos: String,
    pub add_bos: bool,
    pub add_eos: bool,
}

/// A parsed chat template, ready to render any conversation.
pub struct JinjaTemplate {
    env: Environment<'static>,
    tokens: SpecialTokens,
    system_role: bool,
    content: ContentCaps,
    /// GPT-OSS: the "developer" role is the template's own, not mapped to "system".
    keeps_developer: bool,
    /// The template has a thinking switch that changes reasoning markup: llama-server then
    /// passes `enable_thinking: true`, otherwise false.
    thinking: bool,
}

impl std::fmt::Debug for JinjaTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JinjaTemplate")
            .field("system_role", &self.system_role)
            .finish_non_exhaustive()
    }
}

const NAME: &str = "chat_template";

impl JinjaTemplate {
    /// Parses `source` and probes what it supports (system role, string or typed content), as
    /// llama.cpp does when it loads a template.
    pub fn new(source: &str, tokens: SpecialTokens) -> Result<Self, TemplateError> {
        let source = patch_known_breakage(source);
        let keeps_developer = source.contains("<|channel|>");
        let mut env = env::environment();
        env.add_template_owned(NAME, source)
            .map_err(|e| TemplateError::Parse(describe(&e)))?;
        let mut t = JinjaTemplate {
            env,
            tokens,
            system_role: true,
            content: ContentCaps {
                string: true,
                typed: false,
            },
            keeps_developer,
            thinking: false,
        };
        t.probe();
        Ok(t)
    }

    /// Renders a conversation. `add_generation_prompt` appends the assistant's header.
    pub fn render(
        &self,
        messages: &[TemplateMessage],
        add_generation_prompt: bool,
    ) -> Result<String, TemplateError> {
        let mut msgs = messages.to_vec();
        if !self.keeps_developer {
            for m in &mut msgs {
                if m.role == "developer" {
                    m.role = "system".into();
                }
            }
        }
        if !self.system_role {
            merge_system(&mut msgs);
        }
        let values: Vec<Value> = msgs
            .iter()
            .map(|m| message_value(m, self.content))
            .collect();
        let now = chrono::Local::now();
        let mut ctx: Vec<(&str, Value)> = vec![
            ("messages", Value::from(values)),
            ("bos_token", Value::from(self.tokens.bos.as_str())),
            ("eos_token", Value::from(self.tokens.eos.as_str())),
            // llama-server's defaults: thinking on where a template has the switch, and the two
            // date strings Llama 3 style templates print.
            ("enable_thinking", Value::from(self.thinking)),
            // llama-server's default `preserve_reasoning` (common/arg.cpp), which it applies to
            // every template as these variables (jinja/caps.cpp): earlier turns keep their
            // thinking markup, e.g. DeepSeek V4's `<think></think>` instead of a bare `</think>`.
            ("preserve_reasoning", Value::from(true)),
            ("preserve_thinking", Value::from(true)),
            ("clear_thinking", Value::from(false)),
            ("truncate_history_thinking", Value::from(false)),
            ("drop_thinking", Value::from(false)),
            ("datetime", Value::from(now.format("%b %d %Y").to_string())),
            (
                "date_string",
                Value::from(now.format("%d %b %Y").to_string()),
            ),
        ];
        // Absent (not false) without a generation prompt, exactly as llama.cpp passes it.
        if add_generation_prompt {
            ctx.push(("add_generation_prompt", Value::from(true)));
        }
        let mut out = match self.render_value(object(ctx.clone())) {
            Err(TemplateError::Render(e)) if e.contains("unsupported types") => {
                // llama.cpp treats an undefined operand of `+`/`~` beside a string as "";
                // minijinja refuses. Give the template's missing variables "" and try again.
                self.render_value(object(self.with_missing_as_empty(&ctx)))
                    .map_err(|_| TemplateError::Render(e))?
            }
            r => r?,
        };
        if self.tokens.add_bos && !self.tokens.bos.is_empty() && out.starts_with(&self.tokens.bos) {
            out.drain(..self.tokens.bos.len());
        }
        if self.tokens.add_eos && !self.tokens.eos.is_empty() && out.ends_with(&self.tokens.eos) {
            out.truncate(out.len() - self.tokens.eos.len());
        }
        Ok(out)
    }

    fn with_missing_as_empty(&self, ctx: &[(&str, Value)]) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = ctx
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let Ok(tmpl) = self.env.get_template(NAME) else {
            return out;
        };
        let globals: Vec<&str> = self.env.globals().map(|(k, _)| k).collect();
        let mut missing: Vec<String> = tmpl
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !ctx.iter().any(|(k, _)| k == v) && !globals.contains(&v.as_str()))
            .collect();
        missing.sort();
        out.extend(missing.into_iter().map(|name| (name, Value::from(""))));
        out
    }

    fn render_value(&self, ctx: Value) -> Result<String, TemplateError> {
        let tmpl = self
            .env
            .get_template(NAME)
            .map_err(|e| TemplateError::Parse(describe(&e)))?;
        tmpl.render(ctx)
            .map_err(|e| TemplateError::Render(describe(&e)))
    }

    /// llama.cpp's capability probe, by output: a system prompt that never reaches the output
    /// means the template has no system role; content that only renders as typed parts means
    /// the template wants parts.
    fn probe(&mut self) {
        const MARK: &str = "STRING_MARKER";
        let probe = |t: &JinjaTemplate, m: Vec<TemplateMessage>, caps: ContentCaps| {
            let msgs: Vec<Value> = m.iter().map(|m| message_value(m, caps)).collect();
            t.render_value(object(vec![
                ("messages", Value::from(msgs)),
                ("tools", Value::from(Vec::<Value>::new())),
                ("bos_token", Value::from("")),
                ("eos_token", Value::from("")),
                ("add_generation_prompt", Value::from(true)),
            ]))
            .ok()
        };
        let user = vec![TemplateMessage::new("user", MARK)];
        let as_string = ContentCaps {
            string: true,
            typed: false,
        };
        let as_typed = ContentCaps {
            string: false,
            typed: true,
        };
        let string_ok = probe(self, user.clone(), as_string).is_some_and(|o| o.contains(MARK));
        let typed_ok = probe(self, user, as_typed)
            .is_some_and(|o| o.contains(MARK) && !o.contains("'text'") && !o.contains("\"text\""));
        self.content = match (string_ok, typed_ok) {
            (false, true) => as_typed,
            (true, true) => ContentCaps {
                string: true,
                typed: true,
            },
            _ => as_string,
        };
        let sys = vec![
            TemplateMessage::new("system", "SYSTEM_MARKER"),
            TemplateMessage::new("user", "User message"),
        ];
        // A template that fails on a system prompt but renders the user alone has no system
        // role (Gemma's `raise_exception('System role not supported')`).
        let user_alone = vec![TemplateMessage::new("user", "User message")];
        self.thinking = self.switches_thinking(&user_alone);
        self.system_role = match probe(self, sys, self.content) {
            Some(o) => o.contains("SYSTEM_MARKER"),
            None => probe(self, user_alone, self.content).is_none(),
        };
    }
}

impl JinjaTemplate {
    /// llama.cpp turns thinking on only where its parser finds reasoning markup; by output:
    /// the switch changes the prompt, and the change mentions thinking (`<think>`, …).
    fn switches_thinking(&self, messages: &[TemplateMessage]) -> bool {
        let with = |on: bool| {
            let msgs: Vec<Value> = messages
                .iter()
                .map(|m| message_value(m, self.content))
                .collect();
            self.render_value(object(vec![
                ("messages", Value::from(msgs)),
                ("bos_token", Value::from("")),
                ("eos_token", Value::from("")),
                ("enable_thinking", Value::from(on)),
                ("add_generation_prompt", Value::from(true)),
            ]))
            .ok()
        };
        match (with(true), with(false)) {
            (Some(a), Some(b)) if a != b => {
                let start = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                let differs = |s: &str| s.get(start..).unwrap_or("").to_lowercase();
                differs(&a).contains("think") || differs(&b).contains("think")
            }
            _ => false,
        }
    }
}

/// The same source patches llama.cpp applies before parsing (GPT-OSS and Mistral templates
/// raise on inputs llama.cpp itself produces).
fn patch_known_breakage(source: &str) -> String {
    let mut s = source.to_string();
    if s.contains("<|channel|>") && s.contains("in message.content or") {
        s = s.replace(
            "{%- if \"<|channel|>analysis<|message|>\" in message.content or \"<|channel|>final<|message|>\" in message.content %}",
            "{%- if false %}",
        );
    }
    if s.contains("[TOOL_CALLS]") && s.contains("if (message['content'] is none or") {
        s = s.replace(
            "{%- if (message['content'] is none or message['content'] == '' or message['content']|length == 0) and (message['tool_calls'] is not defined or message['tool_calls'] is none or message['tool_calls']|length == 0) %}",
            "{%- if false %}",
        );
    }
    replace_generation_blocks(&s)
}

/// Hugging Face's `{% generation %}…{% endgeneration %}` marks assistant text for training
/// masks and renders its body unchanged; minijinja has no such tag, so it becomes an
/// always-true `if` with the same whitespace control.
fn replace_generation_blocks(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("{%") {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let Some(end) = tag.find("%}") else {
            out.push_str(tag);
            return out;
        };
        let inner = &tag[2..end];
        let (lead, body) = split_marker(inner, true);
        let (body, trail) = split_marker(body, false);
        match body.trim() {
            "generation" => out.push_str(&format!("{{%{lead} if true {trail}%}}")),
            "endgeneration" => out.push_str(&format!("{{%{lead} endif {trail}%}}")),
            _ => out.push_str(&tag[..end + 2]),
        }
        rest = &tag[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Splits a whitespace-control marker (`-` or `+`) off the start or end of a tag's inside.
fn split_marker(s: &str, start: bool) -> (&str, &str) {
    if start {
        match s.chars().next() {
            Some(c @ ('-' | '+')) => s.split_at(c.len_utf8()),
            _ => ("", s),
        }
    } else {
        match s.chars().last() {
            Some('-' | '+') => {
                let (a, b) = s.split_at(s.len() - 1);
                (a, b)
            }
            _ => (s, ""),
        }
    }
}

/// minijinja's message with its line, without the source dump of its debug output.
fn describe(e: &minijinja::Error) -> String {
    let mut msg = match e.detail() {
        Some(d) => d.to_string(),
        None => e.kind().to_string(),
    };
    if e.kind() == minijinja::ErrorKind::InvalidOperation && e.detail().is_none() {
        msg = e.to_string();
    }
    if matches!(e.kind(), minijinja::ErrorKind::OutOfFuel) {
        msg = "the template ran too long or built too much text (sandbox limit)".into();
    }
    match e.line() {
        Some(line) => format!("{msg} (line {line})"),
        None => msg,
    }
}
