//! The comparison and evaluation API against the real models: deterministic figures on the
//! shipped 12-row set, prefix reuse changing speed but not results, failures isolated per
//! variant, cancellation keeping partial results, and the data error paths.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use common::{model, GEMMA, SMOLLM2 as SMOL};
use howdah::compare::{
    run_compare, run_eval, variants_for, CompareEvent, Dataset, EvalData, EvalOptions, EvalResult,
    Method, VariantSpec,
};
use howdah::engine::{Engine, EngineSettings, ModelInfo};
use howdah::prompt::{Library, Mode, Selection, Template};

/// `name` loaded on one thread with context `n_ctx`.
fn engine(name: &str, n_ctx: Option<u32>) -> (Engine, ModelInfo) {
    let settings = EngineSettings {
        threads: Some(1),
        n_ctx,
        ..EngineSettings::default()
    };
    common::loaded(model(name), settings)
}

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sentiment")
        .join(name)
}

fn sentiment() -> Template {
    Library::load().find("sentiment").expect("built in").clone()
}

fn small_set(t: &Template) -> EvalData {
    let ds = Dataset::load(&data_path("sentiment-12.csv")).unwrap();
    EvalData::prepare(&ds, t, "text", "label", None).unwrap()
}

fn variants(t: &Template, shots: &[usize], mode: Mode) -> Vec<VariantSpec> {
    variants_for(
        t,
        shots,
        Some(Selection::Balanced),
        0,
        mode,
        &t.sampling_for(mode),
    )
    .unwrap()
}

fn eval(e: &Engine, t: &Template, d: &EvalData, v: &[VariantSpec], reuse: bool) -> EvalResult {
    let opts = EvalOptions {
        method: Method::Score,
        reuse_cache: reuse,
        embedder: None,
        calibrate: false,
    };
    run_eval(e, t, d, v, &opts, &AtomicBool::new(false), |_| {}).unwrap()
}

fn predictions(r: &EvalResult, v: usize) -> Vec<Option<usize>> {
    r.variants[v]
        .predictions
        .iter()
        .map(|p| p.predicted)
        .collect()
}

#[test]
fn gemma_completion_scores_the_small_set_deterministically_with_and_without_reuse() {
    let t = sentiment();
    let d = small_set(&t);
    let (e, _) = engine(GEMMA, None);
    let v = variants(&t, &[0, 4], Mode::Completion);
    let with = eval(&e, &t, &d, &v, true);
    let without = eval(&e, &t, &d, &v, false);
    for r in [&with, &without] {
        assert_eq!(r.variants.len(), 2);
        for ve in &r.variants {
            assert_eq!(ve.confusion.total(), 12, "{}", ve.name);
            assert_eq!(ve.rows, 12);
            assert_eq!(ve.errors, 0);
        }
        // Measured: zero-shot calls most negative rows positive (5 of 6 with ggml's AVX2
        // kernels, 4 of 6 with AVX-512: the exact split follows the build, see
        // scripts/cpu-flags.sh); 4 balanced shots fix it on both.
        let m0 = &r.variants[0].confusion.matrix;
        assert_eq!(m0[0], vec![6, 0], "every positive row is right: {m0:?}");
        assert!(m0[1][0] >= 4, "most negative rows called positive: {m0:?}");
        assert_eq!(r.variants[1].confusion.matrix, vec![vec![6, 0], vec![0, 6]]);
        assert!((r.variants[1].accuracy - 1.0).abs() < 1e-12);
    }
    // Reuse changes what is decoded, not what is predicted (probabilities differ in the last
    // digits: llama.cpp's kernels sum in another order for another batch shape).
    for v in 0..2 {
        assert_eq!(predictions(&with, v), predictions(&without, v));
        for (a, b) in with.variants[v]
            .predictions
            .iter()
            .zip(&without.variants[v].predictions)
        {
            let (pa, pb) = (a.probs.as_ref().unwrap(), b.probs.as_ref().unwrap());
            assert!(
                (pa[0] - pb[0]).abs() < 0.05,
                "line {}: {pa:?} vs {pb:?}",
                a.line
            );
        }
    }
    assert!(
        with.variants[1].tokens_decoded * 3 < without.variants[1].tokens_decoded,
        "4-shot rows should decode the shared prefix once: {} vs {} tokens",
        with.variants[1].tokens_decoded,
        without.variants[1].tokens_decoded
    );
}

