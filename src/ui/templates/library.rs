//! The template library and the preview it feeds: opening the browser (the library loads the
//! first time), a (re)loaded library (after an edit: the file's errors or "valid"), and rendering
//! the picked template with the current settings at once, the exact text and token counts coming
//! back from the engine (`preview_done`), one request at a time.

use super::state::{Exact, Preview, PreviewRequest, Reloaded, TemplateRow, Templates};
use crate::prompt::{RenderOptions, Rendered, Selection};
use crate::ui::app::{App, EngineState, Level, Screen};
use crate::ui::effect::Effect;

/// Shows the browser; the library loads the first time.
pub fn open(app: &mut App, fx: &mut Vec<Effect>) {
    app.screen = Screen::Templates;
    if app.templates.lib.is_none() {
        fx.push(Effect::LoadTemplates {
            dir: app.templates.dir.clone(),
        });
    } else {
        refresh(app, fx);
    }
}

/// The library arrived (first load, reload, or back from the editor).
pub fn loaded(app: &mut App, r: Reloaded, fx: &mut Vec<Effect>) {
    let tp = &mut app.templates;
    let first = tp.lib.is_none();
    let keep = tp.template().map(|t| t.name.clone());
    tp.remember();
    let n_errors = r.lib.errors.len();
    tp.lib = Some(r.lib);
    let rows = tp.rows();
    let find_template = |tp: &Templates, name: &str| {
        let lib = tp.lib.as_ref()?;
        let i = lib.templates.iter().position(|t| t.name == name)?;
        rows.iter().position(|r| *r == TemplateRow::Template(i))
    };
    tp.selected = keep
        .and_then(|name| find_template(tp, &name))
        .unwrap_or(tp.selected)
        .min(rows.len().saturating_sub(1));
    let mut notes: Vec<(Level, String)> = Vec::new();
    if let Some(e) = r.error {
        notes.push((Level::Error, e));
    }
    if let Some(path) = &r.edited {
        let file = path.display().to_string();
        let lib = tp.lib.as_ref();
        let errors: Vec<(usize, String)> = lib
            .map(|l| {
                l.errors
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.file == file)
                    .map(|(i, e)| (i, e.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some((i, _)) = errors.first() {
            tp.selected = rows
                .iter()
                .position(|r| *r == TemplateRow::Broken(*i))
                .unwrap_or(tp.selected);
            for (_, e) in errors {
                notes.push((Level::Error, format!("{e} (e opens it again)")));
            }
        } else if let Some(i) = lib.and_then(|l| {
            l.templates
                .iter()
                .position(|t| t.source == crate::prompt::Source::User(path.clone()))
        }) {
            let name = lib.map(|l| l.templates[i].name.clone()).unwrap_or_default();
            tp.selected = rows
                .iter()
                .position(|r| *r == TemplateRow::Template(i))
                .unwrap_or(tp.selected);
            notes.push((Level::Info, format!("{file} is valid: '{name}' reloaded")));
        }
    } else if n_errors > 0 && first {
        notes.push((
            Level::Warn,
            format!("{n_errors} template file(s) failed to load: they are listed at the end"),
        ));
    }
    tp.pick();
    for (level, text) in notes {
        app.notify(level, text);
    }
    refresh(app, fx);
}

/// A model was loaded: the layout and the token counts may change.
pub fn model_changed(app: &mut App, fx: &mut Vec<Effect>) {
    if app.screen == Screen::Templates && app.templates.lib.is_some() {
        refresh(app, fx);
    }
}

/// Whether the engine can serve a preview now.
fn engine_ready(app: &App) -> bool {
    app.model.is_some() && matches!(app.engine, EngineState::Ready | EngineState::Generating)
}

/// Renders the picked template with the current settings and asks the engine for the rest.
pub(super) fn refresh(app: &mut App, fx: &mut Vec<Effect>) {
    let ready = engine_ready(app);
    let mode = app.templates.mode(app.model.as_ref());
    let tp = &mut app.templates;
    tp.preview_id += 1;
    let id = tp.preview_id;
    let Some(t) = tp.template().cloned() else {
        tp.preview = Preview::None;
        return;
    };
    tp.shots = tp.shots.min(t.examples.len());
    let vars = tp.preview_vars();
    let mut req = PreviewRequest {
        id,
        template: t.clone(),
        vars: vars.clone(),
        shots: tp.shots,
        selection: tp.selection,
        seed: tp.seed,
        mode,
        rendered: None,
    };
    if tp.selection == Selection::Similar && tp.shots > 0 {
        let missing = tp.missing();
        tp.preview = if !ready {
            Preview::Error(crate::prompt::RenderError::NeedsEmbedder.to_string())
        } else if !missing.is_empty() {
            Preview::Error(format!(
                "similar selection picks the examples closest to the input: fill {} first",
                missing.join(", ")
            ))
        } else {
            ask_engine(tp, req, fx);
            Preview::Choosing
        };
        return;
    }
    let opts = RenderOptions {
        shots: tp.shots,
        selection: tp.selection,
        seed: tp.seed,
        mode,
        exclude: Vec::new(),
        embedder: None,
    };
    match t.render(&vars, &opts) {
        Ok(r) => {
            tp.preview = Preview::Ready {
                rendered: r.clone(),
                exact: None,
            };
            if ready {
                req.rendered = Some(r);
                ask_engine(tp, req, fx);
            }
        }
        Err(e) => tp.preview = Preview::Error(e.to_string()),
    }
}

/// At most one preview job at a time: while one runs, only the newest request waits (typing
/// fast, or while a long reply holds the engine, must not pile up blocked jobs).
fn ask_engine(tp: &mut Templates, req: PreviewRequest, fx: &mut Vec<Effect>) {
    if tp.in_flight {
        tp.queued = Some(req);
    } else {
        tp.in_flight = true;
        fx.push(Effect::TemplatePreview(Box::new(req)));
    }
}

/// The engine's answer to preview `id` (older answers are dropped).
pub fn preview_done(
    app: &mut App,
    id: u64,
    result: Result<Box<(Rendered, Exact)>, String>,
    fx: &mut Vec<Effect>,
) {
    let tp = &mut app.templates;
    tp.in_flight = false;
    if let Some(next) = tp.queued.take() {
        ask_engine(tp, next, fx);
    }
    if id != tp.preview_id {
        return;
    }
    tp.preview = match (result, std::mem::replace(&mut tp.preview, Preview::None)) {
        (Ok(b), _) => {
            let (rendered, exact) = *b;
            Preview::Ready {
                rendered,
                exact: Some(Ok(exact)),
            }
        }
        (Err(e), Preview::Ready { rendered, .. }) => Preview::Ready {
            rendered,
            exact: Some(Err(e)),
        },
        (Err(e), _) => Preview::Error(e),
    };
}
