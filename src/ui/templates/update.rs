//! The template browser's keys: leaving it, picking templates, filling variables, shots,
//! selection and layout (each change renders the preview again, `library::refresh`), sending
//! into the conversation or the compare view (`send`), editing in `$EDITOR`, and reloading.

use crossterm::event::KeyEvent;

use super::jobs::EditSource;
use super::library::refresh;
use super::send;
use super::state::TplFocus;
use crate::prompt::Selection;
use crate::ui::app::{App, Level, Modal, Screen};
use crate::ui::effect::Effect;
use crate::ui::keymap::key_spec::KeySpec;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::text_input::new_input;

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
