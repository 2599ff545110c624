//! Opening the compare view (from its key or the template browser) and keeping it in step with
//! the app: the template picker is filled from the app's library (loaded by the runtime, never
//! read here), and columns that follow the model's layout follow a newly loaded model.

use super::common::{close_modals, mode_of, sampling_for, TEMPLATE_PRESET};
use super::state::{Column, CompareModal, CompareState};
use crate::compare::MAX_VARIANTS;
use crate::engine::Sampling;
use crate::prompt::Template;
use crate::ui::app::{App, Level, Modal, Screen};
use crate::ui::effect::Effect;

/// Opens the compare view: resumes it, or starts with the template picker (filled from the
/// app's template library, which is loaded in the background the first time).
pub fn open(app: &mut App, fx: &mut Vec<Effect>) {
    if app.compare.is_none() {
        let templates = library(app, fx);
        app.compare = Some(CompareState::new());
        app.modals.push(Modal::Compare(CompareModal::Templates {
            templates,
            selected: 0,
        }));
    }
    model_changed(app);
    app.screen = Screen::Compare;
}

/// The library's templates, or none yet: then it is loaded (`library_loaded` fills the picker).
/// Never read from disk here: the runtime loads it (`Effect::LoadTemplates`).
pub(crate) fn library(app: &App, fx: &mut Vec<Effect>) -> Vec<Template> {
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
    for m in &mut app.modals {
        if let Modal::Compare(CompareModal::Templates { templates: t, .. }) = m {
            if t.is_empty() {
                *t = templates.clone();
            }
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
pub fn open_with(
    app: &mut App,
    req: crate::ui::templates::state::CompareRequest,
    fx: &mut Vec<Effect>,
) {
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
        let value = req.vars.get(*first).cloned().unwrap_or_default();
        st.set_input(&value);
    }
    close_modals(app);
}
