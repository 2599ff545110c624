//! Dialog commands and typing: sampling settings and presets, model picker, text editor, name
//! prompt, confirmations and help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::chat::switch;
use crate::model::discover::Found;
use crate::ui::app::{new_input, App, Ask, Confirm, EditTarget, EngineState, Level, Modal};
use crate::ui::conversation::{Conversation, Scroll};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;
use crate::ui::presets::check_name;
use crate::ui::settings::{show, GRAMMAR};

pub fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    match cmd {
        Cmd::SettingsClose => {
            settings_leave_row(app);
            app.modals.pop();
        }
        Cmd::ModelsClose
        | Cmd::EditorCancel
        | Cmd::PromptCancel
        | Cmd::ConfirmNo
        | Cmd::HelpClose => {
            app.modals.pop();
        }
        Cmd::SettingsTheme => crate::ui::theme_switch::step(app, true),
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
        Cmd::FieldEnter if engine_row_selected(app) => reload_with_form(app, fx),
        Cmd::FieldPrev | Cmd::FieldNext | Cmd::FieldClear | Cmd::FieldEnter => {
            settings_field(app, cmd)
        }
        Cmd::PresetPrev | Cmd::PresetNext => preset_step(app, cmd == Cmd::PresetNext),
        Cmd::PresetSave => app.modals.push(Modal::Ask {
            ask: Ask::PresetName,
            text: new_input(Vec::new()),
            error: None,
        }),
        Cmd::PresetDelete => preset_delete(app, fx),
        Cmd::ModelPrev | Cmd::ModelNext => {
            if let Some(Modal::Models(p)) = app.modals.last_mut() {
                // The row after the models is "pull from Hugging Face…".
                let n = p.models.as_ref().map(Vec::len).unwrap_or(0);
                p.selected = if cmd == Cmd::ModelNext {
                    (p.selected + 1).min(n)
                } else {
                    p.selected.saturating_sub(1)
                };
            }
        }
        Cmd::ModelLoad => model_load(app, fx),
        Cmd::ModelsRescan => {
            if let Some(Modal::Models(p)) = app.modals.last_mut() {
                p.models = None;
                fx.push(Effect::DiscoverModels {
                    extra: app.models_dirs.clone(),
                });
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
            app.chat.focus = crate::ui::app::Focus::Input;
            app.chat.input.insert_str(text);
        }
    }
}

fn settings_field(app: &mut App, cmd: Cmd) {
    let conv = app.chat.conv_mut();
    let Some(Modal::Settings(form)) = app.modals.last_mut() else {
        return;
    };
    let n = form.values.len();
    if matches!(cmd, Cmd::FieldPrev | Cmd::FieldNext | Cmd::FieldEnter) && form.row != GRAMMAR {
        apply_typed(form, conv);
    }
    match cmd {
        Cmd::FieldPrev => form.row = (form.row + n - 1) % n,
        Cmd::FieldNext => form.row = (form.row + 1) % n,
        Cmd::FieldClear if form.row == GRAMMAR => {
            conv.sampling.grammar = None;
            form.values[GRAMMAR] = show(&conv.sampling, "grammar");
            conv.preset = "custom".into();
        }
        Cmd::FieldClear => {
            form.values[form.row].clear();
            form.check_row(&conv.sampling);
        }
        Cmd::FieldEnter if form.row == GRAMMAR => {
            let lines = conv
                .sampling
                .grammar
                .as_deref()
                .unwrap_or("")
                .lines()
                .map(str::to_string)
                .collect();
            app.modals.push(Modal::Editor {
                target: EditTarget::Grammar,
                text: new_input(lines),
            });
        }
        Cmd::FieldEnter => form.row = (form.row + 1) % n,
        _ => {}
    }
}

/// Applies the typed text of the current row; a bad value keeps its error and is not applied.
fn apply_typed(form: &mut crate::ui::settings::SettingsForm, conv: &mut Conversation) {
    let typed = form.is_engine_row(form.row) || form.pending(form.row, &conv.sampling);
    if typed && form.apply_row(&mut conv.sampling) {
        conv.preset = "custom".into();
    }
}

/// Closing the panel applies the field being edited, and says when its text was not valid.
fn settings_leave_row(app: &mut App) {
    let conv = app.chat.conv_mut();
    let Some(Modal::Settings(form)) = app.modals.last_mut() else {
        return;
    };
    if form.row == GRAMMAR || form.is_engine_row(form.row) {
        return;
    }
    apply_typed(form, conv);
    if let Some(e) = form.errors[form.row].clone() {
        app.notices.push(crate::ui::app::Notice {
            level: Level::Warn,
            text: format!("{e}: not applied"),
        });
    }
}

fn engine_row_selected(app: &App) -> bool {
    matches!(app.modals.last(), Some(Modal::Settings(f)) if f.is_engine_row(f.row))
}

