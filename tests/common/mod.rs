//! Shared helpers for integration tests: where the real test models are, and a loaded engine.
#![allow(dead_code)]

use std::path::PathBuf;

use howdah::engine::{Engine, EngineSettings, ModelInfo};

pub const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
pub const GEMMA: &str = "gemma-3-270m-q4_k_m.gguf";

/// The path of a test model, or a panic telling how to get it.
pub fn model(name: &str) -> PathBuf {
    let p = howdah::paths::models_dir().join(name);
    assert!(
        p.is_file(),
        "test model {} is missing: run `make models` (scripts/fetch-models.sh)",
        p.display()
    );
    p
}

pub fn smollm2() -> PathBuf {
    model(SMOLLM2)
}

pub fn gemma() -> PathBuf {
    model(GEMMA)
}

/// A new engine with `path` loaded with `settings`; a failure fails the test.
pub fn loaded(path: PathBuf, settings: EngineSettings) -> (Engine, ModelInfo) {
    let engine = Engine::spawn().expect("engine starts");
    let info = engine.load(path, settings).expect("model loads");
    (engine, info)
}

/// An engine with `path` loaded on 2 threads (what CI has), with the given context size.
pub fn engine_with(path: PathBuf, n_ctx: Option<u32>) -> (Engine, ModelInfo) {
    loaded(
        path,
        EngineSettings {
            threads: Some(2),
            n_ctx,
            ..EngineSettings::default()
        },
    )
}

pub fn engine(path: PathBuf) -> (Engine, ModelInfo) {
    engine_with(path, Some(2048))
}

/// A complete reply record with fixed figures, for session format and store tests.
pub fn reply_record(seed: u32) -> howdah::session::ReplyRecord {
    howdah::session::ReplyRecord {
        model: howdah::session::ModelRef {
            file_name: "m.gguf".into(),
            path: std::path::PathBuf::from("/models/m.gguf"),
            size: 1234,
            sha256: Some("ab".repeat(32)),
            name: "M".into(),
            architecture: "llama".into(),
            quantization: "Q4_1".into(),
            backend: None,
        },
        engine: howdah::engine::EngineSettings {
            threads: Some(2),
            n_ctx: Some(4096),
            n_batch: 512,
            gpu_layers: howdah::engine::GpuLayers::CPU,
            chat_template: None,
            ..Default::default()
        },
        sampling: howdah::engine::Sampling {
            seed,
            ..howdah::engine::Sampling::greedy()
        },
        mode: howdah::session::PromptMode::Chat,
        setup: None,
        prompt: None,
        stats: howdah::session::ReplyStats {
            stop: howdah::engine::StopReason::Eos,
            prompt_tokens: 10,
            prompt_tokens_decoded: 10,
            generated_tokens: 5,
            ttft_ms: 12.5,
            prompt_tps: 100.25,
            gen_tps: 40.5,
            mean_logprob: -0.5,
            dropped_messages: 0,
            context_used: 15,
        },
        build: "howdah 0.1.0".into(),
        device: None,
    }
}