#[test]
fn smollm_chat_scores_the_small_set_deterministically() {
    let t = sentiment();
    let d = small_set(&t);
    let (e, info) = engine(SMOL, None);
    assert_eq!(Mode::for_model(&info), Mode::Chat);
    let v = variants(&t, &[0, 2], Mode::Chat);
    let a = eval(&e, &t, &d, &v, true);
    let b = eval(&e, &t, &d, &v, true);
    for i in 0..2 {
        assert_eq!(a.variants[i].confusion.total(), 12);
        assert_eq!(predictions(&a, i), predictions(&b, i));
        assert_eq!(a.variants[i].mode, Some(Mode::Chat));
    }
    // Measured with SmolLM2-135M-Instruct in chat mode: 11/12 zero-shot with ggml's AVX2
    // kernels, 12/12 with AVX-512 (the build decides the borderline row); two examples as chat
    // turns pull it towards `positive` (8/12 on both). A 135M chat model is no reliable few-shot
    // learner, and this pins that down.
    let (m0, m2) = (
        &a.variants[0].confusion.matrix,
        &a.variants[1].confusion.matrix,
    );
    assert!(a.variants[0].correct >= 11, "zero-shot {m0:?}");
    assert_eq!(
        m0[1],
        vec![0, 6],
        "zero-shot gets every negative row: {m0:?}"
    );
    assert_eq!(
        *m2,
        vec![vec![6, 0], vec![4, 2]],
        "two shots pull towards positive"
    );
}

#[test]
fn an_over_long_variant_fails_alone_and_the_others_complete() {
    let t = sentiment();
    let d = small_set(&t);
    // 96 tokens hold a zero-shot prompt (about 25 tokens) but not an 8-shot one.
    let (e, _) = engine(GEMMA, Some(96));
    let v = variants(&t, &[0, 8], Mode::Completion);
    let r = eval(&e, &t, &d, &v, true);
    assert_eq!(r.variants[0].rows, 12);
    assert_eq!(r.variants[0].errors, 0);
    assert_eq!(r.variants[1].rows, 0);
    assert_eq!(r.variants[1].errors, 12);
    let err = r.variants[1].error.as_deref().unwrap_or_default();
    assert!(err.contains("line 2") && err.contains("96"), "{err}");
}

#[test]
fn a_variant_with_a_bad_grammar_fails_in_its_column_while_the_others_stream() {
    let t = sentiment();
    let (e, _) = engine(GEMMA, None);
    let mut v = variants(&t, &[0, 1, 4], Mode::Completion);
    v[1].sampling.grammar = Some("root ::= (".into());
    let vars = BTreeMap::from([("text".to_string(), "Great sound, I love it.".to_string())]);
    let mut tokens = [0usize; 3];
    let mut failed = Vec::new();
    let r = run_compare(
        &e,
        &t,
        &vars,
        &v,
        None,
        &AtomicBool::new(false),
        |ev| match ev {
            CompareEvent::Token { variant, .. } => tokens[*variant] += 1,
            CompareEvent::Failed { variant, .. } => failed.push(*variant),
            _ => {}
        },
    )
    .unwrap();
    assert_eq!(failed, vec![1]);
    assert!(r.variants[1].error.as_deref().unwrap().contains("grammar"));
    for i in [0, 2] {
        assert!(r.variants[i].error.is_none(), "{:?}", r.variants[i].error);
        assert!(tokens[i] > 0);
        let stats = r.variants[i].stats.as_ref().unwrap();
        assert!(stats.generated_tokens > 0 && stats.prompt_tokens > 0);
        let labels = r.variants[i].labels.as_ref().unwrap();
        assert_eq!(labels.len(), 2);
        assert!((labels.iter().map(|l| l.prob).sum::<f64>() - 1.0).abs() < 1e-6);
    }
    // Scoring runs before generation and ignores sampling: the failed column keeps its bars.
    assert!(r.variants[1].labels.is_some());
    assert_eq!(r.variants[2].predicted.as_deref(), Some("positive"));
    assert_eq!(r.variants[2].text.trim(), "positive");
}

#[test]
fn cancelling_keeps_the_rows_finished() {
    let t = sentiment();
    let d = small_set(&t);
    let (e, _) = engine(GEMMA, None);
    let v = variants(&t, &[0, 1], Mode::Completion);
    let cancel = AtomicBool::new(false);
    let opts = EvalOptions {
        method: Method::Score,
        reuse_cache: true,
        embedder: None,
        calibrate: false,
    };
    let mut seen = 0;
    let r = run_eval(&e, &t, &d, &v, &opts, &cancel, |p| {
        seen += 1;
        if p.done == 5 {
            cancel.store(true, Ordering::Release);
        }
    })
    .unwrap();
    assert!(r.cancelled);
    assert_eq!(seen, 5);
    assert_eq!(r.variants.len(), 1);
    assert_eq!(r.variants[0].rows, 5);
    assert_eq!(r.variants[0].confusion.total(), 5);
}

