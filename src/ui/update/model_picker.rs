//! The model picker's bindings: opening it (discovery runs in the background), moving through
//! the models (the last row pulls one from Hugging Face), rescanning, and loading the chosen one,
//! replacing the engine first when another model server serves it.

use crate::model::discover::Found;
use crate::ui::app::{App, EngineState, Level, Modal, ModelPicker};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

/// Opens the picker; the models found come back as `Action::ModelsFound`.
pub fn open(app: &mut App, fx: &mut Vec<Effect>) {
    app.modals.push(Modal::Models(ModelPicker {
        models: None,
        selected: 0,
    }));
    fx.push(Effect::DiscoverModels {
        extra: app.models_dirs.clone(),
    });
}

pub(super) fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    match cmd {
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
        _ => {}
    }
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

/// Discovery finished: every open picker (and the compare view's model list) gets the models.
pub fn found(app: &mut App, found: Vec<Found>) {
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
