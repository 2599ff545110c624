//! Chat-screen commands: sending, regenerating, editing and resending, copying, conversations,
//! input history, focus and scrolling.

use crate::engine::Role;
use crate::ui::app::{
    new_input, App, Ask, Confirm, EditTarget, EngineState, Focus, Generation, Level, Modal,
};
use crate::ui::conversation::{Message, MsgState, Scroll};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;
use crate::ui::markdown::code_blocks;
use crate::ui::settings::SettingsForm;
use crate::ui::transcript;

pub fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    match cmd {
        Cmd::Stop => stop(app, fx),
        Cmd::NewChat | Cmd::ChatNew => {
            let i = app.add_conversation();
            switch(app, i);
            app.chat.focus = Focus::Input;
        }
        Cmd::Regenerate => regenerate(app, fx),
        Cmd::EditLast => match app.conv().last_user() {
            Some(i) => begin_edit(app, i),
            None => app.notify(Level::Info, "nothing to edit yet"),
        },
        Cmd::EditMessage => match app.conv().selected {
            Some(i)
                if app
                    .conv()
                    .messages
                    .get(i)
                    .is_some_and(|m| m.role == Role::User) =>
            {
                begin_edit(app, i)
            }
            _ => app.notify(Level::Info, "select one of your messages (↑/↓) to edit it"),
        },
        Cmd::CopyMessage => copy_message(app, fx),
        Cmd::CopyCode => copy_code(app, fx),
        Cmd::ClearChat => {
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
        Cmd::Settings => {
            let names = app.presets.names();
            let idx = names
                .iter()
                .position(|n| *n == app.conv().preset)
                .unwrap_or(1);
            app.modals.push(Modal::Settings(
                SettingsForm::new(&app.conv().sampling, idx).with_engine(&app.engine_settings),
            ));
        }
        Cmd::SystemPrompt => {
            let lines = app
                .conv()
                .system_prompt
                .lines()
                .map(str::to_string)
                .collect();
            app.modals.push(Modal::Editor {
                target: EditTarget::SystemPrompt,
                text: new_input(lines),
            });
        }
        Cmd::TokenView => {
            app.chat.token_view = !app.chat.token_view;
            if app.chat.token_view {
                app.notify(
                    Level::Info,
                    "token view: colour = probability (red low, green high); tab to the transcript, ←/→ pick a token",
                );
            }
        }
        Cmd::FocusNext | Cmd::FocusPrev => {
            let order = [Focus::Input, Focus::Transcript, Focus::Sidebar];
            let i = order.iter().position(|f| *f == app.chat.focus).unwrap_or(0);
            let next = if cmd == Cmd::FocusNext {
                (i + 1) % 3
            } else {
                (i + 2) % 3
            };
            set_focus(app, order[next]);
        }
        Cmd::ScrollUp => {
            let page = app.chat.viewport.get().height.saturating_sub(2).max(1) as isize;
            transcript::scroll(app, -page);
        }
        Cmd::ScrollDown => {
            let page = app.chat.viewport.get().height.saturating_sub(2).max(1) as isize;
            transcript::scroll(app, page);
        }
        Cmd::ScrollTop => app.conv_mut().scroll = Scroll::At { msg: 0, line: 0 },
        Cmd::ScrollBottom => app.conv_mut().scroll = Scroll::Follow,
        Cmd::ToggleSidebar => app.chat.show_sidebar = !app.chat.show_sidebar,
        Cmd::Send => send(app, fx),
        Cmd::Newline => app.chat.input.insert_newline(),
        Cmd::HistoryPrev | Cmd::HistoryNext => history(app, cmd == Cmd::HistoryPrev),
        Cmd::SelectPrev | Cmd::SelectNext => select(app, cmd == Cmd::SelectNext),
        Cmd::TokenPrev | Cmd::TokenNext if !app.chat.token_view => {
            super::versions::browse(app, if cmd == Cmd::TokenNext { 1 } else { -1 }, fx)
        }
        Cmd::TokenPrev | Cmd::TokenNext => {
            let conv = app.conv_mut();
            let n = conv
                .focus_message()
                .and_then(|i| conv.messages.get(i))
                .map(|m| m.tokens.len())
                .unwrap_or(0);
            conv.token_cursor = if cmd == Cmd::TokenNext {
                (conv.token_cursor + 1).min(n.saturating_sub(1))
            } else {
                conv.token_cursor.saturating_sub(1).min(n.saturating_sub(1))
            };
            crate::ui::token_reveal::reveal_token(app);
        }
        Cmd::ChatPrev | Cmd::ChatNext => {
            let n = app.chat.convs.len();
            let i = if cmd == Cmd::ChatNext {
                (app.chat.current + 1) % n
            } else {
                (app.chat.current + n - 1) % n
            };
            switch(app, i);
        }
        Cmd::ChatRename => {
            let c = app.conv();
            app.modals.push(Modal::Ask {
                ask: Ask::RenameChat(c.id),
                text: new_input(vec![c.title.clone()]),
                error: None,
            });
        }
        Cmd::ChatDelete => {
            let c = app.conv();
            app.modals.push(Modal::Confirm {
                what: Confirm::DeleteChat(c.id),
                question: format!("Delete the conversation '{}'?", c.title),
            });
        }
        _ => {}
    }
}

