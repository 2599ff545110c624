//! GPU offload on a real Vulkan device without a GPU: Mesa's lavapipe runs llama.cpp's Vulkan
//! backend on the CPU. Built only with `--features vulkan` (`make test-vulkan` installs lavapipe).
//! The CPU reference is the same build with `-ngl 0`, which howdah keeps entirely on ggml's CPU
//! backend (no op offload, KV cache on the host): the same kernels as the CPU build.

mod common;

use std::process::Command;
use std::sync::Once;

use howdah::engine::offload::gpu_devices;
use howdah::engine::{Engine, EngineSettings, GpuLayers, ModelInfo, Prompt, Sampling};

/// A prompt whose greedy choices are clear (each chosen token p > 0.5 on the CPU for both
/// models): CPU and Vulkan kernels sum in another order, so texts may part at a near tie, which
/// would say nothing about the offload ("The history of the Roman Empire begins with" parted at
/// Gemma's 19th token; lavapipe's code depends on the host CPU).
const PROMPT: &str = "1, 2, 3, 4, 5,";
const TOKENS: u32 = 20;
/// Tokens that must agree between CPU and GPU (the issue asks for at least 16).
const AGREE: usize = 16;

/// Called first by every test, before llama.cpp starts (in this process or a child, which
/// inherits the environment): llama.cpp skips CPU-type Vulkan devices such as lavapipe unless
/// GGML_VK_VISIBLE_DEVICES names them, and Mesa caches the pipelines it compiles (about half of
/// a load's time on lavapipe) in the target folder rather than the user's ~/.cache.
fn vulkan_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("GGML_VK_VISIBLE_DEVICES").is_none() {
            std::env::set_var("GGML_VK_VISIBLE_DEVICES", "0");
        }
        std::env::set_var(
            "MESA_SHADER_CACHE_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mesa-shader-cache"),
        );
    });
}

