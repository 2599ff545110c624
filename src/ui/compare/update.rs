//! Keys and worker messages of the compare view: running the variants on an input, the input
//! history, stopping, adding and removing variants, starting an evaluation and saving its
//! predictions. The overlays' keys are in `compare_overlay`.

use crossterm::event::{KeyCode, KeyEvent};

use crate::compare::MAX_VARIANTS;
use crate::engine::Sampling;
use crate::prompt::{Task, Template};
use crate::ui::app::{App, Level, Modal, Screen};
use crate::ui::compare::{Column, CompareMsg, CompareState, Overlay, PathFor};
use crate::ui::effect::Effect;
use crate::ui::keymap::{Cmd, Ctx, KeySpec};

use super::compare_common::{leave_for, mode_of, sampling_for, TEMPLATE_PRESET};

/// Opens the compare view: resumes it, or starts with the template picker (filled from the
/// app's template library, which is loaded in the background the first time).
pub fn open(app: &mut App, fx: &mut Vec<Effect>) {
    if app.compare.is_none() {
        let templates = library(app, fx);
        app.compare = Some(CompareState::new(templates));
    }
    model_changed(app);
    app.screen = Screen::Compare;
}

/// The library's templates, or none yet: then it is loaded (`library_loaded` fills the picker).
fn library(app: &App, fx: &mut Vec<Effect>) -> Vec<Template> {
    match &app.templates.lib {
        Some(lib) => lib.templates.clone(),
        None => {
            fx.push(Effect::LoadTemplates {
                dir: app.templates.dir.clone(),
            });
            Vec::new()
        }
    }
}

/// The library arrived: a template picker still waiting for it gets its list.
pub fn library_loaded(app: &mut App) {
    let templates = match &app.templates.lib {
        Some(lib) => lib.templates.clone(),
        None => return,
    };
    if let Some(Overlay::Templates { templates: t, .. }) =
        app.compare.as_mut().and_then(|s| s.overlay.as_mut())
    {
        if t.is_empty() {
            *t = templates;
        }
    }
}

/// A model was loaded (or the view shown again): columns that follow the model's layout take
/// the new model's, with their sampling for it. Columns the user set a layout for, or that run
/// on a model of their own, keep theirs.
pub fn model_changed(app: &mut App) {
    let mode = mode_of(app);
    let Some(st) = app.compare.as_ref().filter(|s| !s.running()) else {
        return;
    };
    let Some(t) = st.template.clone() else {
        return;
    };
    let follow: Vec<(usize, Sampling)> = st
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.mode_chosen && c.model.is_none() && c.spec.mode != mode)
        .map(|(i, c)| (i, sampling_for(app, &c.preset, &t, mode)))
        .collect();
    let Some(st) = app.compare.as_mut() else {
        return;
    };
    for (i, sampling) in follow {
        let c = &mut st.columns[i];
        c.spec.mode = mode;
        c.spec.sampling = sampling;
        c.clear();
    }
}

/// Opens the compare view on the template the browser hands over: its default variants (zero-,
/// one- and k-shot) plus the browser's own shots and selection when they differ, and its input.
pub fn open_with(app: &mut App, req: crate::ui::templates::CompareRequest, fx: &mut Vec<Effect>) {
    open(app, fx);
    let found = app
        .templates
        .lib
        .as_ref()
        .and_then(|l| l.get(&req.template));
    let Some(t) = found.cloned() else {
        app.notify(Level::Error, format!("template '{}' is gone", req.template));
        return;
    };
    let mode = req.mode.unwrap_or_else(|| mode_of(app));
    let sampling = sampling_for(app, TEMPLATE_PRESET, &t, mode);
    let Some(st) = app.compare.as_mut() else {
        return;
    };
    if st.running() {
        app.notify(Level::Warn, "the compare view is busy: stop it first (esc)");
        return;
    }
    st.set_template(t.clone(), mode, TEMPLATE_PRESET, &sampling);
    let same = st
        .columns
        .iter()
        .any(|c| c.spec.shots == req.shots && c.spec.selection == req.selection);
    if !same && st.columns.len() < MAX_VARIANTS {
        let extra = crate::compare::variants_for(
            &t,
            &[req.shots],
            Some(req.selection),
            req.seed,
            mode,
            &sampling,
        )
        .unwrap_or_default();
        st.columns
            .extend(extra.into_iter().map(|s| Column::new(s, TEMPLATE_PRESET)));
    }
    // A layout chosen in the browser stays; otherwise the columns follow the model.
    for c in &mut st.columns {
        c.mode_chosen = req.mode.is_some();
    }
    if let Some(first) = t.variable_names().first() {
        st.input = req.vars.get(*first).cloned().unwrap_or_default();
    }
    st.overlay = None;
}

