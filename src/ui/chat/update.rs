//! The chat screen's keys: typing into the input, the focused part's bindings and the chat's
//! global ones, routed to sending and editing (`reply`) and the conversation list
//! (`conversation_list`); copying, input history, focus, selection and scrolling are here.

use crossterm::event::{KeyCode, KeyEvent};

use super::conversation::Scroll;
use super::conversation_list;
use super::send::{begin_edit, regenerate, send};
use super::state::Focus;
use crate::engine::Role;
use crate::ui::app::{App, EditTarget, Level, Modal};
use crate::ui::effect::Effect;
use crate::ui::keymap::key_spec::KeySpec;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::render::markdown::code_blocks;
use crate::ui::render::transcript;
use crate::ui::settings::SettingsForm;
use crate::ui::text_input::new_input;
use crate::ui::update::global;

pub fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    match cmd {
        Cmd::Stop => stop(app, fx),
        Cmd::NewChat | Cmd::SidebarNew => conversation_list::new(app),
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
        Cmd::ClearChat => conversation_list::ask_clear(app),
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
                .map(|m| m.body.tokens.len())
                .unwrap_or(0);
            conv.token_cursor = if cmd == Cmd::TokenNext {
                (conv.token_cursor + 1).min(n.saturating_sub(1))
            } else {
                conv.token_cursor.saturating_sub(1).min(n.saturating_sub(1))
            };
            super::token_reveal::reveal_token(app);
        }
        Cmd::SidebarPrev | Cmd::SidebarNext => {
            conversation_list::step(app, cmd == Cmd::SidebarNext)
        }
        Cmd::SidebarRename => conversation_list::ask_rename(app),
        Cmd::SidebarDelete => conversation_list::ask_delete(app),
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

fn copy_message(app: &mut App, fx: &mut Vec<Effect>) {
    let conv = app.conv();
    match conv.focus_message().and_then(|i| conv.messages.get(i)) {
        Some(m) if !m.body.text.is_empty() => {
            let n = m.body.text.chars().count();
            fx.push(Effect::Copy(m.body.text.clone()));
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
            let b = code_blocks(&conv.messages[i].body.text);
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
/// Keys on the chat screen: typing goes to the input; the focused part's bindings, then the
/// global ones (the app-wide ones through `update::global`).
pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    match app.chat.focus {
        Focus::Input => {
            let typing = spec.is_text() && !(spec.code == KeyCode::Char('?') && app.input_empty());
            if typing {
                app.chat.history_pos = None;
                app.chat.input.input(k);
                return;
            }
            match app.keymap.get(Ctx::Input, &spec) {
                Some(Cmd::HistoryPrev | Cmd::HistoryNext)
                    if !(app.input_empty() || app.chat.history_pos.is_some()) =>
                {
                    app.chat.input.input(k);
                }
                Some(cmd) => command(app, cmd, fx),
                None => match app.keymap.get(Ctx::Global, &spec) {
                    Some(cmd) => {
                        if !global::command(app, cmd, fx) {
                            command(app, cmd, fx)
                        }
                    }
                    None => {
                        app.chat.history_pos = None;
                        app.chat.input.input(k);
                    }
                },
            }
        }
        Focus::Transcript | Focus::Sidebar => {
            if let Some(cmd) = app.keymap.get(app.chat.ctx(), &spec) {
                command(app, cmd, fx);
            } else if let Some(cmd) = app.keymap.get(Ctx::Global, &spec) {
                if !global::command(app, cmd, fx) {
                    command(app, cmd, fx);
                }
            } else if spec.is_text() {
                // Typing anywhere on the chat screen goes to the input.
                app.chat.focus = Focus::Input;
                app.conv_mut().selected = None;
                app.chat.input.input(k);
            }
        }
    }
}
