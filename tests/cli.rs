//! The real binary from the outside: run, models, bench, and bad arguments.

mod cli_support;
mod common;

use std::process::{Command, Output};

use cli_support::{data_with_models, output_at, text};

/// Runs howdah with the shared data folder of these tests (see `data_dir`).
fn howdah(args: &[&str]) -> Output {
    output_at(data_dir(), args)
}

/// One data folder for all of this file's tests, holding links to the real test models.
fn data_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(data_with_models).path()
}

#[test]
fn run_streams_a_greedy_reply() {
    let o = howdah(&[
        "run",
        "-p",
        "What is the capital of France?",
        // Without a system message SmolLM2's own template adds its default one, under which
        // this tiny model rambles; a plain assistant prompt gets the answer.
        "--system",
        "You are a helpful assistant.",
        "--temp",
        "0",
        "-n",
        "32",
        "-t",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Paris"), "{}", text(&o.stdout));
    let again = howdah(&[
        "run",
        "-p",
        "What is the capital of France?",
        // Without a system message SmolLM2's own template adds its default one, under which
        // this tiny model rambles; a plain assistant prompt gets the answer.
        "--system",
        "You are a helpful assistant.",
        "--temp",
        "0",
        "-n",
        "32",
        "-t",
        "2",
    ]);
    assert_eq!(o.stdout, again.stdout);
}

#[test]
fn run_json_has_text_tokens_and_stats() {
    let o = howdah(&[
        "run",
        "-m",
        "gemma",
        "--raw",
        "-p",
        "The capital of France is",
        "--temp",
        "0",
        "-n",
        "8",
        "--json",
        "-t",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tokens = v["tokens"].as_array().unwrap();
    assert_eq!(
        tokens.len() as u64,
        v["stats"]["generated_tokens"].as_u64().unwrap()
    );
    let joined: String = tokens.iter().map(|t| t["text"].as_str().unwrap()).collect();
    assert_eq!(joined, v["text"].as_str().unwrap());
    assert!(tokens.iter().all(|t| t["logprob"].as_f64().unwrap() <= 0.0));
    assert_eq!(v["model"]["architecture"], "gemma3");
    assert_eq!(v["stats"]["stop"], "max_tokens");
}

#[test]
fn models_lists_both_test_models() {
    let o = howdah(&["models"]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    assert!(
        out.contains("SmolLM2-135M-Instruct.Q4_1.gguf") && out.contains("Q4_1"),
        "{out}"
    );
    assert!(
        out.contains("gemma-3-270m-q4_k_m.gguf") && out.contains("Q4_K_M"),
        "{out}"
    );
    let o = howdah(&["models", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let smol = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["architecture"] == "llama")
        .expect("SmolLM2 listed");
    assert_eq!(smol["has_chat_template"], true);
    assert!(smol["parameters"].as_u64().unwrap() > 100_000_000);
}

#[test]
fn bench_json_reports_rates() {
    let o = howdah(&[
        "bench",
        "-p",
        "64",
        "-n",
        "16",
        "-r",
        "2",
        "--variants",
        "2",
        "--json",
        "-t",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["pp"]["mean"].as_f64().unwrap() > 0.0);
    assert!(v["tg"]["mean"].as_f64().unwrap() > 0.0);
    assert!(v["tg"]["sd"].as_f64().unwrap() >= 0.0);
    assert!(v["tg_batched"]["mean"].as_f64().unwrap() > 0.0);
    assert_eq!(v["settings"]["threads"], 2);
    assert_eq!(v["model"]["file_name"], "SmolLM2-135M-Instruct.Q4_1.gguf");
    // The build line says which SIMD paths llama.cpp was compiled for (AVX2 at least here).
    let system = v["system_info"].as_str().unwrap();
    assert!(
        system.starts_with("CPU") && system.contains("AVX2 = 1"),
        "{system}"
    );
}

#[test]
fn bad_arguments_get_clear_errors() {
    let o = howdah(&["run", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--no-such-flag"));
    let o = howdah(&["run", "-p", "hi", "--temp", "-1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("temperature"),
        "{}",
        text(&o.stderr)
    );
    let o = howdah(&["run", "-p", "hi", "-m", "no-such-model"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("no-such-model"),
        "{}",
        text(&o.stderr)
    );
    let o = howdah(&["run", "-p", "hi", "-m", "/tmp/definitely/missing.gguf"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("missing.gguf") && err.contains("does not exist"),
        "{err}"
    );
    let o = howdah(&["run", "-p", "hi", "--grammar-file", "/nonexistent.gbnf"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("/nonexistent.gbnf"));
}

#[test]
fn ngl_is_accepted_like_llama_cpp() {
    let o = howdah(&[
        "run", "-p", "Hi", "-n", "2", "-ngl", "0", "--temp", "0", "-t", "2",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn fetch_models_is_idempotent() {
    // The models are present (make test fetched them): a second run verifies and downloads
    // nothing.
    common::smollm2();
    common::gemma();
    let o = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/fetch-models.sh"
        ))
        .env_remove("HOWDAH_DATA_DIR")
        .env("HOME", std::env::var("HOME").unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("SmolLM2-135M-Instruct.Q4_1.gguf present"),
        "{out}"
    );
    assert!(out.contains("gemma-3-270m-q4_k_m.gguf present"), "{out}");
    assert!(!out.contains("downloading"), "{out}");
}