/// Enter on an engine row: the edited context size, threads and overflow policy become the
/// engine settings, and the current model is loaded again with them.
fn reload_with_form(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(Modal::Settings(form)) = app.modals.last_mut() else {
        return;
    };
    if form.errors.iter().any(Option::is_some) {
        form.note = Some("fix the value marked ✖ first".into());
        return;
    }
    let Some(settings) = form.engine.clone() else {
        return;
    };
    app.env.engine_settings = settings.clone();
    let Some(model) = app.model.as_ref() else {
        form.note = Some("saved: they apply when a model is loaded".into());
        return;
    };
    if app.engine == EngineState::Starting {
        form.note = Some("the engine is still starting: try again in a moment".into());
        return;
    }
    let (path, name) = (model.path.clone(), crate::ui::model_label::of(model));
    if let Some(g) = app.chat.generation {
        fx.push(Effect::Cancel { gen: g.gen });
    }
    app.engine = EngineState::Loading {
        name,
        progress: 0.0,
    };
    fx.push(Effect::Load { path, settings });
    app.modals.pop();
    app.notify(
        Level::Info,
        "reloading the model with the new engine settings (the conversation is decoded again on the next reply)",
    );
}

fn preset_step(app: &mut App, forward: bool) {
    let names = app.presets.names();
    let conv = app.chat.conv_mut();
    let Some(Modal::Settings(form)) = app.modals.last_mut() else {
        return;
    };
    let presets = &app.env.presets;
    let n = names.len();
    form.preset = if forward {
        (form.preset + 1) % n
    } else {
        (form.preset + n - 1) % n
    };
    let name = &names[form.preset];
    if let Some(s) = presets.get(name) {
        // The grammar is not part of a preset's purpose: keep the conversation's.
        let grammar = conv.sampling.grammar.take();
        conv.sampling = s;
        if conv.sampling.grammar.is_none() {
            conv.sampling.grammar = grammar;
        }
        conv.preset = name.clone();
        form.reset(&conv.sampling);
        form.note = Some(format!("applied preset '{name}'"));
    }
}

fn preset_delete(app: &mut App, fx: &mut Vec<Effect>) {
    let names = app.presets.names();
    let Some(Modal::Settings(form)) = app.modals.last_mut() else {
        return;
    };
    let Some(name) = names.get(form.preset).cloned() else {
        return;
    };
    if !app.env.presets.is_user(&name) {
        form.note = Some(format!("'{name}' is built in and cannot be deleted"));
        return;
    }
    app.env.presets.user.remove(&name);
    form.preset = form.preset.saturating_sub(1);
    form.note = Some(format!("deleted preset '{name}'"));
    fx.push(Effect::SavePresets {
        presets: app.presets.clone(),
        config_dir: app.config_dir.clone(),
    });
}

fn model_load(app: &mut App, fx: &mut Vec<Effect>) {
    if app.engine == EngineState::Starting {
        app.notify(
            Level::Warn,
            "the engine is still starting: try again in a moment",
        );
        return;
    }
    let Some(Modal::Models(p)) = app.modals.last() else {
        return;
    };
    if p.models.as_ref().is_some_and(|m| p.selected == m.len()) {
        return super::pull::row(app);
    }
    let Some(found) = p.models.as_ref().and_then(|m| m.get(p.selected)).cloned() else {
        return;
    };
    let info = match &found.info {
        Ok(i) => i.clone(),
        Err(e) => {
            app.notify(Level::Error, format!("cannot load this file: {e}"));
            return;
        }
    };
    if let Some(p) = info.pooling {
        app.notify(
            Level::Warn,
            format!(
                "{} is an embedding model ({p} pooling): it makes vectors, not replies; use it with --embed-model or embed_model in config.toml",
                crate::ui::model_label::of(&info)
            ),
        );
        return;
    }
    if let Some(g) = app.chat.generation {
        fx.push(Effect::Cancel { gen: g.gen });
    }
    app.engine = EngineState::Loading {
        name: crate::ui::model_label::of(&info),
        progress: 0.0,
    };
    // A model of another server (or a file while a server serves): the engine is replaced
    // first, and the model loaded once it is up.
    let want = crate::ui::picker_backends::served_by(&info);
    // Without a model loaded the in-process engine is assumed (a server's model reconnects).
    let now = app
        .model
        .as_ref()
        .and_then(crate::ui::picker_backends::served_by);
    if now != want {
        app.startup_model = Some(found.path.clone());
        fx.push(Effect::SwitchEngine { backend: want });
    } else {
        fx.push(Effect::Load {
            path: found.path.clone(),
            settings: app.engine_settings.clone(),
        });
    }
    app.modals.pop();
}

pub fn models_found(app: &mut App, found: Vec<Found>) {
    if let Some(st) = app.compare.as_mut() {
        st.models = crate::ui::compare::models::ColumnModel::from_found(&found);
    }
    // A model just pulled is selected, else the loaded one.
    let pulled = app.pull.select.take();
    let current = pulled.or_else(|| app.model.as_ref().map(|m| m.path.clone()));
    for m in app.modals.iter_mut() {
        if let Modal::Models(p) = m {
            p.selected = current
                .as_ref()
                .and_then(|c| found.iter().position(|f| &f.path == c))
                .unwrap_or(0);
            p.models = Some(found.clone());
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
            super::sessions::ask_accept(app, ask, &value, fx)
        }
        Ask::PullModel => super::pull::accept(app, &value, fx),
        Ask::ComparePath(purpose) => {
            crate::ui::compare::modal::path_accept(app, purpose, &value, fx)
        }
        Ask::RenameChat(id) => {
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
        Confirm::DeleteSession => super::sessions::confirm_delete(app, fx),
        Confirm::CancelPull => super::pull::cancel(app, fx),
        Confirm::ClearChat(id) => {
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
        Confirm::DeleteChat(id) => {
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
    }
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
