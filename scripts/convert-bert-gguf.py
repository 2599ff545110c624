#!/usr/bin/env python3
"""Converts a BERT sentence-embedding model (a sentence-transformers folder: config.json,
model.safetensors, tokenizer.json and 1_Pooling/config.json, e.g. all-MiniLM-L6-v2 or
bge-small-en-v1.5) to a GGUF file llama.cpp runs with its `bert` architecture.

llama.cpp's own convert_hf_to_gguf.py imports torch and transformers (gigabytes); this needs only
numpy, safetensors and gguf. Tensor names, the WordPiece "phantom space" vocabulary and the
metadata keys follow convert_hf_to_gguf.py's BertModel class and llama.cpp's loader
(src/models/bert.cpp, src/llama-vocab.cpp), so the result loads like one made by the original.

    convert-bert-gguf.py MODEL_DIR OUT.gguf [--name NAME] [--outtype f16|f32]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

# Hugging Face BERT tensor -> GGUF tensor (per layer `{}` is the block number).
GLOBAL_TENSORS = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
LAYER_TENSORS = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
# Not needed for sentence embeddings (llama.cpp's converter drops them too).
SKIPPED = re.compile(r"^(embeddings\.position_ids|pooler\..*|cls\.predictions\..*|cls\.seq_relationship\..*)$")
# llama.cpp keeps these in F32 whatever the output type (see convert_hf_to_gguf.py).
KEEP_F32 = {"position_embd.weight", "token_types.weight"}

POOLING = {
    "pooling_mode_mean_tokens": gguf.PoolingType.MEAN,
    "pooling_mode_cls_token": gguf.PoolingType.CLS,
    "pooling_mode_lasttoken": gguf.PoolingType.LAST,
}


def fail(msg: str) -> None:
    print(f"convert-bert-gguf: {msg}", file=sys.stderr)
    sys.exit(1)


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path} is missing")
    except json.JSONDecodeError as e:
        fail(f"{path} is not valid JSON: {e}")


def gguf_name(hf: str) -> str | None:
    """The GGUF name of a Hugging Face tensor; None when it is not needed."""
    name = hf.removeprefix("bert.")
    name = re.sub(r"\.gamma$", ".weight", name)
    name = re.sub(r"\.beta$", ".bias", name)
    if SKIPPED.match(name):
        return None
    if name in GLOBAL_TENSORS:
        return GLOBAL_TENSORS[name]
    m = re.match(r"^encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$", name)
    if m and m.group(2) in LAYER_TENSORS:
        return f"blk.{m.group(1)}.{LAYER_TENSORS[m.group(2)]}.{m.group(3)}"
    fail(f"unexpected tensor {hf!r}: not a plain BERT model")


def pooling_type(model_dir: Path) -> gguf.PoolingType:
    """From the sentence-transformers Pooling module, as llama.cpp's converter reads it."""
    modules = model_dir / "modules.json"
    if not modules.is_file():
        fail(f"{modules} is missing: not a sentence-transformers model, so the pooling is unknown")
    for mod in read_json(modules):
        if mod.get("type", "").endswith("Pooling"):
            cfg = read_json(model_dir / mod["path"] / "config.json")
            for key, kind in POOLING.items():
                if cfg.get(key):
                    return kind
            fail(f"unsupported pooling in {mod['path']}/config.json (mean, cls or last token only)")
    fail(f"{modules} has no Pooling module")


