#!/usr/bin/env python3
"""Reference sentence embeddings for the converted-model test: a plain numpy forward pass of a
BERT sentence-transformers model's safetensors weights (no llama.cpp, no GGUF, no torch), with
the model's own Hugging Face tokenizer, pooling (mean over the tokens, or the [CLS] token's
vector) and L2 normalisation, as sentence-transformers computes them.

    reference.py MODEL_DIR TEXTS_FILE [mean|cls]
        -> JSON {"vectors": [[...], ...], "tokens": [[...], ...]}
"""

import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

erf = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def embed(ids, W, cfg, pooling):
    p = lambda name: W[name].astype(np.float64)
    eps = cfg["layer_norm_eps"]
    heads = cfg["num_attention_heads"]
    n = len(ids)
    x = p("embeddings.word_embeddings.weight")[ids]
    x = x + p("embeddings.position_embeddings.weight")[:n] + p("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias"), eps)
    dh = x.shape[1] // heads
    for i in range(cfg["num_hidden_layers"]):
        L = f"encoder.layer.{i}."
        lin = lambda h, name: h @ p(L + name + ".weight").T + p(L + name + ".bias")
        q, k, v = (lin(x, f"attention.self.{m}").reshape(n, heads, dh).transpose(1, 0, 2)
                   for m in ("query", "key", "value"))
        att = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(1, 0, 2).reshape(n, -1)
        x = layer_norm(x + lin(ctx, "attention.output.dense"),
                       p(L + "attention.output.LayerNorm.weight"), p(L + "attention.output.LayerNorm.bias"), eps)
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))  # BERT's exact GELU
        x = layer_norm(x + lin(h, "output.dense"),
                       p(L + "output.LayerNorm.weight"), p(L + "output.LayerNorm.bias"), eps)
    v = x.mean(0) if pooling == "mean" else x[0]
    return v / np.linalg.norm(v)


def main():
    model_dir, texts_file = sys.argv[1], sys.argv[2]
    pooling = sys.argv[3] if len(sys.argv) > 3 else "mean"
    if pooling not in ("mean", "cls"):
        sys.exit(f"reference.py: unknown pooling {pooling!r} (mean or cls)")
    cfg = json.load(open(f"{model_dir}/config.json", encoding="utf-8"))
    W = load_file(f"{model_dir}/model.safetensors")
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.no_truncation()
    texts = [t for t in open(texts_file, encoding="utf-8").read().splitlines() if t.strip()]
    ids = [tok.encode(t).ids for t in texts]
    vectors = [embed(i, W, cfg, pooling).tolist() for i in ids]
    json.dump({"vectors": vectors, "tokens": ids}, sys.stdout)


if __name__ == "__main__":
    main()
