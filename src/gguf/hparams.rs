//! Hyper-parameter checks on a GGUF header: the values llama.cpp `GGML_ASSERT`s on (and so
//! aborts the process over) are refused here first, with the key, its value and what it must be.

use std::collections::BTreeSet;

use super::{GgufHeader, Value};

/// llama.cpp's `LLAMA_MAX_LAYERS` and `LLAMA_MAX_EXPERTS`.
pub const MAX_LAYERS: u32 = 512;
pub const MAX_EXPERTS: u32 = 1024;
/// Far above any real model; keeps arithmetic on header values from overflowing.
const MAX_DIM: u64 = 1 << 20;
const MAX_HEADS: u64 = 1 << 12;
/// The rope scaling types llama.cpp knows (anything else trips an assertion).
const ROPE_SCALING: [&str; 4] = ["none", "linear", "yarn", "longrope"];

/// The hyper-parameters that size a model's KV cache, read once the header has been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Hparams {
    pub arch: String,
    pub n_layer: u32,
    pub n_embd: u64,
    /// Attention heads per layer (0 for layers without attention).
    pub n_head: Vec<u64>,
    /// Key/value heads per layer.
    pub n_head_kv: Vec<u64>,
    pub head_k: u64,
    pub head_v: u64,
    /// Multi-head latent attention (DeepSeek 2/3): the compressed KV rank plus rope dims.
    pub kv_lora_rank: Option<u64>,
    pub n_rot: u64,
    pub n_ctx_train: u32,
    pub n_vocab: u64,
}

/// Reads and checks the hyper-parameters; the error names the key and the expected range.
pub fn check(h: &GgufHeader) -> Result<Hparams, String> {
    let arch = h
        .str("general.architecture")
        .ok_or("it has no general.architecture key, so llama.cpp cannot tell what model it is")?
        .to_string();
    let key = |k: &str| format!("{arch}.{k}");
    let uint = |k: &str| -> Result<Option<u64>, String> {
        let full = key(k);
        match h.metadata.get(&full) {
            None | Some(Value::Array(_)) => Ok(None),
            Some(Value::Int(i)) if *i >= 0 && *i <= u32::MAX as i128 => Ok(Some(*i as u64)),
            Some(v) => Err(format!(
                "{full} = {v:?} is not a count: the file is corrupt"
            )),
        }
    };
    let n_layer =
        uint("block_count")?.ok_or_else(|| format!("it has no {} key", key("block_count")))?;
    if n_layer == 0 || n_layer > MAX_LAYERS as u64 {
        return Err(format!(
            "{} = {n_layer}: llama.cpp accepts 1 to {MAX_LAYERS} layers",
            key("block_count")
        ));
    }
    let n_layer = n_layer as u32;
    check_layers_present(h, &key("block_count"), n_layer)?;
    if let Some(nextn) = uint("nextn_predict_layers")? {
        if nextn > n_layer as u64 {
            return Err(format!(
                "{} = {nextn} is more than its {n_layer} layers",
                key("nextn_predict_layers")
            ));
        }
    }
    let n_ctx_train = uint("context_length")?
        .ok_or_else(|| format!("it has no {} key", key("context_length")))?;
    if n_ctx_train == 0 || n_ctx_train > i32::MAX as u64 {
        return Err(format!(
            "{} = {n_ctx_train}: a trained context must be 1 to {} tokens",
            key("context_length"),
            i32::MAX
        ));
    }
    let n_embd = uint("embedding_length")?
        .ok_or_else(|| format!("it has no {} key", key("embedding_length")))?;
    in_range(&key("embedding_length"), n_embd, 1, MAX_DIM)?;
    check_experts(h, &arch, n_layer)?;
    let n_head = per_layer(h, &key("attention.head_count"), n_layer, 0)?;
    let n_head_kv = match h.metadata.get(&key("attention.head_count_kv")) {
        None => n_head.clone(),
        Some(_) => per_layer(h, &key("attention.head_count_kv"), n_layer, 0)?,
    };
    for (i, (&q, &kv)) in n_head.iter().zip(&n_head_kv).enumerate() {
        in_range(&key("attention.head_count"), q, 0, MAX_HEADS)?;
        if kv > q || (kv > 0 && q % kv != 0) || (q > 0 && kv == 0 && !hybrid(&arch)) {
            return Err(format!(
                "layer {i} has {q} attention heads and {kv} key/value heads ({}): the key/value heads must divide the heads",
                key("attention.head_count_kv")
            ));
        }
    }
    let max_head = n_head.iter().copied().max().unwrap_or(0);
    let (mut head_k, mut head_v, mut n_rot) = (0, 0, 0);
    if let Some(per_head) = n_embd.checked_div(max_head) {
        head_k = uint("attention.key_length")?.unwrap_or(per_head);
        head_v = uint("attention.value_length")?.unwrap_or(per_head);
        in_range(&key("attention.key_length"), head_k, 1, MAX_DIM)?;
        in_range(&key("attention.value_length"), head_v, 1, MAX_DIM)?;
        n_rot = uint("rope.dimension_count")?.unwrap_or(head_k);
        if n_rot > head_k.max(uint("attention.key_length_mla")?.unwrap_or(0)) {
            return Err(format!(
                "{} = {n_rot} is more than the head size {head_k}",
                key("rope.dimension_count")
            ));
        }
    }
    check_rope(h, &arch)?;
    if let Some(w) = uint("attention.sliding_window")? {
        in_range(&key("attention.sliding_window"), w, 1, i32::MAX as u64)?;
    }
    let n_vocab = check_vocab(h)?;
    Ok(Hparams {
        kv_lora_rank: uint("attention.kv_lora_rank")?,
        arch,
        n_layer,
        n_embd,
        n_head,
        n_head_kv,
        head_k,
        head_v,
        n_rot,
        n_ctx_train: n_ctx_train as u32,
        n_vocab,
    })
}

