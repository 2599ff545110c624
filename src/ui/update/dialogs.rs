//! Dialog commands and typing: the text editor, the name prompt, confirmations and help, and
//! typing and pasting into any dialog; the settings panel (`settings`) and the model picker
//! (`model_picker`) take their own bindings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::ui::app::{App, Ask, Confirm, EditTarget, Level, Modal};

use crate::ui::chat::conversation_list;
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;
use crate::ui::presets::check_name;
use crate::ui::settings::{show, GRAMMAR};
use crate::ui::text_input::new_input;

/// A binding of the open dialog's context; the settings panel's and the model picker's have
/// their own modules.
pub fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    match cmd {
        Cmd::SettingsClose
        | Cmd::SettingsTheme
        | Cmd::FieldPrev
        | Cmd::FieldNext
        | Cmd::FieldClear
        | Cmd::FieldEnter
        | Cmd::PresetPrev
        | Cmd::PresetNext
        | Cmd::PresetSave
        | Cmd::PresetDelete => super::settings::command(app, cmd, fx),
        Cmd::ModelPrev | Cmd::ModelNext | Cmd::ModelLoad | Cmd::ModelsRescan => {
            super::model_picker::command(app, cmd, fx)
        }
        Cmd::ModelsClose
        | Cmd::EditorCancel
        | Cmd::PromptCancel
        | Cmd::ConfirmNo
        | Cmd::HelpClose => {
            app.modals.pop();
        }
        Cmd::HelpNames => {
            if let Some(Modal::Help { names, .. }) = app.modals.last_mut() {
                *names = !*names;
            }
        }
        Cmd::HelpUp | Cmd::HelpDown => {
            if let Some(Modal::Help { scroll, .. }) = app.modals.last_mut() {
                *scroll = if cmd == Cmd::HelpUp {
                    scroll.saturating_sub(3)
                } else {
                    scroll.saturating_add(3)
                };
            }
        }
        Cmd::EditorSave => editor_save(app),
        Cmd::PromptAccept => ask_accept(app, fx),
        Cmd::PromptClear => {
            // A prefilled answer (a title, a path) is often replaced whole.
            if let Some(Modal::Ask { text, error, .. }) = app.modals.last_mut() {
                *text = new_input(Vec::new());
                *error = None;
            }
        }
        Cmd::ConfirmYes => confirm(app, fx),
        _ => {}
    }
}

/// Keys no binding claimed, typed into the open dialog's text.
pub fn text_key(app: &mut App, k: KeyEvent) {
    let conv = app.chat.conv_mut();
    match app.modals.last_mut() {
        Some(Modal::Editor { text, .. }) => {
            text.input(k);
        }
        // One line only: enter is the accept binding, never a newline.
        Some(Modal::Ask { text, error, .. }) if k.code != KeyCode::Enter => {
            text.input(k);
            *error = None;
        }
        Some(Modal::Settings(form)) => {
            if form.row == GRAMMAR {
                return;
            }
            let plain = !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            match k.code {
                KeyCode::Char(c) if plain => form.values[form.row].push(c),
                KeyCode::Backspace => {
                    form.values[form.row].pop();
                }
                _ => return,
            }
            // Checked as typed, applied on enter or on leaving the field.
            form.check_row(&conv.sampling);
            form.note = None;
        }
        _ => {}
    }
}

/// Pasted text goes to the dialog's text field, else to the message input.
pub fn paste(app: &mut App, text: &str) {
    match app.modals.last_mut() {
        Some(Modal::Editor { text: t, .. }) => {
            t.insert_str(text);
        }
        Some(Modal::Ask { text: t, .. }) => {
            t.insert_str(text.replace('\n', " "));
        }
        Some(Modal::Settings(form)) if form.row != GRAMMAR => {
            form.values[form.row].push_str(text.trim());
            form.check_row(&app.chat.conv().sampling);
        }
        Some(_) => {}
        None => {
            app.chat.focus = crate::ui::chat::state::Focus::Input;
            app.chat.input.insert_str(text);
        }
    }
}

fn editor_save(app: &mut App) {
    let Some(Modal::Editor { target, text }) = app.modals.pop() else {
        return;
    };
    let value = text.lines().join("\n");
    let conv = app.conv_mut();
    match target {
        EditTarget::SystemPrompt => {
            conv.system_prompt = value.trim_end().to_string();
            app.notify(
                Level::Info,
                "system prompt saved; it applies from the next reply",
            );
        }
        EditTarget::Grammar => {
            conv.sampling.grammar = (!value.trim().is_empty()).then_some(value);
            conv.preset = "custom".into();
            let shown = show(&conv.sampling, "grammar");
            if let Some(Modal::Settings(form)) = app.modals.last_mut() {
                form.values[GRAMMAR] = shown;
            }
        }
    }
}

fn ask_accept(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(Modal::Ask { ask, text, .. }) = app.modals.last() else {
        return;
    };
    let value = text.lines().join(" ");
    let ask = *ask;
    let result = match ask {
        Ask::SessionTitle | Ask::SessionExport(_) => {
            crate::ui::sessions::update::ask_accept(app, ask, &value, fx)
        }
        Ask::PullModel => super::pull::accept(app, &value, fx),
        Ask::ComparePath(purpose) => {
            crate::ui::compare::modal::path_accept(app, purpose, &value, fx)
        }
        Ask::RenameChat(id) => conversation_list::rename(app, id, &value),
        Ask::PresetName => check_name(&value).map(|name| {
            let s = app.conv().sampling.clone();
            app.presets.user.insert(name.clone(), s);
            app.conv_mut().preset = name.clone();
            fx.push(Effect::SavePresets {
                presets: app.presets.clone(),
                config_dir: app.config_dir.clone(),
            });
            let idx = app
                .presets
                .names()
                .iter()
                .position(|n| *n == name)
                .unwrap_or(0);
            if let Some(Modal::Settings(form)) = app.modals.iter_mut().rev().nth(1) {
                form.preset = idx;
                form.note = Some(format!("saved preset '{name}'"));
            }
        }),
    };
    match result {
        Ok(()) => {
            app.modals.pop();
        }
        Err(e) => {
            if let Some(Modal::Ask { error, .. }) = app.modals.last_mut() {
                *error = Some(e);
            }
        }
    }
}

fn confirm(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(Modal::Confirm { what, .. }) = app.modals.pop() else {
        return;
    };
    match what {
        Confirm::Quit => app.quit = true,
        Confirm::DeleteSession => crate::ui::sessions::update::confirm_delete(app, fx),
        Confirm::CancelPull => super::pull::cancel(app, fx),
        Confirm::ClearChat(id) => conversation_list::clear(app, id, fx),
        Confirm::DeleteChat(id) => conversation_list::delete(app, id, fx),
    }
}
