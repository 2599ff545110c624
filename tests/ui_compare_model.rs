//! The compare view's worker path against the real Gemma 3 270M (completion mode): the jobs
//! the view builds, run by `compare::run::run_blocking` exactly as the runtime's worker thread
//! does, with every message applied to the view's state.

use std::path::{Path, PathBuf};

use howdah::engine::{Engine, EngineSettings, ModelInfo};
use howdah::prompt::{Library, Mode};
use howdah::ui::action::Action;
use howdah::ui::compare::job::CompareJob;
use howdah::ui::compare::run::run_blocking;
use howdah::ui::compare::state::CompareState;
use std::sync::atomic::AtomicBool;

const GEMMA: &str = "gemma-3-270m-q4_k_m.gguf";

fn gemma() -> (Engine, ModelInfo) {
    let p = howdah::paths::models_dir().join(GEMMA);
    assert!(
        p.exists(),
        "{} is missing: run `make models` to fetch the test models",
        p.display()
    );
    let e = Engine::spawn().expect("engine starts");
    let settings = EngineSettings {
        threads: Some(1),
        n_ctx: Some(2048),
        ..EngineSettings::default()
    };
    let info = e.load(p, settings).expect("gemma loads");
    (e, info)
}

/// Runs `job` and feeds every message back into `st`, as the runtime does.
fn drive(st: &mut CompareState, job: CompareJob, engine: &Engine, info: &ModelInfo) -> usize {
    let mut actions = Vec::new();
    let cancel = AtomicBool::new(false);
    run_blocking(job, engine, Some(info), &cancel, &mut |a| actions.push(a));
    let n = actions.len();
    for a in actions {
        match a {
            Action::Compare(m) => {
                st.on_msg(m);
            }
            other => panic!("the worker sent an unexpected action: {other:?}"),
        }
    }
    n
}

#[test]
fn sentiment_default_variants_run_side_by_side_and_evaluate_on_gemma() {
    let (engine, info) = gemma();
    assert!(!info.has_chat_template);
    let mode = Mode::for_model(&info);
    assert_eq!(mode, Mode::Completion);
    let lib = Library::load_from(None);
    let t = lib.find("sentiment").unwrap().clone();
    let sampling = t.sampling_for(mode);
    let mut st = CompareState::new();
    st.set_template(t, mode, "template", &sampling);
    assert_eq!(st.columns.len(), 3);

    let input = "An absolute joy from start to finish. I loved every minute of it.";
    let job = st.start_run(input).expect("a template is picked");
    assert!(st.running());
    let messages = drive(&mut st, job, &engine, &info);
    assert!(messages > 3 * 3, "tokens stream as separate messages");
    assert!(!st.running(), "every column finished");
    assert!(st.error.is_none(), "{:?}", st.error);
    for c in &st.columns {
        assert!(
            c.reply.failure().is_none(),
            "{}: {:?}",
            c.spec.name(),
            c.reply
        );
        let labels = c.labels.as_ref().expect("classify columns are scored");
        let sum: f64 = labels.iter().map(|l| l.prob).sum();
        assert!(
            (sum - 1.0).abs() < 1e-6,
            "label probabilities sum to 1: {sum}"
        );
        let prompt = c.prompt.as_ref().expect("the prompt sent is kept");
        assert!(
            prompt.contains(input) && prompt.ends_with("Sentiment:"),
            "{prompt}"
        );
        let stats = c.stats.as_ref().expect("a finished column has figures");
        assert!(stats.prompt_tokens > 10 && stats.generated_tokens >= 1);
        assert!(stats.mean_logprob <= 0.0);
    }
    // More shots, longer prompts.
    let tokens: Vec<u32> = st
        .columns
        .iter()
        .map(|c| c.stats.as_ref().unwrap().prompt_tokens)
        .collect();
    assert!(tokens[0] < tokens[1] && tokens[1] < tokens[2], "{tokens:?}");
    // With four examples the clearly positive review is called positive.
    assert_eq!(st.columns[2].predicted(), Some("positive"));
    assert_eq!(st.history, vec![input.to_string()]);

    // Evaluation through the same worker path, on the shipped 12-row set.
    let data: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sentiment/sentiment-12.csv");
    let job = st.start_eval(data).expect("a template is picked");
    drive(&mut st, job, &engine, &info);
    let ev = st.eval.as_ref().unwrap();
    assert!(!ev.running && ev.error.is_none(), "{:?}", ev.error);
    let p = ev.progress.expect("progress was reported");
    assert_eq!((p.variant, p.variants, p.done, p.total), (2, 3, 12, 12));
    let (r, d) = ev.result.as_ref().unwrap();
    assert_eq!(r.variants.len(), 3);
    assert_eq!(d.rows.len(), 12);
    for v in &r.variants {
        assert_eq!(v.rows, 12, "{}", v.name);
        assert!((0.0..=1.0).contains(&v.accuracy) && v.rows_per_sec > 0.0);
    }

    // The per-row predictions are written as CSV: a header and one row per variant and row.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pred.csv");
    let (r, d) = (r.clone(), d.clone());
    let mut saved = Vec::new();
    run_blocking(
        CompareJob::SavePredictions {
            path: out.clone(),
            result: r,
            data: d,
        },
        &engine,
        Some(&info),
        &AtomicBool::new(false),
        &mut |a| saved.push(a),
    );
    assert!(
        matches!(saved.as_slice(), [Action::Saved(Ok(m))] if m.contains("pred.csv")),
        "{saved:?}"
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("line,variant,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 3 * 12, "{csv}");

    // A missing data file is an error naming it, in the evaluation pane.
    let job = st
        .start_eval(PathBuf::from("/nonexistent/rows.csv"))
        .unwrap();
    drive(&mut st, job, &engine, &info);
    let err = st.eval.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("/nonexistent/rows.csv"), "{err}");
}
