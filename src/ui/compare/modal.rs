//! The compare view's dialogs on the app's modal stack: the template picker, the prompt a
//! variant sent, the variant editor (shots, selection, sampling preset, mode, model), and the
//! answer to the app's path question (a data or predictions file). Their keys come from the
//! keymap (`[keys.compare_templates]`, `[keys.compare_prompt]`, `[keys.compare_variant]`).

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::common::{close_modals, leave_for, mode_of, sampling_for, TEMPLATE_PRESET};
use super::job::CompareJob;
use super::state::{CompareModal, Field, PathFor};
use crate::prompt::{Mode, Selection, Template};
use crate::ui::app::{App, Modal, Screen};
use crate::ui::effect::Effect;
use crate::ui::keymap::key_spec::KeySpec;
use crate::ui::keymap::{Cmd, Ctx};

/// A key while one of the view's dialogs is on top.
pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    let Some(Modal::Compare(m)) = app.modals.last().cloned() else {
        return;
    };
    let ctx = m.ctx();
    let cmd = app.keymap.get(ctx, &spec);
    if cmd.is_none() {
        match app.keymap.get(Ctx::Global, &spec) {
            Some(Cmd::Quit) => return app.quit = true,
            Some(Cmd::Interrupt) => return crate::ui::update::global::interrupt(app, fx),
            Some(Cmd::Help) if !spec.is_text() => {
                app.modals.push(Modal::Help {
                    ctx: Some(ctx),
                    scroll: 0,
                    names: false,
                });
                return;
            }
            Some(g) if !spec.is_text() && leave_for(app, g, fx) => return,
            _ => {}
        }
    }
    let Some(cmd) = cmd else {
        return;
    };
    match m {
        CompareModal::Templates {
            templates,
            selected,
        } => picker(app, cmd, templates, selected),
        CompareModal::Prompt { column, scroll } => {
            let scroll = match cmd {
                Cmd::CmpPromptUp => scroll.saturating_sub(1),
                Cmd::CmpPromptDown => scroll.saturating_add(1),
                Cmd::CmpPromptPageUp => scroll.saturating_sub(10),
                Cmd::CmpPromptPageDown => scroll.saturating_add(10),
                Cmd::CmpPromptClose => {
                    app.modals.pop();
                    return;
                }
                _ => scroll,
            };
            replace(app, CompareModal::Prompt { column, scroll });
        }
        CompareModal::Variant { field } => variant(app, field, cmd),
    }
}

/// Puts `m` in place of the dialog on top.
fn replace(app: &mut App, m: CompareModal) {
    if let Some(top) = app.modals.last_mut() {
        *top = Modal::Compare(m);
    }
}

