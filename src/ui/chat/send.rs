//! Starting replies on the chat screen: sending the typed message, regenerating the last reply,
//! and editing a message to resend from there (what followed stays as an earlier version). Every
//! reply starts in `start_reply`, the template browser's sends included.

use super::conversation::{ChatEntry, Scroll};
use super::state::{Focus, Generation};
use crate::engine::Role;
use crate::ui::app::{App, EngineState, Level};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;
use crate::ui::reply::Reply;
use crate::ui::text_input::new_input;

/// Why a reply cannot start now, if it cannot.
pub fn not_ready(app: &App) -> Option<String> {
    if app.generating() {
        return Some(format!(
            "a reply is being generated: {} stops it",
            app.keymap.hint(Cmd::Stop)
        ));
    }
    match &app.engine {
        EngineState::Ready if app.model.is_some() => None,
        EngineState::Loading { name, .. } => Some(format!("{name} is still loading")),
        EngineState::Starting => Some("the engine is starting".into()),
        _ => Some(format!(
            "no model is loaded: {} picks one",
            app.keymap.hint(Cmd::Models)
        )),
    }
}

pub(super) fn send(app: &mut App, fx: &mut Vec<Effect>) {
    let text = app.input_text();
    if text.trim().is_empty() {
        return;
    }
    if let Some(why) = not_ready(app) {
        app.notify(Level::Warn, why);
        return;
    }
    let draft = match app.chat.editing.take() {
        Some((idx, draft)) => {
            let conv = app.conv_mut();
            conv.messages.truncate(idx);
            draft
        }
        None => Vec::new(),
    };
    if app.chat.history.last() != Some(&text) {
        app.chat.history.push(text.clone());
    }
    app.chat.history_pos = None;
    let conv = app.conv_mut();
    conv.auto_title(&text);
    conv.messages.push(ChatEntry::new(Role::User, text));
    app.chat.input = new_input(draft);
    start_reply(app, None, fx);
}

/// Appends an empty streaming reply to the current conversation and asks the engine for it:
/// the one way every reply of the chat screen starts (sent, regenerated, resent after an edit,
/// sent from the template browser in either layout). `setup` names the template it came from.
pub fn start_reply(
    app: &mut App,
    setup: Option<crate::session::PromptSetup>,
    fx: &mut Vec<Effect>,
) {
    let gen = app.chat.next_gen;
    app.chat.next_gen += 1;
    let conv = app.conv_mut();
    let prompt = conv.request();
    let sampling = conv.sampling.clone();
    let mut reply = ChatEntry::new(Role::Assistant, "");
    reply.body = Reply::streaming();
    conv.messages.push(reply);
    conv.scroll = Scroll::Follow;
    conv.selected = None;
    conv.token_cursor = 0;
    let (id, msg) = (conv.id, conv.messages.len() - 1);
    app.chat.generation = Some(Generation { gen, conv: id, msg });
    app.engine = EngineState::Generating;
    if app.chat.focus == Focus::Transcript {
        app.chat.focus = Focus::Input;
    }
    fx.push(Effect::Generate {
        gen,
        prompt,
        sampling,
        setup: setup.map(Box::new),
    });
}

pub(super) fn regenerate(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(why) = not_ready(app) {
        app.notify(Level::Warn, why);
        return;
    }
    let conv = app.conv_mut();
    let Some(u) = conv.last_user() else {
        app.notify(Level::Info, "nothing to regenerate yet");
        return;
    };
    conv.messages.truncate(u + 1);
    start_reply(app, None, fx);
}

pub(super) fn begin_edit(app: &mut App, idx: usize) {
    if app.generating() {
        app.notify(
            Level::Warn,
            format!("stop the reply first ({})", app.keymap.hint(Cmd::Stop)),
        );
        return;
    }
    let content = app.conv().messages[idx].body.text.clone();
    let draft = match app.chat.editing.take() {
        Some((_, d)) => d,
        None => app.chat.input.lines().to_vec(),
    };
    app.chat.editing = Some((idx, draft));
    app.chat.input = new_input(content.lines().map(str::to_string).collect());
    app.chat.focus = Focus::Input;
    app.conv_mut().selected = None;
    app.notify(
        Level::Info,
        format!(
            "editing: {} resends (what followed stays as an earlier version, ←/→ on the message), {} cancels",
            app.keymap.hint(Cmd::Send),
            app.keymap.hint(Cmd::Stop)
        ),
    );
}
