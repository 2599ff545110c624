//! The compare view's overlays: template picker, the prompt a variant sent, the variant editor
//! (shots, selection, sampling preset, mode) and the typed path of a data or predictions file.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

use super::compare_common::{leave_for, mode_of, sampling_for, TEMPLATE_PRESET};
use crate::prompt::{Mode, Selection};
use crate::ui::app::{App, Screen};
use crate::ui::compare::{CompareJob, Field, Overlay, PathFor};
use crate::ui::effect::Effect;
use crate::ui::keymap::{Cmd, Ctx, KeySpec};

pub(super) fn overlay_key(
    app: &mut App,
    ov: Overlay,
    k: KeyEvent,
    spec: KeySpec,
    fx: &mut Vec<Effect>,
) {
    match app.keymap.get(Ctx::Global, &spec) {
        Some(Cmd::Quit) => return app.quit = true,
        Some(cmd) if !spec.is_text() && leave_for(app, cmd, fx) => return,
        _ => {}
    }
    match ov {
        Overlay::Templates {
            templates,
            selected,
        } => templates_key(app, templates, selected, k),
        Overlay::Prompt { column, scroll } => {
            let Some(st) = app.compare.as_mut() else {
                return;
            };
            let scroll = match k.code {
                KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                KeyCode::PageUp => scroll.saturating_sub(10),
                KeyCode::PageDown => scroll.saturating_add(10),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {
                    st.overlay = None;
                    return;
                }
                _ => scroll,
            };
            st.overlay = Some(Overlay::Prompt { column, scroll });
        }
        Overlay::Variant { field } => variant_key(app, field, spec),
        Overlay::Path { purpose, mut text } => {
            let Some(st) = app.compare.as_mut() else {
                return;
            };
            match k.code {
                KeyCode::Esc => st.overlay = None,
                KeyCode::Enter => {
                    let t = text.trim();
                    if t.is_empty() {
                        st.error = Some("type the path of a file".into());
                        return;
                    }
                    st.overlay = None;
                    match purpose {
                        PathFor::EvalData => {
                            let path = expand_home(t);
                            if let Some(job) = st.start_eval(path) {
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
                }
                KeyCode::Backspace => {
                    text.pop();
                    st.overlay = Some(Overlay::Path { purpose, text });
                }
                KeyCode::Char(c) if spec.is_text() => {
                    text.push(c);
                    st.overlay = Some(Overlay::Path { purpose, text });
                }
                _ => {}
            }
        }
    }
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

fn templates_key(
    app: &mut App,
    templates: Vec<crate::prompt::Template>,
    selected: usize,
    k: KeyEvent,
) {
    let mode = mode_of(app);
    let n = templates.len();
    let Some(st) = app.compare.as_mut() else {
        return;
    };
    match k.code {
        KeyCode::Up | KeyCode::Char('k') => {
            st.overlay = Some(Overlay::Templates {
                templates,
                selected: selected.saturating_sub(1),
            })
        }
        KeyCode::Down | KeyCode::Char('j') => {
            st.overlay = Some(Overlay::Templates {
                templates,
                selected: (selected + 1).min(n.saturating_sub(1)),
            })
        }
        KeyCode::Esc => {
            st.overlay = None;
            if st.template.is_none() {
                app.screen = Screen::Chat;
                app.compare = None;
            }
        }
        KeyCode::Enter => {
            let Some(t) = templates.into_iter().nth(selected) else {
                return;
            };
            let sampling = t.sampling_for(mode);
            // Picked here, the columns follow the model's layout (`Column::mode_chosen` unset).
            st.set_template(t, mode, TEMPLATE_PRESET, &sampling);
            st.overlay = None;
        }
        _ => {}
    }
}

fn variant_key(app: &mut App, field: usize, spec: KeySpec) {
    let cmd = app.keymap.get(Ctx::CompareEdit, &spec);
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
        Some(Cmd::VarPrev) => {
            field = (field + nf - 1) % nf;
            0
        }
        Some(Cmd::VarNext) => {
            field = (field + 1) % nf;
            0
        }
        Some(Cmd::VarDec) => -1,
        Some(Cmd::VarInc) => 1,
        Some(Cmd::VarClose) => {
            if let Some(st) = app.compare.as_mut() {
                st.overlay = None;
            }
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
                col.model = crate::ui::compare_models::cycle(col.model.as_ref(), &models, step);
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
        st.overlay = Some(Overlay::Variant { field });
    }
}
