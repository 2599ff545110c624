//! The TUI's side of issue 16 through `update` and its effects: the compare view's arena mode
//! (anonymous columns, a vote saved as a session with both replies), the evaluation chart's
//! error bars and verdicts, and a regenerated reply kept as a preference pair.

mod session_support;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::arena::preferences::pairs_in;
use howdah::compare::stats::{paired_tests, wilson};
use howdah::compare::{Confusion, EvalResult, Method, RowPrediction, VariantEval};
use howdah::engine::Role;
use howdah::prompt::{Mode, Selection};
use howdah::ui::action::Action;
use howdah::ui::compare::job::{CompareJob, CompareMsg};
use howdah::ui::effect::Effect;
use howdah::ui::sessions::state::SessionOp;
use session_support::{answer, exchange, harness, only_session, run_sessions};
use support::Harness;

fn compare_view(h: &mut Harness) {
    support::compare::open_with_template(h, "sentiment");
}

use support::compare::done;

#[test]
fn arena_mode_hides_the_variants_until_the_vote_and_saves_it() {
    let (mut h, store, _d) = harness(110, 30);
    compare_view(&mut h);
    // Three default variants: the arena wants two.
    h.key(KeyCode::F(4), KeyModifiers::NONE);
    assert!(h.screen().contains("pits two variants"), "{}", h.screen());
    h.ctrl('d');
    h.key(KeyCode::F(4), KeyModifiers::NONE);
    assert!(h.app.compare.as_ref().unwrap().arena_mode);
    h.type_str("A fine film.");
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let run = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Compare(CompareJob::Run { run, variants, .. }) => {
                assert_eq!(variants.len(), 2);
                Some(*run)
            }
            _ => None,
        })
        .expect("enter runs both variants");
    done(&mut h, run, 0, "zero-shot says positive");
    done(&mut h, run, 1, "one-shot says negative");
    h.act(Action::Compare(CompareMsg::Finished { run, error: None }));
    let order = h.app.compare.as_ref().unwrap().arena.clone().unwrap().order;
    let screen = h.screen();
    assert!(screen.contains(" A ") && screen.contains(" B "), "{screen}");
    assert!(
        !screen.contains("0-shot") && !screen.contains("1-shot"),
        "{screen}"
    );
    assert!(screen.contains("vote: a"), "{screen}");
    // The answers are shown in the round's order: A's text left of B's.
    let texts = ["zero-shot says positive", "one-shot says negative"];
    let first_line = screen
        .lines()
        .find(|l| l.contains("says"))
        .expect("answers on screen");
    let (a, b) = (texts[order[0]], texts[order[1]]);
    assert!(
        first_line.find(&a[..9]).unwrap() < first_line.find(&b[..9]).unwrap(),
        "{first_line}"
    );
    // Asking for the prompt would give the variant away.
    h.ctrl('p');
    assert!(h.screen().contains("vote first"), "{}", h.screen());
    h.effects.clear();
    h.key(KeyCode::Char('b'), KeyModifiers::NONE);
    assert!(
        h.app.compare.as_ref().unwrap().input_empty(),
        "the vote key is not typed into the input"
    );
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::Session(SessionOp::Save(_)))),
        "{:?}",
        h.effects
    );
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(s.messages[0].content, "A fine film.");
    let shown_b = &s.runs[1];
    assert_eq!(shown_b.label, "B");
    assert_eq!(shown_b.output.as_deref(), Some(b));
    assert_eq!(shown_b.data["arena"]["vote"], "b");
    assert!(shown_b.sampling.is_some() && shown_b.stats.is_some());
    let pairs = pairs_in(&s);
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].chosen, b);
    assert_eq!(pairs[0].rejected, a);
    // Revealed after the vote.
    let screen = h.screen();
    assert!(screen.contains("-shot"), "{screen}");
}

fn variant(name: &str, rights: &[bool]) -> VariantEval {
    let mut confusion = Confusion::new(2);
    let predictions: Vec<RowPrediction> = rights
        .iter()
        .enumerate()
        .map(|(row, &ok)| {
            let label = row % 2;
            let predicted = if ok { label } else { 1 - label };
            confusion.add(label, Some(predicted));
            RowPrediction {
                line: row + 2,
                row,
                label,
                predicted: Some(predicted),
                probs: None,
                output: None,
                error: None,
            }
        })
        .collect();
    let correct = rights.iter().filter(|x| **x).count();
    VariantEval {
        name: name.into(),
        method: Method::Score,
        shots: 0,
        selection: Some(Selection::Balanced),
        mode: Some(Mode::Completion),
        seed: 0,
        rows: rights.len(),
        correct,
        errors: 0,
        accuracy: confusion.accuracy(),
        accuracy_ci: wilson(correct, rights.len()),
        macro_f1: confusion.macro_f1(),
        macro_f1_ci: [0.4, 0.9],
        confusion,
        mean_true_prob: None,
        rows_per_sec: 10.0,
        elapsed_s: 2.0,
        mean_prompt_tokens: None,
        tokens_decoded: 0,
        error: None,
        calibration: None,
        predictions,
    }
}

