//! The size of what is typed, before it is sent: once the text could be more than a tenth of
//! the context, the engine counts its tokens (in the background, with the model's tokenizer)
//! and the input box shows the count, and warns when the message will not fit.

use std::hash::{Hash, Hasher};

use crate::ui::app::App;
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

/// What was asked and what came back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputSize {
    /// Hash of the text last sent to be counted (a count for an older text is ignored).
    pub asked: Option<u64>,
    /// Hash of the text counted and its token count.
    pub counted: Option<(u64, u32)>,
    /// A count is on its way; a newer text waits for it (no flood of requests while typing).
    pub in_flight: bool,
}

fn hash(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Characters from which a text may reach a tenth of the context (a token is rarely shorter
/// than one character, so shorter texts never do).
fn worth_counting(app: &App, chars: usize) -> bool {
    app.model
        .as_ref()
        .is_some_and(|m| m.n_ctx > 0 && chars as u64 * 10 >= m.n_ctx as u64)
}

/// After every update: asks for a count when the input is large and changed.
pub fn after(app: &mut App, fx: &mut Vec<Effect>) {
    if app.chat.input_size.in_flight {
        return;
    }
    let text = app.input_text();
    if !worth_counting(app, text.chars().count()) {
        app.chat.input_size.asked = None;
        app.chat.input_size.counted = None;
        return;
    }
    let h = hash(&text);
    if app.chat.input_size.asked == Some(h) {
        return;
    }
    app.chat.input_size.asked = Some(h);
    app.chat.input_size.in_flight = true;
    fx.push(Effect::CountInput { hash: h, text });
}

/// The engine's count for the text with hash `h` (None: it could not count).
pub fn counted(app: &mut App, h: u64, tokens: Option<u32>) {
    app.chat.input_size.in_flight = false;
    if let Some(n) = tokens {
        app.chat.input_size.counted = Some((h, n));
    }
}

/// What the input box says about the typed text's size: the count, and a warning with the way
/// out when it will not fit (None while the text is small or not counted yet).
pub fn note(app: &App) -> Option<(String, bool)> {
    let m = app.model.as_ref()?;
    let text = app.input_text();
    if !worth_counting(app, text.chars().count()) {
        return None;
    }
    // While a changed text is being counted, the last count stays a fair guide.
    let (_, n) = app.chat.input_size.counted?;
    if (n as u64) * 10 < m.n_ctx as u64 {
        return None;
    }
    let count = crate::ui::render::transcript::thousands(n);
    let used = app.conv().context_used.unwrap_or(0);
    let k = &app.keymap;
    if n + 16 >= m.n_ctx {
        Some((
            format!(
                "⚠ {count} tokens: will not fit the context of {} tokens; {} → context_size raises it (model reload), or shorten the text",
                crate::ui::render::transcript::thousands(m.n_ctx),
                k.hint(Cmd::Settings)
            ),
            true,
        ))
    } else if used + n > m.n_ctx {
        Some((
            format!(
                "{count} tokens: earlier turns will leave the model's context; {} starts a new chat",
                k.hint(Cmd::NewChat)
            ),
            true,
        ))
    } else {
        Some((format!("{count} tokens"), false))
    }
}