/// Hybrid attention/recurrent models have layers with query heads but no KV heads.
fn hybrid(arch: &str) -> bool {
    [
        "jamba",
        "falcon-h1",
        "nemotron_h",
        "granitehybrid",
        "lfm2",
        "qwen3next",
        "plamo2",
    ]
    .iter()
    .any(|a| arch.starts_with(a))
}

fn in_range(key: &str, v: u64, lo: u64, hi: u64) -> Result<(), String> {
    if v < lo || v > hi {
        return Err(format!(
            "{key} = {v} is outside {lo}..={hi}: the file is corrupt"
        ));
    }
    Ok(())
}

/// A key llama.cpp reads with `get_key_or_arr`: one number for all layers, or one per layer.
fn per_layer(h: &GgufHeader, key: &str, n_layer: u32, default: u64) -> Result<Vec<u64>, String> {
    let n = n_layer as usize;
    match (h.metadata.get(key), h.int_arrays.get(key)) {
        (None, _) => Ok(vec![default; n]),
        (Some(Value::Int(i)), _) if *i >= 0 && *i <= u32::MAX as i128 => Ok(vec![*i as u64; n]),
        (Some(Value::Array(len)), Some(v)) if v.len() == n => v
            .iter()
            .map(|i| u64::try_from(*i).map_err(|_| format!("{key} holds {i}: the file is corrupt")))
            .collect(),
        (Some(Value::Array(len)), _) => Err(format!(
            "{key} has {len} entries for {n_layer} layers: the file is corrupt"
        )),
        (Some(v), _) => Err(format!("{key} = {v:?} is not a count: the file is corrupt")),
    }
}

/// `blk.N.` tensors must exist for exactly the layers block_count declares.
fn check_layers_present(h: &GgufHeader, key: &str, n_layer: u32) -> Result<(), String> {
    let blocks: BTreeSet<u64> = h
        .tensors
        .iter()
        .filter_map(|t| t.name.strip_prefix("blk.")?.split('.').next()?.parse().ok())
        .collect();
    if blocks.is_empty() {
        return Ok(()); // an architecture that names its layers otherwise
    }
    if let Some(&last) = blocks.last() {
        if last >= n_layer as u64 {
            return Err(format!(
                "{key} = {n_layer} but it has tensors for layer {last}: the file is corrupt"
            ));
        }
    }
    // A split model (gguf-split) keeps the other layers' tensors in its other parts; llama.cpp
    // checks the total across parts (`split.tensors.count`) when it loads them.
    let split = matches!(h.metadata.get("split.count"), Some(Value::Int(n)) if *n > 1);
    if blocks.len() < n_layer as usize && !split {
        return Err(format!(
            "{key} = {n_layer} but it has tensors for only {} layers: the file is corrupt or was converted wrongly",
            blocks.len()
        ));
    }
    Ok(())
}