/// The app's path question was answered (`Ask::ComparePath`): start the evaluation or save the
/// predictions. An error keeps the question open and says why.
pub fn path_accept(
    app: &mut App,
    purpose: PathFor,
    value: &str,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    let t = value.trim();
    if t.is_empty() {
        return Err("type the path of a file".into());
    }
    let Some(st) = app.compare.as_mut() else {
        return Ok(());
    };
    match purpose {
        PathFor::EvalData => {
            if let Some(job) = st.start_eval(expand_home(t)) {
                fx.push(Effect::Compare(job));
            }
        }
        PathFor::Predictions => {
            // Exports go to the data folder's exports/ unless a folder is named.
            let path = crate::session::export_file::resolve(t);
            if let Some((r, d)) = st.eval.as_ref().and_then(|e| e.result.clone()) {
                fx.push(Effect::Compare(CompareJob::SavePredictions {
                    path,
                    result: Arc::clone(&r),
                    data: Arc::clone(&d),
                }));
            }
        }
    }
    Ok(())
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

fn picker(app: &mut App, cmd: Cmd, templates: Vec<Template>, selected: usize) {
    let mode = mode_of(app);
    let n = templates.len();
    match cmd {
        Cmd::CmpPickPrev => replace(
            app,
            CompareModal::Templates {
                templates,
                selected: selected.saturating_sub(1),
            },
        ),
        Cmd::CmpPickNext => replace(
            app,
            CompareModal::Templates {
                templates,
                selected: (selected + 1).min(n.saturating_sub(1)),
            },
        ),
        Cmd::CmpPickClose => {
            app.modals.pop();
            if app.compare.as_ref().is_some_and(|s| s.template.is_none()) {
                close_modals(app);
                app.screen = Screen::Chat;
                app.compare = None;
            }
        }
        Cmd::CmpPick => {
            let Some(t) = templates.into_iter().nth(selected) else {
                return;
            };
            let sampling = t.sampling_for(mode);
            app.modals.pop();
            if let Some(st) = app.compare.as_mut() {
                // Picked here, the columns follow the model's layout (`Column::mode_chosen`
                // unset).
                st.set_template(t, mode, TEMPLATE_PRESET, &sampling);
            }
        }
        _ => {}
    }
}

fn variant(app: &mut App, field: usize, cmd: Cmd) {
    let mut presets: Vec<String> = vec![TEMPLATE_PRESET.to_string()];
    presets.extend(app.presets.names());
    let Some(st) = app.compare.as_ref() else {
        return;
    };
    let (Some(t), Some(col)) = (st.template.clone(), st.columns.get(st.selected).cloned()) else {
        return;
    };
    let models = st.models.clone();
    let loaded_mode = mode_of(app);
    let nf = Field::ALL.len();
    let mut field = field;
    let mut col = col;
    let step: isize = match cmd {
        Cmd::VarPrev => {
            field = (field + nf - 1) % nf;
            0
        }
        Cmd::VarNext => {
            field = (field + 1) % nf;
            0
        }
        Cmd::VarDec => -1,
        Cmd::VarInc => 1,
        Cmd::VarClose => {
            app.modals.pop();
            return;
        }
        _ => 0,
    };
    if step != 0 {
        let cycle = |i: usize, len: usize| ((i as isize + step).rem_euclid(len as isize)) as usize;
        match Field::ALL[field] {
            Field::Shots => {
                col.spec.shots = cycle(col.spec.shots, t.examples.len() + 1);
            }
            Field::Selection => {
                let i = Selection::ALL
                    .iter()
                    .position(|s| *s == col.spec.selection)
                    .unwrap_or(0);
                col.spec.selection = Selection::ALL[cycle(i, Selection::ALL.len())];
            }
            Field::Preset => {
                let i = presets.iter().position(|p| *p == col.preset).unwrap_or(0);
                col.preset = presets[cycle(i, presets.len())].clone();
                col.spec.sampling = sampling_for(app, &col.preset, &t, col.spec.mode);
            }
            Field::Model => {
                col.model = super::models::cycle(col.model.as_ref(), &models, step);
                // Each column in its own model's layout unless the user set one.
                if !col.mode_chosen {
                    col.spec.mode = col.model.as_ref().map_or(loaded_mode, |m| m.mode);
                }
                col.spec.sampling = sampling_for(app, &col.preset, &t, col.spec.mode);
            }
            Field::Mode => {
                // The model's own layout, then the other one, then the model's set by hand: the
                // first step always changes the layout.
                let own = col.model.as_ref().map_or(loaded_mode, |m| m.mode);
                let other = match own {
                    Mode::Chat => Mode::Completion,
                    Mode::Completion => Mode::Chat,
                };
                let i = match (col.mode_chosen, col.spec.mode == own) {
                    (false, _) => 0,
                    (true, false) => 1,
                    (true, true) => 2,
                };
                (col.mode_chosen, col.spec.mode) = match cycle(i, 3) {
                    0 => (false, own),
                    1 => (true, other),
                    _ => (true, own),
                };
                col.spec.sampling = sampling_for(app, &col.preset, &t, col.spec.mode);
            }
        }
        col.clear();
    }
    if let Some(st) = app.compare.as_mut() {
        if let Some(c) = st.columns.get_mut(st.selected) {
            *c = col;
        }
    }
    replace(app, CompareModal::Variant { field });
}
