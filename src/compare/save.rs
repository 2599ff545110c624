//! Comparison and evaluation runs as sessions: one `Run` per variant, with the model, engine
//! settings, sampling, template setup and figures, so a run can be looked at (and re-run) later.

use std::collections::BTreeMap;

use serde_json::json;

use super::eval::EvalResult;
use super::single::CompareResult;
use crate::engine::{EngineSettings, ModelInfo};
use crate::prompt::{Mode, Selection, Template};
use crate::session::format::resolved_settings;
use crate::session::record::model_ref;
use crate::session::{
    ModelRef, PromptMode, PromptSetup, ReplyStats, Run, Session, SessionKind, Shot,
};

/// Characters of the input kept in a session title.
const TITLE_INPUT: usize = 60;

pub fn setup(
    t: &Template,
    vars: BTreeMap<String, String>,
    examples: &[usize],
    shots: usize,
    selection: Selection,
    seed: u64,
) -> PromptSetup {
    PromptSetup {
        template: Some(t.name.clone()),
        template_text: None,
        variables: vars,
        shots: examples
            .iter()
            .filter_map(|&i| t.examples.get(i))
            .map(|e| Shot {
                input: t.input.fill(&e.vars).unwrap_or_default(),
                output: e.output.clone(),
            })
            .collect(),
        selection: Some(match selection {
            Selection::Random => format!("random k={shots} seed={seed}"),
            s => format!("{} k={shots}", s.as_str()),
        }),
    }
}

/// The session's own word for the layout.
pub fn prompt_mode(mode: Mode) -> PromptMode {
    match mode {
        Mode::Chat => PromptMode::Chat,
        Mode::Completion => PromptMode::Raw,
    }
}

/// A compare session: one run per variant with its text, stats and label probabilities.
pub fn compare_session(
    r: &CompareResult,
    t: &Template,
    info: &ModelInfo,
    asked: &EngineSettings,
) -> Session {
    compare_session_for(r, t, &model_ref(info), &resolved_settings(info, asked))
}

/// `compare_session` with the model's reference and engine settings already known (the TUI has
/// them hashed off its thread).
pub fn compare_session_for(
    r: &CompareResult,
    t: &Template,
    model: &ModelRef,
    engine: &EngineSettings,
) -> Session {
    let mut s = Session::new(SessionKind::Compare);
    let input: String = r.vars.values().cloned().collect::<Vec<_>>().join(" ");
    s.title = Some(format!(
        "compare {}: {}",
        r.template,
        input.chars().take(TITLE_INPUT).collect::<String>()
    ));
    for v in &r.variants {
        let mut run = Run::new(v.name.clone());
        run.model = Some(model.clone());
        run.engine = Some(engine.clone());
        run.sampling = Some(v.spec.sampling.clone());
        run.setup = Some(setup(
            t,
            r.vars.clone(),
            &v.examples,
            v.spec.shots,
            v.spec.selection,
            v.spec.seed,
        ));
        run.prompt = v.prompt.clone();
        run.output = Some(v.text.clone());
        run.stats = v.stats.as_ref().map(ReplyStats::from);
        if let Some(st) = &v.stats {
            run.figures.insert("mean_logprob".into(), st.mean_logprob);
            run.figures.insert("gen_tps".into(), st.gen_tps);
            run.figures.insert("ttft_ms".into(), st.ttft_ms);
        }
        for l in v.labels.iter().flatten() {
            run.figures.insert(format!("p({})", l.label), l.prob);
        }
        run.data = json!({
            "mode": prompt_mode(v.spec.mode),
            "labels": v.labels,
            "predicted": v.predicted,
            "error": v.error,
            "cancelled": r.cancelled,
        });
        s.runs.push(run);
    }
    s
}

/// An eval session: one run per variant with its figures, confusion matrix and predictions.
pub fn eval_session(
    r: &EvalResult,
    t: &Template,
    data_file: &str,
    info: &ModelInfo,
    asked: &EngineSettings,
) -> Session {
    let mut s = new_eval_session(t, data_file);
    s.runs = eval_runs(r, t, data_file, info, asked);
    s
}

/// An empty eval session, to create before the first variant runs and fill with `eval_runs` as
/// each variant finishes.
pub fn new_eval_session(t: &Template, data_file: &str) -> Session {
    let mut s = Session::new(SessionKind::Eval);
    s.title = Some(format!("eval {} on {data_file}", t.name));
    s
}

/// One run per variant of `r`.
pub fn eval_runs(
    r: &EvalResult,
    t: &Template,
    data_file: &str,
    info: &ModelInfo,
    asked: &EngineSettings,
) -> Vec<Run> {
    eval_runs_for(
        r,
        t,
        data_file,
        &model_ref(info),
        &resolved_settings(info, asked),
    )
}

/// `eval_runs` with the model's reference and engine settings already known.
pub fn eval_runs_for(
    r: &EvalResult,
    t: &Template,
    data_file: &str,
    model: &ModelRef,
    engine: &EngineSettings,
) -> Vec<Run> {
    let mut runs = Vec::new();
    for v in &r.variants {
        let mut run = Run::new(v.name.clone());
        run.model = Some(model.clone());
        run.engine = Some(engine.clone());
        if let (Some(selection), Some(_)) = (v.selection, v.mode) {
            run.setup = Some(setup(t, BTreeMap::new(), &[], v.shots, selection, v.seed));
        }
        run.output = Some(match &v.error {
            Some(e) => format!("failed: {e}"),
            None => format!(
                "accuracy {:.1} % on {} rows ({} method)",
                v.accuracy * 100.0,
                v.rows,
                v.method.as_str()
            ),
        });
        for (k, x) in [
            ("accuracy", Some(v.accuracy)),
            ("macro_f1", Some(v.macro_f1)),
            ("mean_true_prob", v.mean_true_prob),
            ("rows_per_sec", Some(v.rows_per_sec)),
            ("rows", Some(v.rows as f64)),
            ("errors", Some(v.errors as f64)),
        ] {
            if let Some(x) = x {
                run.figures.insert(k.into(), x);
            }
        }
        run.data = json!({
            "data": data_file,
            "method": v.method,
            "shots": v.shots,
            "mode": v.mode.map(prompt_mode),
            "labels": r.labels,
            "confusion": v.confusion,
            "reuse_cache": r.reuse_cache,
            "skipped": r.skipped,
            "cancelled": r.cancelled,
            "predictions": v.predictions,
        });
        runs.push(run);
    }
    runs
}