#[test]
fn the_eval_chart_draws_error_bars_and_says_not_significant() {
    let mut h = Harness::new(110, 34);
    compare_view(&mut h);
    h.ctrl('l');
    h.type_str("rows.csv");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let run = h.app.compare.as_ref().unwrap().run;
    // 20 rows: A right on 12, B on 14 with 2 discordant rows each way plus 2 more for B.
    let a: Vec<bool> = (0..20).map(|i| i < 12).collect();
    let b: Vec<bool> = (0..20).map(|i| (2..16).contains(&i)).collect();
    let variants = vec![variant("0-shot", &a), variant("4-shot balanced", &b)];
    let paired = paired_tests(&variants);
    let result = EvalResult {
        paired,
        ..support::compare::eval_result(20, variants, false)
    };
    support::compare::eval_done(&mut h, run, result);
    let screen = h.screen();
    assert!(screen.contains('├') && screen.contains('┤'), "{screen}");
    assert!(
        screen.contains("[38.7–78.1]"),
        "Wilson 12/20 on the chart: {screen}"
    );
    // only 0-shot right: rows 0, 1; only 4-shot right: 12..16 → 2 vs 4, p = 0.6875.
    assert!(
        screen.contains("0-shot vs 4-shot balanced: p = 0.688 · not significant"),
        "{screen}"
    );
}

#[test]
fn a_regenerated_reply_is_kept_over_the_one_it_replaced() {
    let (mut h, store, _d) = harness(100, 30);
    exchange(&mut h, &store, "Tell me a joke", "Knock knock.");
    h.ctrl('r');
    run_sessions(&mut h, &store);
    answer(&mut h, &store, "Why did the chicken");
    // And once more: the kept reply is preferred over both earlier ones.
    h.ctrl('r');
    run_sessions(&mut h, &store);
    answer(&mut h, &store, "A pun.");
    let s = only_session(&store);
    assert_eq!(s.messages.len(), 2);
    assert_eq!(s.messages[1].content, "A pun.");
    assert_eq!(
        s.messages[1].rejected,
        ["Knock knock.", "Why did the chicken"]
    );
    let pairs = pairs_in(&s);
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0].prompt.len(), 1);
    assert_eq!(pairs[0].prompt[0].role, Role::User);
    assert_eq!(pairs[0].chosen, "A pun.");
    assert_eq!(pairs[1].rejected, "Why did the chicken");
}

#[test]
fn a_column_can_run_on_a_model_of_its_own_in_that_models_layout() {
    let mut h = Harness::new(120, 30);
    compare_view(&mut h);
    h.effects.clear();
    h.ctrl('e');
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::DiscoverModels { .. })),
        "the model field looks for models: {:?}",
        h.effects
    );
    let mut base = support::info("Gemma 3 270m", "gemma-base.gguf", 2048);
    base.has_chat_template = false;
    let instruct = support::info("SmolLM2", "smol.gguf", 2048);
    h.act(Action::ModelsFound(vec![
        howdah::model::discover::Found {
            path: instruct.path.clone(),
            info: Ok(instruct),
        },
        howdah::model::discover::Found {
            path: base.path.clone(),
            info: Ok(base.clone()),
        },
        howdah::model::discover::Found {
            path: "/models/broken.gguf".into(),
            info: Err("not a GGUF file".into()),
        },
    ]));
    // The model field is the fifth: → twice picks the second usable model, the base one.
    for _ in 0..4 {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    h.key(KeyCode::Right, KeyModifiers::NONE);
    h.key(KeyCode::Right, KeyModifiers::NONE);
    let screen = h.screen();
    assert!(
        screen.contains("model") && screen.contains("‹ gemma-base ›"),
        "{screen}"
    );
    let col = &h.app.compare.as_ref().unwrap().columns[0];
    assert_eq!(col.model.as_ref().unwrap().path, base.path);
    assert_eq!(col.spec.mode, Mode::Completion, "a base model's own layout");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(
        h.screen().contains("gemma-base · 0-shot · completion"),
        "{}",
        h.screen()
    );
    h.type_str("Great.");
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let models = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Compare(CompareJob::Run { models, .. }) => Some(models.clone()),
            _ => None,
        })
        .expect("a run");
    assert_eq!(models[0], Some(base.path.clone()));
    assert!(models[1..].iter().all(Option::is_none), "{models:?}");
    // How the models are loaded is said on screen.
    let run = h.app.compare.as_ref().unwrap().run;
    h.act(Action::Compare(CompareMsg::Note {
        run,
        text: "2 models loaded side by side (about 0.30 GiB needed, 20.00 GiB available)".into(),
    }));
    assert!(h.screen().contains("loaded side by side"), "{}", h.screen());
}