/// `howdah ARGS PATH` (ARGS split at spaces) with `env` and its config, data and cache folders
/// in a temporary one.
fn howdah(args: &str, path: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_howdah"));
    // The HOWDAH_* folder overrides come before XDG_* (paths.rs): a developer's would win.
    cmd.args(args.split_whitespace())
        .arg(path)
        .env_remove("HOWDAH_DATA_DIR")
        .env_remove("HOWDAH_CONFIG_DIR")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CACHE_HOME", home.path().join("cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn load(path: std::path::PathBuf, gpu_layers: GpuLayers) -> (Engine, ModelInfo) {
    vulkan_env();
    let engine = Engine::spawn().expect("engine starts");
    let info = engine
        .load(
            path,
            EngineSettings {
                threads: Some(2),
                n_ctx: Some(512),
                gpu_layers,
                ..EngineSettings::default()
            },
        )
        .expect("model loads");
    (engine, info)
}

fn greedy_ids(engine: &Engine) -> Vec<i32> {
    let mut ids = Vec::new();
    engine
        .generate_one(
            Prompt::Raw(PROMPT.into()),
            Sampling {
                max_tokens: TOKENS,
                ..Sampling::greedy()
            },
            |t| {
                if t.token_id >= 0 {
                    ids.push(t.token_id);
                }
            },
        )
        .expect("generates");
    ids
}

fn sentiment(engine: &Engine) -> Vec<f64> {
    let prompt = Prompt::Raw(
        "Review: The acting was wonderful and the story kept me gripped to the end.\nSentiment (positive or negative):".into(),
    );
    engine
        .score(prompt, vec![" positive".into(), " negative".into()], true)
        .expect("scores")
        .candidates
        .iter()
        .map(|c| c.prob)
        .collect()
}

#[test]
fn the_vulkan_device_is_listed_and_auto_offloads_every_layer() {
    vulkan_env();
    let devices = gpu_devices();
    assert!(
        !devices.is_empty(),
        "no Vulkan device: is mesa-vulkan-drivers installed and GGML_VK_VISIBLE_DEVICES=0 set?"
    );
    let d = &devices[0];
    assert_eq!(d.backend, "Vulkan");
    assert!(d.name.starts_with("Vulkan"), "{d:?}");
    assert!(d.free > 0 && d.total >= d.free, "{d:?}");

    let (_engine, info) = load(common::smollm2(), GpuLayers::Auto);
    let o = info.offload.expect("a local model records its placement");
    // SmolLM2-135M: 30 repeating layers and the output layer, as llama.cpp counts them.
    assert_eq!((o.layers_offloaded, o.layers_total), (31, 31), "{o:?}");
    assert_eq!(o.backend, "Vulkan");
    assert_eq!(o.device, d.label());
    assert_eq!(o.note, None);
    // The count came from llama.cpp's own fitting (a dry load measuring weights, KV cache and
    // compute buffers), not howdah's estimate.
    assert_eq!(o.placement.as_deref(), Some("fitted by llama.cpp"), "{o:?}");
    assert!(
        o.label().starts_with("gpu 31/31 layers · Vulkan0 "),
        "{}",
        o.label()
    );

    // `howdah models --json` says where each model would run.
    let out = howdah(
        "models --json --models-dir",
        &howdah::paths::models_dir(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let smol = list
        .iter()
        .find(|m| m["file_name"] == common::SMOLLM2)
        .expect("SmolLM2 listed");
    assert_eq!(smol["backend"], "Vulkan");
    assert_eq!(smol["device"], d.label().as_str());
    assert_eq!(smol["layers_offloaded"], 31);
    assert_eq!(smol["layers_total"], 31);
    // Listing loads nothing, so it cannot ask llama.cpp to fit: the estimate answers.
    assert_eq!(smol["placement"], "estimated");
}

#[test]
fn greedy_tokens_and_label_scores_agree_with_the_cpu_on_both_models() {
    for (name, path) in [
        (common::SMOLLM2, common::smollm2()),
        (common::GEMMA, common::gemma()),
    ] {
        let (cpu, cpu_info) = load(path.clone(), GpuLayers::CPU);
        let placed = cpu_info.offload.unwrap();
        assert_eq!(
            (placed.backend.as_str(), placed.layers_offloaded),
            ("CPU", 0)
        );
        let cpu_ids = greedy_ids(&cpu);
        let cpu_probs = sentiment(&cpu);
        drop(cpu);
        let started = std::time::Instant::now();
        let (gpu, gpu_info) = load(path, GpuLayers::Auto);
        let placed = gpu_info.offload.unwrap();
        assert_eq!(
            placed.layers_offloaded, placed.layers_total,
            "{name}: {placed:?}"
        );
        assert_eq!(
            placed.placement.as_deref(),
            Some("fitted by llama.cpp"),
            "{name}: {placed:?}"
        );
        let gpu_ids = greedy_ids(&gpu);
        let gpu_probs = sentiment(&gpu);
        let same = cpu_ids
            .iter()
            .zip(&gpu_ids)
            .take_while(|(a, b)| a == b)
            .count();
        // The figure for the record: how far CPU and GPU agree before a near tie parts them.
        println!(
            "{name}: greedy CPU vs Vulkan agree on {same} of {} tokens; P(positive) CPU {:.4} Vulkan {:.4}; Vulkan load+generate+score {:.1} s",
            cpu_ids.len().min(gpu_ids.len()),
            cpu_probs[0],
            gpu_probs[0],
            started.elapsed().as_secs_f64()
        );
        assert!(
            cpu_ids.len() >= AGREE,
            "{name}: only {} tokens",
            cpu_ids.len()
        );
        assert!(
            same >= AGREE,
            "{name}: the Vulkan build parts from the CPU at token {same}: {cpu_ids:?} vs {gpu_ids:?}"
        );
        for (c, g) in cpu_probs.iter().zip(&gpu_probs) {
            assert!(
                (c - g).abs() < 0.02,
                "{name}: label probabilities {cpu_probs:?} vs {gpu_probs:?}"
            );
        }
    }
}

#[test]
fn a_gpu_budget_too_small_for_one_layer_falls_back_to_the_cpu_and_says_so() {
    vulkan_env();
    let out = howdah(
        "bench -p 8 -n 2 -r 1 -c 512 --json -m",
        &common::smollm2(),
        &[("HOWDAH_GPU_MEMORY", "1M")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no layer fits in 1.0 MB of Vulkan0")
            && stderr.contains("HOWDAH_GPU_MEMORY")
            && stderr.contains("running on the CPU"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backend"], "CPU");
    assert_eq!(v["layers_offloaded"], 0);
    assert_eq!(v["layers_total"], 31);
    // A forced budget is howdah's own estimate's to honour (llama.cpp's fit measures only the
    // real free memory).
    assert_eq!(v["placement"], "estimated", "{v}");
}

#[test]
fn a_load_the_device_cannot_hold_retries_with_fewer_layers_and_says_so() {
    vulkan_env();
    // Vulkan buffers capped at 50 MB: llama.cpp puts all of SmolLM2's 98 MB of weights for
    // `-ngl 99` in one device buffer, which the device refuses ("Requested buffer size exceeds
    // device buffer size limit"); half the layers (about 40 MB) fit. A cap on single allocations
    // (GGML_VK_FORCE_MAX_ALLOCATION_SIZE) would not do: llama.cpp splits its buffers to suit it.
    let out = howdah(
        "bench -p 8 -n 2 -r 1 -c 512 --json -ngl 99 -m",
        &common::smollm2(),
        &[("GGML_VK_FORCE_MAX_BUFFER_SIZE", "50000000")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let said = format!(
        "31 layers did not fit on {} (llama.cpp could not allocate them): using 15 (the rest on the CPU)",
        gpu_devices()[0].label()
    );
    assert!(stderr.contains(&said), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backend"], "Vulkan", "{v}");
    assert_eq!(v["layers_offloaded"], 15, "{v}");
    assert_eq!(v["layers_total"], 31, "{v}");
    // A given count is obeyed, neither fitted nor estimated.
    assert!(v.get("placement").is_none(), "{v}");
}