#[test]
fn generate_and_embed_methods_predict_every_row() {
    let t = sentiment();
    let ds = Dataset::load(&data_path("sentiment-12.jsonl")).unwrap();
    let d = EvalData::prepare(&ds, &t, "text", "label", Some(6)).unwrap();
    assert_eq!(d.rows.len(), 6);
    let (e, _) = engine(GEMMA, None);
    let v = variants(&t, &[4], Mode::Completion);
    for method in [Method::Generate, Method::Embed] {
        let opts = EvalOptions {
            method,
            reuse_cache: true,
            embedder: None,
            calibrate: false,
        };
        let r = run_eval(&e, &t, &d, &v, &opts, &AtomicBool::new(false), |_| {}).unwrap();
        assert_eq!(r.variants.len(), 1);
        let ve = &r.variants[0];
        assert_eq!(ve.confusion.total(), 6, "{method:?}");
        assert_eq!(ve.errors, 0);
        match method {
            Method::Generate => {
                assert!(ve.mean_true_prob.is_none());
                // Four balanced shots make gemma answer with a bare label on these rows.
                assert_eq!(ve.correct, 6, "{:?}", ve.predictions);
                assert!(ve.predictions.iter().all(|p| p.output.is_some()));
            }
            _ => {
                // The 4 balanced examples join their labels' prototypes; no prompt is laid out.
                assert_eq!((ve.shots, ve.selection), (4, Some(Selection::Balanced)));
                assert_eq!(ve.mode, None);
                // Measured: 5 of 6 with Gemma's own (weak) vectors.
                assert!(ve.correct >= 4, "{:?}", ve.confusion.matrix);
                assert!(ve.mean_true_prob.unwrap() > 0.5);
            }
        }
    }
}

#[test]
fn unknown_labels_are_skipped_and_reported_and_case_is_ignored() {
    let t = sentiment();
    let ds = Dataset::load(&data_path("unknown-label.csv")).unwrap();
    let d = EvalData::prepare(&ds, &t, "text", "label", None).unwrap();
    assert_eq!(d.rows.len(), 3);
    assert_eq!(d.rows[2].label, 0, "'  POSITIVE ' is positive");
    assert_eq!(d.skipped.len(), 1);
    assert_eq!(d.skipped[0].line, 4);
    assert!(
        d.skipped[0].reason.contains("\"neutral\""),
        "{}",
        d.skipped[0].reason
    );
}

#[test]
fn malformed_files_name_the_bad_line_and_missing_columns_are_named() {
    for (file, line) in [("malformed.csv", 4), ("malformed.jsonl", 4)] {
        let e = Dataset::load(&data_path(file)).unwrap_err().to_string();
        assert!(e.contains(&format!("{file}: line {line}:")), "{e}");
    }
    let t = sentiment();
    let ds = Dataset::load(&data_path("sentiment-12.csv")).unwrap();
    let e = EvalData::prepare(&ds, &t, "review", "label", None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column \"review\"") && e.contains("text, label"),
        "{e}"
    );
}

#[test]
fn the_120_row_set_is_balanced_and_every_row_is_usable() {
    let t = sentiment();
    let ds = Dataset::load(&data_path("sentiment-120.csv")).unwrap();
    let d = EvalData::prepare(&ds, &t, "text", "label", None).unwrap();
    assert_eq!(d.rows.len(), 120);
    assert!(d.skipped.is_empty());
    assert_eq!(d.rows.iter().filter(|r| r.label == 0).count(), 60);
}

/// The target on the full 120-row set. Part of the default run since llama.cpp is built
/// for the host CPU: about 80 s on 2 AVX-512 cores (about 3 minutes with the AVX2 baseline).
#[test]
fn few_shot_beats_zero_shot_on_the_120_row_set() {
    let t = sentiment();
    let ds = Dataset::load(&data_path("sentiment-120.csv")).unwrap();
    let d = EvalData::prepare(&ds, &t, "text", "label", None).unwrap();
    let (e, _) = engine(GEMMA, None);
    let v = variants(&t, &[0, 1, 4], Mode::Completion);
    let r = eval(&e, &t, &d, &v, true);
    let zero = r.variants[0].accuracy;
    let best = r.variants[1..]
        .iter()
        .map(|v| v.accuracy)
        .fold(0.0, f64::max);
    assert!(zero < 0.7, "zero-shot {zero}");
    assert!(
        best >= 0.8 && best >= zero + 0.2,
        "zero-shot {zero}, best few-shot {best}"
    );
    for ve in &r.variants {
        assert_eq!(ve.confusion.total(), 120);
    }
    // Without reuse each 4-shot row decodes its whole prompt again.
    let four = &v[2..];
    let without = eval(&e, &t, &d, four, false);
    assert!(without.variants[0].tokens_decoded > 4 * r.variants[2].tokens_decoded);
}