fn set_focus(app: &mut App, f: Focus) {
    app.chat.focus = f;
    if f == Focus::Transcript {
        let conv = app.conv_mut();
        if conv.selected.is_none() && !conv.messages.is_empty() {
            conv.selected = Some(conv.messages.len() - 1);
        }
    } else {
        app.conv_mut().selected = None;
    }
}

fn stop(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(g) = app.chat.generation {
        fx.push(Effect::Cancel { gen: g.gen });
    } else if let Some((_, draft)) = app.chat.editing.take() {
        app.chat.input = new_input(draft);
        app.notify(Level::Info, "edit cancelled");
    } else if app.chat.focus != Focus::Input {
        set_focus(app, Focus::Input);
    } else {
        app.dismiss_notice();
    }
}

/// Why a reply cannot start now, if it cannot.
pub(super) fn not_ready(app: &App) -> Option<String> {
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

fn send(app: &mut App, fx: &mut Vec<Effect>) {
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
    conv.messages.push(Message::new(Role::User, text));
    app.chat.input = new_input(draft);
    start_reply(app, None, fx);
}

/// Appends an empty streaming reply to the current conversation and asks the engine for it:
/// the one way every reply of the chat screen starts (sent, regenerated, resent after an edit,
/// sent from the template browser in either layout). `setup` names the template it came from.
pub(super) fn start_reply(
    app: &mut App,
    setup: Option<crate::session::PromptSetup>,
    fx: &mut Vec<Effect>,
) {
    let gen = app.chat.next_gen;
    app.chat.next_gen += 1;
    let conv = app.conv_mut();
    let prompt = conv.request();
    let sampling = conv.sampling.clone();
    let mut reply = Message::new(Role::Assistant, "");
    reply.state = MsgState::Streaming;
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

fn regenerate(app: &mut App, fx: &mut Vec<Effect>) {
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

fn begin_edit(app: &mut App, idx: usize) {
    if app.generating() {
        app.notify(
            Level::Warn,
            format!("stop the reply first ({})", app.keymap.hint(Cmd::Stop)),
        );
        return;
    }
    let content = app.conv().messages[idx].content.clone();
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

fn copy_message(app: &mut App, fx: &mut Vec<Effect>) {
    let conv = app.conv();
    match conv.focus_message().and_then(|i| conv.messages.get(i)) {
        Some(m) if !m.content.is_empty() => {
            let n = m.content.chars().count();
            fx.push(Effect::Copy(m.content.clone()));
            app.notify(Level::Info, format!("copied the message ({n} characters)"));
        }
        _ => app.notify(Level::Info, "no message to copy"),
    }
}

fn copy_code(app: &mut App, fx: &mut Vec<Effect>) {
    let conv = app.conv();
    let start = conv.focus_message();
    // The focused message's blocks, else the latest message that has any.
    let found = start
        .into_iter()
        .chain((0..conv.messages.len()).rev())
        .find_map(|i| {
            let b = code_blocks(&conv.messages[i].content);
            (!b.is_empty()).then_some((i, b))
        });
    let Some((i, blocks)) = found else {
        app.notify(Level::Info, "no code block to copy");
        return;
    };
    let k = if conv.code_cursor.0 == i {
        (conv.code_cursor.1 + 1) % blocks.len()
    } else {
        0
    };
    let b = &blocks[k];
    fx.push(Effect::Copy(b.code.clone()));
    let lang = if b.lang.is_empty() {
        String::new()
    } else {
        format!(" ({})", b.lang)
    };
    let note = format!("copied code block {}/{}{lang}", k + 1, blocks.len());
    app.conv_mut().code_cursor = (i, k);
    app.notify(Level::Info, note);
}

fn history(app: &mut App, back: bool) {
    if app.chat.history.is_empty() {
        return;
    }
    let last = app.chat.history.len() - 1;
    let pos = match (app.chat.history_pos, back) {
        (None, true) => Some(last),
        (None, false) => None,
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p >= last => None,
        (Some(p), false) => Some(p + 1),
    };
    app.chat.history_pos = pos;
    let text = pos.map(|p| app.chat.history[p].clone()).unwrap_or_default();
    app.chat.input = new_input(text.lines().map(str::to_string).collect());
}

fn select(app: &mut App, down: bool) {
    let conv = app.conv_mut();
    let n = conv.messages.len();
    if n == 0 {
        return;
    }
    let next = match (conv.selected, down) {
        (None, _) => n - 1,
        (Some(i), true) => (i + 1).min(n - 1),
        (Some(i), false) => i.saturating_sub(1),
    };
    conv.selected = Some(next);
    conv.token_cursor = 0;
    transcript::reveal(app, next);
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