def vocabulary(model_dir: Path) -> tuple[list[str], list[int], dict, dict]:
    """WordPiece vocabulary as llama.cpp's WPM tokenizer wants it: a word start gets the phantom
    space U+2581, a `##` continuation loses its prefix, special tokens stay as they are."""
    tok = read_json(model_dir / "tokenizer.json")
    model = tok.get("model", {})
    if model.get("type") != "WordPiece":
        fail(f"tokenizer.json has a {model.get('type')!r} model; only WordPiece (BERT) is supported")
    vocab: dict[str, int] = model["vocab"]
    special = {t["content"]: t["id"] for t in tok.get("added_tokens", []) if t.get("special")}
    n = max(vocab.values()) + 1
    tokens = [f"[PAD{i}]" for i in range(n)]
    types = [gguf.TokenType.UNUSED] * n
    for text, i in vocab.items():
        if text in special:
            tokens[i], types[i] = text, gguf.TokenType.CONTROL
        elif text.startswith("##"):
            tokens[i], types[i] = text[2:], gguf.TokenType.NORMAL
        else:
            tokens[i], types[i] = "\u2581" + text, gguf.TokenType.NORMAL
    return tokens, types, special, tok.get("normalizer") or {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--name", help="general.name (default: the folder's name)")
    ap.add_argument("--outtype", choices=["f16", "f32"], default="f16")
    args = ap.parse_args()
    start = time.perf_counter()
    d: Path = args.model_dir
    cfg = read_json(d / "config.json")
    if cfg.get("model_type") != "bert":
        fail(f"{d}/config.json: model_type is {cfg.get('model_type')!r}; only 'bert' is supported")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        fail("only absolute position embeddings are supported")
    if cfg.get("hidden_act", "gelu") != "gelu":
        fail(f"hidden_act {cfg.get('hidden_act')!r} is not supported (gelu only)")
    n_layer = int(cfg["num_hidden_layers"])
    tokens, types, special, normalizer = vocabulary(d)
    weights = load_file(str(d / "model.safetensors"))

    w = gguf.GGUFWriter(str(args.out) + ".part", "bert")
    w.add_name(args.name or d.name)
    w.add_license("apache-2.0")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if args.outtype == "f16" else gguf.LlamaFileType.ALL_F32)
    w.add_block_count(n_layer)
    w.add_context_length(int(cfg["max_position_embeddings"]))
    w.add_embedding_length(int(cfg["hidden_size"]))
    w.add_feed_forward_length(int(cfg["intermediate_size"]))
    w.add_head_count(int(cfg["num_attention_heads"]))
    w.add_layer_norm_eps(float(cfg.get("layer_norm_eps", 1e-12)))
    w.add_causal_attention(False)
    w.add_pooling_type(pooling_type(d))

    w.add_tokenizer_model("bert")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_type_count(int(cfg.get("type_vocab_size", 1)))
    ids = {"[CLS]": w.add_bos_token_id, "[SEP]": w.add_sep_token_id, "[UNK]": w.add_unk_token_id,
           "[PAD]": w.add_pad_token_id, "[MASK]": w.add_mask_token_id}
    for text, add in ids.items():
        if text in special:
            add(special[text])
    # The WPM tokenizer wraps every text in [CLS] ... [SEP], as BERT's post-processor does.
    w.add_add_bos_token(True)
    w.add_add_sep_token(True)
    w.add_add_eos_token(False)
    lowercase = bool(normalizer.get("lowercase", True))
    strip = normalizer.get("strip_accents")
    w.add_bool("tokenizer.ggml.normalizer.lowercase", lowercase)
    w.add_bool("tokenizer.ggml.normalizer.strip_accents", lowercase if strip is None else bool(strip))

    n_tensors = 0
    for hf in sorted(weights):
        name = gguf_name(hf)
        if name is None:
            continue
        data = weights[hf]
        if data.ndim == 2 and args.outtype == "f16" and name not in KEEP_F32:
            data = data.astype(np.float16)
        else:
            data = data.astype(np.float32)
        w.add_tensor(name, data)
        n_tensors += 1
    if n_tensors != 5 + 16 * n_layer:
        fail(f"expected {5 + 16 * n_layer} tensors for {n_layer} layers, found {n_tensors}")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    Path(str(args.out) + ".part").replace(args.out)
    print(f"convert-bert-gguf: wrote {args.out} ({n_tensors} tensors, {args.outtype}) "
          f"in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
