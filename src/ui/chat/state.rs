//! The chat screen's state, one of the per-screen states `App` holds: conversations, the message
//! input and its history, the reply being generated and the view's options.

use std::cell::Cell;

use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::conversation::{Conversation, ReplyFigures};
use crate::ui::keymap::Ctx;

/// Which part of the chat screen takes keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Input,
    Transcript,
    Sidebar,
}

/// The reply being generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Generation {
    pub gen: u64,
    pub conv: u64,
    pub msg: usize,
}

/// The chat screen's state: the conversations, the message input and its history, the reply
/// being generated and the view's options.
pub struct ChatState {
    pub focus: Focus,
    pub convs: Vec<Conversation>,
    pub current: usize,
    pub next_conv_id: u64,
    pub input: TextArea<'static>,
    /// Token count of a large input, from the engine.
    pub input_size: super::input_size::InputSize,
    /// The message being edited (resend branches there: what followed stays as a version) and
    /// the draft it hid.
    pub editing: Option<(usize, Vec<String>)>,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    pub generation: Option<Generation>,
    pub next_gen: u64,
    pub last_stats: Option<ReplyFigures>,
    pub token_view: bool,
    pub show_sidebar: bool,
    /// The transcript's area at the last frame: scrolling needs its size.
    pub viewport: Cell<Rect>,
}

impl ChatState {
    /// The key context of the focused part.
    pub fn ctx(&self) -> Ctx {
        match self.focus {
            Focus::Input => Ctx::Input,
            Focus::Transcript => Ctx::Transcript,
            Focus::Sidebar => Ctx::Sidebar,
        }
    }

    pub fn conv(&self) -> &Conversation {
        // `convs` is never empty: deleting the last conversation makes a new one.
        &self.convs[self.current.min(self.convs.len().saturating_sub(1))]
    }

    pub fn conv_mut(&mut self) -> &mut Conversation {
        let i = self.current.min(self.convs.len().saturating_sub(1));
        &mut self.convs[i]
    }
}
