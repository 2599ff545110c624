//! The conversation list's commands: a new conversation, moving between them (each keeps its
//! unsent input), and renaming, clearing and deleting one, asked first and done when the dialog
//! is answered (`update::dialogs`). The list is drawn by `sidebar`.

use super::conversation::Scroll;
use super::state::Focus;
use crate::ui::app::{App, Ask, Confirm, EngineState, Level, Modal};
use crate::ui::effect::Effect;
use crate::ui::text_input::new_input;

/// A new empty conversation, shown with the input focused.
pub(super) fn new(app: &mut App) {
    let i = app.add_conversation();
    switch(app, i);
    app.chat.focus = Focus::Input;
}

/// The next (or previous) conversation, wrapping around.
pub(super) fn step(app: &mut App, forward: bool) {
    let n = app.chat.convs.len();
    let i = if forward {
        (app.chat.current + 1) % n
    } else {
        (app.chat.current + n - 1) % n
    };
    switch(app, i);
}

/// Shows conversation `i`, keeping the unsent input of the one left.
pub fn switch(app: &mut App, i: usize) {
    if i >= app.chat.convs.len() || i == app.chat.current {
        app.chat.current = i.min(app.chat.convs.len().saturating_sub(1));
        return;
    }
    let draft = match app.chat.editing.take() {
        Some((_, d)) => d,
        None => app.chat.input.lines().to_vec(),
    };
    app.conv_mut().draft = draft;
    app.conv_mut().selected = None;
    app.chat.current = i;
    let next = std::mem::take(&mut app.conv_mut().draft);
    app.chat.input = new_input(next);
    app.chat.history_pos = None;
}

pub(super) fn ask_rename(app: &mut App) {
    let c = app.conv();
    app.modals.push(Modal::Ask {
        ask: Ask::RenameChat(c.id),
        text: new_input(vec![c.title.clone()]),
        error: None,
    });
}

/// The name prompt's answer for conversation `id`.
pub fn rename(app: &mut App, id: u64, value: &str) -> Result<(), String> {
    let name = crate::text::sanitize::sanitize_line(value.trim());
    if name.is_empty() {
        Err("a conversation needs a name".to_string())
    } else {
        if let Some(c) = app.conv_index(id).map(|i| &mut app.chat.convs[i]) {
            c.title = name;
            c.titled = true;
        }
        Ok(())
    }
}

pub(super) fn ask_clear(app: &mut App) {
    if app.conv().messages.is_empty() {
        app.notify(Level::Info, "this conversation is already empty");
    } else {
        let id = app.conv().id;
        app.modals.push(Modal::Confirm {
            what: Confirm::ClearChat(id),
            question: format!("Clear all messages of '{}'?", app.conv().title),
        });
    }
}

/// The clear question was answered yes.
pub fn clear(app: &mut App, id: u64, fx: &mut Vec<Effect>) {
    stop_if_in(app, id, fx);
    if let Some(i) = app.conv_index(id) {
        let c = &mut app.chat.convs[i];
        c.messages.clear();
        // A cleared chat is a new one: it is named again by its next first message.
        c.title = format!("Chat {}", c.id);
        c.titled = false;
        c.scroll = Scroll::Follow;
        c.selected = None;
        c.context_used = None;
        if app.chat.editing.is_some() && i == app.chat.current {
            let (_, d) = app.chat.editing.take().unwrap_or_default();
            app.chat.input = new_input(d);
        }
    }
}

pub(super) fn ask_delete(app: &mut App) {
    let c = app.conv();
    app.modals.push(Modal::Confirm {
        what: Confirm::DeleteChat(c.id),
        question: format!("Delete the conversation '{}'?", c.title),
    });
}

/// The delete question was answered yes.
pub fn delete(app: &mut App, id: u64, fx: &mut Vec<Effect>) {
    stop_if_in(app, id, fx);
    let Some(i) = app.conv_index(id) else { return };
    if i == app.chat.current {
        // The input belonged to the deleted conversation: it goes with it.
        app.chat.editing = None;
        app.chat.convs.remove(i);
        if app.chat.convs.is_empty() {
            app.add_conversation();
        }
        app.chat.current = i.min(app.chat.convs.len() - 1);
        let d = std::mem::take(&mut app.conv_mut().draft);
        app.chat.input = new_input(d);
    } else {
        app.chat.convs.remove(i);
        if i < app.chat.current {
            app.chat.current -= 1;
        }
        switch(app, app.chat.current);
    }
    app.notify(Level::Info, "conversation deleted");
}

/// Cancels the running reply when it belongs to conversation `id`.
fn stop_if_in(app: &mut App, id: u64, fx: &mut Vec<Effect>) {
    if let Some(g) = app.chat.generation.filter(|g| g.conv == id) {
        fx.push(Effect::Cancel { gen: g.gen });
        app.chat.generation = None;
        if app.engine == EngineState::Generating {
            app.engine = EngineState::Ready;
        }
    }
}
