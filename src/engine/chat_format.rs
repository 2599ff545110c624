//! How a loaded model's chats become prompt text: the model's Jinja template (rendered by
//! `chat_template`, as llama.cpp renders it), else llama.cpp's built-in layout for the family
//! its template resembles, else the plain "User:/Assistant:" layout. The choice and every
//! fallback's reason are kept in a `ChatFormat` that the UI and the CLI show.

use std::ffi::CStr;

use llama_cpp_2::model::{LlamaChatTemplate, LlamaModel};

use super::types::ChatMessage;
use super::EngineError;
use crate::chat_template::{
    ChatFormat, FormatKind, JinjaTemplate, SpecialTokens, TemplateMessage, TemplateOrigin,
    TemplateOverride,
};

/// The turn marker of the plain layout; generation stops before the model writes it.
pub(crate) const PLAIN_STOP: &str = "\nUser:";

pub(crate) struct Formatter {
    jinja: Option<JinjaTemplate>,
    builtin: Option<LlamaChatTemplate>,
    pub status: ChatFormat,
}

/// A rendered prompt, with what the layout adds and any fallback this render needed.
pub(crate) struct Rendered {
    pub text: String,
    pub stops: Vec<String>,
    /// Set when this conversation could not use the layout chosen at load (the template raised
    /// on it); a fallback already decided at load is in `Formatter::status`, not here.
    pub fallback: Option<String>,
}

/// A two-turn conversation every usable layout renders: used to check a template at load.
fn probe() -> Vec<TemplateMessage> {
    vec![
        TemplateMessage::new("system", "You are a helpful assistant."),
        TemplateMessage::new("user", "Hello"),
    ]
}

/// llama.cpp's built-in layout names (llama2, llama3, chatml, …).
pub fn builtin_names() -> Vec<String> {
    let n = unsafe { llama_cpp_sys_2::llama_chat_builtin_templates(std::ptr::null_mut(), 0) };
    let mut ptrs: Vec<*const std::os::raw::c_char> = vec![std::ptr::null(); n.max(0) as usize];
    let got =
        unsafe { llama_cpp_sys_2::llama_chat_builtin_templates(ptrs.as_mut_ptr(), ptrs.len()) };
    ptrs.truncate(got.max(0) as usize);
    ptrs.iter()
        .filter(|p| !p.is_null())
        // SAFETY: llama.cpp returns pointers to its static, NUL-terminated name strings.
        .map(|p| unsafe { CStr::from_ptr(*p) }.to_string_lossy().into_owned())
        .collect()
}

impl Formatter {
    /// Decides the layout for `model`. Only an unreadable override file or an unknown built-in
    /// name is an error; a template that does not work is a fallback, with its reason.
    pub fn new(
        model: &LlamaModel,
        choice: Option<&TemplateOverride>,
    ) -> Result<Formatter, EngineError> {
        let (source, origin) = match choice {
            Some(TemplateOverride::Named(name)) => return Self::named(name),
            Some(TemplateOverride::File(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    EngineError::Input(format!(
                        "cannot read chat template file {}: {e}",
                        path.display()
                    ))
                })?;
                (Some(text), TemplateOrigin::File(path.clone()))
            }
            None => {
                let own = model
                    .chat_template(None)
                    .or_else(|_| model.chat_template(Some("tool_use")))
                    .ok()
                    .and_then(|t| t.to_string().ok());
                (own, TemplateOrigin::Model)
            }
        };
        Ok(Self::plan(source, origin, special_tokens(model)))
    }

    /// The layout for a template source (None: the model has none), without a loaded model.
    pub fn plan(source: Option<String>, origin: TemplateOrigin, tokens: SpecialTokens) -> Self {
        let Some(source) = source else {
            return Formatter {
                jinja: None,
                builtin: None,
                status: ChatFormat {
                    kind: FormatKind::Plain,
                    origin: TemplateOrigin::None,
                    family: None,
                    fallback: Some("no chat template".into()),
                },
            };
        };
        let jinja = JinjaTemplate::new(&source, tokens).and_then(|t| {
            t.render(&probe(), true)?;
            Ok(t)
        });
        let why = match jinja {
            Ok(t) => {
                return Formatter {
                    jinja: Some(t),
                    builtin: LlamaChatTemplate::new(&source).ok(),
                    status: ChatFormat {
                        kind: FormatKind::Jinja,
                        origin,
                        family: None,
                        fallback: None,
                    },
                }
            }
            Err(e) => format!("template failed: {e}"),
        };
        tracing::warn!(reason = %why, "the chat template cannot be used as Jinja; falling back");
        let builtin = LlamaChatTemplate::new(&source)
            .ok()
            .filter(|t| apply_builtin(t, &probe(), true).is_some());
        let (kind, family) = match &builtin {
            Some(t) => (FormatKind::BuiltIn, family_of(t)),
            None => (FormatKind::Plain, None),
        };
        Formatter {
            jinja: None,
            builtin,
            status: ChatFormat {
                kind,
                origin,
                family,
                fallback: Some(why),
            },
        }
    }

    fn named(name: &str) -> Result<Formatter, EngineError> {
        let names = builtin_names();
        if !names.iter().any(|n| n == name) {
            return Err(EngineError::Input(format!(
                "unknown chat template name '{name}'; built-in ones: {}",
                names.join(", ")
            )));
        }
        let t = LlamaChatTemplate::new(name)
            .map_err(|_| EngineError::Input("the template name contains a NUL byte".into()))?;
        Ok(Formatter {
            jinja: None,
            builtin: Some(t),
            status: ChatFormat {
                kind: FormatKind::BuiltIn,
                origin: TemplateOrigin::Named(name.to_string()),
                family: Some(name.to_string()),
                fallback: None,
            },
        })
    }

    /// Renders `messages` in the best layout that works for them.
    pub fn render(&self, messages: &[TemplateMessage], add_generation_prompt: bool) -> Rendered {
        let mut fallback = None;
        if let Some(t) = &self.jinja {
            match t.render(messages, add_generation_prompt) {
                Ok(text) => {
                    return Rendered {
                        text,
                        stops: Vec::new(),
                        fallback: None,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the chat template failed on this conversation");
                    fallback = Some(format!("template failed: {e}"));
                }
            }
        }
        if let Some(t) = &self.builtin {
            if let Some(text) = apply_builtin(t, messages, add_generation_prompt) {
                return Rendered {
                    text,
                    stops: Vec::new(),
                    fallback: fallback
                        .map(|f| format!("{f}; this prompt used llama.cpp's built-in layout")),
                };
            }
            fallback.get_or_insert_with(|| "llama.cpp's built-in layout failed".into());
        }
        Rendered {
            text: plain_layout(messages, add_generation_prompt),
            stops: vec![PLAIN_STOP.to_string()],
            fallback: fallback
                .map(|f| format!("{f}; this prompt used the plain User:/Assistant: layout")),
        }
    }
}

