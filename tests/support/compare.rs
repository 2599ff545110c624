//! The compare view's scripted side, shared by the compare and arena UI tests: opening the view
//! on a built-in template, running an input, a variant's finished reply with fixed figures,
//! label probabilities, and an evaluation's figures and end.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::compare::{
    CompareEvent, Confusion, EvalData, EvalResult, LabelProb, Method, VariantEval,
};
use howdah::engine::{DoneStats, StopReason};
use howdah::prompt::{Mode, Selection};
use howdah::ui::action::Action;
use howdah::ui::app::{Modal, Screen};
use howdah::ui::compare::job::{CompareJob, CompareMsg};
use howdah::ui::compare::state::CompareModal;
use howdah::ui::effect::Effect;

use super::Harness;

/// Opens the compare view (F3) and picks the built-in template `name` in its picker.
pub fn open_with_template(h: &mut Harness, name: &str) {
    h.effects.clear();
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Compare);
    // The view asks for the template library as an effect; the harness answers it.
    h.answer_template_load();
    // The picker is a dialog on the app's modal stack.
    let idx = match h.app.modals.last() {
        Some(Modal::Compare(CompareModal::Templates { templates, .. })) => templates
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("the built-in {name} template is listed")),
        other => panic!("the template picker should be open, got {other:?}"),
    };
    for _ in 0..idx {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    h.key(KeyCode::Enter, KeyModifiers::NONE);
}

/// Variant `variant` of compare run `run` finished with `text` (fixed figures: a longer prompt
/// per variant, 2 tokens).
pub fn done(h: &mut Harness, run: u64, variant: usize, text: &str) {
    h.act(Action::Compare(CompareMsg::Event {
        run,
        event: CompareEvent::Done {
            variant,
            stats: DoneStats {
                seq: variant,
                stop: StopReason::Eos,
                text: text.into(),
                prompt_tokens: 40 + 30 * variant as u32,
                prompt_tokens_decoded: 40,
                generated_tokens: 2,
                ttft_ms: 120.0,
                prompt_tps: 800.0,
                gen_tps: 45.5,
                mean_logprob: -0.25,
                dropped_messages: 0,
                context_used: 100,
                template_fallback: None,
            },
        },
    }));
}

/// The run number and `text` variable of the run job asked for since the effects were last
/// cleared, if any.
pub fn run_job(h: &Harness) -> Option<(u64, String)> {
    h.effects.iter().find_map(|e| match e {
        Effect::Compare(CompareJob::Run { run, vars, .. }) => {
            Some((*run, vars.get("text").cloned().unwrap_or_default()))
        }
        _ => None,
    })
}

/// Types `input`, presses enter and returns the run number of the job the view asked for (run
/// on that input).
pub fn run(h: &mut Harness, input: &str) -> u64 {
    h.type_str(input);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let (run, text) = run_job(h).expect("enter should start a run");
    assert_eq!(text, input);
    run
}

/// The sentiment template's label probabilities, `positive` first.
pub fn labels(positive: f64) -> Vec<LabelProb> {
    vec![
        LabelProb {
            label: "positive".into(),
            prob: positive,
            logprob: positive.ln(),
        },
        LabelProb {
            label: "negative".into(),
            prob: 1.0 - positive,
            logprob: (1.0 - positive).ln(),
        },
    ]
}

/// One variant's figures over `rows` rows, `acc` of them right (macro-F1 `acc` ± 0.1, 4 rows/s,
/// in chat mode); tests set other figures with `..`.
pub fn variant_eval(name: &str, shots: usize, acc: f64, rows: usize) -> VariantEval {
    let correct = (acc * rows as f64) as usize;
    VariantEval {
        name: name.into(),
        method: Method::Score,
        shots,
        selection: Some(Selection::Balanced),
        mode: Some(Mode::Chat),
        seed: 0,
        rows,
        correct,
        errors: 0,
        accuracy: acc,
        accuracy_ci: howdah::compare::stats::wilson(correct, rows),
        macro_f1: acc,
        macro_f1_ci: [acc - 0.1, acc + 0.1],
        confusion: Confusion::new(2),
        mean_true_prob: Some(0.6),
        rows_per_sec: 4.0,
        elapsed_s: rows as f64 / 4.0,
        mean_prompt_tokens: Some(60.0),
        tokens_decoded: 700,
        error: None,
        calibration: None,
        predictions: vec![],
    }
}

/// An evaluation of the sentiment template (by score) over `total_rows` rows, with no paired
/// tests; tests set other fields with `..`.
pub fn eval_result(total_rows: usize, variants: Vec<VariantEval>, cancelled: bool) -> EvalResult {
    EvalResult {
        template: "sentiment".into(),
        method: Method::Score,
        labels: vec!["positive".into(), "negative".into()],
        reuse_cache: true,
        total_rows,
        skipped: vec![],
        variants,
        paired: vec![],
        cancelled,
    }
}

/// Evaluation `run` ended with `result` (its data: the result's labels, no rows).
pub fn eval_done(h: &mut Harness, run: u64, result: EvalResult) {
    let data = EvalData {
        labels: result.labels.clone(),
        rows: vec![],
        skipped: vec![],
    };
    h.act(Action::Compare(CompareMsg::EvalDone {
        run,
        result: Ok((Arc::new(result), Arc::new(data))),
    }));
}
