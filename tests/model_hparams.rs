//! GGUF hyper-parameter checks: crafted files (written here by a small GGUF writer) with values
//! llama.cpp asserts on are refused with the key and value, before llama.cpp sees them; the real
//! models pass, with the KV cache sizes their shapes imply.

mod common;
mod gguf_support;

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use gguf_support::{Gguf, Kv};
use howdah::engine::inspect_hparams;
use howdah::gguf::kv::KvEstimate;

fn refused(g: Gguf, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = g.write(dir.path(), "crafted.gguf");
    let e = inspect_hparams(&p).expect_err("crafted file must be refused");
    assert!(e.contains("crafted.gguf"), "{e}");
    assert!(e.contains(expect), "expected {expect:?} in: {e}");
}

#[test]
fn a_tiny_well_formed_model_passes() {
    let dir = tempfile::tempdir().unwrap();
    let p = Gguf::tiny_llama(2).write(dir.path(), "tiny.gguf");
    let (_, h) = inspect_hparams(&p).unwrap();
    assert_eq!((h.n_layer, h.n_embd, h.n_vocab), (2, 8, 4));
    assert_eq!(h.n_head_kv, vec![1, 1]);
    assert_eq!((h.head_k, h.head_v), (4, 4));
}

#[test]
fn layer_counts_must_match_the_tensors_and_llama_cpp_limits() {
    refused(
        Gguf::tiny_llama(2).set("llama.block_count", Kv::U32(1000)),
        "llama.block_count = 1000",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.block_count", Kv::U32(0)),
        "llama.block_count = 0",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.block_count", Kv::U32(40)),
        "tensors for only 2 layers",
    );
    refused(
        Gguf::tiny_llama(3).set("llama.block_count", Kv::U32(2)),
        "tensors for layer 2",
    );
    refused(
        Gguf::tiny_llama(2).remove("llama.block_count"),
        "no llama.block_count",
    );
}

#[test]
fn heads_embedding_and_context_are_checked() {
    refused(
        Gguf::tiny_llama(2).set("llama.attention.head_count_kv", Kv::U32(3)),
        "key/value heads must divide",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.attention.head_count", Kv::ArrU32(vec![2, 2, 2])),
        "3 entries for 2 layers",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.embedding_length", Kv::U32(0)),
        "llama.embedding_length = 0",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.context_length", Kv::U32(0)),
        "llama.context_length = 0",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.rope.dimension_count", Kv::U32(64)),
        "rope.dimension_count = 64",
    );
    // Per-layer arrays of the right length are fine.
    let dir = tempfile::tempdir().unwrap();
    let g = Gguf::tiny_llama(2).set("llama.attention.head_count_kv", Kv::ArrU32(vec![1, 2]));
    let (_, h) = inspect_hparams(&g.write(dir.path(), "ok.gguf")).unwrap();
    assert_eq!(h.n_head_kv, vec![1, 2]);
}

#[test]
fn experts_and_rope_settings_are_checked() {
    let moe = |n: u32, used: u32| {
        Gguf::tiny_llama(2)
            .set("llama.expert_count", Kv::U32(n))
            .set("llama.expert_used_count", Kv::U32(used))
    };
    refused(moe(4, 8), "more experts used per token than exist");
    refused(moe(4, 0), "at least one per token");
    refused(moe(5000, 2), "at most 1024 experts");
    refused(
        moe(8, 2)
            .set("llama.expert_group_count", Kv::U32(3))
            .set("llama.expert_group_used_count", Kv::U32(1)),
        "split evenly",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.rope.scaling.type", Kv::Str("bogus".into())),
        "llama.rope.scaling.type = \"bogus\"",
    );
    refused(
        Gguf::tiny_llama(2).set("llama.rope.freq_base", Kv::F32(f32::NAN)),
        "llama.rope.freq_base",
    );
}

#[test]
fn vocabulary_arrays_must_agree() {
    refused(
        Gguf::tiny_llama(2).set("tokenizer.ggml.token_type", Kv::ArrI32(vec![1; 3])),
        "tokenizer.ggml.token_type has 3 entries for 4 tokens",
    );
    refused(
        Gguf::tiny_llama(2).set("tokenizer.ggml.scores", Kv::ArrF32(vec![0.0; 9])),
        "tokenizer.ggml.scores has 9 entries",
    );
    refused(
        Gguf::tiny_llama(2).set("tokenizer.ggml.eos_token_id", Kv::U32(99)),
        "tokenizer.ggml.eos_token_id = 99",
    );
    let g = Gguf::tiny_llama(2).without_tensors("token_embd");
    refused(
        g.tensor("token_embd.weight", &[8, 7]),
        "token_embd.weight has 7 rows",
    );
}

#[test]
fn the_real_models_pass_with_their_kv_sizes() {
    let (info, h) = inspect_hparams(&common::smollm2()).unwrap();
    let e = KvEstimate::new(&h, info.file_size, 512);
    // 30 layers x 3 KV heads x (64 + 64) x 2 bytes (f16).
    assert_eq!((h.n_layer, e.kv_per_token), (30, 23_040));
    assert_eq!(h.n_ctx_train, 8192);
    let (info, h) = inspect_hparams(&common::gemma()).unwrap();
    let e = KvEstimate::new(&h, info.file_size, 512);
    // 18 layers x 1 KV head x (256 + 256) x 2 bytes; SWA layers count in full (swa_full).
    assert_eq!((h.n_layer, e.kv_per_token), (18, 18_432));
}

#[test]
fn howdah_run_on_a_crafted_file_exits_with_an_error_not_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    // llama.cpp would abort on this (GGML_ASSERT n_layer_all <= LLAMA_MAX_LAYERS).
    let p = Gguf::tiny_llama(2)
        .set("llama.block_count", Kv::U32(1000))
        .write(dir.path(), "layers.gguf");
    let o = Command::new(env!("CARGO_BIN_EXE_howdah"))
        .args(["run", "--no-save", "-p", "hi", "-m"])
        .arg(&p)
        .env("HOWDAH_DATA_DIR", dir.path())
        .env("HOWDAH_CONFIG_DIR", dir.path().join("config"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.signal(), None, "ended by a signal: {err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("layers.gguf") && err.contains("llama.block_count = 1000"),
        "{err}"
    );
}

#[test]
fn the_first_part_of_a_split_model_need_not_hold_every_layer() {
    // gguf-split puts later layers' tensors in later parts; the first part declares the split.
    let first_part = Gguf::tiny_llama(2).without_tensors("blk.1.");
    refused(first_part.clone(), "tensors for only 1 layers");
    let dir = tempfile::tempdir().unwrap();
    let p = first_part
        .set("split.count", Kv::U32(2))
        .write(dir.path(), "tiny-00001-of-00002.gguf");
    assert!(
        inspect_hparams(&p).is_ok(),
        "{:?}",
        inspect_hparams(&p).err()
    );
}
