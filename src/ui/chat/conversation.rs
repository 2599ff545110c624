//! Conversations and their messages as the UI keeps them: text, per-token data for the heat-map
//! view, reply figures, the unsent draft and the scroll position.

use std::cell::RefCell;
use std::sync::Arc;

use ratatui::text::Line;

use crate::engine::{ChatMessage, Prompt, Role, Sampling};
use crate::ui::reply::Reply;

/// Figures of a finished reply, as its header and the status bar show them (the full record a
/// session keeps is `session::ReplyStats`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplyFigures {
    pub tokens: u32,
    /// Set when the reply ended on the token limit (the limit).
    pub limit: Option<u32>,
    pub tps: f64,
    pub ttft_ms: f64,
}

/// Rendered rows of a message for one width and view, reused until something changes.
#[derive(Debug, Clone)]
pub struct RenderCache {
    pub key: CacheKey,
    pub lines: Arc<Vec<Line<'static>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheKey {
    pub width: u16,
    pub version: u64,
    pub token_view: bool,
    pub selected: bool,
    pub token_cursor: Option<usize>,
    pub theme: u64,
}

/// One message of a conversation as the chat keeps it: its text, a reply's tokens (for the
/// token view), how it stands (streaming, stopped, failed), its figures, its versions mark and
/// its cached rows. Autosave writes it as a `session::Message`.
#[derive(Debug, Clone)]
pub struct ChatEntry {
    pub role: Role,
    /// Its text, and for the model's replies how it streamed (tokens, state, prompt progress):
    /// the type the compare columns and the replay view stream into too.
    pub body: Reply,
    pub stats: Option<ReplyFigures>,
    /// Dropped from the model's context to make room (still shown and saved).
    pub outside_context: bool,
    /// `(selected, total)` where the session keeps other versions of the conversation from
    /// this message on (a regenerated reply, an edited message): the "‹ 2/3 ›" mark.
    pub versions: Option<(usize, usize)>,
    /// Bumped on every change, so cached rows know they are stale.
    pub version: u64,
    pub cache: RefCell<Option<RenderCache>>,
}

impl ChatEntry {
    pub fn new(role: Role, content: impl Into<String>) -> ChatEntry {
        ChatEntry {
            role,
            body: Reply::done(content),
            stats: None,
            outside_context: false,
            versions: None,
            version: 0,
            cache: RefCell::new(None),
        }
    }

    pub fn touch(&mut self) {
        self.version = self.version.wrapping_add(1);
    }
}

/// Where the transcript view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Pinned to the end: new text scrolls into view.
    Follow,
    /// The top row shown is row `line` of message `msg`.
    At { msg: usize, line: usize },
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: u64,
    pub title: String,
    /// False until the user names it; the first message then gives the title.
    pub titled: bool,
    pub messages: Vec<ChatEntry>,
    pub system_prompt: String,
    pub sampling: Sampling,
    /// The preset last applied ("custom" after an edit).
    pub preset: String,
    /// Unsent input, kept while another conversation is shown.
    pub draft: Vec<String>,
    pub scroll: Scroll,
    /// The message picked in the transcript (copy, edit, token view).
    pub selected: Option<usize>,
    /// Token cursor of the token view, in the selected (or last) reply.
    pub token_cursor: usize,
    /// Which code block the next copy takes, per message.
    pub code_cursor: (usize, usize),
    /// Tokens in the context after the last reply.
    pub context_used: Option<u32>,
    /// Whether the user was told this conversation outgrew the context (said once).
    pub overflowed: bool,
    /// Completion layout: the messages' texts are continued as raw text (a base-model prompt
    /// sent from the template browser), not sent through the chat template.
    pub completion: bool,
}

impl Conversation {
    pub fn new(id: u64, system_prompt: &str, sampling: Sampling, preset: &str) -> Conversation {
        Conversation {
            id,
            title: format!("Chat {id}"),
            titled: false,
            messages: Vec::new(),
            system_prompt: system_prompt.to_string(),
            sampling,
            preset: preset.to_string(),
            draft: Vec::new(),
            scroll: Scroll::Follow,
            selected: None,
            token_cursor: 0,
            code_cursor: (usize::MAX, 0),
            context_used: None,
            overflowed: false,
            completion: false,
        }
    }

    /// What the model is sent: the system prompt, then every finished message.
    pub fn prompt(&self) -> Vec<ChatMessage> {
        let mut out = Vec::new();
        if !self.system_prompt.trim().is_empty() {
            out.push(ChatMessage::system(self.system_prompt.clone()));
        }
        for m in &self.messages {
            if m.role == Role::Assistant && m.body.text.is_empty() {
                continue;
            }
            out.push(ChatMessage::new(m.role, m.body.text.clone()));
        }
        out
    }

    /// The prompt of the next reply in this conversation's layout: the chat turns, or (in
    /// completion layout) the messages' texts joined, as `session::replay::prompt_for` rebuilds
    /// it from a saved session.
    pub fn request(&self) -> Prompt {
        if !self.completion {
            return Prompt::Chat(self.prompt());
        }
        Prompt::Raw(
            self.messages
                .iter()
                .filter(|m| !(m.role == Role::Assistant && m.body.text.is_empty()))
                .map(|m| m.body.text.as_str())
                .collect(),
        )
    }

    /// The message a copy or the token view acts on: the selected one, else the last reply.
    pub fn focus_message(&self) -> Option<usize> {
        self.selected
            .filter(|i| *i < self.messages.len())
            .or_else(|| {
                self.messages
                    .iter()
                    .rposition(|m| m.role == Role::Assistant)
            })
    }

    /// Marks the `n` oldest messages the model was sent (those `prompt` includes) as outside
    /// the model's context, and every other one as inside.
    pub fn mark_dropped(&mut self, n: u32) {
        let mut left = n;
        for m in self.messages.iter_mut() {
            let sent = !(m.role == Role::Assistant && m.body.text.is_empty());
            let out = sent && left > 0 && !m.body.running();
            if out {
                left -= 1;
            }
            if m.outside_context != out {
                m.outside_context = out;
                m.touch();
            }
        }
    }

    pub fn last_user(&self) -> Option<usize> {
        self.messages.iter().rposition(|m| m.role == Role::User)
    }

    /// Names the conversation after its first message, once.
    pub fn auto_title(&mut self, text: &str) {
        if self.titled {
            return;
        }
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let t: String = first.trim().chars().take(32).collect();
        if !t.is_empty() {
            self.title = t;
            self.titled = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_has_system_then_messages_without_empty_replies() {
        let mut c = Conversation::new(1, "be brief", Sampling::default(), "balanced");
        c.messages.push(ChatEntry::new(Role::User, "hi"));
        c.messages.push(ChatEntry::new(Role::Assistant, ""));
        let p = c.prompt();
        assert_eq!(
            p,
            vec![ChatMessage::system("be brief"), ChatMessage::user("hi")]
        );
    }

    #[test]
    fn auto_title_uses_first_line_once() {
        let mut c = Conversation::new(1, "", Sampling::default(), "balanced");
        c.auto_title("\n  What is Rust?\nmore");
        c.auto_title("other");
        assert_eq!(c.title, "What is Rust?");
    }
}
