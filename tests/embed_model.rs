//! The shipped sentence-embedding model (all-MiniLM-L6-v2, converted to GGUF by
//! scripts/convert-bert-gguf.py): its vectors against an independent numpy forward pass of the
//! original safetensors weights, pooling as the GGUF says, batching and normalisation in the
//! engine, `howdah embed`, and `eval --method embed` on the shipped 120-row set.

mod cli_support;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cli_support::{json, stderr};
use howdah::engine::{EngineError, Pooling, Prompt, Sampling};
use serde_json::Value;

const MINILM: &str = "all-MiniLM-L6-v2.gguf";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs one of the project's scripts; its last line of stdout (a path).
fn script(name: &str, args: &[&str]) -> String {
    let out = Command::new(root().join("scripts").join(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/{name}: {e}"));
    assert!(
        out.status.success(),
        "scripts/{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().last().unwrap_or_default().trim().to_string()
}

/// Runs howdah in a fresh private home (nothing of the user's is read or written).
fn howdah(args: &[&str]) -> Output {
    cli_support::howdah(args).0
}

fn vectors(v: &Value) -> Vec<Vec<f64>> {
    serde_json::from_value(v["vectors"].clone()).expect("vectors")
}

fn cos(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn texts_file() -> PathBuf {
    root().join("tests/embed/texts.txt")
}

/// The numpy reference vectors of the texts file (`pooling`: mean or cls).
fn reference(source: &Path, pooling: &str) -> Vec<Vec<f64>> {
    let py = script("py-env.sh", &[]);
    let out = Command::new(py)
        .arg(root().join("tests/embed/reference.py"))
        .arg(source)
        .arg(texts_file())
        .arg(pooling)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "reference.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    vectors(&serde_json::from_slice(&out.stdout).expect("reference JSON"))
}

fn embed_json(model: &Path) -> Value {
    json(&howdah(&[
        "embed",
        "-m",
        model.to_str().unwrap(),
        "--json",
        "--file",
        texts_file().to_str().unwrap(),
        "-t",
        "2",
    ]))
}

/// Every text's vector within cosine 0.99 of the reference, and of unit length.
fn assert_matches(ours: &[Vec<f64>], reference: &[Vec<f64>]) {
    assert_eq!(ours.len(), reference.len());
    let cosines: Vec<f64> = ours.iter().zip(reference).map(|(a, b)| cos(a, b)).collect();
    for (i, (c, v)) in cosines.iter().zip(ours).enumerate() {
        assert!(
            *c >= 0.99,
            "text {}: cosine {c:.4} < 0.99 ({cosines:?})",
            i + 1
        );
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "text {}: norm {norm}", i + 1);
    }
}

#[test]
fn converted_model_matches_a_numpy_forward_pass_of_the_safetensors() {
    let model = common::model(MINILM);
    let source = PathBuf::from(script("fetch-models.sh", &["minilm-source"]));
    let out = embed_json(&model);
    assert_eq!(out["model"], MINILM);
    assert_eq!(out["dim"], 384);
    assert_eq!(out["pooling"], "mean");
    let ours = vectors(&out);
    assert_matches(&ours, &reference(&source, "mean"));
    // The similarity matrix comes with two or more texts: symmetric, ones on the diagonal.
    let sim: Vec<Vec<f64>> = serde_json::from_value(out["similarity"].clone()).unwrap();
    assert_eq!(sim.len(), ours.len());
    assert!((sim[0][0] - 1.0).abs() < 1e-4 && (sim[0][1] - sim[1][0]).abs() < 1e-6);
}

#[test]
fn cls_pooling_declared_in_the_gguf_is_the_pooling_used() {
    // The same weights converted with a [CLS] pooling config: llama.cpp must pool as the file says.
    let source = PathBuf::from(script("fetch-models.sh", &["minilm-source"]));
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("minilm-cls");
    std::fs::create_dir_all(src.join("1_Pooling")).unwrap();
    for f in ["config.json", "tokenizer.json", "modules.json"] {
        std::fs::copy(source.join(f), src.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(
        source.join("model.safetensors"),
        src.join("model.safetensors"),
    )
    .unwrap();
    std::fs::write(
        src.join("1_Pooling/config.json"),
        r#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
    )
    .unwrap();
    let gguf = dir.path().join("minilm-cls.gguf");
    let py = script("py-env.sh", &[]);
    let conv = Command::new(py)
        .arg(root().join("scripts/convert-bert-gguf.py"))
        .arg(&src)
        .arg(&gguf)
        .output()
        .unwrap();
    assert!(
        conv.status.success(),
        "{}",
        String::from_utf8_lossy(&conv.stderr)
    );
    let out = embed_json(&gguf);
    assert_eq!(out["pooling"], "cls");
    let ours = vectors(&out);
    let cls = reference(&source, "cls");
    assert_matches(&ours, &cls);
    // And it is not the mean: the two poolings give clearly different vectors.
    let mean = reference(&source, "mean");
    assert!(
        ours.iter().zip(&mean).any(|(a, b)| cos(a, b) < 0.9),
        "CLS vectors should differ from mean-pooled ones"
    );
}

#[test]
fn the_engine_batches_pools_and_normalises_and_refuses_to_generate() {
    let (e, info) = common::engine_with(common::model(MINILM), None);
    assert_eq!(info.pooling, Some(Pooling::Mean));
    assert_eq!(info.architecture, "bert");
    // 80 texts: more than one decode's 64 sequences; one far longer than the 512-token context.
    let mut texts: Vec<String> = (0..79)
        .map(|i| {
            format!(
                "Sentence number {i} is about the colour of apple {}.",
                i * 7
            )
        })
        .collect();
    texts.push("word ".repeat(3000));
    let all = e.embed(texts.clone()).expect("embed");
    assert_eq!(all.len(), 80);
    for v in &all {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert_eq!(v.len(), 384);
    }
    // Packed with others or alone, a text gets the same vector (first and second decode).
    for i in [0, 5, 70] {
        let alone = e.embed(vec![texts[i].clone()]).unwrap();
        let c = howdah::prompt::cosine(&alone[0], &all[i]);
        assert!(c > 0.9999, "text {i}: {c}");
    }
    // Meaning, not words: a paraphrase is nearer than a text sharing words.
    let v = e
        .embed(vec![
            "The film was wonderful.".into(),
            "I really enjoyed the movie.".into(),
            "The film was about a wonderful weather forecast.".into(),
        ])
        .unwrap();
    let (near, far) = (
        howdah::prompt::cosine(&v[0], &v[1]),
        howdah::prompt::cosine(&v[0], &v[2]),
    );
    assert!(near > 0.6, "{near}");
    assert!(near > far, "{near} vs {far}");
    let err = e
        .generate_one(Prompt::Raw("Hello".into()), Sampling::greedy(), |_| {})
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::Input(m) if m.contains("embedding model")),
        "{err}"
    );
}

#[test]
fn eval_method_embed_on_the_120_row_set_is_clearly_above_chance() {
    // No --embed-model: the shipped model is found beside the chat model.
    let chat = common::model(common::SMOLLM2);
    let data = root().join("tests/data/sentiment/sentiment-120.csv");
    let out = json(&howdah(&[
        "eval",
        "sentiment",
        "--data",
        data.to_str().unwrap(),
        "-m",
        chat.to_str().unwrap(),
        "--method",
        "embed",
        "--shots",
        "0,4",
        "-t",
        "2",
        "--format",
        "json",
        "--no-save",
    ]));
    assert_eq!(out["model"], MINILM, "the embedding model is reported");
    let v = out["variants"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    for (variant, shots) in v.iter().zip([0, 4]) {
        assert_eq!(variant["shots"], shots);
        assert_eq!(variant["rows"], 120);
        let acc = variant["accuracy"].as_f64().unwrap();
        assert!(
            acc >= 0.7,
            "{shots}-shot accuracy {acc}: not clearly above chance"
        );
    }
    assert_eq!(v[1]["selection"], "balanced");
}

#[test]
fn without_an_embedding_model_the_chat_model_embeds_with_one_warning() {
    // A models folder holding only the chat model.
    let dir = tempfile::tempdir().unwrap();
    let chat = dir.path().join(common::SMOLLM2);
    std::os::unix::fs::symlink(common::model(common::SMOLLM2), &chat).unwrap();
    let data = root().join("tests/data/sentiment/sentiment-12.csv");
    let out = howdah(&[
        "eval",
        "sentiment",
        "--data",
        data.to_str().unwrap(),
        "-m",
        chat.to_str().unwrap(),
        "--method",
        "embed",
        "--shots",
        "0,1",
        "--no-save",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("no embedding model is installed").count(),
        1,
        "one warning: {err}"
    );
    assert!(err.contains("whose vectors are weak"), "{err}");
}

#[test]
fn cli_errors_name_the_model_file_and_the_input() {
    let chat = common::model(common::SMOLLM2);
    let data = root().join("tests/data/sentiment/sentiment-12.csv");
    let o = howdah(&[
        "--embed-model",
        "/nonexistent/embedder.gguf",
        "eval",
        "sentiment",
        "--data",
        data.to_str().unwrap(),
        "-m",
        chat.to_str().unwrap(),
        "--method",
        "embed",
        "--no-save",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("/nonexistent/embedder.gguf"),
        "{}",
        stderr(&o)
    );
    let minilm = common::model(MINILM);
    let m = minilm.to_str().unwrap();
    let o = howdah(&["embed", "-m", m]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("give the texts to embed"),
        "{}",
        stderr(&o)
    );
    let o = howdah(&["embed", "-m", m, "--file", "/nonexistent/texts.txt"]);
    assert!(
        stderr(&o).contains("/nonexistent/texts.txt"),
        "{}",
        stderr(&o)
    );
    let o = howdah(&["embed", "-m", m, "fine", "  "]);
    assert!(stderr(&o).contains("text 2 is empty"), "{}", stderr(&o));
    // An embedding model cannot chat.
    let o = howdah(&["run", "-m", m, "-p", "hello"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("embedding model"), "{}", stderr(&o));
    // A chat model embeds, with a warning.
    let o = howdah(&["embed", "-m", chat.to_str().unwrap(), "one", "two"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a chat model"), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("cosine similarity"), "{text}");
}

#[test]
fn models_lists_the_embedding_model_as_one() {
    let dir = common::model(MINILM).parent().unwrap().to_path_buf();
    let o = howdah(&["models", "--models-dir", dir.to_str().unwrap(), "--json"]);
    let list = json(&o);
    let minilm = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file_name"] == MINILM)
        .expect("listed");
    assert_eq!(minilm["pooling"], "mean");
    let smol = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file_name"] == common::SMOLLM2)
        .expect("listed");
    assert!(smol["pooling"].is_null());
    let o = howdah(&["models", "--models-dir", dir.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&o.stdout);
    let line = table.lines().find(|l| l.contains(MINILM)).unwrap();
    assert!(line.contains("embedding, mean"), "{line}");
}