pub fn msg(app: &mut App, m: CompareMsg) {
    if let CompareMsg::Note { run, text } = &m {
        if app.compare.as_ref().is_some_and(|s| s.run == *run) {
            app.notify(Level::Info, crate::text::sanitize::sanitize_line(text));
        }
        return;
    }
    if let Some(st) = app.compare.as_mut() {
        st.on_msg(m);
    }
}

/// The variant editor's model field needs the models on disk: look once, in the background.
fn discover_models(app: &App, fx: &mut Vec<Effect>) {
    if app.compare.as_ref().is_some_and(|s| s.models.is_empty()) {
        fx.push(Effect::DiscoverModels {
            extra: app.models_dirs.clone(),
        });
    }
}

pub fn paste(app: &mut App, text: &str) {
    let Some(st) = app.compare.as_mut() else {
        return;
    };
    let one_line = text.replace('\n', " ");
    match &mut st.overlay {
        Some(Overlay::Path { text: t, .. }) => t.push_str(one_line.trim()),
        None => st.input.push_str(&one_line),
        _ => {}
    }
}

pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    let Some(st) = app.compare.as_ref() else {
        app.screen = Screen::Chat;
        return;
    };
    if let Some(ov) = st.overlay.clone() {
        return super::compare_overlay::overlay_key(app, ov, k, spec, fx);
    }
    let running = st.running();
    let input_empty = st.input.is_empty();
    if let Some(cmd) = app.keymap.get(Ctx::Global, &spec) {
        match cmd {
            Cmd::Quit => return app.quit = true,
            Cmd::Interrupt if running => return stop(app, fx),
            Cmd::Interrupt => return super::interrupt(app, fx),
            // The view's own keys first (f2 is its results pane, not the sessions).
            _ if app.keymap.get(Ctx::Compare, &spec).is_none() && leave_for(app, cmd, fx) => return,
            _ => {}
        }
    }
    let is_help = spec.code == KeyCode::F(1) || (spec.code == KeyCode::Char('?') && input_empty);
    if is_help {
        app.modals.push(Modal::Help {
            ctx: Some(Ctx::Compare),
            scroll: 0,
            names: false,
        });
        return;
    }
    if let (true, KeyCode::Char(c)) = (spec.is_text(), spec.code) {
        if crate::ui::arena::vote_key(app, c, fx) {
            return;
        }
    }
    if spec.is_text() {
        if let (KeyCode::Char(c), Some(st)) = (spec.code, app.compare.as_mut()) {
            st.input.push(c);
            st.history_pos = None;
        }
        return;
    }
    match app.keymap.get(Ctx::Compare, &spec) {
        Some(cmd) => command(app, cmd, fx),
        None => {
            if let Some(st) = app.compare.as_mut() {
                match k.code {
                    KeyCode::Backspace => {
                        st.input.pop();
                    }
                    KeyCode::Delete => st.input.clear(),
                    _ => {}
                }
            }
        }
    }
}

fn stop(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(job) = app.compare.as_mut().and_then(|s| s.stop()) {
        fx.push(Effect::Compare(job));
    }
}

fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    let Some(st) = app.compare.as_mut() else {
        return;
    };
    let n = st.columns.len().max(1);
    match cmd {
        Cmd::CmpRun => {
            let input = st.input.trim().to_string();
            if input.is_empty() {
                st.error = Some("type an input first".into());
            } else if st.running() {
                st.error = Some("still running: esc stops it first".into());
            } else if let Some(job) = st.start_run(&input) {
                fx.push(Effect::Compare(job));
            }
        }
        Cmd::CmpStop => {
            if st.running() {
                stop(app, fx);
            } else if st.show_eval {
                st.show_eval = false;
            } else {
                app.screen = Screen::Chat;
            }
        }
        Cmd::CmpBack => app.screen = Screen::Chat,
        Cmd::CmpArena => match crate::ui::arena::toggle(st) {
            Ok(note) => app.notify(Level::Info, note),
            Err(e) => st.error = Some(e),
        },
        Cmd::CmpPrompt | Cmd::CmpEdit if st.arena.as_ref().is_some_and(|r| r.hidden()) => {
            st.error =
                Some("vote first (a · b · t · x): the variants stay hidden until then".into())
        }
        Cmd::CmpHistoryPrev if !st.history.is_empty() => {
            let pos = match st.history_pos {
                None => st.history.len() - 1,
                Some(p) => p.saturating_sub(1),
            };
            st.history_pos = Some(pos);
            st.input = st.history[pos].clone();
        }
        Cmd::CmpHistoryNext => match st.history_pos {
            Some(p) if p + 1 < st.history.len() => {
                st.history_pos = Some(p + 1);
                st.input = st.history[p + 1].clone();
            }
            Some(_) => {
                st.history_pos = None;
                st.input.clear();
            }
            None => {}
        },
        Cmd::CmpNextColumn => st.selected = (st.selected + 1) % n,
        Cmd::CmpPrevColumn => st.selected = (st.selected + n - 1) % n,
        Cmd::CmpAdd => {
            if st.running() {
                st.error = Some("stop the run (esc) before changing variants".into());
            } else if st.columns.len() >= MAX_VARIANTS {
                st.error = Some(format!("at most {MAX_VARIANTS} variants run side by side"));
            } else if let Some(c) = st.columns.get(st.selected).cloned() {
                let chosen = c.mode_chosen;
                let mut c = Column::new(c.spec, &c.preset);
                c.mode_chosen = chosen;
                st.columns.insert(st.selected + 1, c);
                st.selected += 1;
                st.overlay = Some(Overlay::Variant { field: 0 });
                discover_models(app, fx);
            }
        }
        Cmd::CmpRemove => {
            if st.running() {
                st.error = Some("stop the run (esc) before changing variants".into());
            } else if st.columns.len() <= 1 {
                st.error = Some("a comparison needs at least one variant".into());
            } else {
                st.columns.remove(st.selected);
                st.selected = st.selected.min(st.columns.len() - 1);
            }
        }
        Cmd::CmpEdit => {
            if st.running() {
                st.error = Some("stop the run (esc) before changing variants".into());
            } else if !st.columns.is_empty() {
                st.overlay = Some(Overlay::Variant { field: 0 });
                discover_models(app, fx);
            }
        }
        Cmd::CmpPrompt => match st.columns.get(st.selected) {
            Some(c) if c.prompt.is_some() => {
                st.overlay = Some(Overlay::Prompt {
                    column: st.selected,
                    scroll: 0,
                })
            }
            _ => st.error = Some("run an input first: the prompt is shown once it is sent".into()),
        },
        Cmd::CmpTemplate => {
            if st.running() {
                st.error = Some("stop the run (esc) before switching templates".into());
            } else {
                let templates = library(app, fx);
                if let Some(st) = app.compare.as_mut() {
                    st.overlay = Some(Overlay::Templates {
                        templates,
                        selected: 0,
                    });
                }
            }
        }
        Cmd::CmpEval => {
            let classify = st
                .template
                .as_ref()
                .is_some_and(|t| t.task == Task::Classify && !t.labels.is_empty());
            if st.running() {
                st.error = Some("still running: esc stops it first".into());
            } else if !classify {
                st.error = Some(
                    "evaluation needs a classify template (with labels); ctrl+t picks one".into(),
                );
            } else {
                let text = st
                    .eval
                    .as_ref()
                    .map(|e| e.path.display().to_string())
                    .unwrap_or_default();
                st.overlay = Some(Overlay::Path {
                    purpose: PathFor::EvalData,
                    text,
                });
            }
        }
        Cmd::CmpResults => {
            if st.eval.is_some() {
                st.show_eval = !st.show_eval;
            } else {
                st.error = Some("no evaluation yet: ctrl+l runs one".into());
            }
        }
        Cmd::CmpSave => {
            let has = st.eval.as_ref().is_some_and(|e| e.result.is_some());
            if has {
                let name = st
                    .template
                    .as_ref()
                    .map(|t| t.name.as_str())
                    .unwrap_or("eval");
                st.overlay = Some(Overlay::Path {
                    purpose: PathFor::Predictions,
                    text: crate::session::export_file::exports_dir()
                        .join(format!("predictions-{name}.csv"))
                        .display()
                        .to_string(),
                });
            } else {
                st.error = Some("no evaluation results to save yet: ctrl+l runs one".into());
            }
        }
        _ => {}
    }
}
