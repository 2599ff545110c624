//! A finished compare run or evaluation of the TUI saved as a session, as `howdah compare` and
//! `howdah eval` save theirs (`compare::save`): one run per variant with the model, engine
//! settings, sampling, template setup, text and figures. Built from the view's state in
//! `update` and written by the session thread (`SessionOp::Save`); nothing is read here.

use crate::compare::save::{compare_session_for, eval_runs_for, new_eval_session};
use crate::compare::{CompareResult, VariantOutcome};
use crate::engine::EngineSettings;
use crate::prompt::Template;
use crate::session::format::resolved_settings;
use crate::session::{ModelRef, Session, SessionFile};
use crate::ui::app::App;
use crate::ui::effect::Effect;
use crate::ui::sessions::state::SessionOp;

use super::models::ColumnModel;
use super::state::{Column, CompareState};

/// Saves the view's last run (or, with `eval`, its evaluation) as a new session. Arena rounds
/// are saved with their vote instead (`arena::vote_key`); nothing is saved without a model.
pub fn save(app: &App, eval: bool, fx: &mut Vec<Effect>) {
    let (Some(info), Some(st)) = (app.model.as_ref(), app.compare.as_ref()) else {
        return;
    };
    let Some(t) = st.template.as_deref() else {
        return;
    };
    if st.arena_mode && !eval {
        return;
    }
    // The model's reference is hashed once per load off the UI thread; until then, unhashed.
    let model = app
        .sessions
        .model_ref
        .clone()
        .unwrap_or_else(|| ModelRef::from_info(info, None));
    let engine = resolved_settings(info, &app.engine_settings);
    let session = if eval {
        eval_session(st, t, &model, &engine)
    } else {
        Some(compare_session(st, t, &model, &engine))
    };
    let Some(session) = session else {
        return;
    };
    let path = app.sessions.store.path_of(&session.id);
    fx.push(Effect::Session(SessionOp::Save(Box::new(
        SessionFile::new(path, session),
    ))));
}

/// The columns as the CLI's comparison result; columns on a model of their own are named and
/// recorded by it, as `howdah compare --models` does.
fn compare_session(
    st: &CompareState,
    t: &Template,
    model: &ModelRef,
    engine: &EngineSettings,
) -> Session {
    let input = st.shown_input.clone().unwrap_or_default();
    let result = CompareResult {
        template: t.name.clone(),
        labels: t.labels.clone(),
        vars: st.vars_for(&input),
        variants: st.columns.iter().map(outcome).collect(),
        cancelled: st.stopped,
    };
    let mut s = compare_session_for(&result, t, model, engine);
    for (run, c) in s.runs.iter_mut().zip(&st.columns) {
        if let Some(own) = &c.model {
            run.label = format!("{} · {}", own.short(), run.label);
            run.model = Some(own_model(own));
        }
        if let Some(data) = run.data.as_object_mut() {
            data.insert("preset".into(), c.preset.clone().into());
        }
    }
    s
}

fn outcome(c: &Column) -> VariantOutcome {
    VariantOutcome {
        name: c.spec.name(),
        spec: c.spec.clone(),
        examples: c
            .rendered
            .as_ref()
            .map(|r| r.examples.clone())
            .unwrap_or_default(),
        prompt: c.rendered.as_ref().map(|r| r.prompt.clone()),
        text: c.reply.text.clone(),
        labels: c.labels.clone(),
        predicted: c.predicted().map(String::from),
        stats: c.stats.clone(),
        error: c.reply.failure().map(String::from),
    }
}

/// A column's own model as far as the view knows it: its file (neither read nor hashed here,
/// `update` does no I/O).
fn own_model(m: &ColumnModel) -> ModelRef {
    ModelRef {
        file_name: m.file_name.clone(),
        path: m.path.clone(),
        size: 0,
        sha256: None,
        name: m.short(),
        architecture: String::new(),
        quantization: String::new(),
        backend: None,
    }
}

/// The evaluation's session, as `howdah eval` writes it (partial results included).
fn eval_session(
    st: &CompareState,
    t: &Template,
    model: &ModelRef,
    engine: &EngineSettings,
) -> Option<Session> {
    let ev = st.eval.as_ref()?;
    let (result, _) = ev.result.as_ref()?;
    let data_file = ev.path.display().to_string();
    let mut s = new_eval_session(t, &data_file);
    s.runs = eval_runs_for(result, t, &data_file, model, engine);
    Some(s)
}
