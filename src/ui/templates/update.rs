//! Template browser: opening and leaving it, picking templates, filling variables, shots,
//! selection and layout, the preview (rendered here; exact text and token counts from the
//! engine), sending into the conversation, editing in `$EDITOR`, and reloading.

use crossterm::event::KeyEvent;

use super::jobs::EditSource;
use super::send;
use super::state::{Exact, Preview, PreviewRequest, Reloaded, Row, Templates, TplFocus};
use crate::prompt::{RenderOptions, Rendered, Selection};
use crate::ui::app::{new_input, App, EngineState, Level, Modal, Screen};
use crate::ui::effect::Effect;
use crate::ui::keymap::{Cmd, Ctx, KeySpec};

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

fn close(app: &mut App) {
    app.templates.remember();
    app.screen = Screen::Chat;
}

pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    let ctx = app.templates.ctx();
    if ctx == Ctx::TemplateVars && spec.is_text() {
        return type_into(app, k, fx);
    }
    if let Some(cmd) = app.keymap.get(ctx, &spec) {
        return command(app, cmd, fx);
    }
    match app.keymap.get(Ctx::Global, &spec) {
        Some(Cmd::Help) => app.modals.push(Modal::Help {
            ctx: Some(ctx),
            scroll: 0,
            names: false,
        }),
        Some(cmd @ (Cmd::Quit | Cmd::Interrupt | Cmd::Models)) => {
            crate::ui::update::global::command(app, cmd, fx);
        }
        Some(Cmd::Templates) => close(app),
        // The other screens' keys work from here too (they keep what was typed).
        Some(cmd @ (Cmd::Sessions | Cmd::CompareOpen)) => {
            close(app);
            crate::ui::update::global::command(app, cmd, fx);
        }
        _ if ctx == Ctx::TemplateVars => type_into(app, k, fx),
        _ => {}
    }
}

pub fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    let warning_shown = app.shown_notice().is_some_and(|n| n.level != Level::Info);
    let tp = &mut app.templates;
    match cmd {
        Cmd::TplPrev | Cmd::TplNext => {
            let n = tp.rows().len();
            if n == 0 {
                return;
            }
            tp.remember();
            tp.selected = if cmd == Cmd::TplNext {
                (tp.selected + 1).min(n - 1)
            } else {
                tp.selected.saturating_sub(1)
            };
            tp.pick();
            refresh(app, fx);
        }
        Cmd::TplFill => {
            if tp.fields.is_empty() {
                app.notify(Level::Info, "this template has no variables to fill");
            } else {
                tp.focus = TplFocus::Vars;
            }
        }
        Cmd::TplShotsMore | Cmd::TplShotsFewer => {
            let Some(max) = tp.template().map(|t| t.examples.len()) else {
                return;
            };
            if cmd == Cmd::TplShotsMore && tp.shots >= max {
                app.notify(
                    Level::Info,
                    format!("all {max} examples of this template are in use"),
                );
                return;
            }
            tp.shots = if cmd == Cmd::TplShotsMore {
                tp.shots + 1
            } else {
                tp.shots.saturating_sub(1)
            };
            refresh(app, fx);
        }
        Cmd::TplSelection => {
            let i = Selection::ALL
                .iter()
                .position(|s| *s == tp.selection)
                .unwrap_or(0);
            tp.selection = Selection::ALL[(i + 1) % Selection::ALL.len()];
            refresh(app, fx);
        }
        Cmd::TplSeed => {
            tp.seed = tp.seed.wrapping_add(1);
            if tp.selection != Selection::Random {
                app.notify(Level::Info, "the seed only changes random selection");
            }
            refresh(app, fx);
        }
        Cmd::TplMode => {
            let now = tp.mode(app.model.as_ref());
            tp.mode = Some(match now {
                crate::prompt::Mode::Chat => crate::prompt::Mode::Completion,
                crate::prompt::Mode::Completion => crate::prompt::Mode::Chat,
            });
            refresh(app, fx);
        }
        Cmd::TplSend | Cmd::TplVarSend => send::send(app, fx),
        Cmd::TplEdit => edit(app, fx),
        Cmd::TplReload => fx.push(Effect::LoadTemplates {
            dir: tp.dir.clone(),
        }),
        Cmd::TplScrollUp => tp.scroll = tp.scroll.saturating_sub(10),
        Cmd::TplScrollDown => tp.scroll = tp.scroll.saturating_add(10),
        // Like esc on the chat screen: a warning or error on show is dismissed first.
        Cmd::TplBack if warning_shown => {
            app.dismiss_notice();
        }
        Cmd::TplBack => close(app),
        Cmd::TplVarPrev | Cmd::TplVarNext => {
            let n = tp.fields.len().max(1);
            tp.field = if cmd == Cmd::TplVarNext {
                (tp.field + 1) % n
            } else {
                (tp.field + n - 1) % n
            };
        }
        Cmd::TplVarNewline => {
            if let Some((_, t)) = tp.fields.get_mut(tp.field) {
                t.insert_newline();
                refresh(app, fx);
            }
        }
        Cmd::TplVarClear => {
            if let Some((_, t)) = tp.fields.get_mut(tp.field) {
                *t = new_input(Vec::new());
                refresh(app, fx);
            }
        }
        Cmd::TplVarDone => tp.focus = TplFocus::List,
        Cmd::TplCompare => send::compare(app, fx),
        _ => {}
    }
}

fn type_into(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let tp = &mut app.templates;
    if let Some((_, t)) = tp.fields.get_mut(tp.field) {
        if t.input(k) {
            refresh(app, fx);
        }
    }
}

/// Pasted text goes into the focused variable (the first one when the list has focus).
pub fn paste(app: &mut App, text: &str, fx: &mut Vec<Effect>) {
    let tp = &mut app.templates;
    if tp.fields.is_empty() {
        return;
    }
    if tp.focus == TplFocus::List {
        tp.focus = TplFocus::Vars;
        tp.field = 0;
    }
    if let Some((_, t)) = tp.fields.get_mut(tp.field) {
        t.insert_str(text);
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
        rows.iter().position(|r| *r == Row::Template(i))
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
                .position(|r| *r == Row::Broken(*i))
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
                .position(|r| *r == Row::Template(i))
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
fn refresh(app: &mut App, fx: &mut Vec<Effect>) {
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

fn edit(app: &mut App, fx: &mut Vec<Effect>) {
    let tp = &app.templates;
    let source = if let Some(t) = tp.template() {
        EditSource::Template(Box::new(t.clone()))
    } else if let Some(e) = tp.broken() {
        if e.file.ends_with("(built in)") {
            app.notify(
                Level::Error,
                format!("{e}: built-ins cannot be edited here"),
            );
            return;
        }
        EditSource::File(e.file.clone().into())
    } else {
        return;
    };
    fx.push(Effect::EditTemplate {
        source,
        dir: tp.dir.clone(),
    });
}