/// The layout a GGUF's own template gets, from its metadata alone (the tokens' text is not
/// known without the vocabulary, so BOS/EOS render empty here).
pub fn format_of_source(source: Option<&str>) -> ChatFormat {
    Formatter::plan(
        source.map(str::to_string),
        TemplateOrigin::Model,
        SpecialTokens::default(),
    )
    .status
}

/// BOS/EOS as text (with their special markup) and whether the tokenizer adds them: what
/// llama.cpp hands its own Jinja engine.
fn special_tokens(model: &LlamaModel) -> SpecialTokens {
    let vocab = model.vocab();
    let text = |t: llama_cpp_2::token::LlamaToken| {
        if t.0 < 0 {
            String::new()
        } else {
            String::from_utf8_lossy(&vocab.token_to_piece(t, true, None)).into_owned()
        }
    };
    SpecialTokens {
        bos: text(vocab.bos()),
        eos: text(vocab.eos()),
        add_bos: vocab.should_add_bos(),
        add_eos: vocab.should_add_eos(),
    }
}

/// Which built-in name renders the probe exactly as the template source does.
fn family_of(source: &LlamaChatTemplate) -> Option<String> {
    let want = apply_builtin(source, &probe(), true)?;
    builtin_names().into_iter().find(|name| {
        LlamaChatTemplate::new(name)
            .ok()
            .and_then(|t| apply_builtin(&t, &probe(), true))
            .is_some_and(|got| got == want)
    })
}

/// llama.cpp's built-in layouts (`llama_chat_apply_template`, which needs no model); None when
/// it does not recognise the template.
fn apply_builtin(
    tmpl: &LlamaChatTemplate,
    messages: &[TemplateMessage],
    add_generation_prompt: bool,
) -> Option<String> {
    let chat = to_llama(messages);
    let raw: Vec<llama_cpp_sys_2::llama_chat_message> = chat
        .iter()
        .map(|m| llama_cpp_sys_2::llama_chat_message {
            role: m.role.as_ptr(),
            content: m.content.as_ptr(),
        })
        .collect();
    let mut len: usize = chat
        .iter()
        .map(|m| m.role.as_bytes().len() + m.content.as_bytes().len())
        .sum::<usize>()
        * 2
        + 256;
    for _ in 0..2 {
        let mut buf = vec![0u8; len];
        // SAFETY: every pointer refers to a NUL-terminated string owned by `chat` or `tmpl`,
        // alive for the call; llama.cpp writes at most `buf.len()` bytes.
        let n = unsafe {
            llama_cpp_sys_2::llama_chat_apply_template(
                tmpl.as_c_str().as_ptr(),
                raw.as_ptr(),
                raw.len(),
                add_generation_prompt,
                buf.as_mut_ptr().cast(),
                i32::try_from(buf.len()).ok()?,
            )
        };
        let n = usize::try_from(n).ok()?;
        if n <= buf.len() {
            buf.truncate(n);
            return String::from_utf8(buf).ok();
        }
        len = n;
    }
    None
}

/// Messages as llama.cpp's C API takes them (NUL bytes dropped: they would end the strings).
struct RawMessage {
    role: std::ffi::CString,
    content: std::ffi::CString,
}

fn to_llama(messages: &[TemplateMessage]) -> Vec<RawMessage> {
    messages
        .iter()
        .filter_map(|m| {
            Some(RawMessage {
                role: std::ffi::CString::new(m.role.replace('\0', "")).ok()?,
                content: std::ffi::CString::new(m.text().replace('\0', "")).ok()?,
            })
        })
        .collect()
}

/// howdah's turns as template messages.
pub(crate) fn template_messages(messages: &[ChatMessage]) -> Vec<TemplateMessage> {
    messages
        .iter()
        .map(|m| TemplateMessage::new(m.role.as_str(), &m.content.replace('\0', "")))
        .collect()
}

/// A plain transcript for models without a usable chat template (completion mode).
pub(crate) fn plain_layout(messages: &[TemplateMessage], add_generation_prompt: bool) -> String {
    let mut out = String::new();
    for m in messages {
        let content = m.text().replace('\0', "");
        match m.role.as_str() {
            "system" | "developer" => {
                out.push_str(content.trim_end());
                out.push_str("\n\n");
            }
            "assistant" => {
                out.push_str("Assistant: ");
                out.push_str(content.trim_end());
                out.push('\n');
            }
            _ => {
                out.push_str("User: ");
                out.push_str(content.trim_end());
                out.push('\n');
            }
        }
    }
    if add_generation_prompt {
        out.push_str("Assistant:");
    }
    out
}
