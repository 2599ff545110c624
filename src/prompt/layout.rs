//! The two prompt layouts: chat messages, and one completion block for base models.

use super::template::{Mode, Template};
use crate::engine::{ChatMessage, Prompt};

impl Template {
    /// What goes between the `output` prefix and an answer in completion mode: a space after
    /// `Sentiment:`; nothing when the prefix is empty, already ends in whitespace (`Code:\n`) or
    /// ends in a non-ASCII mark such as the full-width colon of `判断：` (no space in CJK text).
    pub fn answer_separator(&self) -> &'static str {
        match self.output.chars().last() {
            Some(c) if c.is_ascii() && !c.is_ascii_whitespace() => " ",
            _ => "",
        }
    }

    /// System text and instruction, as one block.
    pub fn head(&self) -> String {
        [self.system.trim(), self.instruction.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

pub(crate) fn lay_out(
    t: &Template,
    examples: &[usize],
    input_text: &str,
    mode: Mode,
) -> (Prompt, Sections) {
    let head = t.head();
    // Example variables were checked at load time, so filling cannot miss one.
    let filled = |i: usize| t.input.fill(&t.examples[i].vars).unwrap_or_default();
    match mode {
        Mode::Chat => {
            let mut msgs = Vec::with_capacity(2 + 2 * examples.len());
            if !head.is_empty() {
                msgs.push(ChatMessage::system(head.clone()));
            }
            let mut ex_text = Vec::new();
            for &i in examples {
                let q = filled(i);
                let a = t.examples[i].output.clone();
                ex_text.push(q.clone());
                ex_text.push(a.clone());
                msgs.push(ChatMessage::user(q));
                msgs.push(ChatMessage::assistant(a));
            }
            msgs.push(ChatMessage::user(input_text.to_string()));
            let sections = Sections {
                system: head,
                examples: ex_text.join("\n"),
                input: input_text.to_string(),
            };
            (Prompt::Chat(msgs), sections)
        }
        Mode::Completion => {
            let system = if head.is_empty() {
                String::new()
            } else {
                format!("{head}\n\n")
            };
            let sep = t.answer_separator();
            let mut ex = String::new();
            for &i in examples {
                ex.push_str(&filled(i));
                ex.push('\n');
                ex.push_str(&t.output);
                ex.push_str(sep);
                ex.push_str(&t.examples[i].output);
                ex.push_str("\n\n");
            }
            let input = format!("{input_text}\n{}", t.output);
            let text = format!("{system}{ex}{input}");
            (
                Prompt::Raw(text),
                Sections {
                    system,
                    examples: ex,
                    input,
                },
            )
        }
    }
}

/// The text of each part of a prompt, for token budgets. In completion mode the three
/// concatenated are exactly the prompt; in chat mode they are the messages' contents (the chat
/// template adds its own markup around them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sections {
    /// System text and instruction.
    pub system: String,
    /// Every chosen example with its answer.
    pub examples: String,
    /// The filled input (and, in completion mode, the `output` prefix).
    pub input: String,
}

impl Sections {
    pub const NAMES: [&'static str; 3] = ["system+instruction", "examples", "input"];

    pub fn as_array(&self) -> [&str; 3] {
        [&self.system, &self.examples, &self.input]
    }
}