fn check_experts(h: &GgufHeader, arch: &str, n_layer: u32) -> Result<(), String> {
    let get = |k: &str| match h.int(&format!("{arch}.{k}")) {
        Some(i) if i >= 0 => i as u64,
        _ => 0,
    };
    let n_expert = get("expert_count");
    let used_key = format!("{arch}.expert_used_count");
    let used = per_layer(h, &used_key, n_layer, 0)?
        .into_iter()
        .max()
        .unwrap_or(0);
    let groups = get("expert_group_count");
    let group_used = get("expert_group_used_count");
    let bad = |why: &str| {
        Err(format!(
            "{arch}.expert_count = {n_expert}, expert_used_count = {used}, expert_group_count = {groups}: {why}"
        ))
    };
    if n_expert > MAX_EXPERTS as u64 {
        return bad(&format!("llama.cpp accepts at most {MAX_EXPERTS} experts"));
    }
    if used > n_expert {
        return bad("more experts used per token than exist");
    }
    if n_expert > 0 {
        if used == 0 {
            return bad("a mixture of experts must use at least one per token");
        }
        if groups >= n_expert && groups > 0 {
            return bad("there must be fewer expert groups than experts");
        }
        if groups > 1 && (n_expert % groups != 0 || group_used == 0 || group_used >= groups) {
            return bad(
                "the experts must split evenly into groups, of which 1 to groups-1 are used",
            );
        }
    } else if groups > 0 {
        return bad("expert groups without experts");
    }
    Ok(())
}

fn check_rope(h: &GgufHeader, arch: &str) -> Result<(), String> {
    let k = format!("{arch}.rope.scaling.type");
    if let Some(t) = h.str(&k) {
        if !ROPE_SCALING.contains(&t) {
            return Err(format!(
                "{k} = {t:?}: llama.cpp knows {}",
                ROPE_SCALING.join(", ")
            ));
        }
    }
    for (name, positive) in [
        ("rope.freq_base", true),
        ("rope.scaling.factor", false),
        ("rope.scale_linear", false),
    ] {
        let k = format!("{arch}.{name}");
        let v = match h.metadata.get(&k) {
            Some(Value::Float(f)) => *f,
            Some(Value::Int(i)) => *i as f64,
            _ => continue,
        };
        if !v.is_finite() || v < 0.0 || (positive && v == 0.0) {
            return Err(format!("{k} = {v} must be a finite number above 0"));
        }
    }
    Ok(())
}

/// The token list, its parallel arrays, the special token ids and the embedding matrix agree.
fn check_vocab(h: &GgufHeader) -> Result<u64, String> {
    let n_vocab = match h.metadata.get("tokenizer.ggml.tokens") {
        Some(Value::Array(n)) if *n > 0 && *n <= i32::MAX as u64 => *n,
        Some(Value::Array(n)) => {
            return Err(format!(
                "tokenizer.ggml.tokens has {n} tokens: the file is corrupt"
            ))
        }
        _ => return Ok(0), // no vocabulary in the file: llama.cpp reports that itself
    };
    for k in ["tokenizer.ggml.scores", "tokenizer.ggml.token_type"] {
        if let Some(Value::Array(n)) = h.metadata.get(k) {
            if *n != n_vocab {
                return Err(format!(
                    "{k} has {n} entries for {n_vocab} tokens: the file is corrupt"
                ));
            }
        }
    }
    for (k, v) in &h.metadata {
        let special = k.starts_with("tokenizer.ggml.") && k.ends_with("_token_id");
        if let (true, Value::Int(id)) = (special, v) {
            // -1 (as u32: 4294967295) means "none" in some converters.
            if *id >= n_vocab as i128 && *id != u32::MAX as i128 && *id != -1 {
                return Err(format!(
                    "{k} = {id} but the vocabulary has {n_vocab} tokens: the file is corrupt"
                ));
            }
        }
    }
    if let Some(t) = h.tensors.iter().find(|t| t.name == "token_embd.weight") {
        // Only the vocabulary side: some architectures project embeddings to another width.
        if t.dims.len() >= 2 && t.dims[1] != n_vocab {
            return Err(format!(
                "token_embd.weight has {} rows but tokenizer.ggml.tokens has {n_vocab} tokens: the file is corrupt",
                t.dims[1]
            ));
        }
    }
    Ok(n_vocab)
}

/// SmolLM2-135M's hyper-parameters (30 layers, 9 heads and 3 KV heads of 64), the one fixture
/// for unit tests that size a KV cache (`gguf::kv`, `engine::settings`). Last in the file, so
/// nothing after it is test-only by mistake.
#[cfg(test)]
pub(crate) fn smollm2_fixture() -> Hparams {
    Hparams {
        arch: "llama".into(),
        n_layer: 30,
        n_embd: 576,
        n_head: vec![9; 30],
        n_head_kv: vec![3; 30],
        head_k: 64,
        head_v: 64,
        kv_lora_rank: None,
        n_rot: 64,
        n_ctx_train: 8192,
        n_vocab: 49152,
    }
}
