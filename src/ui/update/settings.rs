//! The settings panel's bindings: moving between fields, applying typed values (a bad one keeps
//! its error), presets (step, save, delete), the grammar editor, and reloading the model when an
//! engine row (context size, threads, overflow) is applied.

use crate::ui::app::{App, Ask, EditTarget, EngineState, Level, Modal};

use crate::ui::chat::conversation::Conversation;
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;
use crate::ui::settings::{show, SettingsForm, GRAMMAR};
use crate::ui::text_input::new_input;

pub(super) fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    match cmd {
        Cmd::SettingsClose => {
            settings_leave_row(app);
            app.modals.pop();
        }
        Cmd::SettingsTheme => crate::ui::theme_switch::step(app, true),
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
        _ => {}
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
fn apply_typed(form: &mut SettingsForm, conv: &mut Conversation) {
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
